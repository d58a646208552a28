"""The VIF tables of EN 13757-3:2013 (primary, FD and FB extensions) and combinable VIFEs.

Each case is one record ``01 <VIF...> 05``: an 8-bit integer 5, so the expected scaled value
is 5 x (the table's unit factor), worked out by hand in the tables below from the standard's
code patterns (``E000 0nnn`` = energy 10^(nnn-3) Wh, ...). Nothing here is computed by the
decoder's own tables.
"""

import datetime as dt
from decimal import Decimal

import pytest

from custom_components.mbus_han.protocol.mbus.model import Modifier, Quantity
from custom_components.mbus_han.protocol.mbus.records import parse_records

Q = Quantity
D = Decimal


def one(hex_bytes: str):
    found, _, _ = parse_records(bytes.fromhex(hex_bytes))
    assert len(found) == 1
    return found[0]


def five(vif: str):
    """The record ``01 <vif> 05``: raw 8-bit value 5."""
    record = one(f"01 {vif} 05")
    assert record.raw_value == 5
    return record


# --- Primary table (EN 13757-3:2013 table 10) ---------------------------------------------
# (VIF, quantity, unit, value of raw 5 in that unit)
PRIMARY = [
    # E000 0nnn energy 10^(nnn-3) Wh
    ("00", Q.ENERGY, "Wh", D("0.005")),  # mWh
    ("01", Q.ENERGY, "Wh", D("0.05")),
    ("02", Q.ENERGY, "Wh", D("0.5")),
    ("03", Q.ENERGY, "Wh", 5),  # Wh
    ("04", Q.ENERGY, "Wh", 50),
    ("05", Q.ENERGY, "Wh", 500),
    ("06", Q.ENERGY, "Wh", 5000),  # kWh
    ("07", Q.ENERGY, "Wh", 50000),
    # E000 1nnn energy 10^nnn J
    ("08", Q.ENERGY, "J", 5),
    ("0B", Q.ENERGY, "J", 5000),  # kJ
    ("0E", Q.ENERGY, "J", 5000000),  # MJ
    ("0F", Q.ENERGY, "J", 50000000),
    # E001 0nnn volume 10^(nnn-6) m^3
    ("10", Q.VOLUME, "m^3", D("0.000005")),  # cm^3
    ("13", Q.VOLUME, "m^3", D("0.005")),  # litre
    ("16", Q.VOLUME, "m^3", 5),
    ("17", Q.VOLUME, "m^3", 50),
    # E001 1nnn mass 10^(nnn-3) kg
    ("18", Q.MASS, "kg", D("0.005")),  # g
    ("1B", Q.MASS, "kg", 5),
    ("1E", Q.MASS, "kg", 5000),  # t
    ("1F", Q.MASS, "kg", 50000),
    # E010 00nn on time, nn = seconds, minutes, hours, days
    ("20", Q.ON_TIME, "s", 5),
    ("21", Q.ON_TIME, "s", 300),  # 5 x 60
    ("22", Q.ON_TIME, "s", 18000),  # 5 x 3600
    ("23", Q.ON_TIME, "s", 432000),  # 5 x 86400
    # E010 01nn operating time
    ("24", Q.OPERATING_TIME, "s", 5),
    ("25", Q.OPERATING_TIME, "s", 300),
    ("26", Q.OPERATING_TIME, "s", 18000),
    ("27", Q.OPERATING_TIME, "s", 432000),
    # E010 1nnn power 10^(nnn-3) W
    ("28", Q.POWER, "W", D("0.005")),
    ("2B", Q.POWER, "W", 5),
    ("2E", Q.POWER, "W", 5000),  # kW
    ("2F", Q.POWER, "W", 50000),
    # E011 0nnn power 10^nnn J/h
    ("30", Q.POWER, "J/h", 5),
    ("33", Q.POWER, "J/h", 5000),
    ("37", Q.POWER, "J/h", 50000000),
    # E011 1nnn volume flow 10^(nnn-6) m^3/h
    ("38", Q.VOLUME_FLOW, "m^3/h", D("0.000005")),
    ("3B", Q.VOLUME_FLOW, "m^3/h", D("0.005")),  # l/h
    ("3E", Q.VOLUME_FLOW, "m^3/h", 5),
    ("3F", Q.VOLUME_FLOW, "m^3/h", 50),
    # E100 0nnn volume flow 10^(nnn-7) m^3/min
    ("40", Q.VOLUME_FLOW, "m^3/min", D("0.0000005")),
    ("44", Q.VOLUME_FLOW, "m^3/min", D("0.005")),
    ("47", Q.VOLUME_FLOW, "m^3/min", 5),
    # E100 1nnn volume flow 10^(nnn-9) m^3/s
    ("48", Q.VOLUME_FLOW, "m^3/s", D("0.000000005")),
    ("4E", Q.VOLUME_FLOW, "m^3/s", D("0.005")),
    ("4F", Q.VOLUME_FLOW, "m^3/s", D("0.05")),
    # E101 0nnn mass flow 10^(nnn-3) kg/h
    ("50", Q.MASS_FLOW, "kg/h", D("0.005")),
    ("53", Q.MASS_FLOW, "kg/h", 5),
    ("57", Q.MASS_FLOW, "kg/h", 50000),
    # E101 10nn flow temperature 10^(nn-3) degC
    ("58", Q.FLOW_TEMPERATURE, "°C", D("0.005")),
    ("59", Q.FLOW_TEMPERATURE, "°C", D("0.05")),
    ("5A", Q.FLOW_TEMPERATURE, "°C", D("0.5")),
    ("5B", Q.FLOW_TEMPERATURE, "°C", 5),
    # E101 11nn return temperature
    ("5C", Q.RETURN_TEMPERATURE, "°C", D("0.005")),
    ("5F", Q.RETURN_TEMPERATURE, "°C", 5),
    # E110 00nn temperature difference 10^(nn-3) K
    ("60", Q.TEMPERATURE_DIFFERENCE, "K", D("0.005")),
    ("62", Q.TEMPERATURE_DIFFERENCE, "K", D("0.5")),
    ("63", Q.TEMPERATURE_DIFFERENCE, "K", 5),
    # E110 01nn external temperature
    ("64", Q.EXTERNAL_TEMPERATURE, "°C", D("0.005")),
    ("67", Q.EXTERNAL_TEMPERATURE, "°C", 5),
    # E110 10nn pressure 10^(nn-3) bar
    ("68", Q.PRESSURE, "bar", D("0.005")),  # mbar
    ("6B", Q.PRESSURE, "bar", 5),
    # E110 1110 units for H.C.A.: dimensionless
    ("6E", Q.HCA_UNITS, "", 5),
    # E111 00nn averaging duration
    ("70", Q.AVERAGING_DURATION, "s", 5),
    ("71", Q.AVERAGING_DURATION, "s", 300),
    ("72", Q.AVERAGING_DURATION, "s", 18000),
    ("73", Q.AVERAGING_DURATION, "s", 432000),
    # E111 01nn actuality duration
    ("74", Q.ACTUALITY_DURATION, "s", 5),
    ("75", Q.ACTUALITY_DURATION, "s", 300),
    ("76", Q.ACTUALITY_DURATION, "s", 18000),
    ("77", Q.ACTUALITY_DURATION, "s", 432000),
    # E111 1000 fabrication number, 1001 (enhanced) identification, 1010 bus address
    ("78", Q.FABRICATION_NUMBER, "", 5),
    ("79", Q.ENHANCED_IDENTIFICATION, "", 5),
    ("7A", Q.BUS_ADDRESS, "", 5),
]


