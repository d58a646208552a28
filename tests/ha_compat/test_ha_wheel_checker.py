"""The wheel checker itself, against small synthetic Home Assistant trees.

The real run (test_ha_2026_compat.py) can only show that today's integration passes; these
show that the checker fails when it should, for each marker it claims to know.
"""

from __future__ import annotations

import ast
import subprocess
import textwrap
import zipfile
from pathlib import Path

import pytest
from ha_wheel import (
    Checker,
    Finding,
    SourceTree,
    WheelDownloadError,
    check_manifest,
    check_third_party,
    fetch_wheel,
    parenthesize_except_tuples,
    parse_source,
    pinned_versions,
    third_party_imports,
    wheel_module_aliases,
    wheel_pins,
    wheel_requirements,
)

PACKAGE = "custom_components.demo"

DEPRECATION = """
from typing import NamedTuple

class DeprecatedConstant(NamedTuple):
    value: object
    replacement: str | None
    breaks_in_ha_version: str | None

class DeprecatedAlias(NamedTuple):
    value: object
    replacement: str
    breaks_in_ha_version: str | None

def deprecated_class(replacement, *, breaks_in_ha_version=None):
    return lambda cls: cls

def check_if_deprecated_constant(name, module_globals): ...
def all_with_deprecated_constants(module_globals): ...
"""

FRAME = """
def report_usage(what, *, breaks_in_ha_version=None, core_behavior=None): ...
"""


def run(ha_files: dict[str, str], ours: str, extra: dict[str, str] | None = None) -> list[Finding]:
    """Check ``ours`` (the integration's ``__init__.py``) against a synthetic HA tree."""
    ha = {
        "homeassistant/__init__.py": "",
        "homeassistant/helpers/__init__.py": "",
        "homeassistant/helpers/deprecation.py": DEPRECATION,
        "homeassistant/helpers/frame.py": FRAME,
    }
    ha |= {name: textwrap.dedent(text) for name, text in ha_files.items()}
    integration = {"custom_components/demo/__init__.py": textwrap.dedent(ours)}
    integration |= {name: textwrap.dedent(text) for name, text in (extra or {}).items()}
    checker = Checker(
        SourceTree.from_mapping(ha),
        SourceTree.from_mapping(integration),
        package=PACKAGE,
        excluded=(f"{PACKAGE}.protocol",),
    )
    return checker.run()


def errors(findings: list[Finding]) -> list[str]:
    """The error findings as sorted text, for assertions that name what failed."""
    return sorted(f"{f.subject}: {f.message}" for f in findings if f.severity == "error")


CONST = """
from enum import StrEnum
from .helpers.deprecation import (
    DeprecatedConstant,
    all_with_deprecated_constants,
    check_if_deprecated_constant,
)
from functools import partial

class Platform(StrEnum):
    SENSOR = "sensor"

CONF_PORT = "port"
_DEPRECATED_CONF_OLD = DeprecatedConstant("old", "CONF_PORT", "2027.1")

__getattr__ = partial(check_if_deprecated_constant, module_globals=globals())
__all__ = all_with_deprecated_constants(globals())
"""


def test_existing_names_and_modules_pass() -> None:
    findings = run(
        {"homeassistant/const.py": CONST},
        """
        from homeassistant.const import CONF_PORT, Platform
        from homeassistant import const
        from homeassistant.helpers import frame as fr
        import homeassistant.const as hc

        PLATFORMS = [Platform.SENSOR, hc.CONF_PORT, const.CONF_PORT]
        """,
    )
    assert errors(findings) == []


def test_a_name_that_does_not_exist_fails() -> None:
    findings = run(
        {"homeassistant/const.py": CONST},
        "from homeassistant.const import CONF_PORTS\n",
    )
    assert errors(findings) == sorted(
        [
            "homeassistant.const.CONF_PORTS: homeassistant.const has no CONF_PORTS"
            " (the module has a __getattr__, which may serve it dynamically)"
        ]
    )


