"""Value information: the VIF tables of EN 13757-3:2013 and the combinable VIFEs.

A VIF (with an optional extension table chosen by VIF 0xFB or 0xFD) says what a record
measures and how its integer is scaled. Scaling is kept exact as ``multiplier x 10^exponent``
to the base unit of :data:`UNIT`, so ``Decimal`` results carry no binary rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Modifier, Quantity

Q = Quantity

# Time units of the "nn" bits: seconds, minutes, hours, days.
_TIME_MULTIPLIERS = (1, 60, 3600, 86400)
# "pp" bits of hour-based durations: hours, days, months, years (months/years are not seconds).
_LONG_DURATIONS = ((3600, "s"), (86400, "s"), (1, "month"), (1, "a"))


@dataclass(frozen=True, slots=True)
class VifSpec:
    """What a VIF means: quantity, unit of the scaled value and the exact scale factor."""

    quantity: Quantity
    unit: str
    exponent: int = 0
    multiplier: int = 1
    date_like: bool = False  # value is a date/time type (G, F, I, J) chosen by the data length
    text_like: bool = False  # identifiers whose binary form is best shown as is


def _series(
    table: dict[int, VifSpec], first: int, count: int, quantity: Quantity, unit: str, exp0: int
) -> None:
    """Add ``count`` codes from ``first`` whose exponent runs ``exp0, exp0 + 1, ...``."""
    for n in range(count):
        table[first + n] = VifSpec(quantity, unit, exp0 + n)


def _durations(table: dict[int, VifSpec], first: int, quantity: Quantity) -> None:
    for n, multiplier in enumerate(_TIME_MULTIPLIERS):
        table[first + n] = VifSpec(quantity, "s", 0, multiplier)


def _primary_table() -> dict[int, VifSpec]:
    t: dict[int, VifSpec] = {}
    _series(t, 0x00, 8, Q.ENERGY, "Wh", -3)
    _series(t, 0x08, 8, Q.ENERGY, "J", 0)
    _series(t, 0x10, 8, Q.VOLUME, "m^3", -6)
    _series(t, 0x18, 8, Q.MASS, "kg", -3)
    _durations(t, 0x20, Q.ON_TIME)
    _durations(t, 0x24, Q.OPERATING_TIME)
    _series(t, 0x28, 8, Q.POWER, "W", -3)
    _series(t, 0x30, 8, Q.POWER, "J/h", 0)
    _series(t, 0x38, 8, Q.VOLUME_FLOW, "m^3/h", -6)
    _series(t, 0x40, 8, Q.VOLUME_FLOW, "m^3/min", -7)
    _series(t, 0x48, 8, Q.VOLUME_FLOW, "m^3/s", -9)
    _series(t, 0x50, 8, Q.MASS_FLOW, "kg/h", -3)
    _series(t, 0x58, 4, Q.FLOW_TEMPERATURE, "°C", -3)
    _series(t, 0x5C, 4, Q.RETURN_TEMPERATURE, "°C", -3)
    _series(t, 0x60, 4, Q.TEMPERATURE_DIFFERENCE, "K", -3)
    _series(t, 0x64, 4, Q.EXTERNAL_TEMPERATURE, "°C", -3)
    _series(t, 0x68, 4, Q.PRESSURE, "bar", -3)
    t[0x6C] = VifSpec(Q.DATE, "", date_like=True)
    t[0x6D] = VifSpec(Q.DATE_TIME, "", date_like=True)
    t[0x6E] = VifSpec(Q.HCA_UNITS, "")
    t[0x6F] = VifSpec(Q.RESERVED, "")
    _durations(t, 0x70, Q.AVERAGING_DURATION)
    _durations(t, 0x74, Q.ACTUALITY_DURATION)
    t[0x78] = VifSpec(Q.FABRICATION_NUMBER, "", text_like=True)
    t[0x79] = VifSpec(Q.ENHANCED_IDENTIFICATION, "", text_like=True)
    t[0x7A] = VifSpec(Q.BUS_ADDRESS, "")
    t[0x7E] = VifSpec(Q.ANY, "")
    t[0x7F] = VifSpec(Q.MANUFACTURER_SPECIFIC, "")
    return t


def _fd_table() -> dict[int, VifSpec]:
    """Main VIFE code extension table (VIF = 0xFD), EN 13757-3:2013 table 14."""
    t: dict[int, VifSpec] = {}
    _series(t, 0x00, 4, Q.CREDIT, "currency", -3)
    _series(t, 0x04, 4, Q.DEBIT, "currency", -3)
    simple = {
        0x08: Q.ACCESS_NUMBER,
        0x09: Q.MEDIUM,
        0x0A: Q.MANUFACTURER,
        0x0B: Q.PARAMETER_SET_ID,
        0x0C: Q.MODEL_VERSION,
        0x0D: Q.HARDWARE_VERSION,
        0x0E: Q.FIRMWARE_VERSION,
        0x0F: Q.SOFTWARE_VERSION,
        0x10: Q.CUSTOMER_LOCATION,
        0x11: Q.CUSTOMER,
        0x12: Q.ACCESS_CODE_USER,
        0x13: Q.ACCESS_CODE_OPERATOR,
        0x14: Q.ACCESS_CODE_SYSTEM_OPERATOR,
        0x15: Q.ACCESS_CODE_DEVELOPER,
        0x16: Q.PASSWORD,
        0x17: Q.ERROR_FLAGS,
        0x18: Q.ERROR_MASK,
        0x19: Q.SECURITY_KEY,
        0x1A: Q.DIGITAL_OUTPUT,
        0x1B: Q.DIGITAL_INPUT,
        0x1E: Q.RETRY,
        0x1F: Q.REMOTE_CONTROL,
        0x20: Q.FIRST_STORAGE_NUMBER,
        0x21: Q.LAST_STORAGE_NUMBER,
        0x22: Q.STORAGE_BLOCK_SIZE,
        0x23: Q.TARIFF_DESCRIPTOR,
        0x2A: Q.OPERATOR_SPECIFIC_DATA,
        0x2B: Q.TIME_POINT_SECOND,
        0x3A: Q.DIMENSIONLESS,
        0x3B: Q.DATA_CONTAINER,
        0x60: Q.RESET_COUNTER,
        0x61: Q.CUMULATION_COUNTER,
        0x62: Q.CONTROL_SIGNAL,
        0x63: Q.DAY_OF_WEEK,
        0x64: Q.WEEK_NUMBER,
        0x65: Q.DAY_CHANGE_TIME,
        0x66: Q.PARAMETER_ACTIVATION_STATE,
        0x67: Q.SUPPLIER_INFORMATION,
        0x72: Q.DAYLIGHT_SAVING,
        0x73: Q.LISTENING_WINDOW,
        0x75: Q.STOP_COUNTER,
        0x76: Q.DATA_CONTAINER,
    }
    for code, quantity in simple.items():
        t[code] = VifSpec(quantity, "")
    t[0x1C] = VifSpec(Q.BAUD_RATE, "Bd")
    t[0x1D] = VifSpec(Q.RESPONSE_DELAY, "bit times")
    _durations(t, 0x24, Q.STORAGE_INTERVAL)
    t[0x28] = VifSpec(Q.STORAGE_INTERVAL, "month")
    t[0x29] = VifSpec(Q.STORAGE_INTERVAL, "a")
    _durations(t, 0x2C, Q.DURATION_SINCE_READOUT)
    t[0x30] = VifSpec(Q.TARIFF_START, "", date_like=True)
    for n, multiplier in enumerate(_TIME_MULTIPLIERS[1:], start=1):
        t[0x30 + n] = VifSpec(Q.TARIFF_DURATION, "s", 0, multiplier)
    _durations(t, 0x34, Q.TARIFF_PERIOD)
    t[0x38] = VifSpec(Q.TARIFF_PERIOD, "month")
    t[0x39] = VifSpec(Q.TARIFF_PERIOD, "a")
    _series(t, 0x40, 16, Q.VOLTAGE, "V", -9)
    _series(t, 0x50, 16, Q.CURRENT, "A", -12)
    for n, (multiplier, unit) in enumerate(_LONG_DURATIONS):
        t[0x68 + n] = VifSpec(Q.DURATION_SINCE_CUMULATION, unit, 0, multiplier)
        t[0x6C + n] = VifSpec(Q.BATTERY_OPERATING_TIME, unit, 0, multiplier)
    t[0x70] = VifSpec(Q.BATTERY_CHANGE_DATE_TIME, "", date_like=True)
    t[0x71] = VifSpec(Q.RF_LEVEL, "dBm")
    t[0x74] = VifSpec(Q.REMAINING_BATTERY_LIFE, "d")
    return t


def _fb_table() -> dict[int, VifSpec]:
    """Alternate extended VIF code table (VIF = 0xFB), EN 13757-3:2013 table 12.

    Apparent energy (E000 010n) and apparent power (E011 01nn) as jMBus
    (DataRecord.decodeAlternateExtendedVif) and m-bus-parser decode them: 10^(n+3) VAh and
    10^nn VA (10^(nn-3) kVA); electricity meters such as Carlo Gavazzi's send FB B7 72.
    """
    t: dict[int, VifSpec] = {}
    _series(t, 0x00, 2, Q.ENERGY, "Wh", 5)  # 0.1 MWh, 1 MWh
    _series(t, 0x02, 2, Q.REACTIVE_ENERGY, "varh", 3)  # 1 kvarh, 10 kvarh
    _series(t, 0x04, 2, Q.APPARENT_ENERGY, "VAh", 3)  # 1 kVAh, 10 kVAh
    _series(t, 0x08, 2, Q.ENERGY, "J", 8)  # 0.1 GJ, 1 GJ
    _series(t, 0x0C, 4, Q.ENERGY, "cal", 5)  # 0.1 MCal ... 100 MCal
    _series(t, 0x10, 2, Q.VOLUME, "m^3", 2)
    _series(t, 0x14, 4, Q.REACTIVE_POWER, "var", 0)  # 10^(nn-3) kvar
    _series(t, 0x18, 2, Q.MASS, "kg", 5)  # 100 t, 1000 t
    _series(t, 0x1A, 2, Q.RELATIVE_HUMIDITY, "%", -1)
    t[0x20] = VifSpec(Q.VOLUME, "ft^3")
    t[0x21] = VifSpec(Q.VOLUME, "ft^3", -1)
    # EN 13757-3:2004 (still sent by older meters): US gallons and gallon flows.
    t[0x22] = VifSpec(Q.VOLUME, "US gal", -1)
    t[0x23] = VifSpec(Q.VOLUME, "US gal", 0)
    t[0x24] = VifSpec(Q.VOLUME_FLOW, "US gal/min", -3)
    t[0x25] = VifSpec(Q.VOLUME_FLOW, "US gal/min", 0)
    t[0x26] = VifSpec(Q.VOLUME_FLOW, "US gal/h", 0)
    _series(t, 0x28, 2, Q.POWER, "W", 5)  # 0.1 MW, 1 MW
    t[0x2A] = VifSpec(Q.PHASE_ANGLE, "°", -1)  # phase U-U
    t[0x2B] = VifSpec(Q.PHASE_ANGLE, "°", -1)  # phase U-I
    _series(t, 0x2C, 4, Q.FREQUENCY, "Hz", -3)
    _series(t, 0x30, 2, Q.POWER, "J/h", 8)  # 0.1 GJ/h, 1 GJ/h
    _series(t, 0x34, 4, Q.APPARENT_POWER, "VA", 0)  # 10^(nn-3) kVA
    _series(t, 0x58, 4, Q.FLOW_TEMPERATURE, "°F", -3)
    _series(t, 0x5C, 4, Q.RETURN_TEMPERATURE, "°F", -3)
    _series(t, 0x60, 4, Q.TEMPERATURE_DIFFERENCE, "°F", -3)
    _series(t, 0x64, 4, Q.EXTERNAL_TEMPERATURE, "°F", -3)
    _series(t, 0x70, 4, Q.TEMPERATURE_LIMIT, "°F", -3)
    _series(t, 0x74, 4, Q.TEMPERATURE_LIMIT, "°C", -3)
    _series(t, 0x78, 8, Q.CUMULATED_MAX_POWER, "W", -3)
    return t


PRIMARY: dict[int, VifSpec] = _primary_table()
EXTENSION_FD: dict[int, VifSpec] = _fd_table()
EXTENSION_FB: dict[int, VifSpec] = _fb_table()
RESERVED_SPEC = VifSpec(Q.RESERVED, "")
MANUFACTURER_SPEC = VifSpec(Q.MANUFACTURER_SPECIFIC, "")
PLAIN_TEXT_SPEC = VifSpec(Q.PLAIN_TEXT_UNIT, "")

VIF_PLAIN_TEXT = 0x7C
VIF_EXTENSION_FB = 0x7B
VIF_EXTENSION_FD = 0x7D
VIF_MANUFACTURER = 0x7F


def _combinable_table() -> dict[int, Modifier]:
    """Combinable (orthogonal) VIFE codes, EN 13757-3:2013 table 15 (without 0x00-0x1F)."""
    m = Modifier
    t: dict[int, Modifier] = {}
    per = (
        m.PER_SECOND,
        m.PER_MINUTE,
        m.PER_HOUR,
        m.PER_DAY,
        m.PER_WEEK,
        m.PER_MONTH,
        m.PER_YEAR,
        m.PER_REVOLUTION,
        m.PER_INPUT_PULSE_0,
        m.PER_INPUT_PULSE_1,
        m.PER_OUTPUT_PULSE_0,
        m.PER_OUTPUT_PULSE_1,
        m.PER_LITRE,
        m.PER_M3,
        m.PER_KG,
        m.PER_KELVIN,
        m.PER_KWH,
        m.PER_GJ,
        m.PER_KW,
        m.PER_KELVIN_LITRE,
        m.PER_VOLT,
        m.PER_AMPERE,
        m.TIMES_SECOND,
        m.TIMES_SECOND_PER_VOLT,
        m.TIMES_SECOND_PER_AMPERE,
        m.START_DATE_TIME_OF,
        m.UNCORRECTED,
        m.ACCUMULATION_POSITIVE,
        m.ACCUMULATION_NEGATIVE,
    )
    for offset, modifier in enumerate(per):
        t[0x20 + offset] = modifier
    for code in range(0x3D, 0x40):
        t[code] = m.RESERVED
    t[0x40] = m.LOWER_LIMIT
    t[0x48] = m.UPPER_LIMIT
    t[0x41] = m.LOWER_LIMIT_EXCEEDS
    t[0x49] = m.UPPER_LIMIT_EXCEEDS
    for code in (0x42, 0x43, 0x46, 0x47, 0x4A, 0x4B, 0x4E, 0x4F):  # E100 uf1b
        t[code] = m.LIMIT_EXCEED_DATE_TIME
    for code in (0x44, 0x45, 0x4C, 0x4D):
        t[code] = m.RESERVED
    for code in range(0x50, 0x60):  # E101 ufnn
        t[code] = m.LIMIT_EXCEED_DURATION
    for code in range(0x60, 0x68):  # E110 0fnn
        t[code] = m.DURATION_OF
    t[0x68] = m.VALUE_DURING_LOWER_LIMIT_EXCEED
    t[0x69] = m.LEAKAGE
    t[0x6C] = m.VALUE_DURING_UPPER_LIMIT_EXCEED
    t[0x6D] = m.OVERFLOW
    for code in (0x6A, 0x6B, 0x6E, 0x6F):  # E110 1f1b
        t[code] = m.DATE_TIME_OF
    for code in range(0x70, 0x78):
        t[code] = m.MULTIPLIER
    for code in range(0x78, 0x7C):
        t[code] = m.OFFSET
    t[0x7C] = m.RESERVED
    t[0x7D] = m.MULTIPLIER
    t[0x7E] = m.FUTURE_VALUE
    t[0x7F] = m.MANUFACTURER_SPECIFIC
    return t


COMBINABLE: dict[int, Modifier] = _combinable_table()

# Record error codes a slave puts in a VIFE 0x00-0x1F (EN 13757-3:2013 table 16).
RECORD_ERRORS: dict[int, str] = {
    0x00: "",  # no error
    0x01: "too many DIFEs",
    0x02: "storage number not implemented",
    0x03: "unit number not implemented",
    0x04: "tariff number not implemented",
    0x05: "function not implemented",
    0x06: "data class not implemented",
    0x07: "data size not implemented",
    0x0B: "too many VIFEs",
    0x0C: "illegal VIF group",
    0x0D: "illegal VIF exponent",
    0x0E: "VIF/DIF mismatch",
    0x0F: "unimplemented action",
    0x15: "no data available",
    0x16: "data overflow",
    0x17: "data underflow",
    0x18: "data error",
    0x1C: "premature end of record",
}

# Unit suffixes of the "per ..." modifiers, appended to the record's unit.
PER_UNIT_SUFFIX: dict[Modifier, str] = {
    Modifier.PER_SECOND: "/s",
    Modifier.PER_MINUTE: "/min",
    Modifier.PER_HOUR: "/h",
    Modifier.PER_DAY: "/d",
    Modifier.PER_WEEK: "/week",
    Modifier.PER_MONTH: "/month",
    Modifier.PER_YEAR: "/a",
    Modifier.PER_REVOLUTION: "/revolution",
    Modifier.PER_INPUT_PULSE_0: "/pulse",
    Modifier.PER_INPUT_PULSE_1: "/pulse",
    Modifier.PER_OUTPUT_PULSE_0: "/pulse",
    Modifier.PER_OUTPUT_PULSE_1: "/pulse",
    Modifier.PER_LITRE: "/l",
    Modifier.PER_M3: "/m^3",
    Modifier.PER_KG: "/kg",
    Modifier.PER_KELVIN: "/K",
    Modifier.PER_KWH: "/kWh",
    Modifier.PER_GJ: "/GJ",
    Modifier.PER_KW: "/kW",
    Modifier.PER_KELVIN_LITRE: "/(K*l)",
    Modifier.PER_VOLT: "/V",
    Modifier.PER_AMPERE: "/A",
    Modifier.TIMES_SECOND: "*s",
    Modifier.TIMES_SECOND_PER_VOLT: "*s/V",
    Modifier.TIMES_SECOND_PER_AMPERE: "*s/A",
}

# Durations in the E101 ufnn / E110 0fnn VIFEs: nn = s, min, h, d.
DURATION_UNITS = _TIME_MULTIPLIERS