@pytest.mark.parametrize(("vif", "quantity", "unit", "value"), PRIMARY)
def test_primary_table(vif, quantity, unit, value):
    record = five(vif)
    assert record.quantity is quantity
    assert record.unit == unit
    assert record.value == value
    assert type(record.value) is type(value)  # exact: int, or Decimal below one unit
    assert record.error is None
    assert record.is_plain


def test_every_primary_series_member():
    # The full series, from the code patterns of table 10 (first code, count, unit, exp0).
    series = [
        (0x00, 8, "Wh", -3),
        (0x08, 8, "J", 0),
        (0x10, 8, "m^3", -6),
        (0x18, 8, "kg", -3),
        (0x28, 8, "W", -3),
        (0x30, 8, "J/h", 0),
        (0x38, 8, "m^3/h", -6),
        (0x40, 8, "m^3/min", -7),
        (0x48, 8, "m^3/s", -9),
        (0x50, 8, "kg/h", -3),
        (0x58, 4, "°C", -3),
        (0x5C, 4, "°C", -3),
        (0x60, 4, "K", -3),
        (0x64, 4, "°C", -3),
        (0x68, 4, "bar", -3),
    ]
    for first, count, unit, exp0 in series:
        for n in range(count):
            record = five(f"{first + n:02X}")
            assert record.unit == unit, hex(first + n)
            assert record.value == D(5).scaleb(exp0 + n), hex(first + n)


