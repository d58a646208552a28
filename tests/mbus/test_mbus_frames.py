"""Link-layer frames (EN 13757-2 FT1.2) and request encoders, with hand-computed bytes."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.mbus_han.protocol.errors import FrameError
from custom_components.mbus_han.protocol.mbus.frames import (
    AckFrame,
    ControlFrame,
    LongFrame,
    ShortFrame,
    checksum,
    encode_frame,
    frame_length,
    parse_frame,
)
from custom_components.mbus_han.protocol.mbus.requests import (
    RequestError,
    SecondaryAddress,
    application_reset,
    req_ud2,
    select_secondary,
    set_primary_address,
    snd_nke,
    switch_baud_rate,
)


def test_checksum_is_byte_sum_mod_256():
    assert checksum(b"\x40\x05") == 0x45
    assert checksum(b"\xff\x02") == 0x01


def test_ack_round_trip():
    assert encode_frame(AckFrame()) == b"\xe5"
    assert parse_frame(b"\xe5") == AckFrame()
    assert not AckFrame().from_master


def test_short_frame():
    # SND_NKE to address 5: C=40 A=05 CS=45
    raw = bytes.fromhex("10 40 05 45 16")
    assert encode_frame(snd_nke(5)) == raw
    frame = parse_frame(raw)
    assert frame == ShortFrame(0x40, 5)
    assert frame.from_master


def test_req_ud2_fcb():
    assert encode_frame(req_ud2(1, fcb=False)) == bytes.fromhex("10 5B 01 5C 16")
    assert encode_frame(req_ud2(1, fcb=True)) == bytes.fromhex("10 7B 01 7C 16")


def test_control_frame():
    raw = bytes.fromhex("68 03 03 68 53 01 BD 11 16")  # 0x53+0x01+0xBD = 0x111
    assert encode_frame(switch_baud_rate(1, 9600)) == raw
    assert parse_frame(raw) == ControlFrame(0x53, 1, 0xBD)


def test_long_frame():
    raw = bytes.fromhex("68 04 04 68 08 01 72 AA 25 16")  # 08+01+72+AA = 0x125
    frame = parse_frame(raw)
    assert frame == LongFrame(0x08, 1, 0x72, b"\xaa")
    assert not frame.from_master
    assert encode_frame(frame) == raw


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("11 40 05 45 16", "starts no"),
        ("10 40 05 45 17", "stop byte"),
        ("10 40 05 46 16", "checksum"),
        ("68 04 05 68 08 01 72 AA 1D 16", "differ"),
        ("68 04 04 69 08 01 72 AA 1D 16", "header ends"),
        ("68 02 02 68 08 01 09 16", "shorter"),
        ("68 04 04 68 08 01 72 AA 1D", "truncated"),
        ("68 04 04 68 08 01 72 AA 1D 16 00", "after the end"),
        ("", "empty"),
    ],
)
def test_bad_frames_raise_frame_error(raw, fragment):
    with pytest.raises(FrameError, match=fragment):
        parse_frame(bytes.fromhex(raw))


def test_frame_length():
    assert frame_length(b"") is None
    assert frame_length(b"\xe5") == 1
    assert frame_length(b"\x10") == 5
    assert frame_length(b"\x68\x04") is None
    assert frame_length(b"\x68\x04\x04\x68") == 10
    with pytest.raises(FrameError):
        frame_length(b"\x00")


def test_encode_rejects_oversize():
    with pytest.raises(FrameError):
        encode_frame(LongFrame(8, 1, 0x72, bytes(253)))
    with pytest.raises(FrameError):
        encode_frame(ShortFrame(0x100, 1))


def test_select_secondary_wildcards():
    raw = encode_frame(select_secondary(SecondaryAddress("12345678")))
    body = bytes.fromhex("53 FD 52 78 56 34 12 FF FF FF FF")
    assert raw == bytes.fromhex("68 0B 0B 68") + body + bytes((sum(body) & 0xFF, 0x16))
    assert SecondaryAddress("1234FFFF").to_bytes()[:4] == bytes.fromhex("FF FF 34 12")


def test_secondary_address_fields():
    # KAM = ((11*32)+1)*32+13 = 0x2C2D, little endian 2D 2C
    addr = SecondaryAddress("00000001", manufacturer="KAM", version=0x19, medium=0x04)
    assert addr.to_bytes() == bytes.fromhex("01 00 00 00 2D 2C 19 04")
    # libmbus's text keeps the bytes in wire order: 2D2C, not the code 2C2D.
    assert SecondaryAddress.parse("000000012D2C1904") == addr
    for bad in ("1234567", "1234567A", "123456789"):
        with pytest.raises(RequestError):
            SecondaryAddress(bad)
    with pytest.raises(RequestError):
        SecondaryAddress("12345678", version=0xFF)


def test_other_requests():
    assert set_primary_address(0, 8).data == bytes.fromhex("01 7A 08")
    assert set_primary_address(0, 8).ci == 0x51
    assert application_reset(3) == ControlFrame(0x53, 3, 0x50)
    assert application_reset(3, 0x10) == LongFrame(0x53, 3, 0x50, b"\x10")
    for baud, ci in ((300, 0xB8), (2400, 0xBB), (38400, 0xBF)):
        assert switch_baud_rate(1, baud).ci == ci
    for call in (
        lambda: snd_nke(256),
        lambda: req_ud2(-1, fcb=True),
        lambda: set_primary_address(1, 251),
        lambda: switch_baud_rate(1, 1234),
        lambda: application_reset(1, 256),
    ):
        with pytest.raises(RequestError):
            call()


frames = st.one_of(
    st.just(AckFrame()),
    st.builds(ShortFrame, st.integers(0, 255), st.integers(0, 255)),
    st.builds(ControlFrame, st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
    st.builds(
        LongFrame,
        st.integers(0, 255),
        st.integers(0, 255),
        st.integers(0, 255),
        st.binary(min_size=1, max_size=252),
    ),
)


@settings(max_examples=200)
@given(frames)
def test_round_trip(frame):
    raw = encode_frame(frame)
    assert frame_length(raw) == len(raw)
    assert parse_frame(raw) == frame
