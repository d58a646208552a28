"""The corpus as a byte stream: junk between frames, random chunking, bit flips, truncation.

Every intact frame must come out exactly once, in order, with the corpus values; nothing that was
corrupted may come out at all.
"""

import random
import tracemalloc

import pytest
from han_corpus import BY_NAME, CASES, expected_values, is_value_case, raw

from custom_components.mbus_han.protocol.errors import DecodeError
from custom_components.mbus_han.protocol.han.cipher import SecurityKeys
from custom_components.mbus_han.protocol.han.decoder import HanStreamDecoder, Transport
from custom_components.mbus_han.protocol.han.hdlc import (
    HdlcFramer,
    encode_hdlc_frame,
    parse_hdlc_frame,
)
from custom_components.mbus_han.protocol.mbus.frames import LongFrame, encode_frame


def _frames_with_expectations() -> list[tuple[bytes, dict]]:
    """Every intact push of the corpus as an HDLC frame, with its expected values.

    LLC payloads are wrapped with our encoder, which test_encoder_reproduces_corpus_frames checks
    byte for byte against the captured frames.
    """
    frames = []
    for case in CASES:
        if not is_value_case(case):
            continue
        if case["transport"] == "hdlc":
            frames.append((raw(case), expected_values(case)))
        elif case["transport"] == "llc-payload":
            frames.append((encode_hdlc_frame(raw(case)), expected_values(case)))
    return frames


FRAMES = _frames_with_expectations()


def _junk(rng: random.Random, size: int) -> bytes:
    return bytes(rng.randrange(256) for _ in range(size))


def _feed_in_chunks(decoder: HanStreamDecoder, data: bytes, rng: random.Random) -> list:
    results = []
    pos = 0
    while pos < len(data):
        size = rng.choice((1, 2, 3, 7, 16, 64, 200, 1000))
        results.extend(decoder.feed(data[pos : pos + size]))
        pos += size
    return results


def _values(reading) -> dict:
    return {code: value.value for code, value in reading.values.items()}


def _assert_matches(readings, expected_list) -> None:
    assert len(readings) == len(expected_list)
    for reading, expected in zip(readings, expected_list, strict=True):
        got = _values(reading)
        for code, value in expected.items():
            assert got[code] == pytest.approx(value), code


def test_encoder_reproduces_corpus_frames() -> None:
    for case in CASES:
        if case["transport"] != "hdlc" or not is_value_case(case):
            continue
        frame = parse_hdlc_frame(raw(case))
        rebuilt = encode_hdlc_frame(
            frame.information, frame.destination, frame.source, frame.control
        )
        assert rebuilt == raw(case), case["name"]


@pytest.mark.parametrize("seed", range(6))
def test_junk_between_frames_random_chunks(seed: int) -> None:
    rng = random.Random(seed)
    order = FRAMES * 2
    rng.shuffle(order)
    stream = bytearray(_junk(rng, 50))
    for frame, _ in order:
        stream += frame + _junk(rng, rng.randrange(0, 40))
    decoder = HanStreamDecoder()
    results = _feed_in_chunks(decoder, bytes(stream), rng)
    readings = [r for r in results if not isinstance(r, DecodeError)]
    _assert_matches(readings, [expected for _, expected in order])
    assert decoder.stats.readings == len(order)


