"""Application layer: turn an RSP_UD long frame into a :class:`~.model.Telegram`.

The CI field selects the structure: variable data with long header (0x72, mode 2: 0x76),
short header (0x7A), no header (0x78, and master data 0x51), the legacy fixed data structure
(0x73, mode 2: 0x77) and application errors (0x70, returned as
:class:`~.model.ApplicationError`, not raised). Everything else raises :class:`DecodeError`.
"""

from __future__ import annotations

from ..errors import DecodeError
from .coding import InvalidValue, decode_bcd, decode_int
from .fixed import decode_fixed_structure
from .frames import ControlFrame, LongFrame, parse_frame
from .manufacturer import decode_manufacturer
from .model import ApplicationError, Header, Medium, Telegram
from .records import parse_records

CI_APPLICATION_ERROR = 0x70
CI_DATA_SEND = 0x51
CI_LONG_HEADER = 0x72
CI_LONG_HEADER_MODE2 = 0x76
CI_FIXED = 0x73
CI_FIXED_MODE2 = 0x77
CI_NO_HEADER = 0x78
CI_SHORT_HEADER = 0x7A

LONG_HEADER_LENGTH = 12
SHORT_HEADER_LENGTH = 4

type DecodeResult = Telegram | ApplicationError


type _Identity = tuple[int | None, str, str, int, Medium, int]

# The identity bytes (ID, manufacturer, version, medium) of a meter never change between
# polls, so each distinct one is decoded once (bounded like the record layouts).
_IDENTITIES: dict[tuple[bytes, bool], _Identity] = {}
_MAX_CACHED_IDENTITIES = 4096


def _identity(data: bytes, big_endian: bool) -> _Identity:
    key = (data[:8], big_endian)
    identity = _IDENTITIES.get(key)
    if identity is None:
        id_bytes = data[0:4] if not big_endian else data[3::-1]
        identification = decode_bcd(id_bytes)
        man_code = int.from_bytes(data[4:6], "big" if big_endian else "little")
        identity = (
            None if isinstance(identification, InvalidValue) else identification,
            id_bytes[::-1].hex().upper(),
            decode_manufacturer(man_code),
            data[6],
            Medium.from_code(data[7]),
            data[7],
        )
        if len(_IDENTITIES) >= _MAX_CACHED_IDENTITIES:
            _IDENTITIES.clear()
        _IDENTITIES[key] = identity
    return identity


def decode_long_header(data: bytes, *, big_endian: bool = False) -> Header:
    """Decode the 12-byte fixed header: ID, manufacturer, version, medium, access, status, sig."""
    if len(data) < LONG_HEADER_LENGTH:
        raise DecodeError(
            f"telegram too short for its header: {len(data)} of {LONG_HEADER_LENGTH} bytes"
        )
    signature = int.from_bytes(data[10:12], "big" if big_endian else "little")
    return Header(*_identity(data, big_endian), data[8], data[9], signature)


def decode_short_header(data: bytes, *, big_endian: bool = False) -> Header:
    """Decode the 4-byte short header: access number, status, signature."""
    if len(data) < SHORT_HEADER_LENGTH:
        raise DecodeError(
            f"telegram too short for its short header: {len(data)} of {SHORT_HEADER_LENGTH} bytes"
        )
    return Header(
        id=None,
        id_text=None,
        manufacturer=None,
        version=None,
        medium=None,
        medium_code=None,
        access_number=data[0],
        status=data[1],
        signature=decode_int(data[2:4][::-1] if big_endian else data[2:4], signed=False),
    )


def decode_user_data(ci: int, data: bytes, *, source_address: int | None = None) -> DecodeResult:
    """Decode the application layer: CI field plus the user data after it."""
    if ci == CI_APPLICATION_ERROR:
        return ApplicationError(code=data[0] if data else None, source_address=source_address)
    if ci in (CI_FIXED, CI_FIXED_MODE2):
        fixed_header, fixed_records = decode_fixed_structure(data, big_endian=ci == CI_FIXED_MODE2)
        return Telegram(
            ci=ci,
            header=fixed_header,
            records=fixed_records,
            fixed_structure=True,
            source_address=source_address,
        )
    big_endian = ci == CI_LONG_HEADER_MODE2
    if ci in (CI_LONG_HEADER, CI_LONG_HEADER_MODE2):
        header: Header | None = decode_long_header(data, big_endian=big_endian)
        start = LONG_HEADER_LENGTH
    elif ci == CI_SHORT_HEADER:
        header = decode_short_header(data)
        start = SHORT_HEADER_LENGTH
    elif ci in (CI_NO_HEADER, CI_DATA_SEND):
        header = None
        start = 0
    else:
        raise DecodeError(f"CI 0x{ci:02X} is not a data structure this decoder knows")
    records, manufacturer_data, more = parse_records(data, start, big_endian=big_endian)
    return Telegram(
        ci=ci,
        header=header,
        records=tuple(records),
        manufacturer_data=manufacturer_data,
        more_records_follow=more,
        source_address=source_address,
    )


def decode_long_frame(frame: LongFrame | ControlFrame) -> DecodeResult:
    """Decode the application layer of a parsed long (or control) frame."""
    data = frame.data if isinstance(frame, LongFrame) else b""
    return decode_user_data(frame.ci, data, source_address=frame.address)


def decode_frame(raw: bytes) -> DecodeResult:
    """Parse and decode one whole long frame ``68 L L 68 ... 16``."""
    frame = parse_frame(raw)
    if not isinstance(frame, LongFrame | ControlFrame):
        raise DecodeError(f"a {type(frame).__name__} carries no application data")
    return decode_long_frame(frame)


def decode_telegram_bytes(raw: bytes) -> DecodeResult:
    """Decode a whole long frame, or a bare application payload (CI first) without framing.

    A payload is taken as framed when it starts with 0x68; tools that strip the link layer
    hand us the CI byte first.
    """
    if not raw:
        raise DecodeError("no bytes to decode")
    if raw[0] == 0x68:
        return decode_frame(raw)
    return decode_user_data(raw[0], raw[1:])
