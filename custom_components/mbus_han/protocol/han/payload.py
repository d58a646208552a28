"""HAN frames carried in MQTT messages: the payload formats real readers publish.

A reader next to the meter (Tibber Pulse with local MQTT, an amsleser.no / AmsToMqttBridge
board in pass-through mode, our own bridge) publishes what the HAN port sent; the integration
feeds it to the same stream decoder as a serial port. What a message carries:

* ``raw``: the port's bytes as they are. One frame per message (Tibber Pulse, our bridge's
  ``<prefix>/<meter>/han_raw``), several, or a stream cut anywhere: the stream decoder
  does not care where a message ends.
* ``hex``: the same bytes as hexadecimal text, any case, whitespace ignored (amsreader
  firmware's pass-through format publishes one frame as upper-case hex without spaces).
* ``json``: a JSON object with the frame inside, as hex or base64 text or as a list of byte
  values (Node-RED's ``{"type": "Buffer", "data": [...]}``), under any key, however deep. JSON
  that holds decoded values only (amsreader's JSON, Tibber's cloud format) has no frame to
  decode: :func:`unwrap` says so instead of guessing.

Which format a topic carries is found once (the config flow tries every one on the first
messages and keeps the one a valid push came out of); afterwards every message is read in
that format, since a piece of a raw stream can look like hex by chance.
"""

from __future__ import annotations

import base64
import binascii
import json
import string
from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from ..errors import DecodeError

# Frames start with the HDLC flag (0x7E) or an M-Bus long frame's start byte (0x68).
FRAME_STARTS = (0x7E, 0x68)
# Frames of every list fit in a few hundred bytes; a message far bigger is not HAN data,
# and its text is not worth parsing.
MAX_MESSAGE_BYTES = 16384
_JSON_DEPTH = 4  # how deep a wrapper may hide the frame
_HEX_DIGITS = frozenset(string.hexdigits.encode())
_WHITESPACE = frozenset(string.whitespace.encode())


class PayloadFormat(StrEnum):
    """How a topic's messages carry the HAN port's bytes."""

    RAW = "raw"
    HEX = "hex"
    JSON = "json"


class PayloadError(DecodeError):
    """A message that does not carry HAN bytes in the expected format."""


def unwrap(payload: bytes, payload_format: PayloadFormat) -> bytes:
    """The HAN port's bytes in one message; :class:`PayloadError` when it carries none."""
    if len(payload) > MAX_MESSAGE_BYTES:
        raise PayloadError(f"a message of {len(payload)} bytes is not a HAN frame")
    if payload_format is PayloadFormat.RAW:
        return payload
    if payload_format is PayloadFormat.HEX:
        return _from_hex(payload)
    return _from_json(payload)


def candidates(payload: bytes) -> Iterator[tuple[PayloadFormat, bytes]]:
    """Every format ``payload`` can be read in, with the bytes it gives (raw always fits)."""
    yield PayloadFormat.RAW, payload
    for payload_format in (PayloadFormat.HEX, PayloadFormat.JSON):
        try:
            yield payload_format, unwrap(payload, payload_format)
        except PayloadError:
            continue


def _from_hex(payload: bytes) -> bytes:
    digits = bytes(b for b in payload if b not in _WHITESPACE)
    if not digits or not _HEX_DIGITS.issuperset(digits):
        raise PayloadError("the message is not hexadecimal text")
    try:
        return bytes.fromhex(digits.decode("ascii"))
    except ValueError:
        raise PayloadError("hexadecimal text of an odd length") from None


def _from_json(payload: bytes) -> bytes:
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        raise PayloadError("the message is not JSON") from None
    for found in _frames_in(document, _JSON_DEPTH):
        return found
    raise PayloadError("JSON without a HAN frame in it (decoded values only?)")


def _frames_in(value: Any, depth: int) -> Iterator[bytes]:
    """Byte strings inside a JSON value that start like a frame, in document order."""
    if isinstance(value, str):
        if (data := _text_bytes(value)) is not None:
            yield data
    elif isinstance(value, list):
        if (data := _byte_list(value)) is not None:
            yield data
        elif depth > 0:
            for item in value:
                yield from _frames_in(item, depth - 1)
    elif isinstance(value, dict) and depth > 0:
        for item in value.values():
            yield from _frames_in(item, depth - 1)


def _text_bytes(text: str) -> bytes | None:
    """Hex or base64 text of a frame, or None."""
    try:
        data = _from_hex(text.encode("ascii"))
    except (PayloadError, UnicodeEncodeError):
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return None
    return data if data and data[0] in FRAME_STARTS else None


def _byte_list(items: list[Any]) -> bytes | None:
    """A list of byte values (Node-RED's Buffer as JSON) that starts like a frame, or None."""
    if not items or not all(type(b) is int and 0 <= b <= 0xFF for b in items):
        return None
    return bytes(items) if items[0] in FRAME_STARTS else None
