"""The bridge's descriptions are the integration's, record for record and value for value.

The bridge cannot import Home Assistant, so protocol/bridge/describe.py repeats the rules of
mbus_sensor.py and han_sensor.py with plain strings. This holds the copy against the original
on both releases, for every record of libmbus's reference telegrams (M-Bus) and every HAN
quantity on every phase, with the two documented differences (describe.py): the unit shown is
the integration's suggested unit (MQTT has no suggestion), and device classes younger than
Home Assistant 2025.4 are left out. Names are the integration's, from translations/en.json.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components.sensor import SensorDeviceClass

from custom_components.mbus_han.han_sensor import describe_value
from custom_components.mbus_han.mbus_sensor import describe_record
from custom_components.mbus_han.protocol.bridge.describe import (
    describe_han_value,
    describe_mbus_record,
)
from custom_components.mbus_han.protocol.errors import DecodeError
from custom_components.mbus_han.protocol.han import Quantity
from custom_components.mbus_han.protocol.mbus.model import Telegram
from custom_components.mbus_han.protocol.mbus.telegram import decode_telegram_bytes

ROOT = Path(__file__).parents[2]
FRAMES = ROOT / "tests/fixtures/mbus/libmbus/test-frames"
EN = json.loads((ROOT / "custom_components/mbus_han/translations/en.json").read_text())
NAMES = json.loads((ROOT / "custom_components/mbus_han/protocol/bridge/names.json").read_text())
# Device classes newer than Home Assistant 2025.4 (the bridge serves any release): left out.
YOUNGER = {"temperature_delta", "reactive_energy"}
# The integration's suggested units and their factor from its native unit (hand-written).
SHOWN = {
    ("Wh", "kWh"): Decimal("0.001"),
    ("J", "GJ"): Decimal("1e-9"),
    ("cal", "Mcal"): Decimal("1e-6"),
    ("W", "kW"): Decimal("0.001"),
    ("s", "d"): Decimal(1) / Decimal(86400),
}


def _telegrams() -> list[tuple[str, Telegram]]:
    telegrams = []
    for path in sorted(FRAMES.glob("*.hex")):
        try:
            result = decode_telegram_bytes(bytes.fromhex(path.read_text()))
        except (DecodeError, ValueError):
            continue
        if isinstance(result, Telegram):
            telegrams.append((path.stem, result))
    return telegrams


TELEGRAMS = _telegrams()


def _name(description: Any) -> str:
    name: str = EN["entity"]["sensor"][description.translation_key]["name"]
    for key, value in (description.translation_placeholders or {}).items():
        name = name.replace("{" + key + "}", value)
    return name


def _expected(description: Any) -> dict[str, Any]:
    """What the bridge must announce for the integration's ``description``."""
    device_class = description.device_class
    device_class = None if device_class is None else str(device_class)
    if device_class in YOUNGER:
        device_class = None
    native = description.native_unit_of_measurement
    suggested = description.suggested_unit_of_measurement
    if device_class is None and description.device_class is not None:
        suggested = None  # the integration suggests kvarh only with its device class
    return {
        "name": _name(description),
        "device_class": device_class,
        "state_class": None if description.state_class is None else str(description.state_class),
        "unit": suggested or native,
        "precision": description.suggested_display_precision,
        "entity_category": None
        if description.entity_category is None
        else str(description.entity_category),
        "enabled": description.entity_registry_enabled_default,
    }


def _actual(spec: Any) -> dict[str, Any]:
    return {
        "name": spec.name,
        "device_class": spec.device_class,
        "state_class": spec.state_class,
        "unit": spec.unit,
        "precision": spec.precision,
        "entity_category": spec.entity_category,
        "enabled": spec.enabled,
    }


def test_names_are_a_copy_of_the_english_translations() -> None:
    """Names the bridge shows are en.json's. (New sensors of the integration need no copy until
    the bridge shows them: the tests below fail on a missing name.) To refresh the copy:
    python -c 'import json; d = json.load(open("custom_components/mbus_han/translations/en.json"));
    print(json.dumps({k: v["name"] for k, v in d["entity"]["sensor"].items()}, indent=1,
    ensure_ascii=False, sort_keys=True))' > custom_components/mbus_han/protocol/bridge/names.json
    """
    english = {key: value["name"] for key, value in EN["entity"]["sensor"].items()}
    english |= {
        f"binary_sensor.{key}": value["name"]
        for key, value in EN["entity"]["binary_sensor"].items()
    }
    assert {key: english.get(key) for key in NAMES} == NAMES


