"""Build what a HAN meter sends: A-XDR data, data-notifications, ciphering, M-Bus segments.

Used by the simulator. Each function mirrors a decoder module, and the simulator tests decode
what these build, so the two sides are checked against each other as well as against the corpus.
"""

from __future__ import annotations

import struct
from datetime import datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..mbus.frames import LongFrame, encode_frame
from .apdu import TAG_DATA_NOTIFICATION, TAG_GENERAL_GLO_CIPHERING
from .cipher import SC_AUTHENTICATED, TAG_LENGTH, SecurityKeys
from .gbt import TAG_GENERAL_BLOCK_TRANSFER
from .hdlc import LLC_HEADER
from .mbus_transport import CI_LAST_SEGMENT
from .obis import parse_obis

DEVIATION_NOT_SPECIFIED = 0x8000
MBUS_SEGMENT_DATA = (
    250  # long frame user data is at most 252 bytes (CI excluded), minus STSAP/DTSAP
)
MBUS_SAPS = b"\x01\x67"


def length(value: int) -> bytes:
    """A-XDR length: one byte below 0x80, else 0x8n and n bytes."""
    if value < 0x80:
        return bytes((value,))
    size = (value.bit_length() + 7) // 8
    return bytes((0x80 | size,)) + value.to_bytes(size)


def null() -> bytes:
    """null-data."""
    return b"\x00"


def octets(data: bytes) -> bytes:
    """octet-string."""
    return b"\x09" + length(len(data)) + data


def visible(text: str) -> bytes:
    """visible-string."""
    data = text.encode("ascii")
    return b"\x0a" + length(len(data)) + data


def obis(code: str) -> bytes:
    """An OBIS code as the 6-byte octet-string the lists carry."""
    return octets(bytes(parse_obis(code)))


def u32(value: int) -> bytes:
    """double-long-unsigned."""
    return b"\x06" + struct.pack(">I", value)


def u16(value: int) -> bytes:
    """long-unsigned."""
    return b"\x12" + struct.pack(">H", value)


def i16(value: int) -> bytes:
    """Long: a signed 16-bit integer."""
    return b"\x10" + struct.pack(">h", value)


def i8(value: int) -> bytes:
    """Integer: a signed 8-bit integer."""
    return b"\x0f" + struct.pack(">b", value)


def structure(*items: bytes) -> bytes:
    """Structure of the encoded items."""
    return b"\x02" + length(len(items)) + b"".join(items)


def array(*items: bytes) -> bytes:
    """Array of the encoded items."""
    return b"\x01" + length(len(items)) + b"".join(items)


def scaler_unit(scaler: int, unit: int) -> bytes:
    """{integer scaler, enum unit}."""
    return structure(b"\x0f" + struct.pack(">b", scaler), b"\x16" + bytes((unit,)))


def date_time(moment: datetime, deviation: int = DEVIATION_NOT_SPECIFIED, status: int = 0) -> bytes:
    """The 12-octet COSEM date-time of a naive local time (ISO weekday, Monday = 1)."""
    return (
        moment.year.to_bytes(2)
        + bytes(
            (
                moment.month,
                moment.day,
                moment.isoweekday(),
                moment.hour,
                moment.minute,
                moment.second,
                0xFF,
            )
        )
        + (deviation & 0xFFFF).to_bytes(2)
        + bytes((status,))
    )


def data_notification(body: bytes, header_time: bytes | None, style: str) -> bytes:
    """0F, invoke id, the date-time as the maker writes it (none/length/tagged), the body."""
    if header_time is None or style == "none":
        time_field = b"\x00"
    elif style == "tagged":  # Kaifa: 09 0C ...
        time_field = b"\x09\x0c" + header_time
    else:  # Kamstrup, Austria: 0C ...
        time_field = b"\x0c" + header_time
    invoke_id = b"\x40\x00\x00\x00" if style != "length" else b"\x00\x00\x00\x00"
    return bytes((TAG_DATA_NOTIFICATION,)) + invoke_id + time_field + body


def glo_cipher(apdu: bytes, keys: SecurityKeys, system_title: bytes, counter: int) -> bytes:
    """general-glo-ciphering: security 0x20 (encrypted), or 0x30 with a GAK (and 12-byte tag)."""
    if keys.encryption_key is None:
        raise ValueError("an encryption key is needed to cipher")
    control = 0x30 if keys.authentication_key else 0x20
    iv = system_title + counter.to_bytes(4)
    aad = bytes((control,)) + (keys.authentication_key or b"")
    sealed = AESGCM(keys.encryption_key).encrypt(iv, apdu, aad)
    ciphertext, tag = sealed[:-16], sealed[-16:][:TAG_LENGTH]
    content = ciphertext + (tag if control & SC_AUTHENTICATED else b"")
    body = bytes((control,)) + counter.to_bytes(4) + content
    return bytes((TAG_GENERAL_GLO_CIPHERING, 8)) + system_title + length(len(body)) + body


def general_blocks(apdu: bytes, block_data: int) -> list[bytes]:
    """The APDU as general-block-transfer blocks of at most ``block_data`` octets each.

    Green Book 9.4.6.13: ``E0``, block control (bit 7 last block, bit 6 streaming, window 0,
    as the E450 sends), block number from 1, acknowledged block 0, then the block data as an
    octet-string with its A-XDR length.
    """
    pieces = [apdu[i : i + block_data] for i in range(0, len(apdu), block_data)] or [b""]
    blocks = []
    for number, piece in enumerate(pieces, start=1):
        control = 0x40 | (0x80 if number == len(pieces) else 0)
        header = bytes((TAG_GENERAL_BLOCK_TRANSFER, control)) + number.to_bytes(2) + b"\x00\x00"
        blocks.append(header + length(len(piece)) + piece)
    return blocks


def llc(apdu: bytes) -> bytes:
    """The HDLC information field: LLC header and APDU."""
    return LLC_HEADER + apdu


def mbus_frames(apdu: bytes, address: int = 0xFF, control: int = 0x53) -> bytes:
    """The APDU in as many M-Bus long frames as it needs (CI = segment number, 0x10 = last)."""
    pieces = [apdu[i : i + MBUS_SEGMENT_DATA] for i in range(0, len(apdu), MBUS_SEGMENT_DATA)]
    if len(pieces) > 16:
        raise ValueError("APDU too long for 16 M-Bus segments")
    frames = b""
    for index, piece in enumerate(pieces):
        ci = index | (CI_LAST_SEGMENT if index == len(pieces) - 1 else 0)
        frames += encode_frame(LongFrame(control, address, ci, MBUS_SAPS + piece))
    return frames
