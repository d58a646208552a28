"""Fuzz the M-Bus decoder: any bytes give a result or our DecodeError, nothing else."""

import contextlib
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mbus_corpus import all_corpus_telegrams

from custom_components.mbus_han.protocol.errors import DecodeError, FrameError
from custom_components.mbus_han.protocol.mbus.framer import MbusFramer
from custom_components.mbus_han.protocol.mbus.frames import parse_frame
from custom_components.mbus_han.protocol.mbus.telegram import (
    decode_telegram_bytes,
    decode_user_data,
)

CORPUS = all_corpus_telegrams()
FAST = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def _decode(raw):
    try:
        return decode_telegram_bytes(raw)
    except DecodeError:
        return None


@FAST
@given(st.binary(max_size=300))
def test_random_bytes(raw):
    _decode(raw)
    with contextlib.suppress(DecodeError):
        parse_frame(raw)
    MbusFramer().feed(raw)


@FAST
@given(st.integers(0, 255), st.binary(max_size=260))
def test_random_user_data_for_every_ci(ci, data):
    with contextlib.suppress(DecodeError):
        decode_user_data(ci, data)


@FAST
@given(st.sampled_from(CORPUS), st.lists(st.integers(0, 10**6), min_size=1, max_size=4))
def test_corpus_bit_flips(raw, positions):
    flipped = bytearray(raw)
    for p in positions:
        bit = p % (len(raw) * 8)
        flipped[bit // 8] ^= 1 << (bit % 8)
    _decode(bytes(flipped))


@FAST
@given(st.sampled_from(CORPUS), st.binary(min_size=1, max_size=40))
def test_corpus_extended(raw, extra):
    _decode(raw + extra)


def test_corpus_truncated_at_every_length():
    for raw in CORPUS:
        for n in range(len(raw)):
            _decode(raw[:n])


def test_bad_checksum_is_never_decoded():
    rng = random.Random(1)
    long_frames = [r for r in CORPUS if r[0] == 0x68 and len(r) > 8]
    assert long_frames
    for raw in long_frames:
        data = bytearray(raw)
        pos = rng.randrange(4, len(raw) - 2)  # inside C..data
        data[pos] ^= 1 << rng.randrange(8)
        with pytest.raises(FrameError):
            decode_telegram_bytes(bytes(data))


def test_largest_frame_is_bounded():
    # 252 bytes of DIF 0x01 VIF 0x13 value: 84 one-byte records after CI 0x78 (no header)
    data = bytes([0x01, 0x13, 0x05] * 84)
    result = decode_user_data(0x78, data)
    assert len(result.records) == 84  # bounded: never more than 256
