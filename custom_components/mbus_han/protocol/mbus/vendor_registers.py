"""Registers a manufacturer codes with its own VIF, where their meaning is published.

EN 13757-3 leaves VIF 0xFF to the manufacturer, so a record ``04 FF 07`` means whatever the
maker says. We read such a record only where the meaning is documented and confirmed by
real telegrams, and only for the meters it was documented for; everything else stays an
opaque manufacturer-specific record.

Kamstrup MULTICAL heat meters (302, 402/403, 602/603, 801/803) integrate two registers that
district-heating utilities bill cooling and return temperature on: E8 = sum of volume x flow
temperature (T1) and E9 = sum of volume x return temperature (T2), in m3 degC (Kamstrup's
register list: "Energy8 [m3 x T1]", ID 97, "Energy9 [m3 x T2]", ID 110; MULTICAL 302/402
technical descriptions). On M-Bus they are the records ``VIF FF, VIFE 07`` (E8) and ``FF 08``
(E9); wmbusmeters' Kamstrup heat driver reads them so.

Their step follows the meter's volume register: one count is 100 degC times one volume step
(m3 degC = counts x volume step x 100). Checked on three real meters, each against its own
energy register (E / (V x k) must give the same cooling as (E8 - E9) / V within the water's
heat coefficient): a MULTICAL 603 counting 0.01 m3 (E8 299, E9 156 at 5.45 m3, 165 kWh), a
second one (15673 and 9390 at 268.71 m3, 7173 kWh) and a MULTICAL 403 cooling meter counting
0.001 m3 (65528 and 71744 at 364.737 m3: 17.97 and 19.67 degC at 0.1 m3 degC per count,
its cooling energy 2605 MJ). In all three the two ways agree within 0.4 %; a wrong
power of ten would miss by a factor of ten. tests/mbus/test_vendor_registers.py holds them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Function, Medium, Record, Telegram

KAMSTRUP = "KAM"
_KAMSTRUP_FLOW_VIF = b"\xff\x07"  # E8: m3 x T1
_KAMSTRUP_RETURN_VIF = b"\xff\x08"  # E9: m3 x T2
# Degrees C per count per volume step: E8/E9 count volume steps x degC / 100.
_KAMSTRUP_DEGREES_PER_COUNT = 100.0
_THERMAL_MEDIA = frozenset(
    {
        Medium.HEAT_OUTLET,
        Medium.HEAT_INLET,
        Medium.HEAT_COOLING,
        Medium.COOLING_OUTLET,
        Medium.COOLING_INLET,
    }
)


@dataclass(frozen=True, slots=True)
class VolumeTemperatureRegisters:
    """A heat meter's own volume x temperature totals, in m3 degC."""

    flow: float  # sum of volume x flow temperature
    back: float  # sum of volume x return temperature
    step: float  # m3 degC per count: the registers' resolution


def volume_temperature_registers(
    telegram: Telegram, volume_step_m3: float | None
) -> VolumeTemperatureRegisters | None:
    """The meter's V x T registers, or None where it has none we know (or cannot scale).

    ``volume_step_m3`` is one step of the meter's volume register (from its VIF); the
    registers' scale depends on it, so without it there are no registers.
    """
    header = telegram.header
    if (
        header is None
        or header.manufacturer != KAMSTRUP
        or header.medium not in _THERMAL_MEDIA
        or volume_step_m3 is None
        or volume_step_m3 <= 0
    ):
        return None
    flow = back = None
    for record in telegram.records:
        if not _current_total(record):
            continue
        if record.vif == _KAMSTRUP_FLOW_VIF and flow is None:
            flow = record.raw_value
        elif record.vif == _KAMSTRUP_RETURN_VIF and back is None:
            back = record.raw_value
    if not isinstance(flow, int) or not isinstance(back, int) or flow < 0 or back < 0:
        return None
    step = volume_step_m3 * _KAMSTRUP_DEGREES_PER_COUNT
    return VolumeTemperatureRegisters(flow * step, back * step, step)


def _current_total(record: Record) -> bool:
    """The meter's own current value: storage 0, tariff 0, subunit 0, valid."""
    return (
        record.storage == 0
        and record.tariff == 0
        and record.subunit == 0
        and record.function is Function.INSTANTANEOUS
        and record.value is not None
        and not isinstance(record.raw_value, bool)
    )