def test_a_module_that_does_not_exist_fails() -> None:
    findings = run({}, "from homeassistant.helpers.serial import Port\nimport homeassistant.nope\n")
    assert errors(findings) == sorted(
        [
            "homeassistant.helpers.serial.Port: module homeassistant.helpers.serial does not exist",
            "homeassistant.nope: module homeassistant.nope does not exist",
        ]
    )


def test_missing_attributes_of_modules_and_enums_fail() -> None:
    findings = run(
        {"homeassistant/const.py": CONST},
        """
        from homeassistant import const
        from homeassistant.const import Platform

        X = const.CONF_PORTT
        Y = Platform.LIGHT
        """,
    )
    assert errors(findings) == sorted(
        [
            "const.CONF_PORTT: homeassistant.const has no CONF_PORTT"
            " (the module has a __getattr__, which may serve it dynamically)",
            "Platform.LIGHT: enum homeassistant.const.Platform has no member LIGHT",
        ]
    )


def test_a_deprecated_constant_fails_even_though_it_still_resolves() -> None:
    findings = run(
        {"homeassistant/const.py": CONST},
        "from homeassistant.const import CONF_OLD\n"
        "from homeassistant import const\n"
        "const.CONF_OLD\n",
    )
    assert errors(findings) == sorted(
        [
            "homeassistant.const.CONF_OLD: homeassistant.const.CONF_OLD is deprecated"
            " (DeprecatedConstant)",
            "const.CONF_OLD: homeassistant.const.CONF_OLD is deprecated (DeprecatedConstant)",
        ]
    )


def test_re_exports_are_followed_through_init_files_and_star_imports() -> None:
    ha = {
        "homeassistant/components/__init__.py": "",
        "homeassistant/components/sensor/__init__.py": """
            from .entity import RestoreSensor
            from .const import *
            from . import helpers as sensor_helpers
            __all__ = ["RestoreSensor", "SensorDeviceClass"]
        """,
        "homeassistant/components/sensor/entity.py": "class RestoreSensor: ...\n",
        "homeassistant/components/sensor/const.py": """
            __all__ = ["SensorDeviceClass"]
            class SensorDeviceClass: ...
            class Hidden: ...
        """,
        "homeassistant/components/sensor/helpers.py": "def helper(): ...\n",
    }
    ok = run(ha, "from homeassistant.components.sensor import RestoreSensor, SensorDeviceClass\n")
    assert errors(ok) == []
    hidden = run(ha, "from homeassistant.components.sensor import Hidden\n")
    assert errors(hidden) == sorted(
        ["homeassistant.components.sensor.Hidden: homeassistant.components.sensor has no Hidden"]
    )


def test_a_private_re_export_fails() -> None:
    ha = {
        "homeassistant/components/__init__.py": "",
        "homeassistant/components/usb/__init__.py": """
            from homeassistant.helpers.service_info.usb import UsbServiceInfo
            __all__ = ["async_is_plugged_in"]
            def async_is_plugged_in(): ...
        """,
        "homeassistant/helpers/service_info/__init__.py": "",
        "homeassistant/helpers/service_info/usb.py": "class UsbServiceInfo: ...\n",
    }
    assert (
        errors(run(ha, "from homeassistant.helpers.service_info.usb import UsbServiceInfo")) == []
    )
    assert errors(run(ha, "from homeassistant.components.usb import UsbServiceInfo")) == sorted(
        [
            "homeassistant.components.usb.UsbServiceInfo: "
            "homeassistant.components.usb.UsbServiceInfo"
            " is a private re-export of homeassistant.helpers.service_info.usb.UsbServiceInfo"
            " (not in homeassistant.components.usb.__all__): import it from where it is defined"
        ]
    )


