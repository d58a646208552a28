"""DLMS APDUs a HAN meter pushes: data-notification, and its general-glo/ded-ciphering wrapper.

``data-notification ::= 0F long-invoke-id-and-priority(4) date-time(optional) notification-body``.
Meters encode the optional date-time three ways: ``00`` (absent, Aidon), ``0C`` + 12 octets
(length only, Kamstrup, Austria) and ``09 0C`` + 12 octets (tagged octet-string, Kaifa).
``general-glo-ciphering ::= DB system-title(len + 8) length security-control(1)
invocation-counter(4) ciphered-content``; general-ded-ciphering (DD) has the same layout.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DecodeError
from .axdr import AxdrValue, decode_all, read_length

TAG_DATA_NOTIFICATION = 0x0F
TAG_GENERAL_GLO_CIPHERING = 0xDB
TAG_GENERAL_DED_CIPHERING = 0xDD
CIPHERED_TAGS = frozenset((TAG_GENERAL_GLO_CIPHERING, TAG_GENERAL_DED_CIPHERING))
APDU_TAGS = CIPHERED_TAGS | {TAG_DATA_NOTIFICATION}

_DATE_TIME_LENGTH = 12
_OCTET_STRING_TAG = 0x09
_SYSTEM_TITLE_LENGTH = 8
_SECURITY_HEADER_LENGTH = 5  # security control + invocation counter


@dataclass(frozen=True, slots=True)
class DataNotification:
    """A decoded data-notification: its header and the A-XDR body (the pushed list)."""

    invoke_id: int
    date_time: bytes | None
    body: AxdrValue


@dataclass(frozen=True, slots=True)
class CipheredApdu:
    """The security header of a general-glo/ded-ciphering APDU and its ciphered content."""

    tag: int
    system_title: bytes
    security_control: int
    invocation_counter: int
    content: bytes  # ciphertext, followed by the 12-byte tag when authenticated


def parse_data_notification(apdu: bytes) -> DataNotification:
    """Decode a data-notification APDU; every byte must belong to it."""
    if len(apdu) < 6 or apdu[0] != TAG_DATA_NOTIFICATION:
        raise DecodeError("not a data-notification APDU (tag 0x0F and invoke id expected)")
    invoke_id = int.from_bytes(apdu[1:5])
    pos = 5
    marker = apdu[pos]
    if marker == 0:
        date_time, pos = None, pos + 1
    else:
        if marker == _OCTET_STRING_TAG:
            pos += 1
        if pos >= len(apdu) or apdu[pos] != _DATE_TIME_LENGTH:
            raise DecodeError(f"data-notification date-time field 0x{marker:02X} not understood")
        end = pos + 1 + _DATE_TIME_LENGTH
        if end > len(apdu):
            raise DecodeError("data-notification date-time truncated")
        date_time, pos = apdu[pos + 1 : end], end
    if pos >= len(apdu):
        raise DecodeError("data-notification has no body")
    return DataNotification(invoke_id, date_time, decode_all(apdu[pos:]))


def parse_ciphered(apdu: bytes) -> CipheredApdu:
    """Split a general-glo/ded-ciphering APDU into its security header and content."""
    if not apdu or apdu[0] not in CIPHERED_TAGS:
        raise DecodeError("not a general-glo/ded-ciphering APDU (tag 0xDB or 0xDD expected)")
    title_length, pos = read_length(apdu, 1)
    if title_length != _SYSTEM_TITLE_LENGTH or pos + title_length > len(apdu):
        raise DecodeError(f"system title of {title_length} octets, expected 8")
    system_title = apdu[pos : pos + title_length]
    length, pos = read_length(apdu, pos + title_length)
    if length != len(apdu) - pos:
        raise DecodeError(f"ciphered content length {length}, have {len(apdu) - pos} octets")
    if length < _SECURITY_HEADER_LENGTH:
        raise DecodeError("ciphered content shorter than its security header")
    return CipheredApdu(
        tag=apdu[0],
        system_title=system_title,
        security_control=apdu[pos],
        invocation_counter=int.from_bytes(apdu[pos + 1 : pos + 5]),
        content=apdu[pos + 5 :],
    )
