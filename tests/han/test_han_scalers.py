"""Scalers of any A-XDR integer type, and a stream that survives whatever a push holds.

The Blue Book (IEC 62056-6-2, scal_unit_type) defines the scaler as an int8 and the value as
``raw x 10^scaler``; meters also send it as long or unsigned. The expected values below are that
definition computed by hand; the frames are built byte by byte from the Green Book encoding.
"""

import pytest

from custom_components.mbus_han.protocol.errors import DecodeError, DecoderFaultError
from custom_components.mbus_han.protocol.han import decoder as decoder_module
from custom_components.mbus_han.protocol.han.decoder import (
    HanStreamDecoder,
    Transport,
    decode_message,
)
from custom_components.mbus_han.protocol.han.hdlc import crc16_x25, encode_hdlc_frame
from custom_components.mbus_han.protocol.han.reading import HanReading

# Issue 11, item 1: Aidon-style push whose scaler is a long (tag 0x10) of 1000. Captured as
# reported; its HCS and FCS are valid (checked below with the catalogue CRC-16/X.25).
ISSUE_FRAME = bytes.fromhex(
    "7ea02b410883134018e6e7000f00000001000101020309060100010700ff060000006402021003e8161b5f7a7e"
)
ACTIVE_POWER_IMPORT = "1-0:1.7.0.255"

# A-XDR integer tags (Green Book table "Data"): tag, byte size, signed
INTEGER_TYPES = {
    "integer": (0x0F, 1, True),
    "long": (0x10, 2, True),
    "double-long": (0x05, 4, True),
    "long64": (0x14, 8, True),
    "unsigned": (0x11, 1, False),
    "long-unsigned": (0x12, 2, False),
    "double-long-unsigned": (0x06, 4, False),
    "long64-unsigned": (0x15, 8, False),
    "enum": (0x16, 1, False),
}


def _power_push(scaler_data: bytes, raw: int = 100) -> bytes:
    """One {OBIS 1-0:1.7.0.255, double-long-unsigned raw, {scaler, enum W}} element, framed."""
    apdu = (
        bytes.fromhex("0f00000001000101020309060100010700ff06")
        + raw.to_bytes(4)
        + b"\x02\x02"
        + scaler_data
        + b"\x16\x1b"
    )
    return encode_hdlc_frame(b"\xe6\xe7\x00" + apdu)


def _cases() -> list[tuple[str, int]]:
    cases = []
    for name, (_, size, signed) in INTEGER_TYPES.items():
        low = max(-128, -(1 << (8 * size - 1))) if signed else 0
        high = min(127, (1 << (8 * size - int(signed))) - 1)
        cases += [(name, value) for value in sorted({low, -3, -1, 0, 1, 3, high}) if low <= value]
    return cases


@pytest.mark.parametrize(("type_name", "scaler"), _cases())
def test_scaler_of_any_integer_type_scales_the_value(type_name, scaler) -> None:
    tag, size, signed = INTEGER_TYPES[type_name]
    frame = _power_push(bytes((tag,)) + scaler.to_bytes(size, signed=signed))
    reading = decode_message(frame)
    value = reading.values[ACTIVE_POWER_IMPORT].value
    expected = 100 * 10**scaler if scaler >= 0 else 100 / 10**-scaler
    assert value == pytest.approx(expected, rel=1e-12)


def test_issue_frame_has_valid_check_sequences() -> None:
    # HCS over format..control, FCS over format..information (little-endian after each)
    assert crc16_x25(ISSUE_FRAME[1:7]) == int.from_bytes(ISSUE_FRAME[7:9], "little")
    assert crc16_x25(ISSUE_FRAME[1:-3]) == int.from_bytes(ISSUE_FRAME[-3:-1], "little")


@pytest.mark.parametrize("scaler", [1000, -129, 128, 2**63 - 1, 2**64 - 1])
def test_scaler_beyond_int8_is_a_decode_error(scaler) -> None:
    tag, size, signed = (0x14, 8, True) if scaler < 2**63 else (0x15, 8, False)
    frame = _power_push(bytes((tag,)) + scaler.to_bytes(size, signed=signed))
    with pytest.raises(DecodeError, match="scaler"):
        decode_message(frame)


def test_issue_frame_does_not_end_the_stream() -> None:
    decoder = HanStreamDecoder(Transport.HDLC)
    good = _power_push(b"\x0f\xff")  # integer -1: 10.0 W
    results = decoder.feed(ISSUE_FRAME + good) + decoder.feed(ISSUE_FRAME + good)
    assert [type(r) for r in results] == [DecodeError, HanReading] * 2
    assert results[1].values[ACTIVE_POWER_IMPORT].value == 10.0
    assert decoder.stats.readings == 2
    assert decoder.stats.undecodable == 2


@pytest.mark.parametrize("transport", list(Transport))
def test_a_decoder_bug_is_returned_with_the_bytes_and_the_stream_goes_on(
    monkeypatch, transport
) -> None:
    # A stand-in for the next unknown defect: interpreting any push raises something that is
    # not a DecodeError. The stream must report it (with the input) and keep decoding.
    real = decoder_module.interpret
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise KeyError(7)
        return real(*args, **kwargs)

    monkeypatch.setattr(decoder_module, "interpret", flaky)
    good = _power_push(b"\x0f\x00")
    if transport is Transport.MBUS:  # the same APDU as one M-Bus long frame, CI 0x10: last
        apdu = good[good.index(b"\xe6\xe7\x00") + 3 : -3]
        body = bytes((0x53, 0xFF, 0x10)) + b"\x01\x67" + apdu
        good = bytes((0x68, len(body), len(body), 0x68)) + body
        good += bytes((sum(body) & 0xFF, 0x16))
    decoder = HanStreamDecoder(transport)
    first, second = decoder.feed(good), decoder.feed(good)
    assert len(first) == 1
    assert isinstance(first[0], DecoderFaultError)
    assert isinstance(first[0].__cause__, KeyError)
    assert b"\x0f\x00\x00\x00\x01" in first[0].raw  # the push's bytes, for the one log line
    assert [type(r) for r in second] == [HanReading]
    assert decoder.stats.decoder_faults == 1


def test_a_framer_bug_is_returned_and_the_stream_goes_on(monkeypatch) -> None:
    decoder = HanStreamDecoder(Transport.HDLC)
    good = _power_push(b"\x0f\x00")
    real_feed = decoder._hdlc.feed

    def broken(chunk):
        monkeypatch.setattr(decoder._hdlc, "feed", real_feed)
        raise IndexError("framer")

    monkeypatch.setattr(decoder._hdlc, "feed", broken)
    first = decoder.feed(good[:20])
    assert [type(r) for r in first] == [DecoderFaultError]
    assert [type(r) for r in decoder.feed(good)] == [HanReading]