def test_deprecation_decorators_docstrings_and_aliases_fail() -> None:
    ha = {
        "homeassistant/helpers/target.py": """
            from .deprecation import DeprecatedAlias, deprecated_class

            @deprecated_class("TargetSelection", breaks_in_ha_version="2026.12.0")
            class TargetSelectorData: ...

            class OldFlow:
                '''Base class that is being phased out.'''

            def old_helper():
                '''Deprecated: use new_helper.'''

            def new_helper(): ...

            _DEPRECATED_old_name = DeprecatedAlias(new_helper, "new_helper", "2027.1")
        """,
    }
    findings = run(
        ha,
        """
        from homeassistant.helpers.target import (
            OldFlow, TargetSelectorData, new_helper, old_helper, old_name,
        )
        """,
    )
    assert errors(findings) == sorted(
        [
            "homeassistant.helpers.target.OldFlow: homeassistant.helpers.target.OldFlow:"
            " its docstring says deprecated: 'Base class that is being phased out.'",
            "homeassistant.helpers.target.TargetSelectorData: homeassistant.helpers.target."
            "TargetSelectorData is deprecated (@deprecated_class)",
            "homeassistant.helpers.target.old_helper: homeassistant.helpers.target.old_helper:"
            " its docstring says deprecated: 'Deprecated: use new_helper.'",
            "homeassistant.helpers.target.old_name: homeassistant.helpers.target.old_name is"
            " deprecated (DeprecatedAlias)",
        ]
    )


COORDINATOR = """
from homeassistant.helpers import frame
import warnings

UNDEFINED = object()

class DataUpdateCoordinator:
    def __init__(self, hass, logger, *, config_entry=UNDEFINED, name=None):
        self.hass = hass
        self.data = None
        if config_entry is UNDEFINED:
            frame.report_usage("should pass the config entry explicitly")

    async def async_refresh(self, *, force=False):
        if force:
            frame.report_usage("force is deprecated", breaks_in_ha_version="2027.1")

    def old_method(self):
        warnings.warn("old_method is going away", DeprecationWarning)

    def async_update_listeners(self): ...
"""


def test_report_usage_in_a_constructor_depends_on_the_arguments_we_pass() -> None:
    ha = {"homeassistant/helpers/update_coordinator.py": COORDINATOR}
    passing = run(
        ha,
        """
        from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

        class Ours(DataUpdateCoordinator):
            def __init__(self, hass, entry):
                super().__init__(hass, None, config_entry=entry, name="bus")
        """,
    )
    assert errors(passing) == []
    omitting = run(
        ha,
        """
        from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

        def make(hass):
            return DataUpdateCoordinator(hass, None, name="bus")
        """,
    )
    assert errors(omitting) == sorted(
        [
            "DataUpdateCoordinator(...): homeassistant.helpers.update_coordinator."
            "DataUpdateCoordinator.__init__ reports 'should pass the config entry explicitly'"
            " when (config_entry is UNDEFINED)"
        ]
    )


def test_self_and_super_calls_are_checked_for_reports_keywords_and_existence() -> None:
    ha = {"homeassistant/helpers/update_coordinator.py": COORDINATOR}
    findings = run(
        ha,
        """
        from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

        class Ours(DataUpdateCoordinator):
            def __init__(self, hass, entry):
                super().__init__(hass, None, config_entry=entry, nam="bus")

            async def poll(self):
                await self.async_refresh()  # force defaults to False: fine
                await self.async_refresh(force=True)
                self.old_method()
                self.async_update_listener()
                self.async_update_listeners()
                return self.data, self.hass
        """,
    )
    assert errors(findings) == sorted(
        [
            "super().__init__(...) nam=: __init__() takes no parameter nam",
            "self.async_refresh(...): "
            "homeassistant.helpers.update_coordinator.DataUpdateCoordinator."
            "async_refresh reports 'force is deprecated' (breaks in '2027.1') when (force)",
            "self.old_method(...): homeassistant.helpers.update_coordinator.DataUpdateCoordinator."
            "old_method always reports 'old_method is going away'",
            "Ours: self.async_update_listener: custom_components.demo.Ours has no attribute"
            " async_update_listener",
        ]
    )


DEVICE_REGISTRY = """
from dataclasses import dataclass, KW_ONLY
from typing import TYPE_CHECKING

_DEPRECATED_DEVICE_INFO_PARAMETERS = {"via_device": ("2027.8.0", "via_device_id")}

@dataclass(slots=True)
class DeviceInfo:
    _: KW_ONLY
    identifiers: set | None = None
    via_device_id: str | None = None
    if not TYPE_CHECKING:
        via_device: tuple | None = None

class DeviceRegistry:
    def async_get_or_create(self, **kwargs): ...

def async_get(hass) -> DeviceRegistry: ...
"""


