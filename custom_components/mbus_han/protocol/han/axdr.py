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
_ENUM = 22


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


def _short(what: str, pos: int, size: int, have: int) -> DecodeError:
    return DecodeError(f"{what} at offset {pos} needs {size} bytes, {have} left")


# Per tag: (kind, size or text coding). One table lookup replaces a chain of comparisons.
_UNSIGNED, _SIGNED, _STRING, _LIST, _NULL, _OCTETS, _REAL, _BOOL, _BCD_KIND, _BITS = range(10)
_KINDS: list[tuple[int, int] | None] = [None] * 256
for _tag, _size in _FIXED_UNSIGNED.items():
    _KINDS[_tag] = (_UNSIGNED, _size)
for _tag, _size in _FIXED_SIGNED.items():
    _KINDS[_tag] = (_SIGNED, _size)
for _tag, _size in _FIXED_OCTETS.items():
    _KINDS[_tag] = (_OCTETS, _size)
for _tag, _coder in _FLOAT.items():
    _KINDS[_tag] = (_REAL, _coder.size)
_KINDS[_OCTET_STRING] = (_STRING, 0)
_KINDS[_VISIBLE_STRING] = (_STRING, 1)
_KINDS[_UTF8_STRING] = (_STRING, 2)
_KINDS[_ARRAY] = _KINDS[_STRUCTURE] = (_LIST, 0)
_KINDS[0] = (_NULL, 0)
_KINDS[_BOOLEAN] = (_BOOL, 1)
_KINDS[_BCD] = (_BCD_KIND, 1)
_KINDS[_BIT_STRING] = (_BITS, 0)


def decode_data(buf: bytes, pos: int = 0) -> tuple[AxdrValue, int]:
    """Decode one ``Data`` value starting at ``buf[pos]``; return (value, offset after it).

    Iterative with an explicit stack of open arrays/structures: a push holds a hundred values
    and this is the decoder's hot loop, so it avoids a Python call per value.
    """
    n = len(buf)
    from_bytes = int.from_bytes
    # The list being filled and how many elements it still lacks; its parents on the stack.
    # The outermost "list" is a one-element holder for the result.
    top: list[AxdrValue] = []
    items, remaining = top, 1
    stack: list[tuple[list[AxdrValue], int]] = []
    while True:
        if pos >= n:
            raise DecodeError("A-XDR data missing at end of data")
        kind_size = _KINDS[buf[pos]]
        if kind_size is None:
            raise DecodeError(f"unsupported A-XDR data type {buf[pos]} at offset {pos}")
        kind, size = kind_size
        pos += 1
        value: AxdrValue
        if kind == _STRING:
            if pos >= n:
                raise DecodeError("A-XDR length missing at end of data")
            length = buf[pos]
            if length < 0x80:
                pos += 1
            else:
                length, pos = read_length(buf, pos)
            end = pos + length
            if end > n:
                raise _short("string", pos, length, n - pos)
            value = buf[pos:end]
            if size:
                try:
                    # visible-string is ASCII; Latin-1 reads it the same and cannot fail.
                    value = value.decode("utf-8" if size == 2 else "latin-1")
                except UnicodeDecodeError as err:
                    raise DecodeError(f"string at offset {pos} is not valid text: {err}") from None
            pos = end
        elif kind <= _SIGNED:  # _UNSIGNED or _SIGNED
            end = pos + size
            if end > n:
                raise _short("integer", pos, size, n - pos)
            value = from_bytes(buf[pos:end], signed=kind == _SIGNED)
            pos = end
        elif kind == _LIST:
            if buf[pos : pos + 2] == b"\x02\x0f" and pos + 5 <= n and buf[pos + 3] == _ENUM:
                # {integer scaler, enum unit}: follows every Aidon and Austrian value
                value = [from_bytes(buf[pos + 2 : pos + 3], signed=True), buf[pos + 4]]
                pos += 5
            else:
                length, pos = read_length(buf, pos)
                if length:
                    if length > n - pos:  # every element takes at least its tag byte
                        raise DecodeError(f"{length} elements announced, {n - pos} bytes left")
                    if len(stack) >= MAX_DEPTH:
                        raise DecodeError(f"A-XDR nesting deeper than {MAX_DEPTH}")
                    stack.append((items, remaining))
                    items, remaining = [], length
                    continue
                value = []
        elif kind == _NULL:
            value = None
        else:
            end = pos + (size or 0)
            if kind == _BITS:
                bits, pos = read_length(buf, pos)
                end = pos + (bits + 7) // 8
            if end > n:
                raise _short("value", pos, end - pos, n - pos)
            if kind == _OCTETS:
                value = buf[pos:end]
            elif kind == _REAL:
                value = _FLOAT[buf[pos - 1]].unpack_from(buf, pos)[0]
            elif kind == _BOOL:
                value = buf[pos] != 0
            elif kind == _BCD_KIND:
                value = _bcd(buf[pos])
            else:
                value = BitString(bits, buf[pos:end])
            pos = end
        items.append(value)
        remaining -= 1
        while not remaining:  # the list is full: it becomes a value of its parent
            if not stack:
                return top[0], pos
            value = items
            items, remaining = stack.pop()
            items.append(value)
            remaining -= 1


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