def test_mbus_problem_sensors_as_the_integration() -> None:
    """The error-flags and status binary sensors: same keys, names, class and category."""
    from custom_components.mbus_han.binary_sensor import BINARY_SENSORS
    from custom_components.mbus_han.protocol.bridge.describe import MBUS_PROBLEMS

    binary = EN["entity"]["binary_sensor"]
    assert [
        (d.key, binary[d.translation_key]["name"], str(d.device_class), str(d.entity_category))
        for d in BINARY_SENSORS
    ] == [(s.key, s.name, s.device_class, s.entity_category) for s in MBUS_PROBLEMS]


@pytest.mark.parametrize(("name", "telegram"), TELEGRAMS, ids=[n for n, _ in TELEGRAMS])
def test_mbus_problems_are_the_integrations(name: str, telegram: Telegram) -> None:
    """ON/OFF/unknown for each problem sensor, as the integration's ``is_on_fn`` says."""
    from custom_components.mbus_han.binary_sensor import BINARY_SENSORS
    from custom_components.mbus_han.protocol.bridge.discovery import DeviceInfo, MeterState
    from custom_components.mbus_han.protocol.bridge.meters import mbus_take

    meter = MeterState(meter_id="m", slug="m", source="s", device=DeviceInfo(name=""))
    mbus_take(meter, "5", telegram)
    for description in BINARY_SENSORS:
        on = description.is_on_fn(telegram) if description.has_fn(telegram) else None
        expected = None if on is None else "ON" if on else "OFF"
        assert meter.values.get(description.key) == expected, (name, description.key)


def test_the_corpus_is_there() -> None:
    assert len(TELEGRAMS) > 50


@pytest.mark.parametrize(("name", "telegram"), TELEGRAMS, ids=[n for n, _ in TELEGRAMS])
def test_every_mbus_record_as_the_integration(name: str, telegram: Telegram) -> None:
    medium = telegram.header.medium if telegram.header else None
    for record in telegram.records:
        original = describe_record(record, medium)
        copy = describe_mbus_record(record, medium)
        where = f"{name} {record.key}"
        assert (original is None) == (copy is None), where
        if original is None or copy is None:
            continue
        assert _actual(copy.entity) == _expected(original), where
        if record.value is None:
            continue
        value = original.value_fn(record.value)
        sent = copy.value_fn(record.value)
        native = original.native_unit_of_measurement
        factor = SHOWN.get((native, original.suggested_unit_of_measurement or ""))
        if isinstance(value, dt.datetime):
            # the same wall-clock time: the meter's local time, in the bridge's zone
            assert isinstance(sent, str), where
            sent_time = dt.datetime.fromisoformat(sent).replace(tzinfo=None)
            assert sent_time == value.replace(tzinfo=None), where
        elif isinstance(value, dt.date):
            assert sent == value.isoformat(), where
        elif factor is not None and value is not None:
            assert Decimal(str(sent)) == Decimal(str(value)) * factor, where
        else:
            assert sent == value, where


@pytest.mark.parametrize("quantity", list(Quantity))
@pytest.mark.parametrize("code_c", [1, 21, 41, 61])
def test_every_han_value_as_the_integration(quantity: Quantity, code_c: int) -> None:
    code = f"1-0:{code_c}.7.0.255"
    original = describe_value(code, quantity)
    copy = describe_han_value(code, quantity)
    assert original is not None
    assert copy is not None
    expected = _expected(original)
    if original.device_class is not None and str(original.device_class) in YOUNGER:
        expected["precision"] = 0  # as 2025.4's integration: whole varh, no suggested unit
        expected["unit"] = original.native_unit_of_measurement
    assert _actual(copy) == expected
    assert copy.key == code


def test_the_left_out_classes_are_younger_than_the_oldest_release() -> None:
    """If 2025.4 knew them, the bridge would have no reason to leave them out."""
    names = {member.value for member in SensorDeviceClass}
    from homeassistant.const import MAJOR_VERSION, MINOR_VERSION

    if (MAJOR_VERSION, MINOR_VERSION) == (2025, 4):
        assert not names & YOUNGER
    else:
        assert names >= YOUNGER