def test_deprecated_and_unknown_keywords_fail() -> None:
    ha = {"homeassistant/helpers/device_registry.py": DEVICE_REGISTRY}
    findings = run(
        ha,
        """
        from homeassistant.helpers import device_registry as dr
        from homeassistant.helpers.device_registry import DeviceInfo

        def info(hass):
            dr.async_get(hass).async_get_or_create(via_device=("d", "1"))
            DeviceInfo(identifiers={("d", "2")}, via_device_id="x")
            return DeviceInfo(identifiers={("d", "1")}, via_device=("d", "0"), model_name="M")
        """,
    )
    assert errors(findings) == sorted(
        [
            "dr.async_get(hass).async_get_or_create(via_device=...): "
            "deprecated parameter: listed in"
            " homeassistant.helpers.device_registry._DEPRECATED_DEVICE_INFO_PARAMETERS",
            "DeviceInfo(...) via_device=: deprecated field: listed in"
            " homeassistant.helpers.device_registry._DEPRECATED_DEVICE_INFO_PARAMETERS",
            "DeviceInfo(...) model_name=: homeassistant.helpers.device_registry.DeviceInfo has no"
            " field model_name",
        ]
    )


def test_deprecated_enum_members_and_entity_members_fail() -> None:
    ha = {
        "homeassistant/components/__init__.py": "",
        "homeassistant/components/water_heater/__init__.py": """
            from enum import IntFlag
            from homeassistant.helpers.deprecation import EnumWithDeprecatedMembers

            class WaterHeaterEntityFeature(
                IntFlag,
                metaclass=EnumWithDeprecatedMembers,
                deprecated={"AWAY_MODE": ("WaterHeaterEntityFeature.ON_OFF", "2027.1")},
            ):
                TARGET_TEMPERATURE = 1
                AWAY_MODE = 4
                ON_OFF = 8

            class WaterHeaterEntity:
                temperature_unit = DeprecatedEntityProperty("native_temperature_unit")
                _attr_temperature_unit = DeprecatedEntityAttr("_attr_native_temperature_unit")
                _attr_native_temperature_unit: str
        """,
    }
    findings = run(
        ha,
        """
        from homeassistant.components.water_heater import (
            WaterHeaterEntity, WaterHeaterEntityFeature,
        )

        class Heater(WaterHeaterEntity):
            _attr_temperature_unit = "°C"
            _attr_native_temperature_unit = "°C"
            _attr_supported_features = WaterHeaterEntityFeature.AWAY_MODE

        FEATURES = WaterHeaterEntityFeature.TARGET_TEMPERATURE
        """,
    )
    assert errors(findings) == sorted(
        [
            "WaterHeaterEntityFeature.AWAY_MODE: homeassistant.components.water_heater."
            "WaterHeaterEntityFeature.AWAY_MODE is a deprecated enum member",
            "Heater._attr_temperature_unit: overrides: homeassistant.components.water_heater."
            "WaterHeaterEntity._attr_temperature_unit is deprecated (DeprecatedEntityAttr)",
        ]
    )


SELECTOR_NEW = "class SerialPortSelector: ...\nclass TextSelector: ...\n"
SELECTOR_OLD = "class TextSelector: ...\n"
FALLBACK = """
try:
    from homeassistant.helpers.selector import SerialPortSelector
except ImportError:
    from homeassistant.helpers.selector import TextSelector as SerialPortSelector
"""


def test_a_name_missing_in_one_version_is_accepted_behind_an_import_error_fallback() -> None:
    newer = run({"homeassistant/helpers/selector.py": SELECTOR_NEW}, FALLBACK)
    assert newer == []  # the fallback does not run there: it is not checked
    older = run({"homeassistant/helpers/selector.py": SELECTOR_OLD}, FALLBACK)
    assert errors(older) == []
    assert [f.severity for f in older] == ["accepted"]
    assert "SerialPortSelector" in older[0].subject


