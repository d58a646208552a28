"""CRC-16/X.25 of slices of a stream, against the CRC of each slice computed on its own.

The block CRC is checked against the catalogue check value (CRC-16/X.25 of "123456789" is
0x906E, Greg Cook's CRC catalogue); the stream version must give the same for every slice,
whatever was appended and released before.
"""

import random

import pytest

from custom_components.mbus_han.protocol.han.crc import STEP, StreamCrc, crc16_x25


def test_block_crc_check_value() -> None:
    assert crc16_x25(b"123456789") == 0x906E


def test_slice_of_the_check_string() -> None:
    stream = StreamCrc()
    stream.extend(b"xx")
    stream.extend(b"123456789" * 40 + b"yy")
    assert stream.crc(2, 11) == 0x906E
    long_end = 2 + 9 * 40
    assert stream.crc(2, long_end) == crc16_x25(b"123456789" * 40)


@pytest.mark.parametrize("seed", range(4))
def test_every_slice_matches_the_block_crc(seed: int) -> None:
    rng = random.Random(seed)
    data = rng.randbytes(30_000)
    stream = StreamCrc()
    added = released = 0
    for _ in range(3000):
        if added < len(data) and rng.random() < 0.5:
            size = rng.choice((1, 3, STEP - 1, STEP, STEP + 1, 300, 2100))
            stream.extend(memoryview(data)[added : added + size])
            added = min(len(data), added + size)
        if added > released and rng.random() < 0.2:
            released = rng.randrange(released, added + 1)
            stream.release(released)
        if added > released:
            start = rng.randrange(released, added)
            end = rng.randrange(start, min(added, start + 2 * 2048) + 1)
            assert stream.crc(start, end) == crc16_x25(data[start:end]), (start, end)
