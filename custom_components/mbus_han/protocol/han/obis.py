"""OBIS codes (IEC 62056-61) and what the HAN lists measure with them.

A code is kept as the string ``A-B:C.D.E.F`` exactly as the frame names it (Kamstrup uses
B = 1), because that string is what users and other tools know. What a code measures depends on
C (the quantity and phase) and D (instantaneous 7 or cumulative 8) only.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

from ..errors import DecodeError

OBIS_LENGTH = 6


class Unit(StrEnum):
    """Base units every value is reported in."""

    WATT = "W"
    VAR = "var"
    VOLT_AMPERE = "VA"
    AMPERE = "A"
    VOLT = "V"
    WATT_HOUR = "Wh"
    VAR_HOUR = "varh"
    VOLT_AMPERE_HOUR = "VAh"
    HERTZ = "Hz"
    NONE = ""  # power factor: a fraction


class Quantity(StrEnum):
    """What a value measures; the phase is in its OBIS code (C = 21..24 L1, 41.. L2, 61.. L3)."""

    ACTIVE_POWER_IMPORT = "active_power_import"
    ACTIVE_POWER_EXPORT = "active_power_export"
    REACTIVE_POWER_IMPORT = "reactive_power_import"
    REACTIVE_POWER_EXPORT = "reactive_power_export"
    APPARENT_POWER_IMPORT = "apparent_power_import"
    APPARENT_POWER_EXPORT = "apparent_power_export"
    CURRENT = "current"
    VOLTAGE = "voltage"
    POWER_FACTOR = "power_factor"
    FREQUENCY = "frequency"
    ACTIVE_ENERGY_IMPORT = "active_energy_import"
    ACTIVE_ENERGY_EXPORT = "active_energy_export"
    REACTIVE_ENERGY_IMPORT = "reactive_energy_import"
    REACTIVE_ENERGY_EXPORT = "reactive_energy_export"


# DLMS unit enumeration (Blue Book, class 3 scaler_unit) for the units the lists use.
DLMS_UNITS: dict[int, Unit] = {
    27: Unit.WATT,
    28: Unit.VOLT_AMPERE,
    29: Unit.VAR,
    30: Unit.WATT_HOUR,
    31: Unit.VOLT_AMPERE_HOUR,
    32: Unit.VAR_HOUR,
    33: Unit.AMPERE,
    35: Unit.VOLT,
    44: Unit.HERTZ,
    255: Unit.NONE,
}

# C (modulo the phase offset 20/40/60 for C 1..19) and D -> quantity and unit.
_POWER = {
    1: (Quantity.ACTIVE_POWER_IMPORT, Unit.WATT),
    2: (Quantity.ACTIVE_POWER_EXPORT, Unit.WATT),
    3: (Quantity.REACTIVE_POWER_IMPORT, Unit.VAR),
    4: (Quantity.REACTIVE_POWER_EXPORT, Unit.VAR),
    9: (Quantity.APPARENT_POWER_IMPORT, Unit.VOLT_AMPERE),
    10: (Quantity.APPARENT_POWER_EXPORT, Unit.VOLT_AMPERE),
    11: (Quantity.CURRENT, Unit.AMPERE),
    12: (Quantity.VOLTAGE, Unit.VOLT),
    13: (Quantity.POWER_FACTOR, Unit.NONE),
    14: (Quantity.FREQUENCY, Unit.HERTZ),
}
_ENERGY = {
    1: (Quantity.ACTIVE_ENERGY_IMPORT, Unit.WATT_HOUR),
    2: (Quantity.ACTIVE_ENERGY_EXPORT, Unit.WATT_HOUR),
    3: (Quantity.REACTIVE_ENERGY_IMPORT, Unit.VAR_HOUR),
    4: (Quantity.REACTIVE_ENERGY_EXPORT, Unit.VAR_HOUR),
}
_INSTANTANEOUS = 7
_CUMULATIVE = 8
# Per-phase codes add 20 per phase to the total's C: 21 P+ L1, 31 I L1, 52 U L2, 73 PF L3.
_PHASE_STEP = 20


@lru_cache(maxsize=512)
def obis_text(raw: bytes) -> str:
    """``A-B:C.D.E.F`` for six octets (cached: the same few dozen codes repeat every frame)."""
    if len(raw) != OBIS_LENGTH:
        raise DecodeError(f"OBIS code has {len(raw)} octets, not {OBIS_LENGTH}")
    a, b, c, d, e, f = raw
    return f"{a}-{b}:{c}.{d}.{e}.{f}"


@lru_cache(maxsize=512)
def parse_obis(text: str) -> tuple[int, int, int, int, int, int]:
    """The six value groups of ``A-B:C.D.E.F`` (for table lookups and the simulator)."""
    try:
        ab, cdef = text.split(":")
        a, b = ab.split("-")
        c, d, e, f = cdef.split(".")
        groups = tuple(int(part) for part in (a, b, c, d, e, f))
    except ValueError:
        raise ValueError(f"{text!r} is not an OBIS code A-B:C.D.E.F") from None
    if not all(0 <= group <= 255 for group in groups):
        raise ValueError(f"{text!r} has a value group outside 0..255")
    return groups  # type: ignore[return-value]


@lru_cache(maxsize=512)
def measurement(code: str) -> tuple[Quantity, Unit] | None:
    """Quantity and base unit of an electricity value code (A = 1), ``None`` if not one."""
    a, _b, c, d, _e, _f = parse_obis(code)
    if a != 1:
        return None
    if d == _INSTANTANEOUS and 1 <= c <= 79:
        return _POWER.get((c - 1) % _PHASE_STEP + 1)
    if d == _CUMULATIVE:
        return _ENERGY.get(c)
    return None
