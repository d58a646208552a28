"""Kamstrup's volume x temperature registers (E8, E9) against real meters' own energy registers.

The register values are those of three real Kamstrup meters as published with their decoded
meaning in wmbusmeters' Kamstrup heat driver tests (src/driver_kamheat.cc: "forward_energy_m3c"
= record 04 FF 07, "return_energy_m3c" = 04 FF 08); the records are re-encoded here into
wired RSP_UD telegrams with the same DIF/VIF and values. The scale (counts x volume step x
100 = m3 degC) is checked independently of any decoder: the cooling the registers give must
match the cooling the meter's own energy register gives through the water's heat coefficient
(EN 1434's k, from the IAPWS water properties in billing.heat). A wrong power of ten would
miss by a factor of ten; the real meters agree within 0.4 %.
"""

from __future__ import annotations

import pytest

from custom_components.mbus_han.billing.heat import heat_coefficient
from custom_components.mbus_han.protocol.mbus.encode import (
    CI_LONG_HEADER,
    INT32,
    Identity,
    RecordSpec,
    user_data,
)
from custom_components.mbus_han.protocol.mbus.model import Telegram
from custom_components.mbus_han.protocol.mbus.telegram import decode_user_data
from custom_components.mbus_han.protocol.mbus.vendor_registers import (
    volume_temperature_registers,
)

MJ = 0x0E  # VIF: energy in MJ
KWH = 0x06  # VIF: energy in kWh
LITRES_10 = 0x14  # VIF: volume in 0.01 m3
LITRE = 0x13  # VIF: volume in 0.001 m3


def _telegram(
    medium: int,
    records: list[RecordSpec],
    manufacturer: str = "KAM",
) -> Telegram:
    identity = Identity(12345678, manufacturer, version=0x35, medium=medium)
    result = decode_user_data(CI_LONG_HEADER, user_data(identity, records, access_number=1))
    assert isinstance(result, Telegram)
    return result


# name, medium, energy VIF and count, volume VIF and count and step, E8, E9, kWh, volume at
REAL_METERS = [
    # MULTICAL 603 "36363636" (heat, volume at return): 165 kWh, 5.45 m3, E8 299, E9 156
    ("603 heat", 0x04, KWH, 165, LITRES_10, 545, 0.01, 299, 156, 165.0, "return"),
    # MULTICAL 603 "66666666" (heat, volume at inlet): 7173 kWh, 268.71 m3, E8 15673, E9 9390
    ("603 inlet", 0x0C, KWH, 7173, LITRES_10, 26871, 0.01, 15673, 9390, 7173.0, "flow"),
    # MULTICAL 403 "78780102" (cooling, volume at outlet): 2605 MJ, 364.737 m3, E8 65528, E9 71744
    ("403 cooling", 0x0A, MJ, 2605, LITRE, 364737, 0.001, 65528, 71744, 2605 / 3.6, "return"),
]


@pytest.mark.parametrize(
    ("medium", "energy_vif", "energy", "volume_vif", "volume", "step", "e8", "e9", "kwh", "at"),
    [case[1:] for case in REAL_METERS],
    ids=[case[0] for case in REAL_METERS],
)
def test_registers_give_the_cooling_the_energy_register_gives(
    medium: int,
    energy_vif: int,
    energy: int,
    volume_vif: int,
    volume: int,
    step: float,
    e8: int,
    e9: int,
    kwh: float,
    at: str,
) -> None:
    telegram = _telegram(
        medium,
        [
            RecordSpec(INT32, bytes([energy_vif]), energy),
            RecordSpec(INT32, b"\xff\x07", e8),
            RecordSpec(INT32, b"\xff\x08", e9),
            RecordSpec(INT32, bytes([volume_vif]), volume),
        ],
    )
    registers = volume_temperature_registers(telegram, step)
    assert registers is not None
    assert registers.step == pytest.approx(step * 100)
    volume_m3 = volume * step
    flow_c, return_c = registers.flow / volume_m3, registers.back / volume_m3
    cooling = abs(flow_c - return_c)
    k = heat_coefficient(flow_c, return_c, "flow" if at == "flow" else "return")
    assert kwh / (volume_m3 * k) == pytest.approx(cooling, rel=0.005)
    # the volume-weighted temperatures are water temperatures a district-heating (or
    # cooling) circuit runs at, not a factor of ten off
    assert 5 < return_c < 90
    assert 5 < flow_c < 110


def _kamstrup_records(storage: int = 0) -> list[RecordSpec]:
    return [
        RecordSpec(INT32, bytes([KWH]), 165),
        RecordSpec(INT32, b"\xff\x07", 299, storage=storage),
        RecordSpec(INT32, b"\xff\x08", 156, storage=storage),
        RecordSpec(INT32, bytes([LITRES_10]), 545),
    ]


def test_hand_computed_values() -> None:
    """299 counts x 0.01 m3 x 100 degC = 299 m3 degC; 156 likewise."""
    registers = volume_temperature_registers(_telegram(0x04, _kamstrup_records()), 0.01)
    assert registers is not None
    assert (registers.flow, registers.back, registers.step) == (299.0, 156.0, 1.0)


def test_other_makers_ff07_means_nothing_to_us() -> None:
    """VIF FF is each maker's own: Kamstrup's meaning is not another maker's."""
    telegram = _telegram(0x04, _kamstrup_records(), manufacturer="SLB")
    assert volume_temperature_registers(telegram, 0.01) is None


def test_a_kamstrup_electricity_meter_has_none() -> None:
    assert volume_temperature_registers(_telegram(0x02, _kamstrup_records()), 0.01) is None


def test_stored_values_are_not_the_current_registers() -> None:
    assert volume_temperature_registers(_telegram(0x04, _kamstrup_records(1)), 0.01) is None


def test_without_the_volume_step_there_is_no_scale() -> None:
    assert volume_temperature_registers(_telegram(0x04, _kamstrup_records()), None) is None


def test_both_registers_are_needed() -> None:
    records = [r for r in _kamstrup_records() if r.vib != b"\xff\x08"]
    assert volume_temperature_registers(_telegram(0x04, records), 0.01) is None
