"""A date that recurs every year (type G/F year 127) is text in Home Assistant, never a point
in time: a TIMESTAMP or DATE sensor would need a year that the meter did not send.

``E1 F1`` is every year on 1 January (by hand from the type G bit layout; Exmbus decodes the
same bytes of a Diehl telegram so).
"""

from __future__ import annotations

from homeassistant.components.sensor import SensorDeviceClass

from custom_components.mbus_han.mbus_sensor import describe_record
from custom_components.mbus_han.protocol.mbus.model import Medium
from custom_components.mbus_han.protocol.mbus.records import parse_records


def _description(hex_bytes: str):
    (record,), _, _ = parse_records(bytes.fromhex(hex_bytes))
    return record, describe_record(record, Medium.HEAT_OUTLET)


def test_recurring_date_is_text_not_a_date():
    record, description = _description("02 6C E1 F1")
    assert description is not None
    assert description.device_class not in (SensorDeviceClass.DATE, SensorDeviceClass.TIMESTAMP)
    assert description.state_class is None
    assert description.value_fn(record.value) == "YYYY-01-01"


def test_recurring_date_time_is_text_not_a_timestamp():
    record, description = _description("04 6D 1E 06 E1 F1")  # 06:30 every 1 January
    assert description is not None
    assert description.device_class is not SensorDeviceClass.TIMESTAMP
    assert description.value_fn(record.value) == "YYYY-01-01T06:30"


def test_a_real_date_time_is_still_a_timestamp():
    # 21 39: day 1, month 9, year 001 | 0011 << 3 = 25 -> 2025-09-01 06:30, a point in time.
    _, description = _description("04 6D 1E 06 21 39")
    assert description is not None
    assert description.device_class is SensorDeviceClass.TIMESTAMP
