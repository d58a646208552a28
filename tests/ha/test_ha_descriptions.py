"""Sensor descriptions for every record of every corpus telegram and every HAN quantity.

Home Assistant refuses (or silently mis-files in statistics) a sensor whose unit does not
fit its device class or whose state class does not fit it; the energy dashboard takes only
energy, water and gas totals. These tests hold every description we can make to those rules.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
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


# -- Types are decided once (issue 11, item 2) ------------------------------------------------

_HEADER = bytes.fromhex("78563412A732010400000000")  # CI 0x72 header: LUG 12345678, heat
# Data field lengths of EN 13757-3 table 4 (0x0D variable, handled apart).
_DATA_LENGTHS = {
    0x1: 1, 0x2: 2, 0x3: 3, 0x4: 4, 0x5: 4, 0x6: 6, 0x7: 8,
    0x9: 1, 0xA: 2, 0xB: 3, 0xC: 4, 0xE: 6,
}  # fmt: skip
# Value bytes per length that make valid BCD, valid date/time fields (types F, G, I, J)
# and plain integers alike: 05 04 0C = 12:04:05 (type J), 0C 21 = 1 Jan 2009 (type G).
_PATTERNS = (
    bytes.fromhex("05040C0C210112131415"),
    bytes.fromhex("0102030405060708090A"),
    bytes.fromhex("99999999999999999999"),
)
_VIF_PREFIXES = (b"", b"\xfd", b"\xfb")  # primary, first and second extension tables
_VIFES = (b"", b"\x3c", b"\x7f")  # none, a modifier, a manufacturer-specific VIFE


def _generated_records() -> list[tuple[str, object]]:
    """Every DIF data coding x every VIF of the three tables x a few VIFEs and values."""
    from custom_components.mbus_han.protocol.mbus.telegram import decode_user_data

    records = []
    for prefix in _VIF_PREFIXES:
        for vif in range(0x80):
            for vife in _VIFES:
                # the extension bit says a VIFE follows; 0xFD / 0xFB prefix their tables
                vif_bytes = prefix + bytes((vif | (0x80 if vife else 0),)) + vife
                for data_field, length in _DATA_LENGTHS.items():
                    for pattern in _PATTERNS:
                        raw = bytes((data_field,)) + vif_bytes + pattern[:length]
                        try:
                            telegram = decode_user_data(0x72, _HEADER + raw)
                        except DecodeError:
                            continue
                        records += [(raw.hex(" "), r) for r in telegram.records]
                text = bytes((0x0D,)) + vif_bytes + b"\x03abc"  # LVAR 3: a 3-character text
                try:
                    telegram = decode_user_data(0x72, _HEADER + text)
                except DecodeError:
                    continue
                records += [(text.hex(" "), r) for r in telegram.records]
    return records


def _check_value_fits(description, value, where: str) -> None:
    """A state of the type its description promises, or None (unknown)."""
    state = description.value_fn(value)
    if state is None:
        return
    device_class = description.device_class
    if device_class is SensorDeviceClass.TIMESTAMP:
        assert isinstance(state, dt.datetime), where
        assert state.tzinfo is not None, where
    elif device_class is SensorDeviceClass.DATE:
        assert isinstance(state, dt.date), where
        assert not isinstance(state, dt.datetime), where
    elif (
        device_class is not None
        or description.state_class is not None
        or description.native_unit_of_measurement is not None
    ):
        # Home Assistant requires a number for these (sensor/__init__.py, "numeric").
        assert isinstance(state, int | float | Decimal), where
        assert not isinstance(state, bool), where
    else:
        assert isinstance(state, str | int | float | Decimal), where


def test_every_generated_and_corpus_record_gets_a_description_its_value_fits():
    """Across every coding the decoder accepts, a value always fits its device class.

    The rule is Home Assistant's: TIMESTAMP takes an aware datetime, DATE a date, and any
    device class, state class or unit a number; a time of day or a text is none of these.
    """
    generated = _generated_records()
    assert len(generated) > 5000  # the generator reaches the decoder, not just its errors
    corpus = [
        (f"{name} {record.key}", record)
        for name, telegram in TELEGRAMS
        for record in telegram.records
    ]
    described = 0
    for where, record in generated + corpus:
        description = describe_record(record, Medium.HEAT_OUTLET)
        if description is None:
            continue
        described += 1
        _check(description, where)
        _check_value_fits(description, record.value, where)
    assert described > 1000


def test_a_time_of_day_is_text_not_a_timestamp():
    """Issue 11, item 2: 03 6D 05 04 0C is a type J time of day (EN 13757-3 annex A)."""
    from custom_components.mbus_han.protocol.mbus.telegram import decode_user_data

    telegram = decode_user_data(0x72, _HEADER + bytes.fromhex("036D05040C"))
    description = describe_record(telegram.records[0], None)
    assert description is not None
    assert description.device_class is None
    assert description.state_class is None
    assert description.value_fn(telegram.records[0].value) == "12:04:05"


def test_every_description_has_a_name_in_every_language():
    """Issue 11, item 12: digital inputs and outputs (VIFE FD 1A/1B) had no name at all."""
    import json

    translations = Path(__file__).resolve().parents[2] / "custom_components/mbus_han/translations"
    names = {
        language: json.loads((translations / f"{language}.json").read_text())["entity"]["sensor"]
        for language in ("en", "nb", "de")
    }
    keys = set()
    for _, record in _generated_records():
        description = describe_record(record, Medium.HEAT_OUTLET)
        if description is not None:
            keys.add(description.translation_key)
    assert {"digital_input", "digital_output"} <= keys
    for language, sensors in names.items():
        assert not keys - set(sensors), language


@pytest.mark.parametrize(
    ("frame", "decimals"),
    [
        # EN 13757-3 table 10: VIF E000 0nnn is 10^(nnn-3) Wh. Kamstrup's 0x06 counts whole
        # kWh: "36294 kWh", not "36294.0 kWh".
        ("kamstrup_multical_601", 0),
        ("emh_diz", 2),  # VIF 0x04: 10 Wh steps = 0.01 kWh
        ("frame2", 3),  # VIF 0x13: E001 0nnn is 10^(nnn-6) m^3, here litres
    ],
)
def test_display_precision_follows_the_meters_resolution(frame, decimals):
    telegram = decode_telegram_bytes(bytes.fromhex((FRAMES / f"{frame}.hex").read_text()))
    assert isinstance(telegram, Telegram)
    counter = next(
        r for r in telegram.records if r.quantity.value in ("energy", "volume") and not r.storage
    )
    description = describe_record(counter, telegram.header.medium if telegram.header else None)
    assert description is not None
    assert description.suggested_display_precision == decimals
