"""Build EN 13757-3 RSP_UD user data from records: the inverse of the decoder, for simulators.

A simulated meter must send the same bytes a real one would, so that our decoder and other
masters (libmbus) decode them: data records ``DIF [DIFE...] VIF [VIFE...] data`` after the
12-byte long header of CI 0x72, and DIF 0x1F when more telegrams follow.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..errors import ProtocolError
from .frames import C_RSP_UD, LongFrame
from .manufacturer import encode_manufacturer, secondary_address_text

CI_LONG_HEADER = 0x72
DIF_MORE_RECORDS_FOLLOW = 0x1F
DIF_MANUFACTURER_DATA = 0x0F

# DIF data field codings (low nibble).
INT8, INT16, INT24, INT32, INT48, INT64 = 0x01, 0x02, 0x03, 0x04, 0x06, 0x07
BCD2, BCD4, BCD6, BCD8, BCD12 = 0x09, 0x0A, 0x0B, 0x0C, 0x0E
_INT_SIZES = {INT8: 1, INT16: 2, INT24: 3, INT32: 4, INT48: 6, INT64: 8}
_BCD_DIGITS = {BCD2: 2, BCD4: 4, BCD6: 6, BCD8: 8, BCD12: 12}

FUNCTION_CODES = {"instantaneous": 0, "maximum": 1, "minimum": 2, "error_state": 3}


class EncodeError(ProtocolError, ValueError):
    """A value does not fit the coding asked for."""


def bcd(value: int, digits: int) -> bytes:
    """``value`` as ``digits`` BCD digits, least significant byte first."""
    if value < 0 or value >= 10**digits or digits % 2:
        raise EncodeError(f"{value} does not fit in {digits} BCD digits")
    text = f"{value:0{digits}d}"
    return bytes(int(text[i : i + 2], 16) for i in range(digits - 2, -1, -2))


def integer(value: int, size: int, *, signed: bool = True) -> bytes:
    """``value`` as a little-endian integer of ``size`` bytes."""
    try:
        return value.to_bytes(size, "little", signed=signed)
    except OverflowError:
        raise EncodeError(f"{value} does not fit in {size} bytes") from None


def date_time_f(moment: dt.datetime) -> bytes:
    """Type F: date and time to the minute (years 2000-2099)."""
    year = moment.year - 2000
    if not 0 <= year <= 99:
        raise EncodeError(f"year {moment.year} cannot be coded as type F")
    return bytes(
        (
            moment.minute & 0x3F,
            moment.hour & 0x1F,
            (moment.day & 0x1F) | ((year & 0x07) << 5),
            (moment.month & 0x0F) | ((year & 0x78) << 1),
        )
    )


def date_g(day: dt.date) -> bytes:
    """Type G: date (years 2000-2080)."""
    year = day.year - 2000
    if not 0 <= year <= 80:
        raise EncodeError(f"year {day.year} cannot be coded as type G")
    return bytes(
        ((day.day & 0x1F) | ((year & 0x07) << 5), (day.month & 0x0F) | ((year & 0x78) << 1))
    )


def dib(
    coding: int,
    *,
    storage: int = 0,
    tariff: int = 0,
    subunit: int = 0,
    function: str = "instantaneous",
) -> bytes:
    """DIF plus the DIFEs needed for ``storage``, ``tariff`` and ``subunit``."""
    if coding not in _INT_SIZES and coding not in _BCD_DIGITS and coding != 0x05:
        raise EncodeError(f"data field coding 0x{coding:X} is not supported by the encoder")
    if storage < 0 or tariff < 0 or subunit < 0:
        raise EncodeError("storage, tariff and subunit must not be negative")
    dif = coding | (FUNCTION_CODES[function] << 4) | ((storage & 1) << 6)
    storage >>= 1
    difes = []
    while storage or tariff or subunit:
        difes.append((storage & 0x0F) | ((tariff & 0x03) << 4) | ((subunit & 0x01) << 6))
        storage >>= 4
        tariff >>= 2
        subunit >>= 1
    if len(difes) > 10:
        raise EncodeError("storage, tariff or subunit needs more than 10 DIFEs")
    for index in range(len(difes) - 1):
        difes[index] |= 0x80
    if difes:
        dif |= 0x80
    return bytes((dif, *difes))


def data_field(coding: int, value: int) -> bytes:
    """The data bytes of ``value`` for an integer or BCD coding."""
    if coding in _BCD_DIGITS:
        return bcd(value, _BCD_DIGITS[coding])
    if coding in _INT_SIZES:
        return integer(value, _INT_SIZES[coding])
    raise EncodeError(f"data field coding 0x{coding:X} holds no integer")


@dataclass(frozen=True, slots=True)
class RecordSpec:
    """One data record: coding, VIB, value (an integer in the VIF's unit step, or raw bytes)."""

    coding: int
    vib: bytes
    value: int | bytes
    storage: int = 0
    tariff: int = 0
    subunit: int = 0
    function: str = "instantaneous"

    def encode(self) -> bytes:
        """DIB + VIB + data."""
        head = dib(
            self.coding,
            storage=self.storage,
            tariff=self.tariff,
            subunit=self.subunit,
            function=self.function,
        )
        if isinstance(self.value, bytes):
            expected = _INT_SIZES.get(self.coding)
            if expected is not None and len(self.value) != expected:
                raise EncodeError(f"{len(self.value)} data bytes for a {expected}-byte coding")
            data = self.value
        else:
            data = data_field(self.coding, self.value)
        return head + self.vib + data


@dataclass(frozen=True, slots=True)
class Identity:
    """What the long header says about the meter, and what secondary addressing matches."""

    identification: int  # eight decimal digits
    manufacturer: str
    version: int
    medium: int

    def __post_init__(self) -> None:
        if not 0 <= self.identification <= 99_999_999:
            raise EncodeError(f"identification {self.identification} is not 8 digits")
        encode_manufacturer(self.manufacturer)
        for name in ("version", "medium"):
            if not 0 <= getattr(self, name) <= 0xFF:
                raise EncodeError(f"{name} {getattr(self, name)} does not fit in a byte")

    @property
    def id_text(self) -> str:
        """The eight ID digits."""
        return f"{self.identification:08d}"

    @property
    def secondary_address(self) -> str:
        """Libmbus's 16-character form."""
        return secondary_address_text(self.id_text, self.manufacturer, self.version, self.medium)


def long_header(
    identity: Identity, access_number: int, status: int = 0, signature: int = 0
) -> bytes:
    """The 12 header bytes of CI 0x72."""
    return (
        bcd(identity.identification, 8)
        + encode_manufacturer(identity.manufacturer).to_bytes(2, "little")
        + bytes((identity.version, identity.medium, access_number & 0xFF, status & 0xFF))
        + integer(signature, 2, signed=False)
    )


def user_data(
    identity: Identity,
    records: list[RecordSpec] | tuple[RecordSpec, ...],
    *,
    access_number: int,
    status: int = 0,
    more_records_follow: bool = False,
    manufacturer_data: bytes = b"",
) -> bytes:
    """CI 0x72 user data: header, records, and DIF 0x1F (more follow) or 0x0F with a tail."""
    body = long_header(identity, access_number, status) + b"".join(r.encode() for r in records)
    if more_records_follow:
        body += bytes((DIF_MORE_RECORDS_FOLLOW,)) + manufacturer_data
    elif manufacturer_data:
        body += bytes((DIF_MANUFACTURER_DATA,)) + manufacturer_data
    return body


def rsp_ud(address: int, ci: int, data: bytes, *, acd: bool = False) -> LongFrame:
    """The RSP_UD long frame a slave at ``address`` answers with."""
    return LongFrame(C_RSP_UD | (0x20 if acd else 0), address, ci, data)