def test_extension_bit_does_not_change_the_vif():
    # VIF 86 = 06 with the extension bit, VIFE 00 = "no error": still 5 kWh.
    record = one("01 86 00 05")
    assert record.quantity is Q.ENERGY
    assert record.value == 5000
    assert record.error is None


def test_time_point_vifs():
    # E110 1100 date (type G), E110 1101 date and time (type F): 2024-03-15 13:45.
    assert one("02 6C 0F 33").value == dt.date(2024, 3, 15)
    record = one("04 6D 2D 0D 0F 33")
    assert record.quantity is Q.DATE_TIME
    assert record.value == dt.datetime(2024, 3, 15, 13, 45)


def test_fabrication_number_in_bcd():
    # DIF 0C, VIF 78: "12345678".
    record = one("0C 78 78 56 34 12")
    assert record.quantity is Q.FABRICATION_NUMBER
    assert record.value == 12345678


def test_plain_text_vif():
    # VIF 7C, length 3, "kWh" sent last character first: 68 ('h') 57 ('W') 6B ('k').
    record = one("04 7C 03 68 57 6B 05 00 00 00")
    assert record.quantity is Q.PLAIN_TEXT_UNIT
    assert record.unit == "kWh"
    assert record.plain_text_unit == "kWh"
    assert record.value == 5  # no scale: the meter's own unit


def test_any_and_manufacturer_specific_vif():
    assert five("7E").quantity is Q.ANY
    record = one("01 FF 01 05")  # VIF FF: manufacturer specific; the VIFE 01 is its own
    assert record.quantity is Q.MANUFACTURER_SPECIFIC
    assert record.error is None  # 01 is not read as the record error "too many DIFEs"
    assert record.raw_value == 5


# --- FD extension table (EN 13757-3:2013 table 14) ---------------------------------------
FD = [
    # E000 00nn credit 10^(nn-3) currency units, E000 01nn debit
    ("00", Q.CREDIT, "currency", D("0.005")),
    ("03", Q.CREDIT, "currency", 5),
    ("04", Q.DEBIT, "currency", D("0.005")),
    ("07", Q.DEBIT, "currency", 5),
    ("08", Q.ACCESS_NUMBER, "", 5),
    ("09", Q.MEDIUM, "", 5),
    ("0A", Q.MANUFACTURER, "", 5),
    ("0B", Q.PARAMETER_SET_ID, "", 5),
    ("0C", Q.MODEL_VERSION, "", 5),
    ("0D", Q.HARDWARE_VERSION, "", 5),
    ("0E", Q.FIRMWARE_VERSION, "", 5),
    ("0F", Q.SOFTWARE_VERSION, "", 5),
    ("10", Q.CUSTOMER_LOCATION, "", 5),
    ("11", Q.CUSTOMER, "", 5),
    ("12", Q.ACCESS_CODE_USER, "", 5),
    ("13", Q.ACCESS_CODE_OPERATOR, "", 5),
    ("14", Q.ACCESS_CODE_SYSTEM_OPERATOR, "", 5),
    ("15", Q.ACCESS_CODE_DEVELOPER, "", 5),
    ("16", Q.PASSWORD, "", 5),
    ("17", Q.ERROR_FLAGS, "", 5),
    ("18", Q.ERROR_MASK, "", 5),
    ("1A", Q.DIGITAL_OUTPUT, "", 5),
    ("1B", Q.DIGITAL_INPUT, "", 5),
    ("1C", Q.BAUD_RATE, "Bd", 5),
    ("1D", Q.RESPONSE_DELAY, "bit times", 5),
    ("1E", Q.RETRY, "", 5),
    ("20", Q.FIRST_STORAGE_NUMBER, "", 5),
    ("21", Q.LAST_STORAGE_NUMBER, "", 5),
    ("22", Q.STORAGE_BLOCK_SIZE, "", 5),
    # E010 01nn storage interval s/min/h/d, 1000 months, 1001 years
    ("24", Q.STORAGE_INTERVAL, "s", 5),
    ("25", Q.STORAGE_INTERVAL, "s", 300),
    ("26", Q.STORAGE_INTERVAL, "s", 18000),
    ("27", Q.STORAGE_INTERVAL, "s", 432000),
    ("28", Q.STORAGE_INTERVAL, "month", 5),
    ("29", Q.STORAGE_INTERVAL, "a", 5),
    ("2B", Q.TIME_POINT_SECOND, "", 5),
    # E010 11nn duration since last readout
    ("2C", Q.DURATION_SINCE_READOUT, "s", 5),
    ("2F", Q.DURATION_SINCE_READOUT, "s", 432000),
    # E011 00nn (nn > 0) duration of tariff: min, h, d
    ("31", Q.TARIFF_DURATION, "s", 300),
    ("32", Q.TARIFF_DURATION, "s", 18000),
    ("33", Q.TARIFF_DURATION, "s", 432000),
    # E011 01nn period of tariff, 1000 months, 1001 years
    ("34", Q.TARIFF_PERIOD, "s", 5),
    ("37", Q.TARIFF_PERIOD, "s", 432000),
    ("38", Q.TARIFF_PERIOD, "month", 5),
    ("39", Q.TARIFF_PERIOD, "a", 5),
    ("3A", Q.DIMENSIONLESS, "", 5),
    # E100 nnnn volts 10^(nnnn-9) V
    ("40", Q.VOLTAGE, "V", D("0.000000005")),  # nV
    ("46", Q.VOLTAGE, "V", D("0.005")),  # mV
    ("49", Q.VOLTAGE, "V", 5),
    ("4F", Q.VOLTAGE, "V", 5000000),  # 10^6 V
    # E101 nnnn amperes 10^(nnnn-12) A
    ("50", Q.CURRENT, "A", D("0.000000000005")),  # pA
    ("59", Q.CURRENT, "A", D("0.005")),  # mA
    ("5C", Q.CURRENT, "A", 5),
    ("5F", Q.CURRENT, "A", 5000),
    ("60", Q.RESET_COUNTER, "", 5),
    ("61", Q.CUMULATION_COUNTER, "", 5),
    ("62", Q.CONTROL_SIGNAL, "", 5),
    ("63", Q.DAY_OF_WEEK, "", 5),
    ("64", Q.WEEK_NUMBER, "", 5),
    ("65", Q.DAY_CHANGE_TIME, "", 5),
    ("66", Q.PARAMETER_ACTIVATION_STATE, "", 5),
    ("67", Q.SUPPLIER_INFORMATION, "", 5),
    # E110 10pp duration since last cumulation, pp = hours, days, months, years
    ("68", Q.DURATION_SINCE_CUMULATION, "s", 18000),
    ("69", Q.DURATION_SINCE_CUMULATION, "s", 432000),
    ("6A", Q.DURATION_SINCE_CUMULATION, "month", 5),
    ("6B", Q.DURATION_SINCE_CUMULATION, "a", 5),
    # E110 11pp operating time battery
    ("6C", Q.BATTERY_OPERATING_TIME, "s", 18000),
    ("6D", Q.BATTERY_OPERATING_TIME, "s", 432000),
    ("6E", Q.BATTERY_OPERATING_TIME, "month", 5),
    ("6F", Q.BATTERY_OPERATING_TIME, "a", 5),
    ("71", Q.RF_LEVEL, "dBm", 5),
    ("74", Q.REMAINING_BATTERY_LIFE, "d", 5),
    ("75", Q.STOP_COUNTER, "", 5),
]


