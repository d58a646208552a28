"""Apparent power and energy from an M-Bus electricity meter, as Home Assistant sensors.

The records are built by hand from EN 13757-3's FB table as jMBus and m-bus-parser decode it
(apparent power E011 01nn = 10^nn VA, apparent energy E000 010n = 10^(n+3) VAh). Home
Assistant's own tables (DEVICE_CLASS_UNITS, DEVICE_CLASS_STATE_CLASSES) are the reference for
what a device class accepts.
"""

from __future__ import annotations

from decimal import Decimal

from homeassistant.components.sensor import (
    DEVICE_CLASS_STATE_CLASSES,
    DEVICE_CLASS_UNITS,
    SensorDeviceClass,
    SensorStateClass,
)

from custom_components.mbus_han.mbus_sensor import describe_record
from custom_components.mbus_han.protocol.mbus.model import Medium
from custom_components.mbus_han.protocol.mbus.records import parse_records


def _record(hex_bytes: str):
    (record,), _, _ = parse_records(bytes.fromhex(hex_bytes))
    return record


def test_apparent_power_is_an_apparent_power_sensor_in_va():
    # Carlo Gavazzi / GARO: 165 x 10^3 VA x 10^-4 (VIFE 72) = 16.5 VA.
    record = _record("04 FB B7 72 A5 00 00 00")
    description = describe_record(record, Medium.ELECTRICITY)
    assert description is not None
    assert description.device_class is SensorDeviceClass.APPARENT_POWER
    assert description.native_unit_of_measurement == "VA"
    assert (
        description.native_unit_of_measurement
        in DEVICE_CLASS_UNITS[SensorDeviceClass.APPARENT_POWER]
    )
    assert description.state_class in DEVICE_CLASS_STATE_CLASSES[SensorDeviceClass.APPARENT_POWER]
    assert description.value_fn(record.value) == Decimal("16.5")


def test_apparent_energy_is_a_total_without_energy_class():
    # FB 05 = 10 kVAh: 0x0C = 12 -> 120 000 VAh. No HA device class takes VAh (2025.4 to
    # 2026.10), and it must never reach the energy dashboard as active energy.
    record = _record("04 FB 05 0C 00 00 00")
    description = describe_record(record, Medium.ELECTRICITY)
    assert description is not None
    assert description.device_class is None
    assert description.native_unit_of_measurement == "VAh"
    assert description.state_class is SensorStateClass.TOTAL_INCREASING
    assert description.value_fn(record.value) == 120_000
