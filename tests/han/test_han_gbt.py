"""General-block-transfer (issue 12 item 7): one push split into blocks across HDLC frames.

Encoding from the Green Book (DLMS UA 1000-2, 9.4.6.13) / IEC 62056-5-3: ``E0``, block
control (bit 7 last block, bit 6 streaming, bits 0-5 window), block number (2 octets),
acknowledged block number (2 octets), block data as octet-string with A-XDR length. Blocks are
numbered from 1; only the first HDLC frame carries the LLC header. Two real Landis+Gyr E450
captures (see han_captures), and pushes built here by hand from that encoding, ciphered with
AES-GCM computed by ``cryptography`` as Green Book 9.2.7 specifies (IV = system title +
invocation counter, AAD = security control + authentication key, 12-octet tag).
"""

import random
from itertools import accumulate, pairwise

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from han_captures import (
    LG_E450_2,
    LG_E450_2_AUTH_KEY,
    LG_E450_2_KEY,
    LG_E450_2_RAW,
    LG_E450_CYPRUS,
    SALZBURG_NETZ_APDU,
    SALZBURG_VALUES,
)

from custom_components.mbus_han.protocol.errors import (
    AuthenticationTagError,
    DecodeError,
    NoKnownValuesError,
)
from custom_components.mbus_han.protocol.han.apdu import parse_ciphered, parse_data_notification
from custom_components.mbus_han.protocol.han.cipher import SecurityKeys, decipher
from custom_components.mbus_han.protocol.han.clock import parse_clock
from custom_components.mbus_han.protocol.han.decoder import HanStreamDecoder, decode_message
from custom_components.mbus_han.protocol.han.gbt import BlockAssembler, parse_block
from custom_components.mbus_han.protocol.han.hdlc import HdlcFramer, encode_hdlc_frame
from custom_components.mbus_han.protocol.han.obis import obis_text

LLC = bytes.fromhex("E6E700")
KEY = bytes(range(16))
AUTH_KEY = bytes(range(0xD0, 0xE0))
TITLE = b"LGZ" + bytes.fromhex("6773701B77")
KEYS = SecurityKeys(KEY, AUTH_KEY)


def _length(size: int) -> bytes:
    """A-XDR length: one octet below 0x80, else 0x81/0x82 and the length."""
    if size < 0x80:
        return bytes((size,))
    if size < 0x100:
        return bytes((0x81, size))
    return bytes((0x82,)) + size.to_bytes(2)


def _block(number: int, data: bytes, last: bool) -> bytes:
    control = 0x40 | (0x80 if last else 0)  # streaming, window 0, as the E450 sends
    return bytes((0xE0, control)) + number.to_bytes(2) + b"\x00\x00" + _length(len(data)) + data


def _frames(apdu: bytes, sizes: list[int]) -> list[bytes]:
    """The push as HDLC frames, one block each, cut after the given numbers of octets."""
    bounds = [0, *accumulate(sizes), len(apdu)]
    pieces = [apdu[start:end] for start, end in pairwise(bounds)]
    frames = []
    for index, piece in enumerate(pieces):
        block = _block(index + 1, piece, last=index == len(pieces) - 1)
        frames.append(encode_hdlc_frame(LLC + block if index == 0 else block))
    return frames


def _glo_cipher(apdu: bytes, counter: int = 0x1234) -> bytes:
    """general-glo-ciphering, security control 0x30 (encrypted, authenticated)."""
    iv = TITLE + counter.to_bytes(4)
    sealed = AESGCM(KEY).encrypt(iv, apdu, bytes((0x30,)) + AUTH_KEY)
    content = bytes((0x30,)) + counter.to_bytes(4) + sealed[:-16] + sealed[-16:-4]
    return bytes((0xDB, 8)) + TITLE + _length(len(content)) + content


def _values(reading) -> dict[str, float]:
    return {code: value.value for code, value in reading.values.items()}


def test_e450_capture_joins_to_the_ciphered_push_its_project_decodes() -> None:
    framer = HdlcFramer()
    infos = [frame.information for frame in framer.feed(LG_E450_2)]
    assert len(infos) == 3
    assert infos[0][:3] == LLC
    assert infos[1][:1] == infos[2][:1] == b"\xe0"
    assembler = BlockAssembler()
    parts = [
        assembler.add(parse_block(info[3:] if i == 0 else info)) for i, info in enumerate(infos)
    ]
    assert parts[:2] == [None, None]
    apdu = parts[2]
    assert apdu is not None
    ciphered = parse_ciphered(apdu)  # its length field covers exactly the joined blocks
    assert ciphered.security_control == 0x30
    keys = SecurityKeys.from_hex(LG_E450_2_KEY, LG_E450_2_AUTH_KEY)
    body = parse_data_notification(decipher(ciphered, keys)).body  # the tag is checked
    clock, *pairs = body
    assert parse_clock(clock).isoformat == "2023-11-10T10:58:50"
    raw = {obis_text(code): value for code, value in zip(pairs[::2], pairs[1::2], strict=True)}
    assert raw == LG_E450_2_RAW  # dlms_parser's expected values for this capture


