"""The integration against Home Assistant 2026.11, the release our users run.

Our other tests run on Home Assistant 2025.4 (Python 3.13). This one downloads the 2026.11.0
wheel once (cached in ``.cache/ha-wheels/``, ignored by git) and, without installing or
importing it, checks every Home Assistant module, name, member and keyword the integration
uses against the wheel's sources: it must exist there and must not be marked deprecated.
See ``ha_wheel.py`` for what exactly is checked and how deprecation is recognised.

A failed download fails the test (it does not skip): CI reaches the package registry, and a
skipped compatibility check would hide an integration that breaks for every user.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from ha_wheel import (
    HA_PYTHON,
    HA_VERSION,
    INTEGRATION_PACKAGE,
    Checker,
    Finding,
    SourceTree,
    WheelDownloadError,
    check_manifest,
    check_third_party,
    fetch_wheel,
    third_party_imports,
    wheel_module_aliases,
    wheel_pins,
    wheel_requirements,
)

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "ha-wheels"
COMPONENTS = ROOT / "custom_components"
INTEGRATION = COMPONENTS / "mbus_han"


@dataclass(frozen=True)
class Explained:
    """A finding we know about: where, what it says, and why it is listed here."""

    path_suffix: str
    subject_part: str
    message_part: str
    reason: str

    def matches(self, finding: Finding) -> bool:
        """Whether this entry explains ``finding``."""
        return (
            finding.path.endswith(self.path_suffix)
            and self.subject_part in finding.subject
            and self.message_part in finding.message
        )


ACKNOWLEDGED: tuple[Explained, ...] = (
    Explained(
        "config_flow.py",
        "self.async_update_reload_and_abort",
        "has an update listener and should use it for scheduling a reload",
        "2026.11 reports (breaking in 2026.12.0) only when the entry has an update listener; "
        "the integration registers none, which test_no_update_listener_is_registered enforces.",
    ),
    Explained(
        "entity.py",
        "DeviceInfo(...) via_device=",
        "_DEPRECATED_DEVICE_INFO_PARAMETERS",
        "via_port() passes via_device only where DeviceInfo has no via_device_id (2025.4); "
        "on 2026.x it passes via_device_id. test_via_device_id_is_used_where_it_exists checks it.",
    ),
    Explained(
        "hour_statistics.py",
        "async_add_external_statistics",
        "doesn't specify mean_type",
        "the metadata is built as a dict (2025.4's StatisticMetaData has no unit_class) and "
        "always holds mean_type; test_statistics_metadata_names_mean_type_and_unit_class "
        "(tests/ha/test_ha_energy_hours.py) checks it.",
    ),
    Explained(
        "hour_statistics.py",
        "async_add_external_statistics",
        "doesn't specify unit_class",
        "the metadata holds unit_class wherever StatisticMetaData has it (2025.10 on); "
        "test_statistics_metadata_names_mean_type_and_unit_class checks it.",
    ),
)
"""Conditional usage reports that cannot trigger for us, each with the reason why."""

KNOWN_PROBLEMS: tuple[Explained, ...] = ()
"""Real problems in the integration, to be fixed there; listed so that CI stays green while
they are, and reported as warnings on every run. Any problem not listed fails the test."""


@pytest.fixture(scope="module")
def wheel() -> Path:
    """The Home Assistant 2026.11 wheel, downloaded on first use."""
    try:
        return fetch_wheel(CACHE)
    except WheelDownloadError as err:
        pytest.fail(
            f"Cannot check compatibility with Home Assistant {HA_VERSION}: downloading its "
            f"wheel for Python {HA_PYTHON} failed. This test needs the package registry "
            f"(CI has it); it does not skip, so that an untested upgrade cannot pass.\n{err}",
            pytrace=False,
        )


@pytest.fixture(scope="module")
def ha_sources(wheel: Path) -> SourceTree:
    """The wheel's files, read without extracting or installing anything."""
    return SourceTree.from_wheel(wheel)


def integration_sources() -> SourceTree:
    """Our integration's Python files, named as Home Assistant would import them."""
    return SourceTree.from_directory(COMPONENTS, "custom_components")


