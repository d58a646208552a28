"""Data field codings of EN 13757-3 annex A: integers, BCD, real, dates and LVAR.

Each decoder takes exactly the bytes of one data field (least significant byte first, as
M-Bus sends them) and returns the raw value. Invalid contents are reported with
:class:`InvalidValue` rather than a made-up number, so the record keeps its place but
carries no value.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
from dataclasses import dataclass
from typing import final

from ..errors import DecodeError
from .model import PeriodicDate

_FLOAT32 = struct.Struct("<f")


@final  # records.py tells it apart by ``type(raw) is InvalidValue``
@dataclass(frozen=True, slots=True)
class InvalidValue:
    """A data field whose content is not a value: BCD error digits, an invalid date ..."""

    reason: str
    shown: str  # the content as the meter sent it, for diagnostics


def decode_int(data: bytes, *, signed: bool) -> int:
    """Type B (signed) or type C (unsigned) integer, little endian."""
    return int.from_bytes(data, "little", signed=signed)


def decode_bcd(data: bytes) -> int | InvalidValue:
    """Type A: BCD digits, little endian; a leading F nibble is a minus sign.

    Hex digits A-F anywhere else mark the value as invalid (meters put e.g. ``EE`` there
    during an error state); such a field is no number and is returned as :class:`InvalidValue`.
    """
    digits = data[::-1].hex()
    if digits.isdigit():
        return int(digits)
    if digits[:1] == "f" and (len(digits) == 1 or digits[1:].isdigit()):
        return -int(digits[1:] or "0")
    return InvalidValue("BCD field holds non-decimal digits", digits.upper())


def decode_real32(data: bytes) -> float | InvalidValue:
    """Type H: IEEE 754 single precision."""
    value: float = _FLOAT32.unpack(data)[0]
    if not math.isfinite(value):
        return InvalidValue("real value is not finite", data[::-1].hex().upper())
    return value


def _century_year(two_digit_year: int, hundred_years: int) -> int:
    """Full year of a type F/G/I date.

    EN 13757-3:2013 adds a "hundred year" field to type F; older meters leave it 0 and count
    from 2000. Two-digit years from 81 on are read as 1981-1999, the convention of libmbus
    and the meters that predate the field.
    """
    if hundred_years:
        return 1900 + 100 * hundred_years + two_digit_year
    return 2000 + two_digit_year if two_digit_year <= 80 else 1900 + two_digit_year


# Periodic markers of types G and F (EN 13757-3 annex A; decoded so by Exmbus too).
_EVERY_YEAR = 127
_EVERY_MONTH = 15
_EVERY_DAY = 0


def _date_fields(low: int, high: int) -> tuple[int, int, int]:
    """Year (7 bits), month and day of the two date bytes shared by types G and F."""
    return ((low & 0xE0) >> 5) | ((high & 0xF0) >> 1), high & 0x0F, low & 0x1F


def _periodic(month: int, day: int, year: int, time: tuple[int, ...] | None) -> PeriodicDate | None:
    """The recurring date the fields mark, or None (a calendar date, or no valid date).

    Only year 127 makes a date recurring here; within it, month 15 and day 0 leave the
    month or day open too. Month 15 or day 0 in a real year (which Exmbus also reads as
    recurring) are what meters send for a date that is not set, so they stay invalid.
    """
    if year != _EVERY_YEAR or not (1 <= month <= 12 or month == _EVERY_MONTH):
        return None  # a calendar date, or none at all: the calendar check says which
    hour = minute = second = None
    if time is not None:  # (hour, minute) of type F, (hour, minute, second) of type I
        hour, minute = time[0], time[1]
        second = time[2] if len(time) > 2 else None
    return PeriodicDate(
        month=None if month == _EVERY_MONTH else month,
        day=None if day == _EVERY_DAY else day,
        hour=hour,
        minute=minute,
        second=second,
    )


def decode_date_g(data: bytes) -> dt.date | PeriodicDate | InvalidValue:
    """Type G: 16-bit date (day, month, 7-bit year), or a recurring date (year 127 ...).

    ``FF FF`` is what meters send for "no date", not "every month on the 31st".
    """
    shown = data[::-1].hex().upper()
    if data[:2] == b"\xff\xff":
        return InvalidValue("date not set", shown)
    year, month, day = _date_fields(data[0], data[1])
    periodic = _periodic(month, day, year, None)
    if periodic is not None:
        return periodic
    if year > 99:
        return InvalidValue("date has a year beyond 99", shown)
    try:
        return dt.date(_century_year(year, 0), month, day)
    except ValueError:
        return InvalidValue("not a calendar date", shown)


def decode_date_time_f(data: bytes) -> dt.datetime | PeriodicDate | InvalidValue:
    """Type F: 32-bit date and time to the minute; bit 7 of the first byte marks it invalid."""
    b0, b1 = data[0], data[1]
    shown = data[::-1].hex().upper()
    if b0 & 0x80:
        return InvalidValue("date/time marked invalid by the meter", shown)
    minute = b0 & 0x3F
    hour = b1 & 0x1F
    hundred_years = (b1 & 0x60) >> 5
    year, month, day = _date_fields(data[2], data[3])
    if hour < 24 and minute < 60:  # a recurring date needs a valid time of day
        periodic = _periodic(month, day, year, (hour, minute))
        if periodic is not None:
            return periodic
    if year > 99:
        return InvalidValue("date has a year beyond 99", shown)
    try:
        return dt.datetime(_century_year(year, hundred_years), month, day, hour, minute)
    except ValueError:
        return InvalidValue("not a calendar date and time", shown)


def decode_date_time_i(data: bytes) -> dt.datetime | PeriodicDate | InvalidValue:
    """Type I: 48-bit date and time to the second (EN 13757-3:2013), or a recurring one.

    Its date bits are those of types G and F, so year 127 means "every year" here too, read
    as for type F: only with a valid time of day (to the second).
    """
    shown = data[::-1].hex().upper()
    if data[1] & 0x80:
        return InvalidValue("date/time marked invalid by the meter", shown)
    second = data[0] & 0x3F
    minute = data[1] & 0x3F
    hour = data[2] & 0x1F
    day = data[3] & 0x1F
    month = data[4] & 0x0F
    year = ((data[3] & 0xE0) >> 5) | ((data[4] & 0xF0) >> 1)
    if hour < 24 and minute < 60 and second < 60:  # a recurring date needs a time of day
        periodic = _periodic(month, day, year, (hour, minute, second))
        if periodic is not None:
            return periodic
    if year > 99:
        return InvalidValue("date has a year beyond 99", shown)
    try:
        return dt.datetime(_century_year(year, 0), month, day, hour, minute, second)
    except ValueError:
        return InvalidValue("not a calendar date and time", shown)


def decode_time_j(data: bytes) -> dt.time | InvalidValue:
    """Type J: 24-bit time of day."""
    try:
        return dt.time(data[2] & 0x1F, data[1] & 0x3F, data[0] & 0x3F)
    except ValueError:
        return InvalidValue("not a time of day", data[::-1].hex().upper())


DATE_DECODERS = {2: decode_date_g, 3: decode_time_j, 4: decode_date_time_f, 6: decode_date_time_i}


def decode_lvar(lvar: int, data: bytes) -> str | int | bytes | InvalidValue:
    """Variable-length data (DIF data field 0x0D) after its LVAR byte (EN 13757-3 table 6).

    0x00-0xBF text (sent last character first), 0xC0-0xCF positive and 0xD0-0xDF negative
    BCD, 0xE0-0xEF a binary number, 0xF0-0xF6 a long binary block (returned as bytes, most
    significant first, as a number would be written).
    """
    if lvar <= 0xBF:
        return data[::-1].decode("latin-1")
    if lvar <= 0xDF:
        value = decode_bcd(data) if data else 0
        if isinstance(value, InvalidValue) or lvar <= 0xCF:
            return value
        return -value
    if lvar <= 0xEF:
        return int.from_bytes(data, "little", signed=False)
    return data[::-1]


def lvar_length(lvar: int) -> int:
    """Number of data bytes that follow an LVAR byte; reserved LVARs raise DecodeError."""
    if lvar <= 0xBF:
        return lvar
    if lvar <= 0xCF:
        return lvar - 0xC0
    if lvar <= 0xDF:
        return lvar - 0xD0
    if lvar <= 0xEF:
        return lvar - 0xE0
    if lvar <= 0xF4:
        return 4 * (lvar - 0xEC)
    if lvar == 0xF5:
        return 48
    if lvar == 0xF6:
        return 64
    raise DecodeError(f"LVAR 0x{lvar:02X} is reserved")
