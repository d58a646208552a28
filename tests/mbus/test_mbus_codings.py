"""Data field codings of EN 13757-3 (annex A and table 6) against hand-derived examples.

Each case is one whole data record (DIF, VIF, data) parsed by the record parser, so the
DIF's data field nibble is tested together with the coding it selects. Unless a case says
otherwise the VIF is 0x03, energy in 10^(3-3) Wh = 1 Wh, so the scaled value equals the raw
value and the coding alone is under test. Every expected value is worked out in the comments
from the bytes as sent (least significant byte first).
"""

import datetime as dt
import struct
from decimal import Decimal

import pytest

from custom_components.mbus_han.protocol.errors import DecodeError
from custom_components.mbus_han.protocol.mbus.model import Function, Quantity
from custom_components.mbus_han.protocol.mbus.records import parse_records


def records(hex_bytes: str):
    found, manufacturer_data, more = parse_records(bytes.fromhex(hex_bytes))
    assert manufacturer_data is None
    assert not more
    return found


def one(hex_bytes: str):
    found = records(hex_bytes)
    assert len(found) == 1
    return found[0]


# --- Integers, type B: signed two's complement, least significant byte first --------------

INTEGERS = [
    # DIF 01: 8-bit integer.
    ("01 03 2A", 42),  # 0x2A = 42
    ("01 03 7F", 127),  # largest positive
    ("01 03 80", -128),  # 0x80 - 0x100
    ("01 03 FF", -1),  # 0xFF - 0x100
    # DIF 02: 16-bit integer.
    ("02 03 34 12", 0x1234),  # bytes reversed: 0x1234 = 4660
    ("02 03 FE FF", -2),  # 0xFFFE - 0x10000
    ("02 03 00 80", -32768),  # 0x8000 - 0x10000
    ("02 03 FF 7F", 32767),
    # DIF 03: 24-bit integer.
    ("03 03 56 34 12", 0x123456),  # 1193046
    ("03 03 FF FF FF", -1),
    ("03 03 00 00 80", -8388608),  # -2^23
    ("03 03 FF FF 7F", 8388607),  # 2^23 - 1
    # DIF 04: 32-bit integer.
    ("04 03 78 56 34 12", 0x12345678),  # 305419896
    ("04 03 00 00 00 80", -2147483648),  # -2^31
    ("04 03 FF FF FF 7F", 2147483647),
    ("04 03 9C FF FF FF", -100),  # 0xFFFFFF9C - 2^32
    # DIF 06: 48-bit integer.
    ("06 03 01 00 00 00 00 00", 1),
    ("06 03 FF FF FF FF FF FF", -1),
    ("06 03 00 00 00 00 00 80", -140737488355328),  # -2^47
    ("06 03 BC 9A 78 56 34 12", 0x123456789ABC),  # 20015998343868
    # DIF 07: 64-bit integer.
    ("07 03 01 02 03 04 05 06 07 08", 0x0807060504030201),
    ("07 03 FF FF FF FF FF FF FF FF", -1),
    ("07 03 00 00 00 00 00 00 00 80", -9223372036854775808),  # -2^63
    ("07 03 FF FF FF FF FF FF FF 7F", 9223372036854775807),
]


@pytest.mark.parametrize(("raw", "expected"), INTEGERS)
def test_signed_integers(raw, expected):
    record = one(raw)
    assert record.raw_value == expected
    assert record.value == expected
    assert record.quantity is Quantity.ENERGY
    assert record.unit == "Wh"
    assert record.error is None


def test_identifiers_are_unsigned():
    # A fabrication number (VIF 78) is an identifier, not a signed quantity: FF FF FF FF
    # is 4294967295, not -1.
    record = one("04 78 FF FF FF FF")
    assert record.quantity is Quantity.FABRICATION_NUMBER
    assert record.value == 4294967295