def test_the_fallback_itself_must_exist_when_it_runs() -> None:
    broken = FALLBACK.replace("TextSelector as", "StringSelector as")
    findings = run({"homeassistant/helpers/selector.py": SELECTOR_OLD}, broken)
    assert errors(findings) == sorted(
        [
            "homeassistant.helpers.selector.StringSelector: homeassistant.helpers.selector has no"
            " StringSelector"
        ]
    )


def test_a_missing_name_in_a_try_without_import_error_handler_fails() -> None:
    code = FALLBACK.replace("except ImportError:", "except ValueError:")
    findings = run({"homeassistant/helpers/selector.py": SELECTOR_OLD}, code)
    assert errors(findings) == sorted(
        [
            "homeassistant.helpers.selector.SerialPortSelector: "
            "homeassistant.helpers.selector has no"
            " SerialPortSelector"
        ]
    )


def test_init_subclass_and_inherited_init_reports_run_for_our_subclasses() -> None:
    ha = {
        "homeassistant/config_entries.py": """
            from .helpers.frame import report_usage

            class OptionsFlow:
                def __init_subclass__(cls, **kwargs):
                    if hasattr(cls, "old_hook"):
                        report_usage("defines old_hook")

            class OptionsFlowWithConfigEntry(OptionsFlow):
                def __init__(self, config_entry):
                    report_usage("inherits from OptionsFlowWithConfigEntry")
        """,
    }
    findings = run(
        ha,
        """
        from homeassistant.config_entries import OptionsFlowWithConfigEntry

        class Options(OptionsFlowWithConfigEntry):
            pass
        """,
    )
    assert errors(findings) == sorted(
        [
            "class Options: homeassistant.config_entries.OptionsFlow.__init_subclass__ reports"
            " 'defines old_hook' when (hasattr(cls, 'old_hook'))",
            "class Options: homeassistant.config_entries.OptionsFlowWithConfigEntry.__init__ always"
            " reports 'inherits from OptionsFlowWithConfigEntry'",
        ]
    )


def test_names_from_our_own_modules_and_type_checking_blocks() -> None:
    ha = {"homeassistant/core.py": "class HomeAssistant: ...\nif TYPE_CHECKING:\n    X = 1\n"}
    findings = run(
        ha,
        "from .entity import Ours\nfrom homeassistant.core import HomeAssistant, X\n",
        {"custom_components/demo/entity.py": "class Ours: ...\n"},
    )
    assert errors(findings) == sorted(["homeassistant.core.X: homeassistant.core has no X"])


def test_the_protocol_package_must_not_import_home_assistant_or_the_glue() -> None:
    integration = SourceTree.from_mapping(
        {
            "custom_components/demo/__init__.py": "",
            "custom_components/demo/protocol/__init__.py": "import serialx\n",
            "custom_components/demo/protocol/clean.py": "from . import errors\n",
            "custom_components/demo/protocol/errors.py": "",
            "custom_components/demo/protocol/dirty.py": (
                "from homeassistant.core import HomeAssistant\nfrom ..const import DOMAIN\n"
            ),
        }
    )
    checker = Checker(
        SourceTree.from_mapping({"homeassistant/__init__.py": ""}),
        integration,
        package=PACKAGE,
        excluded=(f"{PACKAGE}.protocol",),
    )
    assert [f"{f.path}:{f.line} {f.message}" for f in checker.check_excluded_isolated()] == [
        "custom_components/demo/protocol/dirty.py:1 custom_components.demo.protocol must not"
        " import homeassistant",
        "custom_components/demo/protocol/dirty.py:2 custom_components.demo.protocol must not"
        " import the glue",
    ]
    assert [module for module, _ in checker.modules()] == [PACKAGE]


def test_python_3_14_except_clauses_are_parsed_on_3_13() -> None:
    source = textwrap.dedent(
        """
        try:
            pass
        except ValueError, TypeError:
            text = "except A, B: stays as it is"
        except (OSError, KeyError) as err:
            pass
        except* ValueError, TypeError:
            pass
        """
    ).replace("except* ValueError, TypeError:", "except ValueError, KeyError:")
    rewritten = parenthesize_except_tuples(source)
    assert "except (ValueError, TypeError):" in rewritten
    assert "except (ValueError, KeyError):" in rewritten
    assert '"except A, B: stays as it is"' in rewritten
    assert "except (OSError, KeyError) as err:" in rewritten
    tree = parse_source(source, "new.py")
    assert isinstance(tree, ast.Module)


