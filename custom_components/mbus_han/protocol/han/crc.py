"""CRC-16/X.25 (the HDLC check sequence): of one block, and of any slice of a byte stream.

The stream framer must check the FCS of every frame start whose header holds, and junk can
announce a 2 KiB frame every few bytes; computing each slice's CRC afresh would cost up to
2 KiB of work per input byte. :class:`StreamCrc` answers each slice in constant time instead,
from CRC states kept every :data:`STEP` bytes: the CRC is linear, so the CRC of ``[a, b)`` is the
state at ``b`` minus the state at ``a`` carried over ``b - a`` zero bytes, and carrying a state
over zero bytes is a table lookup.

``binascii.crc_hqx`` runs the non-reflected CCITT CRC in C; X.25 is the reflected one, so the
bytes are bit-reversed going in and the 16-bit result coming out.
"""

from __future__ import annotations

import binascii
from array import array
from functools import cache

_REVERSE_BITS = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))
_REVERSE_HIGH = [int(f"{i:08b}"[::-1], 2) for i in range(256)]
_INIT = 0xFFFF
STEP = 64  # bytes between two kept CRC states: at most this much CRC work per slice end


def _x25(state: int) -> int:
    """X.25 result from a ``crc_hqx`` state: reflect the 16 bits, final XOR."""
    return ((_REVERSE_HIGH[state & 0xFF] << 8) | _REVERSE_HIGH[state >> 8]) ^ 0xFFFF


def crc16_x25(data: bytes | bytearray) -> int:
    """CRC-16/X.25 (init 0xFFFF, reflected, final XOR 0xFFFF) of ``data``."""
    return _x25(binascii.crc_hqx(data.translate(_REVERSE_BITS), _INIT))


@cache
def _carry_table(steps: int) -> tuple[array[int], array[int]]:
    """Tables carrying a state over ``steps * STEP`` zero bytes, by high and by low state byte.

    The carry is linear in the state, so sixteen carried unit states build both tables.
    """
    zeros = bytes(steps * STEP)
    units = [binascii.crc_hqx(zeros, 1 << bit) for bit in range(16)]
    tables = (array("H", bytes(512)), array("H", bytes(512)))
    for table, first_bit in zip(tables, (8, 0), strict=True):
        for value in range(1, 256):
            lowest = (value & -value).bit_length() - 1
            table[value] = table[value & (value - 1)] ^ units[first_bit + lowest]
    return tables


class StreamCrc:
    """CRC-16/X.25 of any slice of a stream, in constant time per slice.

    Positions count from the first byte ever added. The bytes are kept (bit-reversed) from the
    last released position, rounded down to :data:`STEP`, with the CRC state at every
    :data:`STEP` boundary from an arbitrary start; every byte goes through the CRC once for
    these. A slice then costs at most two partial steps, run on its real bytes, and one carry
    of a state over whole steps by table lookup.
    """

    def __init__(self) -> None:
        self._reversed = bytearray()
        self._base = 0  # stream position of ``_reversed[0]``, a multiple of STEP
        self._states = [0]  # CRC state at _base + i * STEP

    def extend(self, data: bytes | bytearray | memoryview) -> None:
        """Append the next bytes of the stream."""
        if isinstance(data, memoryview):
            data = data.tobytes()
        self._reversed += data.translate(_REVERSE_BITS)

    def release(self, position: int) -> None:
        """Slices starting before ``position`` will not be asked for again: drop their bytes."""
        cut = (position - self._base) // STEP * STEP
        if cut <= 0:
            return
        del self._reversed[:cut]
        del self._states[: cut // STEP]
        if not self._states:  # no state was kept beyond the cut: start afresh there
            self._states.append(0)
        self._base += cut

    def crc(self, start: int, end: int) -> int:
        """CRC-16/X.25 of the stream's bytes ``[start, end)`` (both not yet released)."""
        data = self._reversed
        first = start - self._base
        last = end - self._base
        if last - first <= 2 * STEP:
            return _x25(binascii.crc_hqx(data[first:last], _INIT))
        # Run the real bytes up to the first boundary; carry that state over the whole steps
        # that follow (the CRC is linear: the steps' own contribution is the difference of
        # the kept states at their ends, each carried as far); run the real bytes after.
        head = -(-first // STEP)
        tail = last // STEP
        state = binascii.crc_hqx(data[first : head * STEP], _INIT)
        high, low = _carry_table(tail - head)
        carried = self._state(head) ^ state
        state = self._state(tail) ^ high[carried >> 8] ^ low[carried & 0xFF]
        return _x25(binascii.crc_hqx(data[tail * STEP : last], state))

    def _state(self, index: int) -> int:
        """The kept state at boundary ``index``, running the CRC up to it if need be."""
        states = self._states
        data = self._reversed
        while len(states) <= index:
            at = (len(states) - 1) * STEP
            states.append(binascii.crc_hqx(data[at : at + STEP], states[-1]))
        return states[index]