@pytest.mark.parametrize(("code", "quantity", "unit", "value"), FD)
def test_fd_extension_table(code, quantity, unit, value):
    record = five(f"FD {code}")
    assert record.quantity is quantity
    assert record.unit == unit
    assert record.value == value
    assert type(record.value) is type(value)
    assert record.error is None


def test_fd_realistic_voltage_and_current():
    # FD 48: 10^(8-9) = 0.1 V; 0x08FC = 2300 -> 230.0 V.
    assert one("02 FD 48 FC 08").value == D("230.0")
    # FD 59: mA; 0x1388 = 5000 -> 5 A.
    assert one("02 FD 59 88 13").value == 5


def test_fd_error_flags_are_unsigned_bits():
    # 16-bit error flags 0x8001: bits 0 and 15 set, not the number -32767.
    record = one("02 FD 17 01 80")
    assert record.quantity is Q.ERROR_FLAGS
    assert record.value == 0x8001


def test_fd_firmware_version_text():
    # LVAR 03, "1.2" sent as 32 ('2') 2E ('.') 31 ('1').
    record = one("0D FD 0E 03 32 2E 31")
    assert record.quantity is Q.FIRMWARE_VERSION
    assert record.value == "1.2"


def test_fd_date_time_codes():
    # FD 30 start of tariff, FD 70 date and time of battery change: type F 2024-03-15 13:45.
    for code in ("30", "70"):
        record = one(f"04 FD {code} 2D 0D 0F 33")
        assert record.value == dt.datetime(2024, 3, 15, 13, 45), code