def test_unparsable_wheel_files_are_reported_not_skipped() -> None:
    findings = run(
        {"homeassistant/const.py": "x = t'template {strings}' if (y := ) else 0\n"},
        "from homeassistant.const import x\n",
    )
    messages = errors(findings)
    assert messages[0] == "homeassistant.const.x: module homeassistant.const could not be parsed"
    assert messages[1].startswith("parse: homeassistant/const.py")


def test_manifest_requirements_against_the_wheel_pins() -> None:
    pins = pinned_versions(["serialx==1.15.1", "probatio==0.13.0  # validation", "aiohttp>=3"])
    assert pins == {"serialx": "1.15.1", "probatio": "0.13.0"}
    good = '{"requirements": ["serialx>=1.15.1"]}'
    assert check_manifest(good, pins) == []
    assert check_manifest('{"requirements": ["serialx>=1.15,<2"]}', pins) == []
    # A bump in core (1.15.1 -> 1.16.0) keeps a lower bound satisfied, not an exact pin.
    assert check_manifest(good, {"serialx": "1.16.0"}) == []
    assert check_manifest('{"requirements": ["serialx==1.15.1"]}', {"serialx": "1.16.0"}) == [
        "manifest.json gives serialx no lower bound (>=)",
        "manifest.json pins serialx exactly: the install fails once Home Assistant moves on",
        "manifest.json wants serialx==1.15.1, Home Assistant pins serialx==1.16.0",
    ]
    assert check_manifest('{"requirements": ["serialx>=1.16", "voluptuous==0.15.2"]}', pins) == [
        "manifest.json lists voluptuous: Home Assistant 2026.11 provides it via probatio",
        "manifest.json wants serialx>=1.16, Home Assistant pins serialx==1.15.1",
    ]
    assert check_manifest('{"requirements": []}', pins) == [
        "manifest.json gives serialx no lower bound (>=)"
    ]
    assert check_manifest(good, {}) == [
        "Home Assistant does not pin serialx any more: review the manifest"
    ]


def test_wheel_pins_read_constraints_and_metadata() -> None:
    tree = SourceTree.from_mapping(
        {
            "homeassistant/package_constraints.txt": "serialx==1.15.1\n# comment\n",
            "homeassistant-2026.11.0.dist-info/METADATA": (
                "Name: homeassistant\nRequires-Dist: probatio==0.13.0\n"
            ),
        }
    )
    assert wheel_pins(tree) == {"serialx": "1.15.1", "probatio": "0.13.0"}


def _fake_pip(tmp_path: Path, returncode: int, make_wheel: bool) -> tuple[list[list[str]], object]:
    calls: list[list[str]] = []

    def runner(command: list[str]) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        if make_wheel:
            destination = Path(command[command.index("--dest") + 1])
            with zipfile.ZipFile(
                destination / "homeassistant-2026.11.0-py3-none-any.whl", "w"
            ) as z:
                z.writestr("homeassistant/__init__.py", "")
        return subprocess.CompletedProcess(command, returncode, "", "ERROR: no network")

    return calls, runner


def test_fetch_wheel_downloads_once_then_uses_the_cache(tmp_path: Path) -> None:
    calls, runner = _fake_pip(tmp_path, 0, make_wheel=True)
    first = fetch_wheel(tmp_path, runner=runner)  # type: ignore[arg-type]
    second = fetch_wheel(tmp_path, runner=runner)  # type: ignore[arg-type]
    assert first == second == tmp_path / "homeassistant-2026.11.0-py3-none-any.whl"
    assert len(calls) == 1
    command = calls[0]
    assert command[command.index("--python-version") + 1] == "3.14.2"
    assert "--no-deps" in command
    assert "--only-binary=:all:" in command
    assert command[-1] == "homeassistant==2026.11.0"
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no temporary left behind


