"""A-XDR decoding of COSEM ``Data`` (IEC 62056-6-2 / Green Book), as the push lists use it.

Values become plain Python objects, which keeps decoding fast and the list interpreters simple:

- null-data -> ``None``; array and structure -> ``list`` (the lists never need to tell them apart)
- boolean -> ``bool``; integers of every width, enum and bcd -> ``int``; float32/64 -> ``float``
- octet-string, date-time, date, time -> ``bytes``; visible-string and UTF8-string -> ``str``
- bit-string -> :class:`BitString`

Every length and count is checked against the bytes that are left before anything is read, and
nesting is limited, so any input yields a value or a :class:`DecodeError`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from ..errors import DecodeError

MAX_DEPTH = 16  # the deepest real list nests 3 levels (array > structure > scaler-unit)

type AxdrValue = Any  # None | bool | int | float | bytes | str | BitString | list[AxdrValue]

_FIXED_SIGNED = {5: 4, 15: 1, 16: 2, 20: 8}  # double-long, integer, long, long64
_FIXED_UNSIGNED = {6: 4, 17: 1, 18: 2, 21: 8, 22: 1}  # ... unsigned, long-unsigned, u64, enum
_FIXED_OCTETS = {25: 12, 26: 5, 27: 4}  # date-time, date, time
_FLOAT = {23: struct.Struct(">f"), 24: struct.Struct(">d")}
_ARRAY, _STRUCTURE, _BOOLEAN, _BIT_STRING = 1, 2, 3, 4
_OCTET_STRING, _VISIBLE_STRING, _UTF8_STRING, _BCD = 9, 10, 12, 13
_STRING_TAGS = frozenset((_OCTET_STRING, _VISIBLE_STRING, _UTF8_STRING))
_LIST_TAGS = frozenset((_STRUCTURE, _ARRAY))


@dataclass(frozen=True, slots=True)
class BitString:
    """A bit-string: ``bits`` counts the valid bits, first bit = MSB of ``data[0]``."""

    bits: int
    data: bytes


def read_length(buf: bytes, pos: int) -> tuple[int, int]:
    """Read an A-XDR length (one byte, or 0x8n followed by n bytes); return (length, next)."""
    if pos >= len(buf):
        raise DecodeError("A-XDR length missing at end of data")
    first = buf[pos]
    if first < 0x80:
        return first, pos + 1
    size = first & 0x7F
    if not 1 <= size <= 4 or pos + 1 + size > len(buf):
        raise DecodeError(f"bad A-XDR length prefix 0x{first:02X} at offset {pos}")
    return int.from_bytes(buf[pos + 1 : pos + 1 + size]), pos + 1 + size


def _take(buf: bytes, pos: int, size: int, what: str) -> int:
    end = pos + size
    if end > len(buf):
        raise DecodeError(f"{what} at offset {pos} needs {size} bytes, {len(buf) - pos} left")
    return end


def decode_data(buf: bytes, pos: int = 0, depth: int = 0) -> tuple[AxdrValue, int]:
    """Decode one ``Data`` value starting at ``buf[pos]``; return (value, offset after it)."""
    if pos >= len(buf):
        raise DecodeError("A-XDR data missing at end of data")
    tag = buf[pos]
    pos += 1
    size = _FIXED_UNSIGNED.get(tag)
    if size is not None:
        end = _take(buf, pos, size, "unsigned")
        return int.from_bytes(buf[pos:end]), end
    if tag in _STRING_TAGS:
        length, pos = read_length(buf, pos)
        end = _take(buf, pos, length, "string")
        raw = buf[pos:end]
        if tag == _OCTET_STRING:
            return raw, end
        try:
            # visible-string is ASCII; Latin-1 reads it the same and cannot fail on a stray byte.
            return raw.decode("utf-8" if tag == _UTF8_STRING else "latin-1"), end
        except UnicodeDecodeError as err:
            raise DecodeError(f"string at offset {pos} is not valid text: {err}") from None
    if tag in _LIST_TAGS:
        if depth >= MAX_DEPTH:
            raise DecodeError(f"A-XDR nesting deeper than {MAX_DEPTH}")
        count, pos = read_length(buf, pos)
        if count > len(buf) - pos:  # every element takes at least its tag byte
            raise DecodeError(f"{count} elements announced, {len(buf) - pos} bytes left")
        items = []
        for _ in range(count):
            item, pos = decode_data(buf, pos, depth + 1)
            items.append(item)
        return items, pos
    size = _FIXED_SIGNED.get(tag)
    if size is not None:
        end = _take(buf, pos, size, "integer")
        return int.from_bytes(buf[pos:end], signed=True), end
    if tag == 0:
        return None, pos
    size = _FIXED_OCTETS.get(tag)
    if size is not None:
        end = _take(buf, pos, size, "date/time")
        return buf[pos:end], end
    coder = _FLOAT.get(tag)
    if coder is not None:
        end = _take(buf, pos, coder.size, "float")
        return coder.unpack_from(buf, pos)[0], end
    if tag == _BOOLEAN:
        end = _take(buf, pos, 1, "boolean")
        return buf[pos] != 0, end
    if tag == _BCD:
        end = _take(buf, pos, 1, "bcd")
        return _bcd(buf[pos]), end
    if tag == _BIT_STRING:
        bits, pos = read_length(buf, pos)
        end = _take(buf, pos, (bits + 7) // 8, "bit-string")
        return BitString(bits, buf[pos:end]), end
    raise DecodeError(f"unsupported A-XDR data type {tag} at offset {pos - 1}")


def _bcd(byte: int) -> int:
    high, low = byte >> 4, byte & 0x0F
    if high > 9 or low > 9:
        raise DecodeError(f"0x{byte:02X} is not a BCD digit pair")
    return high * 10 + low


def decode_all(buf: bytes) -> AxdrValue:
    """Decode exactly one ``Data`` value filling ``buf``; trailing bytes are an error."""
    value, end = decode_data(buf)
    if end != len(buf):
        raise DecodeError(f"{len(buf) - end} bytes left after the A-XDR data")
    return value