# --- FB extension table (EN 13757-3:2013 table 12) ---------------------------------------
FB = [
    # E000 000n energy 10^(n-1) MWh: 0.1 MWh = 10^5 Wh
    ("00", Q.ENERGY, "Wh", 500000),
    ("01", Q.ENERGY, "Wh", 5000000),
    # E000 001n reactive energy 10^n kvarh
    ("02", Q.REACTIVE_ENERGY, "varh", 5000),
    ("03", Q.REACTIVE_ENERGY, "varh", 50000),
    # E000 010n apparent energy 10^n kVAh (jMBus decodeAlternateExtendedVif: VOLT_AMPERE_HOUR,
    # exponent 3 + n; m-bus-parser: ApparentWatt*h, dec 3 and 4)
    ("04", Q.APPARENT_ENERGY, "VAh", 5000),
    ("05", Q.APPARENT_ENERGY, "VAh", 50000),
    # E000 100n energy 10^(n-1) GJ: 0.1 GJ = 10^8 J
    ("08", Q.ENERGY, "J", 500000000),
    ("09", Q.ENERGY, "J", 5000000000),
    # E000 11nn energy 10^(nn-1) MCal: 0.1 MCal = 10^5 cal
    ("0C", Q.ENERGY, "cal", 500000),
    ("0F", Q.ENERGY, "cal", 500000000),
    # E001 000n volume 10^(n+2) m^3
    ("10", Q.VOLUME, "m^3", 500),
    ("11", Q.VOLUME, "m^3", 5000),
    # E001 01nn reactive power 10^(nn-3) kvar = 10^nn var
    ("14", Q.REACTIVE_POWER, "var", 5),
    ("17", Q.REACTIVE_POWER, "var", 5000),
    # E001 100n mass 10^(n+2) t: 100 t = 10^5 kg
    ("18", Q.MASS, "kg", 500000),
    ("19", Q.MASS, "kg", 5000000),
    # E001 101n relative humidity 10^(n-1) %
    ("1A", Q.RELATIVE_HUMIDITY, "%", D("0.5")),
    ("1B", Q.RELATIVE_HUMIDITY, "%", 5),
    # E010 0000 volume ft^3, E010 0001 0.1 ft^3
    ("20", Q.VOLUME, "ft^3", 5),
    ("21", Q.VOLUME, "ft^3", D("0.5")),
    # E010 100n power 10^(n-1) MW: 0.1 MW = 10^5 W
    ("28", Q.POWER, "W", 500000),
    ("29", Q.POWER, "W", 5000000),
    # E010 1010 phase U-U, 1011 phase U-I, 0.1 degree
    ("2A", Q.PHASE_ANGLE, "°", D("0.5")),
    ("2B", Q.PHASE_ANGLE, "°", D("0.5")),
    # E010 11nn frequency 10^(nn-3) Hz
    ("2C", Q.FREQUENCY, "Hz", D("0.005")),
    ("2F", Q.FREQUENCY, "Hz", 5),
    # E011 000n power 10^(n-1) GJ/h: 0.1 GJ/h = 10^8 J/h
    ("30", Q.POWER, "J/h", 500000000),
    ("31", Q.POWER, "J/h", 5000000000),
    # E011 01nn apparent power 10^(nn-3) kVA = 10^nn VA (jMBus: VOLT_AMPERE, exponent nn;
    # m-bus-parser: ApparentWatt, dec 0-3)
    ("34", Q.APPARENT_POWER, "VA", 5),
    ("35", Q.APPARENT_POWER, "VA", 50),
    ("36", Q.APPARENT_POWER, "VA", 500),
    ("37", Q.APPARENT_POWER, "VA", 5000),
    # E101 10nn / 11nn flow / return temperature 10^(nn-3) degF
    ("58", Q.FLOW_TEMPERATURE, "°F", D("0.005")),
    ("5B", Q.FLOW_TEMPERATURE, "°F", 5),
    ("5C", Q.RETURN_TEMPERATURE, "°F", D("0.005")),
    ("5F", Q.RETURN_TEMPERATURE, "°F", 5),
    # E110 00nn temperature difference, E110 01nn external temperature, degF
    ("60", Q.TEMPERATURE_DIFFERENCE, "°F", D("0.005")),
    ("63", Q.TEMPERATURE_DIFFERENCE, "°F", 5),
    ("64", Q.EXTERNAL_TEMPERATURE, "°F", D("0.005")),
    ("67", Q.EXTERNAL_TEMPERATURE, "°F", 5),
    # E111 00nn cold/warm temperature limit degF, E111 01nn degC
    ("70", Q.TEMPERATURE_LIMIT, "°F", D("0.005")),
    ("73", Q.TEMPERATURE_LIMIT, "°F", 5),
    ("74", Q.TEMPERATURE_LIMIT, "°C", D("0.005")),
    ("77", Q.TEMPERATURE_LIMIT, "°C", 5),
    # E111 1nnn cumulative count max power 10^(nnn-3) W
    ("78", Q.CUMULATED_MAX_POWER, "W", D("0.005")),
    ("7B", Q.CUMULATED_MAX_POWER, "W", 5),
    ("7F", Q.CUMULATED_MAX_POWER, "W", 50000),
]