def test_fetch_wheel_failure_says_why(tmp_path: Path) -> None:
    _, runner = _fake_pip(tmp_path, 1, make_wheel=False)
    with pytest.raises(WheelDownloadError, match=r"(?s)homeassistant==2026\.11\.0.*no network"):
        fetch_wheel(tmp_path, runner=runner)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_third_party_imports_must_be_installed_on_that_home_assistant() -> None:
    integration = SourceTree.from_mapping(
        {
            "custom_components/demo/__init__.py": (
                "import os\nimport voluptuous as vol\nfrom . import protocol\n"
                "from homeassistant.core import HomeAssistant\n"
                "try:\n    import probatio\nexcept ImportError:\n    probatio = None\n"
            ),
            "custom_components/demo/protocol/__init__.py": (
                "import serialx\nfrom cryptography.hazmat import x\nimport serial\nimport orjsonx\n"
            ),
        }
    )
    imports = third_party_imports(integration, PACKAGE)
    assert [(m, g) for m, _, g in imports] == [
        ("voluptuous", False),
        ("probatio", True),
        ("serialx", False),
        ("cryptography", False),
        ("serial", False),
        ("orjsonx", False),
    ]
    ha = SourceTree.from_mapping(
        {
            "homeassistant/__init__.py": (
                "from probatio.compat import install_as_voluptuous\ninstall_as_voluptuous()\n"
            ),
            "homeassistant-2026.11.0.dist-info/METADATA": (
                "Requires-Dist: cryptography==50.0.2\nRequires-Dist: pyserial==3.5\n"
                'Requires-Dist: pytest; extra == "test"\n'
            ),
        }
    )
    assert wheel_module_aliases(ha) == {"voluptuous"}
    assert wheel_requirements(ha) == {"cryptography", "pyserial"}
    problems = check_third_party(
        imports, '{"requirements": ["serialx==1.15.1"]}', wheel_requirements(ha), {"voluptuous"}
    )
    assert problems == [
        "custom_components/demo/protocol/__init__.py:4: imports orjsonx, which is neither in"
        " manifest.json's requirements nor installed with Home Assistant"
    ]


def test_docstrings_deprecating_a_parameter_flag_that_keyword_only() -> None:
    ha = {
        "homeassistant/data_entry_flow.py": """
            class FlowHandler:
                def async_show_form(self, *, step_id=None, errors=None):
                    '''Return the definition of a form.

                    The step_id parameter is deprecated and will be removed.
                    '''

                def mark(self):
                    '''Mark class as deprecated (a tool, not deprecated itself).'''
        """,
    }
    findings = run(
        ha,
        """
        from homeassistant.data_entry_flow import FlowHandler

        class Flow(FlowHandler):
            def step(self):
                self.mark()
                self.async_show_form(errors={})
                return self.async_show_form(step_id="user")
        """,
    )
    assert errors(findings) == [
        "self.async_show_form(...) step_id=: async_show_form()'s docstring says the step_id"
        " parameter is deprecated"
    ]


def test_entity_description_fields_are_its_keywords() -> None:
    ha = {
        "homeassistant/helpers/entity.py": """
            class FrozenOrThawed(type): ...

            class EntityDescription(metaclass=FrozenOrThawed, frozen_or_thawed=True):
                key: str
                translation_key: str | None = None
        """,
        "homeassistant/components/__init__.py": "",
        "homeassistant/components/sensor/__init__.py": """
            from homeassistant.helpers.entity import EntityDescription

            class SensorEntityDescription(EntityDescription, frozen_or_thawed=True):
                state_class: str | None = None
        """,
    }
    findings = run(
        ha,
        """
        from homeassistant.components.sensor import SensorEntityDescription

        OK = SensorEntityDescription(key="k", translation_key="t", state_class="total")
        BAD = SensorEntityDescription(key="k", unit="kWh")
        """,
    )
    assert errors(findings) == [
        "SensorEntityDescription(...) unit=: homeassistant.components.sensor."
        "SensorEntityDescription has no field unit"
    ]
