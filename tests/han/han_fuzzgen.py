"""Structured HAN fuzz inputs: data-notifications in the three list shapes, any A-XDR type.

Shared by the property tests (``test_han_fuzz.py``, through ``st.randoms``) and
``benchmarks/fuzz.py``. Values are encoded here from the Green Book's ``Data`` table (every
tag, integers of every width, scaler-units whose scaler has any integer type), independently
of the decoder; framing (HDLC, M-Bus segments, ciphering) uses the protocol package's encoders,
whose output the corpus tests check byte for byte.
"""

from __future__ import annotations

import random

from custom_components.mbus_han.protocol.han.cipher import SecurityKeys
from custom_components.mbus_han.protocol.han.encode import glo_cipher, llc, mbus_frames
from custom_components.mbus_han.protocol.han.hdlc import MAX_FRAME_LENGTH, encode_hdlc_frame
from custom_components.mbus_han.protocol.han.lists import LIST_SPECS
from custom_components.mbus_han.protocol.han.obis import DLMS_UNITS, measurement, obis_text

# tag -> (bytes, signed) for every A-XDR integer (Green Book "Data" CHOICE)
INTEGER_TAGS = {
    0x0F: (1, True),  # integer
    0x10: (2, True),  # long
    0x05: (4, True),  # double-long
    0x14: (8, True),  # long64
    0x11: (1, False),  # unsigned
    0x12: (2, False),  # long-unsigned
    0x06: (4, False),  # double-long-unsigned
    0x15: (8, False),  # long64-unsigned
    0x16: (1, False),  # enum
}
# DLMS units (Blue Book scaler_unit enum): W, VA, var, Wh, VAh, varh, A, V, Hz, none, and others
UNITS = (27, 28, 29, 30, 31, 32, 33, 35, 44, 255, 0, 1, 7, 9, 13, 56, 254)
ELECTRICITY_C = (
    1,
    2,
    3,
    4,
    9,
    10,
    11,
    12,
    13,
    14,
    21,
    22,
    23,
    24,
    31,
    32,
    33,
    41,
    51,
    52,
    71,
    72,
    73,
)
IDENTITY_CODES = (
    bytes((1, 1, 0, 2, 129, 255)),  # list version
    bytes((0, 0, 96, 1, 0, 255)),  # meter id
    bytes((0, 0, 96, 1, 7, 255)),  # meter type
    bytes((1, 1, 0, 0, 5, 255)),  # Kamstrup meter id
    bytes((1, 1, 96, 1, 1, 255)),  # Kamstrup meter type
    bytes((0, 0, 1, 0, 0, 255)),  # clock
    bytes((0, 1, 1, 0, 0, 255)),  # Kamstrup clock
)
LIST_VERSIONS = (b"KFM_001", b"Kamstrup_V0001", b"AIDON_V0001", b"AIDON_V0002", b"XYZ")
UNIT_CODES = {unit: code for code, unit in DLMS_UNITS.items()}
KAIFA_LENGTHS = tuple(LIST_SPECS["KFM_001"].layouts)
KEYS = SecurityKeys(bytes(range(16)), bytes(range(16, 32)))
SYSTEM_TITLE = b"KFM\x00\x01\x02\x03\x04"


def integer(rng: random.Random, tag: int | None = None, small: bool = False) -> tuple[bytes, int]:
    """An integer of any width (or of ``tag``): encoded bytes and its value."""
    tag = tag if tag is not None else rng.choice(tuple(INTEGER_TAGS))
    size, signed = INTEGER_TAGS[tag]
    low = -(1 << (8 * size - 1)) if signed else 0
    high = (1 << (8 * size - int(signed))) - 1
    if small:
        value = max(low, min(high, rng.randrange(-6, 7)))
    else:
        value = rng.choice(
            (low, high, 0, rng.randint(low, high), rng.randint(max(low, -1000), min(high, 1000)))
        )
    return bytes((tag,)) + value.to_bytes(size, signed=signed), value


