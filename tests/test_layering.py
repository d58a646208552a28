"""The protocol package never imports Home Assistant (CONTRIBUTING.md: where the layers meet).

It runs outside Home Assistant (command-line tools, simulators, benchmarks, the MQTT bridge in
protocol/bridge/, installed by ``pip install .``) and is tested without it, so a stray
``homeassistant`` import there would only show up in a user's install.
"""

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = ROOT / "custom_components" / "mbus_han" / "protocol"


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


def test_protocol_package_imports_only_itself_and_what_pip_installs() -> None:
    """``pip install .`` installs protocol/ as the package ``mbus_han`` (pyproject.toml).

    So nothing in it may import ``custom_components`` by name, and the bridge's extras (aiomqtt,
    PyYAML) are imported only where used: the other tools run without them.
    """
    allowed = {"cryptography", "serialx"}
    stdlib = set(sys.stdlib_module_names)
    optional = {"aiomqtt", "yaml"}
    found: dict[str, set[str]] = {}
    for path in sorted(PROTOCOL.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        top_level = {node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)}
        for node in ast.walk(tree):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                else []
            )
            for name in names:
                root = name.split(".")[0]
                if root in stdlib or root in allowed:
                    continue
                if root in optional and node not in top_level:
                    continue  # imported where it is used
                found.setdefault(str(path.relative_to(PROTOCOL)), set()).add(name)
    assert found == {}


def test_pip_installs_every_protocol_package() -> None:
    """pyproject.toml lists each sub-package of protocol/ (a new one would be left out)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    setuptools = config["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"mbus_han": "custom_components/mbus_han/protocol"}
    packages = {
        ".".join(("mbus_han", *init.parent.relative_to(PROTOCOL).parts))
        for init in PROTOCOL.rglob("__init__.py")
    }
    assert set(setuptools["packages"]) == packages
    assert config["project"]["scripts"] == {"mbus-han": "mbus_han.cli:main"}


def test_installed_command_runs_without_home_assistant(tmp_path: Path) -> None:
    """The protocol package laid out as ``pip install .`` does; Home Assistant unimportable."""
    (tmp_path / "mbus_han").symlink_to(PROTOCOL)
    (tmp_path / "homeassistant").mkdir()
    (tmp_path / "homeassistant" / "__init__.py").write_text("raise ImportError('no HA here')\n")
    example = PROTOCOL / "bridge" / "example.yaml"
    script = (
        "import sys; from mbus_han.cli import main; "
        f"code = main(['bridge', {str(example)!r}, '--check']); "
        "assert not any(m.startswith('homeassistant') for m in sys.modules); sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        # Without the coverage run's variables: its paths are relative to the repository, so
        # in this folder it would measure every module the command loads (site-packages too).
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("COV_CORE_", "COVERAGE_"))},
            "PYTHONPATH": str(tmp_path),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


BILLING = PROTOCOL.parent / "billing"


def test_billing_package_imports_only_the_standard_library_and_itself() -> None:
    """billing/ (the numbers a bill is made of) is pure Python like protocol/: no Home Assistant.

    It is computed and tested without Home Assistant; the glue (capacity_tracker.py and the
    sensors) only feeds it and shows it.
    """
    stdlib = set(sys.stdlib_module_names)
    found: dict[str, set[str]] = {}
    for path in sorted(BILLING.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 1, f"{path}: relative import leaves billing/"
                names = []
            else:
                names = []
            for name in names:
                if name.split(".")[0] not in stdlib and name != "__future__":
                    found.setdefault(path.name, set()).add(name)
    assert len(list(BILLING.rglob("*.py"))) >= 4
    assert found == {}