@pytest.mark.parametrize("seed", range(6))
def test_bit_flips_and_truncation_never_yield_a_reading(seed: int) -> None:
    rng = random.Random(100 + seed)
    stream = bytearray()
    expected_list = []
    corrupted = 0
    for frame, expected in FRAMES * 2:
        damage = rng.choice(("none", "flip", "truncate"))
        if damage == "none":
            stream += frame
            expected_list.append(expected)
        elif damage == "flip":
            broken = bytearray(frame)
            bit = rng.randrange(len(frame) * 8)
            broken[bit // 8] ^= 1 << (bit % 8)
            stream += broken
            corrupted += 1
        else:
            stream += frame[: rng.randrange(1, len(frame) - 1)]
            corrupted += 1
        stream += _junk(rng, rng.randrange(0, 10))
    decoder = HanStreamDecoder()
    results = _feed_in_chunks(decoder, bytes(stream) + b"\x7e" * 3, rng)
    results += decoder.flush()  # the line goes idle at the end
    readings = [r for r in results if not isinstance(r, DecodeError)]
    _assert_matches(readings, expected_list)
    assert corrupted > 0


def test_idle_line_releases_frames_held_behind_a_truncated_one() -> None:
    long_frame, _ = max(FRAMES, key=lambda item: len(item[0]))
    short_frame, expected = min(FRAMES, key=lambda item: len(item[0]))
    decoder = HanStreamDecoder()
    # The cut frame's header holds, so it waits for its full length: the short frame is stuck.
    assert decoder.feed(long_frame[:60] + short_frame) == []
    readings = decoder.flush()
    _assert_matches(readings, [expected])
    assert decoder.stats.bad_frames == 1


def test_two_frames_sharing_one_flag_in_a_stream() -> None:
    first, second = FRAMES[0][0], FRAMES[1][0]
    stream = first + second[1:]  # the first frame's closing flag opens the second
    decoder = HanStreamDecoder()
    readings = [r for r in decoder.feed(stream) if not isinstance(r, DecodeError)]
    _assert_matches(readings, [FRAMES[0][1], FRAMES[1][1]])


def test_junk_claiming_a_long_frame_does_not_stall_the_next_frame() -> None:
    # 7E A7 FF announces a 2047-byte frame; its HCS fails as soon as the header is in, so the
    # real frame right behind it is decoded without waiting for 2 KiB.
    frame, expected = FRAMES[0]
    decoder = HanStreamDecoder()
    readings = decoder.feed(b"\x7e\xa7\xff\x41\x08\x83\x13\x00\x00" + frame)
    _assert_matches([r for r in readings if not isinstance(r, DecodeError)], [expected])
    assert decoder.stats.bad_frames == 1


def test_framer_buffer_stays_bounded_on_endless_junk() -> None:
    rng = random.Random(7)
    framer = HdlcFramer()
    for _ in range(200):
        framer.feed(_junk(rng, 500))
        assert framer.pending <= 2048 + 500


def test_segmented_frames_are_joined() -> None:
    case = BY_NAME["aidon_6525_list3_3wire_it_hdlc_built"]
    info = parse_hdlc_frame(raw(case)).information
    parts = [info[:100], info[100:250], info[250:]]
    stream = b"".join(
        encode_hdlc_frame(part, segmented=index < len(parts) - 1)
        for index, part in enumerate(parts)
    )
    readings = HanStreamDecoder().feed(stream)
    _assert_matches(readings, [expected_values(case)])


def _mbus_case() -> tuple[bytes, SecurityKeys, dict]:
    case = BY_NAME["kaifa_netz_noe_mbus_two_frames"]
    return raw(case), SecurityKeys.from_hex(case["key_hex"]), expected_values(case)


@pytest.mark.parametrize("seed", range(4))
def test_mbus_stream_with_junk_and_chunks(seed: int) -> None:
    rng = random.Random(200 + seed)
    data, keys, expected = _mbus_case()
    split = data.index(bytes.fromhex("6814146853FF11"))
    first, second = data[:split], data[split:]
    stream = _junk(rng, 30) + first + _junk(rng, 20) + second + _junk(rng, 30)
    stream = stream + first + second  # and the same push again, back to back
    decoder = HanStreamDecoder(Transport.MBUS, keys)
    results = _feed_in_chunks(decoder, stream, rng)
    readings = [r for r in results if not isinstance(r, DecodeError)]
    _assert_matches(readings, [expected, expected])


@pytest.mark.parametrize("seed", range(4))
def test_mbus_bit_flip_rejects_the_push(seed: int) -> None:
    rng = random.Random(300 + seed)
    data, keys, _ = _mbus_case()
    broken = bytearray(data)
    # Any single bit of the frames, except the stop/start bytes whose damage just hides a frame.
    bit = rng.randrange(len(data) * 8)
    broken[bit // 8] ^= 1 << (bit % 8)
    decoder = HanStreamDecoder(Transport.MBUS, keys)
    results = decoder.feed(bytes(broken))
    assert [r for r in results if not isinstance(r, DecodeError)] == []


def test_stream_stats_count_bad_frames() -> None:
    frame, _ = FRAMES[0]
    broken = bytearray(frame)
    broken[len(frame) // 2] ^= 0x01
    decoder = HanStreamDecoder()
    decoder.feed(bytes(broken) + frame)
    assert decoder.stats.bad_frames >= 1
    assert decoder.stats.readings == 1


@pytest.mark.parametrize("transport", list(Transport))
def test_a_megabyte_at_once_is_decoded_without_a_megabyte_of_frames(transport) -> None:
    # 1 MiB of intact frames that hold no push (as after a stall, or from a gateway) read in
    # one chunk. The results (one error per frame) are the output; beyond them the decoder
    # must hold about one 4 KiB piece's frames, not every frame of the chunk at once (it
    # held 1.9 MiB of M-Bus frames before it fed its framer piece by piece). tracemalloc
    # counts allocations, not time: the bound is exact, whatever the machine's load.
    rng = random.Random(16)
    if transport is Transport.MBUS:
        unit = b"".join(
            encode_frame(LongFrame(0x53, 0xFF, 0x10, b"\x01\x67" + rng.randbytes(120)))
            for _ in range(64)
        )
    else:
        unit = b"".join(encode_hdlc_frame(rng.randbytes(120)) for _ in range(64))
    chunk = (unit * (2**20 // len(unit) + 1))[: 2**20]
    decoder = HanStreamDecoder(transport)
    tracemalloc.start()
    try:
        results = decoder.feed(chunk)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(results) > 5000  # every frame answered
    assert peak - kept < 256 * 1024