def test_the_cached_wheel_is_the_pinned_release(ha_sources: SourceTree) -> None:
    metadata = ha_sources.read(f"homeassistant-{HA_VERSION}.dist-info/METADATA").splitlines()
    assert "Name: homeassistant" in metadata
    assert f"Version: {HA_VERSION}" in metadata
    assert any(line.startswith("Requires-Python: >=3.14") for line in metadata)


def test_protocol_package_never_imports_home_assistant() -> None:
    """What makes leaving protocol/ out of the check sound (and keeps it HA-independent)."""
    checker = Checker(SourceTree.from_mapping({}), integration_sources())
    assert [str(f) for f in checker.check_excluded_isolated()] == []
    checked = {module for module, _ in checker.modules()}
    assert f"{INTEGRATION_PACKAGE}.config_flow" in checked
    assert not any(".protocol" in module for module in checked)


def test_integration_uses_only_what_2026_11_has_and_does_not_deprecate(
    ha_sources: SourceTree,
) -> None:
    findings = Checker(ha_sources, integration_sources()).run()
    errors = [f for f in findings if f.severity == "error"]
    unexplained = [
        f for f in errors if not any(e.matches(f) for e in (*ACKNOWLEDGED, *KNOWN_PROBLEMS))
    ]
    for entry in KNOWN_PROBLEMS:
        for finding in errors:
            if entry.matches(finding):
                warnings.warn(f"known problem: {finding}\n  -> {entry.reason}", stacklevel=1)
    for entry in (*ACKNOWLEDGED, *KNOWN_PROBLEMS):
        if not any(entry.matches(f) for f in errors):
            warnings.warn(f"stale entry in {Path(__file__).name}, remove it: {entry}", stacklevel=1)
    assert unexplained == [], (
        f"The integration is not ready for Home Assistant {HA_VERSION}:\n"
        + "\n".join(str(f) for f in unexplained)
    )


def test_no_update_listener_is_registered() -> None:
    """2026.11 reports an update listener combined with a reload from a flow (2026.12.0
    breaks it). Options must take effect without one: applied by the options flow itself
    (as today), or through OptionsFlowWithReload where it exists."""
    uses = []
    for path in sorted(INTEGRATION.rglob("*.py")):
        if "protocol" in path.relative_to(INTEGRATION).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        uses += [
            f"{path.relative_to(ROOT)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr == "add_update_listener"
        ]
    assert uses == []


def test_manifest_requirements_match_2026_11(ha_sources: SourceTree) -> None:
    manifest = (INTEGRATION / "manifest.json").read_text(encoding="utf-8")
    assert check_manifest(manifest, wheel_pins(ha_sources)) == []


def test_outside_modules_we_import_are_installed_on_2026_11(ha_sources: SourceTree) -> None:
    """serialx from our manifest, cryptography with Home Assistant, voluptuous through
    probatio's alias: an import of anything else would fail on the user's installation.

    Left out: the MQTT bridge's extras (aiomqtt, PyYAML) in protocol/bridge/, a program that
    runs without Home Assistant; tests/test_layering.py keeps them imported only inside the
    bridge's functions, so loading the integration never reaches them."""
    manifest = (INTEGRATION / "manifest.json").read_text(encoding="utf-8")
    bridge = f"{INTEGRATION_PACKAGE.replace('.', '/')}/protocol/bridge/"
    imports = [
        (module, where, guarded)
        for module, where, guarded in third_party_imports(
            integration_sources(), INTEGRATION_PACKAGE
        )
        if not (where.startswith(bridge) and module in {"aiomqtt", "yaml"})
    ]
    assert {module for module, _, _ in imports} >= {"serialx"}
    problems = check_third_party(
        imports, manifest, wheel_requirements(ha_sources), wheel_module_aliases(ha_sources)
    )
    assert problems == []


def test_via_device_id_is_used_where_it_exists() -> None:
    """The deprecated via_device is only the fallback for a DeviceInfo without via_device_id."""
    source = (INTEGRATION / "entity.py").read_text()
    assert '_HAS_VIA_DEVICE_ID = "via_device_id" in DeviceInfo.__optional_keys__' in source
    assert "if _HAS_VIA_DEVICE_ID:\n        return DeviceInfo(via_device_id=" in source
