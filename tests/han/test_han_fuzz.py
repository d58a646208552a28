"""Property tests of the framer, the A-XDR parser, the decryptor and the whole decoder.

For any input: a result or our own DecodeError, nothing else, and nothing corrupted accepted.
Structured pushes (``han_fuzzgen``: the three list shapes, every A-XDR type, scalers of every
integer type, every transport, some ciphered) reach the interpreter itself; every input that
once broke something is a fixed example.
"""

import contextlib
import itertools
import struct

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from han_corpus import CASES, raw
from han_fuzzgen import INTEGER_TAGS, KEYS, REPROS, message
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from custom_components.mbus_han.protocol.errors import (
    AuthenticationTagError,
    DecodeError,
    DecoderFaultError,
    DecryptionError,
)
from custom_components.mbus_han.protocol.han.apdu import parse_ciphered
from custom_components.mbus_han.protocol.han.axdr import decode_all, decode_data
from custom_components.mbus_han.protocol.han.cipher import SecurityKeys, decipher
from custom_components.mbus_han.protocol.han.decoder import (
    HanStreamDecoder,
    Transport,
    decode_message,
)
from custom_components.mbus_han.protocol.han.hdlc import (
    HdlcFramer,
    crc16_x25,
    encode_hdlc_frame,
    parse_hdlc_frame,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CORPUS = [raw(case) for case in CASES]


def test_crc_check_value() -> None:
    # The catalogue check value of CRC-16/X.25 over "123456789".
    assert crc16_x25(b"123456789") == 0x906E


# --- framer -------------------------------------------------------------------------------


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


@FAST
@given(
    pieces=st.lists(st.one_of(st.binary(max_size=60), st.sampled_from(CORPUS)), max_size=6),
    cuts=st.lists(st.integers(min_value=0), max_size=20),
)
def test_framer_output_does_not_depend_on_chunking(pieces, cuts) -> None:
    data = b"".join(pieces)
    whole = HdlcFramer().feed(data)
    framer = HdlcFramer()
    chunked = [frame for chunk in _split(data, cuts) for frame in framer.feed(chunk)]
    assert chunked == whole
    assert framer.pending <= 2050 + len(data)


@FAST
@given(
    info=st.binary(max_size=300),
    destination=st.integers(min_value=0, max_value=(1 << 28) - 1),
    source=st.integers(min_value=0, max_value=(1 << 28) - 1),
    control=st.integers(min_value=0, max_value=255),
    junk=st.binary(max_size=30),
)
def test_framer_finds_every_encoded_frame_behind_junk(info, destination, source, control, junk):
    frame = encode_hdlc_frame(info, destination, source, control)
    frames = HdlcFramer().feed(junk + frame)
    assert frames[-1].information == info
    assert (frames[-1].destination, frames[-1].source) == (destination, source)


@FAST
@given(info=st.binary(min_size=1, max_size=200), bit=st.integers(min_value=0))
def test_no_single_bit_error_is_accepted(info, bit) -> None:
    frame = bytearray(encode_hdlc_frame(info))
    bit %= len(frame) * 8
    frame[bit // 8] ^= 1 << (bit % 8)
    framer = HdlcFramer()
    frames = framer.feed(bytes(frame)) + framer.flush()
    assert all(found.information != info for found in frames)
    assert len(frames) <= 1  # at most a shorter frame hidden in the data, never the original
    for found in frames:  # whatever came out passed its own check sequences, so it is real
        assert found.information in bytes(frame)


# --- A-XDR --------------------------------------------------------------------------------


def _encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes((length,))
    size = (length.bit_length() + 7) // 8
    return bytes((0x80 | size,)) + length.to_bytes(size)


def _encode(value) -> bytes:
    """A-XDR encoder written for the test from the Green Book, independent of the parser."""
    kind, payload = value
    if kind == "null":
        return b"\x00"
    if kind == "bool":
        return bytes((3, 1 if payload else 0))
    if kind == "octets":
        return b"\x09" + _encode_length(len(payload)) + payload
    if kind == "text":
        return b"\x0a" + _encode_length(len(payload)) + payload.encode("ascii")
    if kind == "utf8":
        data = payload.encode("utf-8")
        return b"\x0c" + _encode_length(len(data)) + data
    if kind in ("array", "struct"):
        tag = 1 if kind == "array" else 2
        return bytes((tag,)) + _encode_length(len(payload)) + b"".join(map(_encode, payload))
    tag, fmt = {
        "i8": (15, ">b"),
        "i16": (16, ">h"),
        "i32": (5, ">i"),
        "i64": (20, ">q"),
        "u8": (17, ">B"),
        "u16": (18, ">H"),
        "u32": (6, ">I"),
        "u64": (21, ">Q"),
        "enum": (22, ">B"),
    }[kind]
    return bytes((tag,)) + struct.pack(fmt, payload)


def _expected(value):
    kind, payload = value
    if kind == "null":
        return None
    if kind in ("array", "struct"):
        return [_expected(item) for item in payload]
    return payload


_INTS = {
    "i8": (-(2**7), 2**7 - 1),
    "i16": (-(2**15), 2**15 - 1),
    "i32": (-(2**31), 2**31 - 1),
    "i64": (-(2**63), 2**63 - 1),
    "u8": (0, 2**8 - 1),
    "u16": (0, 2**16 - 1),
    "u32": (0, 2**32 - 1),
    "u64": (0, 2**64 - 1),
    "enum": (0, 255),
}
_SCALARS = st.one_of(
    st.just(("null", None)),
    st.tuples(st.just("bool"), st.booleans()),
    st.tuples(st.just("octets"), st.binary(max_size=300)),
    st.tuples(st.just("text"), st.text(alphabet=st.characters(max_codepoint=127), max_size=40)),
    st.tuples(st.just("utf8"), st.text(max_size=20)),
    *(
        st.tuples(st.just(kind), st.integers(min_value=low, max_value=high))
        for kind, (low, high) in _INTS.items()
    ),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.tuples(
        st.sampled_from(("array", "struct")), st.lists(children, max_size=6)
    ),
    max_leaves=40,
)


@FAST
@given(value=_VALUES)
def test_axdr_round_trip(value) -> None:
    assert decode_all(_encode(value)) == _expected(value)


@FAST
@given(value=_VALUES, cut=st.integers(min_value=1))
def test_axdr_truncated_is_an_error(value, cut) -> None:
    data = _encode(value)
    cut = cut % len(data)
    try:
        decode_all(data[:cut])
    except DecodeError:
        return
    raise AssertionError("a truncated value decoded")


@FAST
@given(data=st.binary(max_size=200))
def test_axdr_any_bytes(data) -> None:
    with contextlib.suppress(DecodeError):
        decode_data(data)


def test_axdr_deep_nesting_is_refused() -> None:
    with pytest.raises(DecodeError, match="nesting"):
        decode_all(b"\x02\x01" * 10_000 + b"\x00")


# --- decryptor ----------------------------------------------------------------------------


def _ciphered(system_title: bytes, control: int, counter: int, content: bytes) -> bytes:
    body = bytes((control,)) + counter.to_bytes(4) + content
    return b"\xdb\x08" + system_title + _encode_length(len(body)) + body


@FAST
@given(
    key=st.binary(min_size=16, max_size=16),
    auth=st.binary(min_size=16, max_size=16),
    title=st.binary(min_size=8, max_size=8),
    counter=st.integers(min_value=0, max_value=2**32 - 1),
    plaintext=st.binary(max_size=300),
    bit=st.integers(min_value=0),
)
def test_gcm_round_trip_and_any_bit_flip_fails_the_tag(key, auth, title, counter, plaintext, bit):
    iv = title + counter.to_bytes(4)
    sealed = AESGCM(key).encrypt(iv, plaintext, b"\x30" + auth)  # ciphertext + 16-byte tag
    ciphertext, tag = sealed[:-16], sealed[-16:-4]  # DLMS truncates the tag to 12 bytes
    keys = SecurityKeys(key, auth)
    apdu = _ciphered(title, 0x30, counter, ciphertext + tag)
    assert decipher(parse_ciphered(apdu), keys) == plaintext
    # Encryption only: the same keystream, no tag.
    plain_only = _ciphered(title, 0x20, counter, ciphertext)
    assert decipher(parse_ciphered(plain_only), SecurityKeys(key)) == plaintext
    # Any flipped bit in title, counter, ciphertext or tag must fail authentication.
    broken = bytearray(apdu)
    header = 2  # DB 08
    length_bytes = len(_encode_length(len(apdu) - 10 - 1))
    protected = [*range(header, header + 8), *range(header + 8 + length_bytes + 1, len(apdu))]
    position = protected[bit % len(protected)]
    broken[position] ^= 1 << (bit % 8)
    try:
        decipher(parse_ciphered(bytes(broken)), keys)
    except AuthenticationTagError:
        return
    raise AssertionError("a flipped bit passed the tag check")


@FAST
@given(
    control=st.integers(min_value=0, max_value=255),
    content=st.binary(max_size=100),
    key=st.one_of(st.none(), st.binary(min_size=16, max_size=16)),
    auth=st.one_of(st.none(), st.binary(min_size=16, max_size=16)),
)
def test_decoder_on_any_ciphered_content(control, content, key, auth) -> None:
    apdu = _ciphered(b"KFM\x00\x00\x00\x00\x01", control, 1, content)
    with contextlib.suppress(DecodeError):
        decode_message(apdu, SecurityKeys(key, auth))


# --- whole decoder ------------------------------------------------------------------------


@FAST
@given(data=st.binary(max_size=400))
def test_decode_message_any_bytes(data) -> None:
    with contextlib.suppress(DecodeError):
        decode_message(data)


_PREFIXES = st.sampled_from(
    [b"\x7e\xa0", b"\x68", b"\xe6\xe7\x00\x0f", b"\x0f\x40\x00\x00\x00\x00", b"\xdb\x08"]
)


@FAST
@given(prefix=_PREFIXES, data=st.binary(max_size=300))
def test_decode_message_any_bytes_after_a_plausible_start(prefix, data) -> None:
    with contextlib.suppress(DecodeError):
        decode_message(prefix + data)


@settings(max_examples=300, deadline=None)
@given(
    case=st.sampled_from([c for c in CASES if c["transport"] in ("llc-payload", "apdu")]),
    edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=4),
)
def test_mutated_unframed_pushes_decode_or_fail_cleanly(case, edits) -> None:
    # LLC payloads and bare APDUs carry no check sequence: a changed byte may still decode, but
    # the decoder must never crash or hang on it.
    data = bytearray(raw(case))
    for position, value in edits:
        data[position % len(data)] = value
    keys = SecurityKeys.from_hex(case.get("key_hex"), case.get("auth_key_hex"))
    with contextlib.suppress(DecodeError):
        decode_message(bytes(data), keys)


def _stream(transport: Transport, data: bytes, cuts: list[int], keys: SecurityKeys) -> list:
    decoder = HanStreamDecoder(transport, keys)
    results = [result for chunk in _split(data, cuts) for result in decoder.feed(chunk)]
    results += decoder.flush()
    for result in results:  # a decoder fault is a bug caught, not a bad frame
        assert not isinstance(result, DecoderFaultError), result
        assert not isinstance(result, Exception) or isinstance(result, DecodeError)
    return results


@FAST
@given(data=st.binary(max_size=600), cuts=st.lists(st.integers(min_value=0), max_size=10))
@example(data=REPROS["scaler_long_1000"], cuts=[])
def test_stream_decoders_any_bytes(data, cuts) -> None:
    for transport in Transport:
        _stream(transport, data, cuts, SecurityKeys(bytes(16)))


STRUCTURED = settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
MESSAGES = st.randoms(use_true_random=False).map(message)


@STRUCTURED
@given(data=MESSAGES, cuts=st.lists(st.integers(min_value=0), max_size=6))
@example(data=REPROS["scaler_long_1000"], cuts=[7])
def test_structured_pushes_decode_or_are_refused_cleanly(data, cuts) -> None:
    if data[0] in (0x7E, 0x68):
        transport = Transport.HDLC if data[0] == 0x7E else Transport.MBUS
        _stream(transport, data, cuts, KEYS)
    with contextlib.suppress(DecodeError):
        reading = decode_message(data, KEYS)
        for value in reading.values.values():  # numbers only, never NaN or infinite
            assert type(value.value) in (int, float)
            assert value.value == value.value
            assert abs(value.value) != float("inf")


@STRUCTURED
@given(rng=st.randoms(use_true_random=False), case=st.sampled_from(CASES))
def test_edited_corpus_frames_with_valid_check_sequences(rng, case) -> None:
    # The HCS and FCS are recomputed, so the edits reach the APDU parser and interpreter.
    data = raw(case)
    if data[:1] != b"\x7e":
        return
    with contextlib.suppress(DecodeError):
        info = bytearray(parse_hdlc_frame(data).information)
        if not info:
            return
        for _ in range(rng.randrange(1, 4)):
            info[rng.randrange(len(info))] = rng.randrange(256)
        keys = SecurityKeys.from_hex(case.get("key_hex"), case.get("auth_key_hex"))
        _stream(Transport.HDLC, encode_hdlc_frame(bytes(info)), [], keys)


@STRUCTURED
@given(
    tag=st.sampled_from(sorted(INTEGER_TAGS)),
    data=st.data(),
    raw_value=st.integers(min_value=0, max_value=2**32 - 1),
)
@example(tag=0x10, data=None, raw_value=100)  # issue 11: a long scaler of 1000
def test_scaler_of_any_integer_type(tag, data, raw_value) -> None:
    # Blue Book scal_unit_type: value = raw x 10^scaler for an int8 scaler; beyond that the
    # push is refused, never a KeyError (issue 11). Expected values by that definition.
    size, signed = INTEGER_TAGS[tag]
    low = -(1 << (8 * size - 1)) if signed else 0
    high = (1 << (8 * size - int(signed))) - 1
    scaler = 1000 if data is None else data.draw(st.integers(min_value=low, max_value=high))
    body = (
        b"\x01\x01\x02\x03\x09\x06\x01\x00\x01\x07\x00\xff"  # 1-0:1.7.0.255, active power +
        + b"\x06"
        + raw_value.to_bytes(4)
        + b"\x02\x02"
        + bytes((tag,))
        + scaler.to_bytes(size, signed=signed)
        + b"\x16\x1b"
    )
    frame = encode_hdlc_frame(b"\xe6\xe7\x00\x0f\x00\x00\x00\x01\x00" + body)
    results = _stream(Transport.HDLC, frame, [], SecurityKeys())
    assert len(results) == 1
    if -128 <= scaler <= 127:
        expected = raw_value * 10**scaler if scaler >= 0 else raw_value / 10**-scaler
        assert results[0].values["1-0:1.7.0.255"].value == pytest.approx(expected, rel=1e-12)
    else:
        assert isinstance(results[0], DecodeError)


def test_decryption_error_is_a_decode_error() -> None:
    assert issubclass(DecryptionError, DecodeError)