def test_integer_scaled_exactly():
    # VIF 13: volume 10^(3-6) m^3 = litres. 0x3039 = 12345 l = 12.345 m^3, exactly.
    record = one("04 13 39 30 00 00")
    assert record.value == Decimal("12.345")
    assert isinstance(record.value, Decimal)
    # Negative: 0xFFFFCFC7 - 2^32 = -12345.
    assert one("04 13 C7 CF FF FF").value == Decimal("-12.345")


# --- Real, type H: IEEE 754 single precision --------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("05 03 00 00 80 3F", 1.0),  # 0x3F800000: exponent 127 -> 2^0, mantissa 0
        ("05 03 00 00 20 C1", -10.0),  # 0xC1200000: sign 1, 2^3 x 1.25
        ("05 03 00 00 C0 3F", 1.5),  # 0x3FC00000: 2^0 x 1.5
        ("05 03 00 00 00 00", 0.0),
        ("05 03 00 24 74 49", 1000000.0),  # 0x49742400: 2^19 x (1 + 0x742400 / 2^23)
    ],
)
def test_real32(raw, expected):
    record = one(raw)
    assert record.value == expected
    assert isinstance(record.value, float)
    assert record.error is None


def test_real32_scaled():
    # VIF 13 (litres): 1.5 l = 0.0015 m^3.
    assert one("05 13 00 00 C0 3F").value == pytest.approx(0.0015, rel=1e-12)


@pytest.mark.parametrize(
    "raw",
    [
        "05 03 00 00 C0 7F",  # 0x7FC00000: quiet NaN
        "05 03 00 00 80 7F",  # 0x7F800000: +infinity
        "05 03 00 00 80 FF",  # 0xFF800000: -infinity
    ],
)
def test_real32_not_finite_is_no_value(raw):
    record = one(raw)
    assert record.value is None
    assert record.error
    assert record.quantity is Quantity.ENERGY  # the record keeps its place


# --- BCD, type A ------------------------------------------------------------------------

BCD = [
    ("09 03 42", 42),  # DIF 09: 2 digits
    ("0A 03 34 12", 1234),  # DIF 0A: 4 digits, bytes reversed -> "1234"
    ("0B 03 56 34 12", 123456),  # DIF 0B: 6 digits
    ("0C 03 78 56 34 12", 12345678),  # DIF 0C: 8 digits
    ("0E 03 12 90 78 56 34 12", 123456789012),  # DIF 0E: 12 digits
    ("0C 03 00 00 00 00", 0),
    ("0C 03 99 99 99 99", 99999999),
    ("0A 03 09 00", 9),  # leading zeros "0009"
    # A most significant nibble F is a minus sign.
    ("09 03 F5", -5),  # "F5"
    ("0A 03 23 F1", -123),  # "F123"
    ("0C 03 78 56 34 F2", -2345678),  # "F2345678"
    ("0E 03 01 00 00 00 00 F0", -1),  # "F00000000001"
]


@pytest.mark.parametrize(("raw", "expected"), BCD)
def test_bcd(raw, expected):
    record = one(raw)
    assert record.raw_value == expected
    assert record.value == expected
    assert record.error is None


def test_bcd_scaled_exactly():
    # DIF 0C, VIF 13 (litres): "00012345" -> 12345 l = 12.345 m^3.
    assert one("0C 13 45 23 01 00").value == Decimal("12.345")
    # DIF 0A, VIF 5A: flow temperature 10^(2-3) = 0.1 degC. "F005" -> -5 -> -0.5 degC.
    record = one("0A 5A 05 F0")
    assert record.quantity is Quantity.FLOW_TEMPERATURE
    assert record.value == Decimal("-0.5")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("0C 03 DD EB B4 DD", "DDB4EBDD"),  # the error pattern libmbus turns into a number
        ("0A 03 2A 01", "012A"),  # one hex digit among decimals
        ("09 03 EE", "EE"),
        ("0A 03 FF FF", "FFFF"),  # F sign followed by a non-decimal digit
        ("0C 03 00 00 00 A0", "A0000000"),  # A is no sign
        ("0C 03 00 00 F0 00", "00F00000"),  # F only signs in the leading position
        ("0E 03 00 00 00 00 00 FB", "FB0000000000"),
    ],
)
def test_bcd_error_digits_are_no_number(raw, shown):
    record = one(raw)
    assert record.value is None
    assert record.raw_value == shown
    assert record.error
    assert record.quantity is Quantity.ENERGY