@pytest.mark.parametrize(("code", "quantity", "unit", "value"), FB)
def test_fb_extension_table(code, quantity, unit, value):
    record = five(f"FB {code}")
    assert record.quantity is quantity
    assert record.unit == unit
    assert record.value == value
    assert type(record.value) is type(value)
    assert record.error is None


def test_apparent_power_of_carlo_gavazzi_and_garo_meters():
    # 04 FB B7 72 A5 00 00 00: 32-bit integer, VIF FB + VIFE B7 (E011 0111 = 10^3 VA, extension
    # bit set), VIFE 72 (E111 0nnn, nnn = 2: multiplicative correction 10^(2-6)), value 0xA5
    # = 165. By hand: 165 x 10^3 x 10^-4 VA = 16.5 VA.
    record = one("04 FB B7 72 A5 00 00 00")
    assert record.quantity is Q.APPARENT_POWER
    assert record.unit == "VA"
    assert record.value == D("16.5")
    assert record.modifiers == (Modifier.MULTIPLIER,)
    assert record.key == "apparent_power"


def test_fb_gj_energy_of_a_heat_meter():
    # FB 09 = 1 GJ: 32-bit 0x0000007B = 123 GJ = 123 x 10^9 J.
    assert one("04 FB 09 7B 00 00 00").value == 123_000_000_000


# --- Combinable (orthogonal) VIFEs (EN 13757-3:2013 table 15) -----------------------------


def test_accumulation_only_positive_and_negative():
    # VIF 93 = litres with extension; VIFE 3B / 3C: forward / backward flow only.
    forward = one("01 93 3B 05")
    assert forward.quantity is Q.VOLUME
    assert forward.value == D("0.005")
    assert forward.modifiers == (Modifier.ACCUMULATION_POSITIVE,)
    assert not forward.is_plain
    backward = one("01 93 3C 05")
    assert backward.modifiers == (Modifier.ACCUMULATION_NEGATIVE,)
    assert forward.key != backward.key != "volume"


def test_date_time_of_makes_the_value_a_date():
    # VIF DB = flow temperature 1 degC with extension; VIFE 6A = E110 1f1b with f=0, b=0:
    # date of the flow temperature. 16-bit data = type G 2024-03-15, not 13071 degC.
    record = one("02 DB 6A 0F 33")
    assert record.quantity is Q.DATE
    assert record.value == dt.date(2024, 3, 15)
    assert record.unit == ""
    assert record.modifiers == (Modifier.DATE_TIME_OF,)
    assert "flow_temperature" in record.key
    # 32-bit: type F. VIF AE = kW power with extension, VIFE 6E (f=1, b=0).
    record = one("04 AE 6E 2D 0D 0F 33")
    assert record.quantity is Q.DATE_TIME
    assert record.value == dt.datetime(2024, 3, 15, 13, 45)


def test_start_date_time_of():
    # VIFE 39: start date(/time) of.
    record = one("04 A2 39 2D 0D 0F 33")
    assert record.value == dt.datetime(2024, 3, 15, 13, 45)
    assert record.modifiers == (Modifier.START_DATE_TIME_OF,)


def test_limit_values():
    # E100 u000: lower (u=0, 40) and upper (u=1, 48) limit value, in the VIF's unit.
    lower = one("01 DB 40 05")
    assert lower.modifiers == (Modifier.LOWER_LIMIT,)
    assert (lower.quantity, lower.unit, lower.value) == (Q.FLOW_TEMPERATURE, "°C", 5)
    upper = one("01 DB 48 05")
    assert upper.modifiers == (Modifier.UPPER_LIMIT,)
    assert upper.value == 5
    assert lower.key != upper.key


def test_limit_exceed_counts_are_plain_counts():
    # E100 u001: number of exceeds of the lower (41) / upper (49) limit. The value counts
    # events; the VIF's 0.01 degC (D9) must not scale it into a temperature.
    for vife, modifier in (
        ("41", Modifier.LOWER_LIMIT_EXCEEDS),
        ("49", Modifier.UPPER_LIMIT_EXCEEDS),
    ):
        record = one(f"01 D9 {vife} 05")
        assert record.modifiers == (modifier,)
        assert record.value == 5
        assert record.unit == ""


