"""The stream framer (EN 13757-2 FT1.2) against hand-built byte streams.

Every frame below is written out by hand, checksum included (CS = sum of C, A, CI and data
modulo 256; L counts C, A, CI and data), so the expected frames do not come from our encoder.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mbus_corpus import TEST_FRAMES, read_hex

from custom_components.mbus_han.protocol.mbus.framer import MbusFramer
from custom_components.mbus_han.protocol.mbus.frames import (
    AckFrame,
    ControlFrame,
    LongFrame,
    ShortFrame,
)

ACK = bytes.fromhex("E5")
# REQ_UD2 to address 1, FCB clear: C=5B A=01, CS = 5B + 01 = 5C.
REQ_UD2_1 = bytes.fromhex("10 5B 01 5C 16")
# SND_NKE to address 5: C=40 A=05, CS = 45.
SND_NKE_5 = bytes.fromhex("10 40 05 45 16")
# RSP_UD from address 1, CI 72: ID 12345678, KAM (2D 2C), version 01, medium 04 (heat),
# access 05, status 00, signature 0000, one record 04 06 10270000 (10000 kWh).
# L = 3 + 18 = 0x15. CS: 08+01+72 = 0x7B; data 78+56+34+12 = 0x114, +2D+2C = 0x16D,
# +01+04+05 = 0x177, +04+06 = 0x181, +10+27 = 0x1B8; 0x7B + 0x1B8 = 0x233 -> 0x33.
RSP_UD_1 = bytes.fromhex(
    "68 15 15 68 08 01 72 78 56 34 12 2D 2C 01 04 05 00 00 00 04 06 10 27 00 00 33 16"
)
RSP_UD_1_FRAME = LongFrame(
    0x08, 0x01, 0x72, bytes.fromhex("78 56 34 12 2D 2C 01 04 05 00 00 00 04 06 10 27 00 00")
)
# RSP_UD from address 2 with one data byte: 08+02+72+AA = 0x126 -> CS 26.
RSP_UD_2 = bytes.fromhex("68 04 04 68 08 02 72 AA 26 16")
RSP_UD_2_FRAME = LongFrame(0x08, 0x02, 0x72, b"\xaa")
# SND_UD application reset (control frame) to address 3: 53+03+50 = 0xA6.
APP_RESET_3 = bytes.fromhex("68 03 03 68 53 03 50 A6 16")

# Bytes that can never start a frame (not E5, 10 or 68).
GARBAGE = bytes.fromhex("00 FF 3C 55 AA 16 7E")


def _check_hand_checksums():
    """The hand-written checksums above, re-added with plain Python as a sanity check."""
    assert sum(REQ_UD2_1[1:3]) & 0xFF == REQ_UD2_1[3]
    assert sum(SND_NKE_5[1:3]) & 0xFF == SND_NKE_5[3]
    for raw in (RSP_UD_1, RSP_UD_2, APP_RESET_3):
        assert raw[1] == raw[2] == len(raw) - 6
        assert sum(raw[4:-2]) & 0xFF == raw[-2]


def test_hand_written_frames_are_consistent():
    _check_hand_checksums()


def feed_bytewise(framer: MbusFramer, data: bytes) -> list:
    frames = []
    for byte in data:
        frames += framer.feed(bytes((byte,)))
    return frames


def test_long_frame_one_byte_at_a_time():
    framer = MbusFramer()
    for index, byte in enumerate(RSP_UD_1[:-1]):
        assert framer.feed(bytes((byte,))) == []
        assert framer.pending == index + 1
    assert framer.feed(RSP_UD_1[-1:]) == [RSP_UD_1_FRAME]
    assert framer.pending == 0
    assert framer.stats.frames == 1
    assert framer.stats.discarded_bytes == 0
    assert framer.stats.bad_frames == 0


def test_every_frame_type_one_byte_at_a_time():
    stream = ACK + REQ_UD2_1 + APP_RESET_3 + RSP_UD_1 + ACK
    frames = feed_bytewise(MbusFramer(), stream)
    assert frames == [
        AckFrame(),
        ShortFrame(0x5B, 0x01),
        ControlFrame(0x53, 0x03, 0x50),
        RSP_UD_1_FRAME,
        AckFrame(),
    ]


def test_several_frames_in_one_chunk():
    framer = MbusFramer()
    frames = framer.feed(ACK + SND_NKE_5 + RSP_UD_1 + RSP_UD_2)
    assert frames == [AckFrame(), ShortFrame(0x40, 0x05), RSP_UD_1_FRAME, RSP_UD_2_FRAME]
    assert framer.pending == 0
    assert framer.stats.frames == 4


def test_frame_split_across_chunks_at_every_position():
    stream = RSP_UD_1 + RSP_UD_2
    for cut in range(1, len(stream)):
        framer = MbusFramer()
        frames = framer.feed(stream[:cut]) + framer.feed(stream[cut:])
        assert frames == [RSP_UD_1_FRAME, RSP_UD_2_FRAME], cut


def test_garbage_before_and_between_frames():
    framer = MbusFramer()
    stream = GARBAGE + RSP_UD_1 + GARBAGE[:3] + ACK + GARBAGE[3:] + RSP_UD_2 + GARBAGE[:1]
    assert framer.feed(stream) == [RSP_UD_1_FRAME, AckFrame(), RSP_UD_2_FRAME]
    assert framer.stats.discarded_bytes == 2 * len(GARBAGE) + 1
    assert framer.pending == 0


def test_garbage_byte_by_byte():
    stream = GARBAGE + RSP_UD_1 + GARBAGE + RSP_UD_2
    assert feed_bytewise(MbusFramer(), stream) == [RSP_UD_1_FRAME, RSP_UD_2_FRAME]


def _bad_checksum(raw: bytes) -> bytes:
    return raw[:-2] + bytes(((raw[-2] + 1) & 0xFF,)) + raw[-1:]


@pytest.mark.parametrize("bytewise", [False, True])
def test_bad_checksum_frame_then_good_frame(bytewise):
    # The corrupt frame's good successor follows with no gap: it must not be lost.
    stream = _bad_checksum(RSP_UD_1) + RSP_UD_2
    framer = MbusFramer()
    frames = feed_bytewise(framer, stream) if bytewise else framer.feed(stream)
    assert frames == [RSP_UD_2_FRAME]
    assert framer.stats.bad_frames >= 1
    assert framer.pending == 0


def test_bad_checksum_short_frame_then_good_short_frame():
    stream = bytes.fromhex("10 5B 01 5D 16") + REQ_UD2_1  # CS 5D instead of 5C
    assert MbusFramer().feed(stream) == [ShortFrame(0x5B, 0x01)]


def test_bad_checksum_long_frame_then_good_long_frame_of_same_length():
    stream = _bad_checksum(RSP_UD_1) + RSP_UD_1
    assert MbusFramer().feed(stream) == [RSP_UD_1_FRAME]


def _corpus_long_frames() -> list[tuple[str, bytes]]:
    frames = []
    for path in sorted(TEST_FRAMES.glob("*.hex")):
        raw = read_hex(path)
        if raw[0] == 0x68 and len(raw) == raw[1] + 6:
            frames.append((path.stem, raw))
    return frames


@pytest.mark.parametrize(("name", "raw"), _corpus_long_frames())
def test_corrupt_corpus_frame_does_not_hide_the_next(name, raw):
    # A real telegram with a wrong checksum, immediately followed by a good short answer
    # and the real telegram itself; both good frames come out, in order and unchanged.
    stream = _bad_checksum(raw) + RSP_UD_2 + raw
    frames = MbusFramer().feed(stream)
    assert frames[-2:] == [RSP_UD_2_FRAME, LongFrame(raw[4], raw[5], raw[6], raw[7:-2])], name


def test_echo_of_our_request_then_the_answer():
    # A level converter that echoes hands us our own REQ_UD2 before the slave's answer.
    framer = MbusFramer()
    frames = framer.feed(REQ_UD2_1 + RSP_UD_1)
    assert frames == [ShortFrame(0x5B, 0x01), RSP_UD_1_FRAME]
    assert frames[0].from_master  # PRM bit 0x40 set in C = 0x5B
    assert not frames[1].from_master  # C = 0x08: slave to master


def test_echo_of_snd_ud_then_ack_bytewise():
    frames = feed_bytewise(MbusFramer(), APP_RESET_3 + ACK)
    assert frames == [ControlFrame(0x53, 0x03, 0x50), AckFrame()]
    assert frames[0].from_master
    assert not frames[1].from_master


def test_truncated_frame_then_good_frame():
    # The slave stopped after 10 bytes; the repeated answer follows. The truncated start
    # claims 27 bytes, which arrive (partly from the next frame) and fail the checks, after
    # which the framer finds the complete frame.
    stream = RSP_UD_1[:10] + RSP_UD_1
    framer = MbusFramer()
    assert framer.feed(stream) == [RSP_UD_1_FRAME]
    assert framer.pending == 0
    assert feed_bytewise(MbusFramer(), stream) == [RSP_UD_1_FRAME]


def test_truncated_short_frame_then_good_frame():
    stream = REQ_UD2_1[:2] + SND_NKE_5
    assert MbusFramer().feed(stream) == [ShortFrame(0x40, 0x05)]


def test_truncated_frame_then_reset_then_good_frame():
    framer = MbusFramer()
    assert framer.feed(RSP_UD_1[:12]) == []
    assert framer.pending == 12
    framer.reset()  # the link's answer timeout
    assert framer.pending == 0
    assert framer.stats.discarded_bytes == 12
    assert framer.feed(RSP_UD_2) == [RSP_UD_2_FRAME]


def test_e5_single_characters():
    framer = MbusFramer()
    assert framer.feed(ACK) == [AckFrame()]
    assert framer.feed(ACK + ACK) == [AckFrame(), AckFrame()]
    assert framer.pending == 0
    assert not AckFrame().from_master


@pytest.mark.parametrize(
    "bad",
    [
        REQ_UD2_1[:-1] + b"\x17",  # short frame, stop byte 17
        RSP_UD_1[:-1] + b"\x00",  # long frame, stop byte 00
        APP_RESET_3[:-1] + b"\x68",  # control frame, stop byte 68
    ],
)
def test_wrong_stop_byte_then_good_frame(bad):
    framer = MbusFramer()
    assert framer.feed(bad + RSP_UD_2) == [RSP_UD_2_FRAME]
    assert framer.stats.bad_frames >= 1
    assert framer.pending == 0


@pytest.mark.parametrize(
    "bad",
    [
        # The two L bytes differ.
        bytes.fromhex("68 15 14 68") + RSP_UD_1[4:],
        # Both L bytes say 0x14, one byte less than C, A, CI and data: the byte at the stop
        # position is the checksum (33), not 16.
        bytes.fromhex("68 14 14 68") + RSP_UD_1[4:],
        # Both say 0x16, one byte more: the frame would end in 16 + the next frame's 68.
        bytes.fromhex("68 16 16 68") + RSP_UD_1[4:],
        # L below 3 cannot hold C, A and CI.
        bytes.fromhex("68 02 02 68 08 01 09 16"),
        # Second start byte is not 68.
        bytes.fromhex("68 15 15 69") + RSP_UD_1[4:],
    ],
)
def test_l_field_mismatch_then_good_frame(bad):
    framer = MbusFramer()
    assert framer.feed(bad + RSP_UD_2 + RSP_UD_1) == [RSP_UD_2_FRAME, RSP_UD_1_FRAME]
    assert framer.stats.bad_frames >= 1


def test_partial_header_waits():
    framer = MbusFramer()
    assert framer.feed(bytes.fromhex("68 15")) == []
    assert framer.pending == 2
    assert framer.feed(RSP_UD_1[2:]) == [RSP_UD_1_FRAME]


GOOD = {
    "ack": (ACK, AckFrame()),
    "req_ud2": (REQ_UD2_1, ShortFrame(0x5B, 0x01)),
    "snd_nke": (SND_NKE_5, ShortFrame(0x40, 0x05)),
    "reset": (APP_RESET_3, ControlFrame(0x53, 0x03, 0x50)),
    "rsp1": (RSP_UD_1, RSP_UD_1_FRAME),
    "rsp2": (RSP_UD_2, RSP_UD_2_FRAME),
}
_NON_START = [b for b in range(256) if b not in (0xE5, 0x10, 0x68)]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.binary(max_size=6).map(lambda b: bytes(_NON_START[x % len(_NON_START)] for x in b)),
            st.sampled_from(sorted(GOOD)),
        ),
        max_size=8,
    ),
    st.lists(st.integers(1, 40), min_size=1, max_size=20),
)
def test_random_garbage_and_chunking(pieces, chunk_sizes):
    # Junk that holds no start byte, between whole frames, cut into arbitrary chunks:
    # exactly the frames come out, in order.
    stream = b"".join(junk + GOOD[name][0] for junk, name in pieces)
    expected = [GOOD[name][1] for _, name in pieces]
    framer = MbusFramer()
    frames = []
    pos = 0
    index = 0
    while pos < len(stream):
        size = chunk_sizes[index % len(chunk_sizes)]
        frames += framer.feed(stream[pos : pos + size])
        pos += size
        index += 1
    assert frames == expected
    assert framer.pending == 0
    assert framer.stats.discarded_bytes == sum(len(junk) for junk, _ in pieces)


# A long frame whose data holds every start byte and the stop byte: E5 10 68 16.
# L = 7 (C, A, CI + 4); CS = 08+01+72+E5+10+68+16 = 0x1EE -> EE.
TRICKY = bytes.fromhex("68 07 07 68 08 01 72 E5 10 68 16 EE 16")
TRICKY_FRAME = LongFrame(0x08, 0x01, 0x72, bytes.fromhex("E5 10 68 16"))


def test_start_bytes_inside_a_frame_are_data():
    assert sum(TRICKY[4:-2]) & 0xFF == TRICKY[-2]
    # Byte by byte, the E5 inside the data must not come out as an acknowledge.
    assert feed_bytewise(MbusFramer(), TRICKY + ACK) == [TRICKY_FRAME, AckFrame()]
    assert MbusFramer().feed(ACK + TRICKY + TRICKY) == [AckFrame(), TRICKY_FRAME, TRICKY_FRAME]


def test_corrupt_frame_with_start_bytes_inside_then_good_frame():
    # After a checksum failure the framer resyncs byte by byte, so it may take the E5 inside
    # the corrupt frame for an acknowledge (nothing tells the two apart), but the good frame
    # after it must still come out whole.
    frames = MbusFramer().feed(_bad_checksum(TRICKY) + RSP_UD_1)
    assert frames[-1] == RSP_UD_1_FRAME
    assert set(frames[:-1]) <= {AckFrame()}