# --- Variable length (DIF 0D): LVAR byte, then data (table 6) ----------------------------


def test_lvar_text_is_sent_last_character_first():
    # VIF FD 0C (model/version), LVAR 04: four ISO 8859-1 characters, "ABCD" sent as D C B A.
    record = one("0D FD 0C 04 44 43 42 41")
    assert record.quantity is Quantity.MODEL_VERSION
    assert record.value == "ABCD"
    assert record.raw_value == "ABCD"


def test_lvar_text_latin1_and_empty():
    # "Mä": M = 4D, a-umlaut = E4 in ISO 8859-1; sent E4 4D.
    assert one("0D FD 0C 02 E4 4D").value == "M\u00e4"
    assert one("0D FD 0C 00").value == ""


def test_lvar_text_then_next_record():
    # The LVAR length must be honoured: the next record starts right after the text.
    found = records("0D FD 0C 03 43 42 41 01 03 07")
    assert [r.value for r in found] == ["ABC", 7]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0D 03 C2 34 12", 1234),  # LVAR C2: positive BCD, 2 bytes = 4 digits "1234"
        ("0D 03 C1 99", 99),  # C1: 2 digits
        ("0D 03 C3 56 34 12", 123456),
        ("0D 03 D2 34 12", -1234),  # LVAR D2: negative BCD "1234" -> -1234
        ("0D 03 D1 07", -7),
    ],
)
def test_lvar_bcd(raw, expected):
    record = one(raw)
    assert record.value == expected
    assert record.quantity is Quantity.ENERGY


def test_lvar_bcd_error_digits_are_no_number():
    record = one("0D 03 C2 3B 12")  # "123B"
    assert record.value is None
    assert record.error


def test_lvar_binary_number():
    # LVAR E2: binary number of 2 bytes, least significant first: 0x1234 = 4660.
    assert one("0D 03 E2 34 12").value == 0x1234
    # LVAR E3: 3 bytes, 0x010000 = 65536.
    assert one("0D 03 E3 00 00 01").value == 65536


def test_lvar_long_binary_block():
    # LVAR F0: 4 x (F0 - EC) = 16 bytes of binary data, kept as bytes (most significant first).
    data = bytes(range(1, 17))
    record = one("0D FD 0C F0 " + data.hex())
    assert record.raw_value == data[::-1]


@pytest.mark.parametrize("lvar", ["F7", "FA", "FF"])
def test_reserved_lvar_is_a_decode_error(lvar):
    with pytest.raises(DecodeError, match="LVAR"):
        records(f"0D 03 {lvar} 00 00 00 00")


def test_lvar_longer_than_the_telegram_is_a_decode_error():
    with pytest.raises(DecodeError):
        records("0D FD 0C 05 41 42")


# --- Dates: type G (16 bit), type F (32 bit), type I (48 bit), type J (time, 24 bit) ------
# Type G: byte 0 = day (bits 0-4) + year bits 0-2 (bits 5-7);
#         byte 1 = month (bits 0-3) + year bits 3-6 (bits 4-7).
# Type F: byte 0 = minute (bits 0-5), bit 7 invalid; byte 1 = hour (bits 0-4), bits 5-6
#         hundred years, bit 7 summer time; bytes 2-3 = a type G date.


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # 2024-03-15: day 15 = 01111, year 24 = 0011 000 -> byte0 = 000 01111 = 0F,
        # byte1 = 0011 0011 = 33.
        ("02 6C 0F 33", dt.date(2024, 3, 15)),
        # 2009-12-31: day 31 = 11111, year 9 = 0001 001 -> byte0 = 001 11111 = 3F,
        # byte1 = 0001 1100 = 1C.
        ("02 6C 3F 1C", dt.date(2009, 12, 31)),
        # 2000-01-01: year 0 -> byte0 = 01, byte1 = 01.
        ("02 6C 01 01", dt.date(2000, 1, 1)),
    ],
)
def test_date_type_g(raw, expected):
    record = one(raw)
    assert record.quantity is Quantity.DATE
    assert record.value == expected
    assert record.error is None