def test_limit_exceed_date_and_duration():
    # E100 uf1b: date of limit exceed. 42 = u0 f0 1 b0.
    record = one("02 DB 42 0F 33")
    assert record.value == dt.date(2024, 3, 15)
    assert record.modifiers == (Modifier.LIMIT_EXCEED_DATE_TIME,)
    # E101 ufnn: duration of limit exceed; 5B = u1 f0 nn=11 (days): 2 days = 172800 s.
    record = one("01 D9 5B 02")
    assert record.modifiers == (Modifier.LIMIT_EXCEED_DURATION,)
    assert (record.unit, record.value) == ("s", 172800)


def test_duration_of():
    # E110 0fnn: duration of; 62 = f0, nn=10 (hours): 5 h = 18000 s.
    record = one("01 AE 62 05")
    assert record.modifiers == (Modifier.DURATION_OF,)
    assert (record.unit, record.value) == ("s", 18000)
    # 61 = minutes.
    assert one("01 AE 61 05").value == 300


@pytest.mark.parametrize(
    ("vife", "modifier", "suffix"),
    [
        ("20", Modifier.PER_SECOND, "/s"),
        ("21", Modifier.PER_MINUTE, "/min"),
        ("22", Modifier.PER_HOUR, "/h"),
        ("23", Modifier.PER_DAY, "/d"),
        ("24", Modifier.PER_WEEK, "/week"),
        ("25", Modifier.PER_MONTH, "/month"),
        ("26", Modifier.PER_YEAR, "/a"),
        ("27", Modifier.PER_REVOLUTION, "/revolution"),
        ("28", Modifier.PER_INPUT_PULSE_0, "/pulse"),
        ("29", Modifier.PER_INPUT_PULSE_1, "/pulse"),
        ("2A", Modifier.PER_OUTPUT_PULSE_0, "/pulse"),
        ("2B", Modifier.PER_OUTPUT_PULSE_1, "/pulse"),
        ("2C", Modifier.PER_LITRE, "/l"),
        ("2D", Modifier.PER_M3, "/m^3"),
        ("2E", Modifier.PER_KG, "/kg"),
        ("2F", Modifier.PER_KELVIN, "/K"),
        ("30", Modifier.PER_KWH, "/kWh"),
        ("31", Modifier.PER_GJ, "/GJ"),
        ("32", Modifier.PER_KW, "/kW"),
        ("33", Modifier.PER_KELVIN_LITRE, "/(K*l)"),
        ("34", Modifier.PER_VOLT, "/V"),
        ("35", Modifier.PER_AMPERE, "/A"),
        ("36", Modifier.TIMES_SECOND, "*s"),
        ("37", Modifier.TIMES_SECOND_PER_VOLT, "*s/V"),
        ("38", Modifier.TIMES_SECOND_PER_AMPERE, "*s/A"),
    ],
)
def test_per_unit_vifes(vife, modifier, suffix):
    # VIF 93 (litres) + VIFE: e.g. 28 = increment per input pulse on channel 0.
    record = one(f"01 93 {vife} 05")
    assert record.modifiers == (modifier,)
    assert record.unit == "m^3" + suffix
    assert record.value == D("0.005")
    assert not record.is_plain


def test_uncorrected_unit():
    record = one("01 93 3A 05")  # VIFE 3A: VIF contains uncorrected unit
    assert record.modifiers == (Modifier.UNCORRECTED,)
    assert record.value == D("0.005")


@pytest.mark.parametrize(
    ("vife", "value"),
    [
        # E111 0nnn multiplicative correction 10^(nnn-6), on VIF 86 (kWh): 5 kWh x factor.
        ("70", D("0.005")),  # 5000 Wh x 10^-6
        ("73", 5),  # x 10^-3
        ("75", 500),  # x 10^-1
        ("76", 5000),  # x 10^0
        ("77", 50000),  # x 10^1
        # E111 1101: multiplicative correction 10^3.
        ("7D", 5000000),
    ],
)
def test_multiplicative_correction(vife, value):
    record = one(f"01 86 {vife} 05")
    assert record.quantity is Q.ENERGY
    assert record.value == value
    assert record.modifiers == (Modifier.MULTIPLIER,)
    assert record.key == "energy"  # a pure rescaling keeps the entity


def test_two_multiplicative_corrections_add_up():
    # 86 (kWh) + F3 (x 10^-3, extension) + 7D (x 10^3): back to 5 kWh.
    assert one("01 86 F3 7D 05").value == 5000