def length(value: int) -> bytes:
    """A-XDR length: one byte below 0x80, else 0x8n and n bytes."""
    if value < 0x80:
        return bytes((value,))
    size = (value.bit_length() + 7) // 8
    return bytes((0x80 | size,)) + value.to_bytes(size)


def date_time(rng: random.Random) -> bytes:
    """A 12-octet COSEM date-time, valid most of the time, with not-specified fields."""
    if rng.random() < 0.2:
        return rng.randbytes(12)
    year = rng.choice((2024, 2025, 0xFFFF, rng.randrange(0x10000)))
    fields = (
        rng.choice((1, 6, 12, 0xFF, 13)),
        rng.choice((1, 15, 28, 31, 0xFF, 0)),
        rng.choice((1, 7, 0xFF)),
        rng.choice((0, 12, 23, 0xFF, 24)),
        rng.choice((0, 30, 59, 0xFF)),
        rng.choice((0, 30, 59, 0xFF)),
        0xFF,
    )
    return (
        year.to_bytes(2)
        + bytes(fields)
        + rng.choice((b"\x80\x00", b"\xff\xc4", b"\x00\x3c"))
        + bytes((rng.choice((0, 0x80, 0xFF)),))
    )


def value(rng: random.Random, depth: int = 0) -> bytes:
    """Any ``Data`` value: every tag, nested arrays/structures, sometimes an invalid tag."""
    kind = rng.random()
    if kind < 0.45:
        return integer(rng)[0]
    if kind < 0.55:
        return b"\x09" + length(n := rng.choice((0, 6, 12, rng.randrange(40)))) + rng.randbytes(n)
    if kind < 0.6:
        text = bytes(rng.randrange(0x20, 0x7F) for _ in range(rng.randrange(20)))
        return b"\x0a" + length(len(text)) + text
    if kind < 0.63:
        text = rng.choice(("Ω", "æøå", "", "x" * 5)).encode()
        return b"\x0c" + length(len(text)) + text
    if kind < 0.68:
        return rng.choice((b"\x17", b"\x18")) + rng.randbytes(4 if kind < 0.655 else 8)  # float
    if kind < 0.72:
        return rng.choice((b"\x00", b"\x03\x01", b"\x03\x00", b"\x0d" + rng.randbytes(1)))
    if kind < 0.75:
        return rng.choice(
            (b"\x19" + date_time(rng), b"\x1a" + rng.randbytes(5), b"\x1b" + rng.randbytes(4))
        )
    if kind < 0.77:
        bits = rng.randrange(20)
        return b"\x04" + length(bits) + rng.randbytes((bits + 7) // 8)
    if kind < 0.95 and depth < 3:
        items = [value(rng, depth + 1) for _ in range(rng.randrange(4))]
        return rng.choice((b"\x01", b"\x02")) + length(len(items)) + b"".join(items)
    return bytes((rng.randrange(256),)) + rng.randbytes(rng.randrange(4))  # any tag at all


def obis(rng: random.Random) -> bytes:
    """An OBIS code: an electricity value, an identity or clock object, or anything."""
    kind = rng.random()
    if kind < 0.6:
        return bytes(
            (1, rng.choice((0, 1)), rng.choice(ELECTRICITY_C), rng.choice((7, 8, 7)), 0, 255)
        )
    if kind < 0.85:
        return rng.choice(IDENTITY_CODES)
    return rng.randbytes(6)


def scaler_unit(rng: random.Random, code: bytes | None = None) -> bytes:
    """{scaler of any integer type, enum unit}: small scalers mostly, any value sometimes.

    The unit is mostly the one the code's quantity has, so that the value gets through.
    """
    scaler, _ = integer(rng, small=rng.random() < 0.8)
    known = measurement(obis_text(code)) if code is not None else None
    if known is not None and rng.random() < 0.8:
        unit = UNIT_CODES[known[1]]
    else:
        unit = rng.choice(UNITS) if rng.random() < 0.9 else rng.randrange(256)
    return b"\x02\x02" + scaler + b"\x16" + bytes((unit,))


def _octets(data: bytes) -> bytes:
    return b"\x09" + length(len(data)) + data


def _element_value(rng: random.Random, code: bytes) -> bytes:
    if code in IDENTITY_CODES[-2:] and rng.random() < 0.8:
        return _octets(date_time(rng))
    if code in IDENTITY_CODES and rng.random() < 0.95:
        return _octets(rng.choice((*LIST_VERSIONS, b"6970631401234567", b"\x01\x02")))
    return integer(rng)[0] if rng.random() < 0.8 else value(rng)


def body(rng: random.Random) -> bytes:
    """A notification body in one of the three shapes the meters use, or anything."""
    shape = rng.random()
    count = rng.randrange(1, 14)
    if shape < 0.4:  # Aidon: array of {OBIS, value[, scaler-unit]}
        items = []
        for _ in range(count):
            code = obis(rng)
            parts = [_octets(code), _element_value(rng, code)]
            if rng.random() < 0.7:
                parts.append(scaler_unit(rng, code))
            items.append(b"\x02" + length(len(parts)) + b"".join(parts))
        return b"\x01" + length(len(items)) + b"".join(items)
    if shape < 0.75:  # Kamstrup / Austria: flat OBIS, value[, scaler-unit] pairs
        items = []
        if rng.random() < 0.5:
            items.append(_octets(rng.choice(LIST_VERSIONS)))
        if rng.random() < 0.3:
            items.append(_octets(date_time(rng)))
        for _ in range(count):
            code = obis(rng)
            items += [_octets(code), _element_value(rng, code)]
            if rng.random() < 0.3:
                items.append(scaler_unit(rng, code))
            if rng.random() < 0.1:
                items.append(b"\x00")  # null padding
        return b"\x02" + length(len(items)) + b"".join(items)
    if shape < 0.95:  # Kaifa: bare values after the list version, named by position
        items = [_octets(b"KFM_001")] if rng.random() < 0.9 else []
        count = rng.choice(KAIFA_LENGTHS) - len(items) if rng.random() < 0.8 else count
        items += [integer(rng)[0] if rng.random() < 0.9 else value(rng) for _ in range(count)]
        return b"\x02" + length(len(items)) + b"".join(items)
    return value(rng)


def apdu(rng: random.Random) -> bytes:
    """A data-notification: invoke id, date-time absent/length-only/tagged, and a body."""
    header_time = rng.random()
    if header_time < 0.4:
        time_field = b"\x00"
    elif header_time < 0.7:
        time_field = b"\x0c" + date_time(rng)
    else:
        time_field = b"\x09\x0c" + date_time(rng)
    return b"\x0f" + rng.randbytes(4) + time_field + body(rng)


def message(rng: random.Random) -> bytes:
    """A push as it arrives: HDLC, M-Bus segments, LLC payload or bare APDU, maybe ciphered."""
    data = apdu(rng)
    if rng.random() < 0.15:
        data = glo_cipher(
            data,
            KEYS if rng.random() < 0.5 else SecurityKeys(KEYS.encryption_key),
            SYSTEM_TITLE,
            rng.randrange(1 << 32),
        )
    transport = rng.random()
    if transport < 0.6 and len(data) + 16 < MAX_FRAME_LENGTH:
        return encode_hdlc_frame(llc(data))
    if transport < 0.8 and len(data) < 16 * 250:
        return mbus_frames(data)
    if transport < 0.9:
        return llc(data)
    return data


# Inputs that broke the decoder or the runtime once (issue 11), kept as fixed seeds.
REPROS: dict[str, bytes] = {
    # scaler sent as long 1000 (an int8 by the standard): KeyError ended the HAN listener
    "scaler_long_1000": bytes.fromhex(
        "7ea02b410883134018e6e7000f00000001000101020309060100010700ff060000006402021003e8161b5f7a7e"
    ),
}