@pytest.mark.parametrize(
    "raw",
    [
        "02 6C 01 3D",  # month 13
        "02 6C 00 33",  # day 0
        "02 6C 1E 32",  # 2024-02-30
        "02 6C FF FF",  # year 127, month 15, day 31: the "every" pattern, no date
    ],
)
def test_date_type_g_invalid(raw):
    record = one(raw)
    assert record.value is None
    assert record.error
    assert record.quantity is Quantity.DATE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # 2024-03-15 13:45: minute 45 = 2D, hour 13 = 0D, date bytes 0F 33 as in type G.
        ("04 6D 2D 0D 0F 33", dt.datetime(2024, 3, 15, 13, 45)),
        # Summer time flag (byte 1 bit 7) does not change the hour: 8D -> 13.
        ("04 6D 2D 8D 0F 33", dt.datetime(2024, 3, 15, 13, 45)),
        # Hundred-year field 1 (byte 1 bits 5-6 = 01 -> 2D): 1900 + 100 + 24 = 2024.
        ("04 6D 2D 2D 0F 33", dt.datetime(2024, 3, 15, 13, 45)),
        # Hundred-year field 2 (byte 1 = 4D): 1900 + 200 + 24 = 2124.
        ("04 6D 2D 4D 0F 33", dt.datetime(2124, 3, 15, 13, 45)),
        # 2009-12-31 23:59: minute 59 = 3B, hour 23 = 17.
        ("04 6D 3B 17 3F 1C", dt.datetime(2009, 12, 31, 23, 59)),
        # Midnight 2000-01-01 00:00.
        ("04 6D 00 00 01 01", dt.datetime(2000, 1, 1, 0, 0)),
    ],
)
def test_date_time_type_f(raw, expected):
    record = one(raw)
    assert record.quantity is Quantity.DATE_TIME
    assert record.value == expected
    assert record.value.tzinfo is None  # local time as the meter sends it
    assert record.error is None


@pytest.mark.parametrize(
    "raw",
    [
        "04 6D AD 0D 0F 33",  # invalid flag: byte 0 bit 7 (2D | 80)
        "04 6D 80 00 00 00",  # invalid flag on an all-zero field
        "04 6D 2D 19 0F 33",  # hour 25
        "04 6D 3C 0D 0F 33",  # minute 60
        "04 6D 2D 0D 01 3D",  # month 13
        "04 6D FF FF FF FF",
    ],
)
def test_date_time_type_f_invalid(raw):
    record = one(raw)
    assert record.value is None
    assert record.error
    assert record.quantity is Quantity.DATE_TIME


def test_date_time_type_i():
    # 48 bit: second, minute, hour (+ day of week in bits 5-7), then a type G date, then
    # week. 2024-03-15 (a Friday, day of week 5) 13:45:30: 1E 2D (A0 | 0D = AD) 0F 33 00.
    record = one("06 6D 1E 2D AD 0F 33 00")
    assert record.value == dt.datetime(2024, 3, 15, 13, 45, 30)
    assert record.quantity is Quantity.DATE_TIME


def test_date_time_type_i_invalid_flag():
    # Time invalid: byte 1 bit 7, the minute byte's top bit as in type F (2D | 80 = AD).
    record = one("06 6D 1E AD AD 0F 33 00")
    assert record.value is None
    assert record.error


def test_time_type_j():
    # 24 bit: second 30 = 1E, minute 45 = 2D, hour 13 = 0D.
    record = one("03 6D 1E 2D 0D")
    assert record.value == dt.time(13, 45, 30)
    assert one("03 6D 00 3C 00").value is None  # minute 60