def test_additive_correction():
    # E111 10nn additive correction 10^(nn-3) of the VIF's unit: VIF DB (degC) + 7B
    # (nn=11: + 1 degC): 5 + 1 = 6 degC; + 78 (nn=00: + 0.001 degC): 5.001 degC.
    assert one("01 DB 7B 05").value == 6
    assert one("01 DB 78 05").value == D("5.001")


def test_value_during_limit_exceed_leakage_overflow_future():
    for vife, modifier in (
        ("68", Modifier.VALUE_DURING_LOWER_LIMIT_EXCEED),
        ("6C", Modifier.VALUE_DURING_UPPER_LIMIT_EXCEED),
        ("69", Modifier.LEAKAGE),
        ("6D", Modifier.OVERFLOW),
        ("7E", Modifier.FUTURE_VALUE),
    ):
        record = one(f"01 93 {vife} 05")
        assert record.modifiers == (modifier,), vife
        assert record.value == D("0.005")
        assert record.unit == "m^3"


def test_vifes_on_an_extension_table_vif():
    # FD C9 (1 V, extension) + 7D (x 10^3): 5 kV.
    record = one("01 FD C9 7D 05")
    assert record.quantity is Q.VOLTAGE
    assert record.value == 5000


def test_every_vife_is_kept_in_order():
    # 93 (litres) + BB (accumulation positive, extension) + A2 (per hour, ext) + 7D (x1000).
    record = one("01 93 BB A2 7D 05")
    assert record.modifiers == (
        Modifier.ACCUMULATION_POSITIVE,
        Modifier.PER_HOUR,
        Modifier.MULTIPLIER,
    )
    assert record.vif == bytes.fromhex("93 BB A2 7D")
    assert record.value == 5
    assert record.unit == "m^3/h"


def test_manufacturer_specific_vife_ends_interpretation():
    # VIFE FF: the following VIFEs belong to the manufacturer; 7D after it is no x1000.
    record = one("01 93 FF 7D 05")
    assert record.modifiers == (Modifier.MANUFACTURER_SPECIFIC,)
    assert record.value == D("0.005")
    assert not record.is_plain


# --- Record errors (VIFE 00-1F from a slave) ------------------------------------------------


@pytest.mark.parametrize(
    ("vife", "text"),
    [
        ("15", "no data available"),
        ("16", "data overflow"),
        ("17", "data underflow"),
        ("18", "data error"),
        ("1C", "premature end of record"),
    ],
)
def test_record_error_vife_withholds_the_value(vife, text):
    record = one(f"01 86 {vife} 05")
    assert record.value is None
    assert record.error == text
    assert record.quantity is Q.ENERGY
    assert not record.is_plain


# --- Unknown and reserved codes -------------------------------------------------------------


@pytest.mark.parametrize(
    "vif",
    [
        "6F",  # primary E110 1111: reserved
        "FD 3C",  # FD E011 11xx: reserved
        "FD 3F",
        "FD 7F",  # FD E111 1111: reserved
        "FB 0A",  # FB E000 101n: reserved
        "FB 12",  # FB E001 001n: reserved
        "FB 1C",  # FB E001 11nn: reserved
        "FB 68",  # FB E110 1nnn: reserved
        "FB 6F",
    ],
)
def test_reserved_vifs_are_marked_not_guessed(vif):
    record = five(vif)
    assert record.quantity is Q.RESERVED
    assert record.unit == ""
    assert record.value == 5  # unscaled: no made-up factor
    assert record.vif == bytes.fromhex(vif)
    assert "reserved" in record.key


@pytest.mark.parametrize(
    "vib",
    [
        "FB 9C 72",  # FB E001 11nn: reserved, then x 10^-4
        "EF 7D",  # primary E110 1111: reserved, then x 1000
        "EF 7A",  # reserved, then + 10^-1
    ],
)
def test_reserved_vifs_are_never_scaled_by_vifes(vib):
    # What a reserved VIF counts is unknown, so a correction factor or offset for it means
    # nothing either: the number stays as sent (5), never 0.0005 or 5000 "of something".
    record = five(vib)
    assert record.quantity is Q.RESERVED
    assert record.value == 5


@pytest.mark.parametrize("vife", ["3D", "3E", "3F", "44", "45", "4C", "4D", "7C"])
def test_reserved_vifes_are_kept_and_flagged(vife):
    record = one(f"01 93 {vife} 05")
    assert record.modifiers == (Modifier.RESERVED,)
    assert not record.is_plain
    assert "reserved" in record.key


def test_unknown_record_error_code():
    record = one("01 86 08 05")  # 08 is no record error the standard defines
    assert record.value is None
    assert "0x08" in record.error
