"""The protocol package never imports Home Assistant (CONTRIBUTING.md: where the layers meet).

It runs outside Home Assistant (command-line tools, simulators, benchmarks) and is tested
without it, so a stray ``homeassistant`` import there would only show up in a user's install.
"""

import ast
from pathlib import Path

PROTOCOL = Path(__file__).resolve().parents[1] / "custom_components" / "mbus_han" / "protocol"


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            # Relative imports must stay inside the package: at most up to protocol/.
            depth = len(path.relative_to(PROTOCOL).parts) - 1
            assert node.level <= depth + 1, f"{path}: relative import leaves protocol/"
    return modules


def test_protocol_package_does_not_import_home_assistant() -> None:
    files = sorted(PROTOCOL.rglob("*.py"))
    assert len(files) > 20
    offenders = {
        str(path.relative_to(PROTOCOL)): sorted(
            m for m in _imported_modules(path) if m.split(".")[0] == "homeassistant"
        )
        for path in files
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}
