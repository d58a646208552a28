"""Fuzz the M-Bus decoder: any bytes give a result or our DecodeError, nothing else.

Besides random bytes and corpus mutations, structured telegrams (``mbus_fuzzgen``: valid long
frames whose records use every DIF coding, VIF table and LVAR range of EN 13757-3) reach the
record decoder itself, and every input that once broke something is a fixed example.
"""

import contextlib
import datetime as dt
import itertools
import random
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from mbus_corpus import all_corpus_telegrams
from mbus_fuzzgen import REPROS, mutate, reframe, telegram

from custom_components.mbus_han.protocol.errors import DecodeError, FrameError
from custom_components.mbus_han.protocol.mbus.framer import MbusFramer
from custom_components.mbus_han.protocol.mbus.frames import parse_frame
from custom_components.mbus_han.protocol.mbus.model import ApplicationError, Telegram
from custom_components.mbus_han.protocol.mbus.telegram import (
    decode_frame,
    decode_telegram_bytes,
    decode_user_data,
)

CORPUS = all_corpus_telegrams()
FAST = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
STRUCTURED = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
TELEGRAMS = st.randoms(use_true_random=False).map(telegram)
VALUE_TYPES = (int, float, Decimal, str, bytes, dt.date, dt.datetime, dt.time, type(None))


def _decode(raw):
    try:
        return decode_telegram_bytes(raw)
    except DecodeError:
        return None


@FAST
@given(st.binary(max_size=300))
@example(REPROS["junk_long_frame"])
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


def _decoded_or_rejected(raw: bytes) -> Telegram | ApplicationError | None:
    """Decode a frame known to be valid at the link layer: only the content may be refused."""
    try:
        return decode_frame(raw)
    except FrameError:
        raise AssertionError("a frame with a correct length and checksum was refused") from None
    except DecodeError:
        return None


@STRUCTURED
@given(TELEGRAMS)
@example(REPROS["time_of_day_vif_6d"])
@example(REPROS["reserved_lvar_f7"])
@example(REPROS["elvaco_cma10_more_follow"])
def test_structured_telegrams_decode_or_are_refused_cleanly(raw):
    result = _decoded_or_rejected(raw)
    if isinstance(result, Telegram):
        for record in result.records:  # every value is one of the documented types
            assert isinstance(record.value, VALUE_TYPES), record
            assert not isinstance(record.value, bool), record
        assert len({record.key for record in result.records}) == len(result.records)


@STRUCTURED
@given(st.randoms(use_true_random=False), st.sampled_from([*CORPUS[:40], *REPROS.values()]))
def test_mutated_user_data_reaches_the_records(rng, source):
    # Reframed with a correct checksum, so the record decoder sees the damage.
    if source[:1] == b"\x68" and len(source) > 9:
        _decoded_or_rejected(reframe(rng, source))


@FAST
@given(
    st.lists(TELEGRAMS, min_size=1, max_size=4),
    st.lists(st.binary(max_size=20), max_size=4),
    st.lists(st.integers(min_value=0), max_size=12),
)
@example([REPROS["elvaco_cma10_more_follow"]], [REPROS["junk_long_frame"]], [3, 100, 260])
def test_framer_finds_every_valid_frame_between_junk_in_any_chunking(frames, junk, cuts):
    # Junk without start bytes (0x68, 0x10, 0xE5) cannot hide a frame: EN 13757-2 framing.
    junk = [bytes(b for b in piece if b not in (0x68, 0x10, 0xE5)) for piece in junk]
    stream = b"".join(
        itertools.chain.from_iterable(itertools.zip_longest(junk, frames, fillvalue=b""))
    )
    points = sorted({cut % (len(stream) + 1) for cut in cuts})
    framer = MbusFramer()
    found = []
    for start, end in itertools.pairwise([0, *points, len(stream)]):
        found += framer.feed(stream[start:end])
    assert [parse_frame(raw) for raw in frames] == found


@FAST
@given(st.randoms(use_true_random=False), st.sampled_from(CORPUS))
def test_mutated_corpus_in_any_form(rng, raw):
    _decode(mutate(rng, raw))