def test_e450_capture_decodes_as_one_push_with_the_tag_checked() -> None:
    keys = SecurityKeys.from_hex(LG_E450_2_KEY, LG_E450_2_AUTH_KEY)
    # Its registers carry no scaler-unit and no table fixes them: no value, so an error; but
    # the tag held (a wrong authentication key fails it).
    with pytest.raises(NoKnownValuesError):
        decode_message(LG_E450_2, keys)
    wrong = SecurityKeys.from_hex(LG_E450_2_KEY, "00" * 16)
    with pytest.raises(AuthenticationTagError):
        decode_message(LG_E450_2, wrong)


@pytest.mark.parametrize("seed", range(5))
def test_unencrypted_e450_capture_in_random_chunks_is_one_push(seed: int) -> None:
    rng = random.Random(seed)
    stream = HanStreamDecoder()
    results, pos = [], 0
    while pos < len(LG_E450_CYPRUS):
        size = rng.randint(1, 40)
        results += stream.feed(LG_E450_CYPRUS[pos : pos + size])
        pos += size
    assert len(results) == 1  # three frames, one push
    assert isinstance(results[0], NoKnownValuesError)
    assert "1-0:1.8.1.255" in str(results[0])


def test_blocks_built_from_the_standard_decode_to_the_values() -> None:
    frames = _frames(SALZBURG_NETZ_APDU, [100, 150])
    assert len(frames) == 3
    assert _values(decode_message(b"".join(frames))) == pytest.approx(SALZBURG_VALUES)
    stream = HanStreamDecoder()
    readings = [result for frame in frames for result in stream.feed(frame)]
    assert len(readings) == 1
    assert _values(readings[0]) == pytest.approx(SALZBURG_VALUES)


def test_ciphered_push_in_blocks_is_deciphered_and_authenticated() -> None:
    frames = _frames(_glo_cipher(SALZBURG_NETZ_APDU), [80, 80, 80])
    reading = decode_message(b"".join(frames), KEYS)
    assert _values(reading) == pytest.approx(SALZBURG_VALUES)
    assert reading.security is not None
    assert reading.security.authenticated
    assert reading.security.invocation_counter == 0x1234


def test_altered_block_fails_the_tag() -> None:
    ciphered = bytearray(_glo_cipher(SALZBURG_NETZ_APDU))
    ciphered[120] ^= 0x01  # in the second block's ciphertext; the HDLC frames stay intact
    frames = _frames(bytes(ciphered), [80, 80, 80])
    with pytest.raises(AuthenticationTagError):
        decode_message(b"".join(frames), KEYS)


def test_a_missing_block_drops_the_push_and_the_next_one_decodes() -> None:
    frames = _frames(SALZBURG_NETZ_APDU, [100, 150])
    stream = HanStreamDecoder()
    results = stream.feed(frames[0] + frames[2])  # block 2 lost
    assert len(results) == 1
    assert isinstance(results[0], DecodeError)
    assert "block 3 follows block 1" in str(results[0])
    with pytest.raises(DecodeError):
        decode_message(frames[0] + frames[2])
    readings = stream.feed(b"".join(frames))
    assert [_values(r) for r in readings] == [pytest.approx(SALZBURG_VALUES)]


def test_a_push_whose_last_block_never_came_is_an_error() -> None:
    frames = _frames(SALZBURG_NETZ_APDU, [100, 150])
    stream = HanStreamDecoder()
    assert stream.feed(frames[0] + frames[1]) == []
    results = stream.feed(b"".join(frames))  # the next push starts with block 1 again
    assert len(results) == 2
    assert isinstance(results[0], DecodeError)
    assert "last block" in str(results[0])
    assert _values(results[1]) == pytest.approx(SALZBURG_VALUES)
    with pytest.raises(DecodeError, match="without its last block"):
        decode_message(frames[0] + frames[1])


def test_a_later_block_without_its_predecessors_is_an_error() -> None:
    frames = _frames(SALZBURG_NETZ_APDU, [100, 150])
    results = HanStreamDecoder().feed(frames[1])
    assert len(results) == 1
    assert "without its predecessors" in str(results[0])


def test_block_length_must_cover_the_block_exactly() -> None:
    block = _block(1, SALZBURG_NETZ_APDU, last=True)
    assert _values(decode_message(block)) == pytest.approx(SALZBURG_VALUES)  # bare, one block
    with pytest.raises(DecodeError, match="says"):
        decode_message(block[:-1])
    with pytest.raises(DecodeError, match="says"):
        decode_message(block + b"\x00")
