"""Sensor descriptions for every record of every corpus telegram and every HAN quantity.

Home Assistant refuses (or silently mis-files in statistics) a sensor whose unit does not
fit its device class or whose state class does not fit it; the energy dashboard takes only
energy, water and gas totals. These tests hold every description we can make to those rules.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from homeassistant.components.sensor import (
    DEVICE_CLASS_STATE_CLASSES,
    DEVICE_CLASS_UNITS,
    SensorDeviceClass,
    SensorStateClass,
)

from custom_components.mbus_han.han_sensor import (
    describe_code,
    describe_value,
    meter_clock_datetime,
    phase_of,
)
from custom_components.mbus_han.mbus_sensor import describe_record
from custom_components.mbus_han.protocol.errors import DecodeError
from custom_components.mbus_han.protocol.han import MeterClock, Quantity
from custom_components.mbus_han.protocol.mbus.model import Medium, Telegram
from custom_components.mbus_han.protocol.mbus.telegram import decode_telegram_bytes

FRAMES = Path(__file__).resolve().parents[1] / "fixtures/mbus/libmbus/test-frames"
_DASHBOARD_TOTALS = {SensorDeviceClass.ENERGY, SensorDeviceClass.WATER, SensorDeviceClass.GAS}


def _corpus_telegrams() -> list[tuple[str, Telegram]]:
    telegrams = []
    for path in sorted(FRAMES.glob("*.hex")):
        try:
            result = decode_telegram_bytes(bytes.fromhex(path.read_text()))
        except (DecodeError, ValueError):
            continue
        if isinstance(result, Telegram):
            telegrams.append((path.stem, result))
    return telegrams


TELEGRAMS = _corpus_telegrams()


def _check(description, where: str) -> None:
    device_class = description.device_class
    unit = description.native_unit_of_measurement
    if device_class is not None and device_class in DEVICE_CLASS_UNITS:
        assert unit in DEVICE_CLASS_UNITS[device_class], f"{where}: {unit} for {device_class}"
    if device_class is not None and description.state_class is not None:
        allowed = DEVICE_CLASS_STATE_CLASSES.get(device_class)
        if allowed is not None:
            assert description.state_class in allowed, where
    if description.state_class is SensorStateClass.TOTAL_INCREASING and device_class in (
        SensorDeviceClass.ENERGY,
        SensorDeviceClass.WATER,
        SensorDeviceClass.GAS,
    ):
        assert description.entity_category is None, f"{where}: a dashboard total is no diagnostic"


def test_the_corpus_is_there():
    assert len(TELEGRAMS) > 40


@pytest.mark.parametrize(("name", "telegram"), TELEGRAMS, ids=[name for name, _ in TELEGRAMS])
def test_every_corpus_record_gets_a_valid_description_or_none(name, telegram):
    medium = telegram.header.medium if telegram.header else None
    keys = set()
    for record in telegram.records:
        description = describe_record(record, medium)
        if description is None:
            continue
        _check(description, f"{name} {record.key}")
        assert record.key not in keys, f"{name}: two records share the key {record.key}"
        keys.add(record.key)
        if record.storage or record.tariff:
            assert not description.entity_registry_enabled_default, f"{name} {record.key}"
        if description.device_class in _DASHBOARD_TOTALS and record.storage:
            assert description.state_class is None  # a stored value is no running total


def test_water_and_gas_meters_report_water_and_gas():
    by_medium: dict[Medium, set] = {}
    for _, telegram in TELEGRAMS:
        if telegram.header is None or telegram.header.medium is None:
            continue
        for record in telegram.records:
            description = describe_record(record, telegram.header.medium)
            if description is not None:
                by_medium.setdefault(telegram.header.medium, set()).add(description.device_class)
    assert SensorDeviceClass.GAS in by_medium[Medium.GAS]
    assert SensorDeviceClass.VOLUME not in by_medium[Medium.GAS]
    water = {m for m in by_medium if "WATER" in m.name}
    assert water
    assert all(SensorDeviceClass.VOLUME not in by_medium[m] for m in water)
    assert any(SensorDeviceClass.WATER in by_medium[m] for m in water)


@pytest.mark.parametrize("quantity", list(Quantity))
@pytest.mark.parametrize("code_c", [1, 21, 41, 61])
def test_every_han_quantity_gets_a_valid_description(quantity, code_c):
    description = describe_value(f"1-0:{code_c}.7.0.255", quantity)
    assert description is not None
    _check(description, f"{quantity} C={code_c}")
    if code_c == 1:
        assert description.translation_placeholders is None
    else:
        assert description.translation_placeholders == {"phase": f"L{code_c // 20}"}


@pytest.mark.parametrize(
    ("code", "phase"),
    [
        ("1-0:1.7.0.255", None),
        ("1-0:21.7.0.255", "L1"),
        ("1-0:31.7.0.255", "L1"),
        ("1-0:40.7.0.255", "L1"),
        ("1-0:41.7.0.255", "L2"),
        ("1-0:52.7.0.255", "L2"),
        ("1-0:72.7.0.255", "L3"),
        ("1-1:32.7.0.255", "L1"),
    ],
)
def test_phase_from_the_obis_code(code, phase):
    assert phase_of(code) == phase


def test_codes_known_only_by_name():
    energy = describe_code("1-0:1.8.0.255")
    assert energy is not None
    assert energy.state_class is SensorStateClass.TOTAL_INCREASING
    assert describe_code("0-0:96.1.0.255") is None  # an identity, no measurement
    assert describe_code("not an obis code") is None


def _clock(**fields) -> MeterClock:
    values = dict(
        year=2026, month=3, day=29, day_of_week=None, hour=2, minute=30, second=0,
        hundredths=None, deviation_min=None, status=0,
    )  # fmt: skip
    values.update(fields)
    return MeterClock(**values)


def test_meter_clock_is_read_as_local_time():
    zone = dt.UTC
    from homeassistant.util import dt as dt_util

    dt_util.set_default_time_zone(zone)
    try:
        assert meter_clock_datetime(_clock(hour=12)) == dt.datetime(
            2026, 3, 29, 12, 30, tzinfo=zone
        )
        assert meter_clock_datetime(_clock(day=31, month=2)) is None  # no such day
        assert meter_clock_datetime(_clock(year=None)) is None  # the meter did not say
        assert meter_clock_datetime(None) is None
    finally:
        dt_util.set_default_time_zone(dt.UTC)


def test_records_of_unknown_meaning_get_no_sensor():
    from custom_components.mbus_han.protocol.mbus.model import Modifier, Quantity

    unknown = [
        (name, record)
        for name, telegram in TELEGRAMS
        for record in telegram.records
        if record.quantity is Quantity.RESERVED or Modifier.RESERVED in record.modifiers
    ]
    assert unknown  # the corpus has such records (a reserved VIF, reserved VIFEs)
    for name, record in unknown:
        assert describe_record(record, None) is None, f"{name} {record.key}"