def test_date_record_with_no_date_length_is_no_value():
    # VIF 6D with a 8-bit field: no date/time type is one byte long.
    record = one("01 6D 05")
    assert record.value is None
    assert record.error


# --- No data, readout selection ------------------------------------------------------------


def test_no_data_and_selection_for_readout():
    found = records("00 03 08 13 01 03 05")
    assert [r.value for r in found] == [None, None, 5]
    assert found[1].quantity is Quantity.VOLUME


# --- DIF function field, DIFE storage / tariff / subunit ---------------------------------


@pytest.mark.parametrize(
    ("dif", "function"),
    [
        ("04", Function.INSTANTANEOUS),  # bits 4-5 = 00
        ("14", Function.MAXIMUM),  # 01
        ("24", Function.MINIMUM),  # 10
        ("34", Function.ERROR_STATE),  # 11
    ],
)
def test_function_field(dif, function):
    record = one(f"{dif} 03 01 00 00 00")
    assert record.function is function
    assert record.value == 1


@pytest.mark.parametrize(
    ("dib", "storage", "tariff", "subunit"),
    [
        ("04", 0, 0, 0),
        ("44", 1, 0, 0),  # DIF bit 6: storage bit 0
        ("84 01", 2, 0, 0),  # DIFE bits 0-3 are storage bits 1-4: 1 << 1
        ("C4 0F", 31, 0, 0),  # 1 + (15 << 1)
        ("84 10", 0, 1, 0),  # DIFE bits 4-5: tariff bits 0-1
        ("84 30", 0, 3, 0),
        ("84 40", 0, 0, 1),  # DIFE bit 6: subunit bit 0
        ("84 80 40", 0, 0, 2),  # second DIFE: subunit bit 1
        ("84 80 10", 0, 4, 0),  # second DIFE: tariff bits 2-3 -> 1 << 2
        ("84 80 01", 32, 0, 0),  # second DIFE: storage bits 5-8 -> 1 << 5
        ("C4 F5 5A", 1 + (5 << 1) + (10 << 5), 3 + (1 << 2), 1 + (1 << 1)),
    ],
)
def test_storage_tariff_subunit(dib, storage, tariff, subunit):
    # F5 = 1 1 11 0101: ext, subunit 1, tariff 3, storage 5;
    # 5A = 0 1 01 1010: subunit 1, tariff 1, storage 10.
    record = one(f"{dib} 03 01 00 00 00")
    assert (record.storage, record.tariff, record.subunit) == (storage, tariff, subunit)
    assert record.dif == bytes.fromhex(dib)
    assert record.value == 1


# --- Special functions ------------------------------------------------------------------


def test_idle_filler_is_skipped():
    found = records("2F 2F 01 03 05 2F 01 03 06")
    assert [r.value for r in found] == [5, 6]


def test_manufacturer_data_and_more_records_follow():
    found, data, more = parse_records(bytes.fromhex("01 03 05 0F AA BB"))
    assert [r.value for r in found] == [5]
    assert data == bytes.fromhex("AA BB")
    assert not more
    found, data, more = parse_records(bytes.fromhex("01 03 05 1F"))
    assert data == b""
    assert more


@pytest.mark.parametrize("dif", ["3F", "4F", "6F", "7F"])
def test_reserved_special_functions_are_decode_errors(dif):
    with pytest.raises(DecodeError, match="special function"):
        parse_records(bytes.fromhex(f"{dif} 03 05"))


def test_real32_with_an_additive_correction():
    """DIF 05 real32, VIF 93 volume 10^(3-6) m3, VIFE 78 additive correction 10^(0-3).

    1.5 x 10^-3 m3 + 10^-3 m3 = 2.5 x 10^-3 m3 (a float, as the data field is). This once
    raised TypeError (float + Decimal) instead of decoding.
    """
    (record,), _, _ = parse_records(b"\x05\x93\x78" + struct.pack("<f", 1.5))
    assert record.quantity is Quantity.VOLUME
    assert record.value == pytest.approx(0.0025)
