"""Structured M-Bus fuzz inputs: valid long frames whose fields are drawn from every coding.

Shared by the property tests (``test_mbus_fuzz.py``, through ``st.randoms``) and
``benchmarks/fuzz.py``. The layouts follow EN 13757-3 directly (DIF data field codings of
table 4, LVAR ranges of table 5, VIF/VIFE extension bits, the 0xFB/0xFD extension tables,
plain-text VIF 0x7C/0xFC, manufacturer VIF 0x7F/0xFF) and are written here independently of the
decoder. Checksums are computed by hand (EN 13757-2: sum of C, A, CI and data, modulo 256).
"""

from __future__ import annotations

import random

# DIF data field coding (low nibble) -> data bytes; 0x0D is variable length (LVAR)
FIXED_SIZES = {0x0: 0, 0x1: 1, 0x2: 2, 0x3: 3, 0x4: 4, 0x5: 4, 0x6: 6, 0x7: 8, 0x8: 0}
FIXED_SIZES |= {0x9: 1, 0xA: 2, 0xB: 3, 0xC: 4, 0xE: 6}
BCD_CODINGS = frozenset((0x9, 0xA, 0xB, 0xC, 0xE))
CODINGS = (*FIXED_SIZES, 0xD)
MAX_USER_DATA = 252  # L = 255 minus C, A and CI

# CIs of variable data (0x72, 0x76 long header; 0x7A short; 0x78, 0x51 none), fixed data
# (0x73, 0x77), application error (0x70), and a few no decoder knows
CIS = (0x72, 0x72, 0x72, 0x76, 0x7A, 0x78, 0x51, 0x73, 0x77, 0x70, 0x00, 0x5A, 0xFF)


def long_frame(ci: int, data: bytes, control: int = 0x08, address: int = 0) -> bytes:
    """``68 L L 68 C A CI data CS 16`` with a correct length and checksum."""
    body = bytes((control, address, ci)) + data
    return bytes((0x68, len(body), len(body), 0x68)) + body + bytes((sum(body) & 0xFF, 0x16))


def _bcd_digits(rng: random.Random, size: int) -> bytes:
    digits = [rng.randrange(10) for _ in range(2 * size)]
    if digits and rng.random() < 0.05:  # invalid digit or sign nibble (F = minus in the top nibble)
        digits[rng.randrange(len(digits))] = rng.randrange(10, 16)
    return bytes(digits[2 * i] << 4 | digits[2 * i + 1] for i in range(size))


def dib(rng: random.Random, coding: int) -> bytes:
    """DIF with random function and storage bit, then 0-3 DIFEs (storage, tariff, subunit)."""
    difes = [rng.randrange(256) & 0x7F for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3)))]
    dif = coding | rng.randrange(4) << 4 | rng.randrange(2) << 6 | (0x80 if difes else 0)
    return bytes((dif, *(d | 0x80 for d in difes[:-1]), *difes[-1:]))


def vib(rng: random.Random) -> bytes:
    """A VIF from the whole primary table or an extension table, plus 0-3 VIFEs."""
    kind = rng.random()
    vifes = [rng.randrange(128) for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3)))]
    if kind < 0.7:
        first = rng.randrange(0x7C)  # primary table (E000 0000 .. E111 1011)
    elif kind < 0.8:
        first = rng.choice((0xFB, 0xFD))  # extension tables: the next byte is the real VIF
        vifes.insert(0, rng.randrange(128))
    elif kind < 0.9:
        first = rng.choice((0x7C, 0xFC))  # plain text unit follows the VIFEs
    else:
        first = rng.choice((0x7E, 0x7F, 0xFE, 0xFF, 0xEF))  # any VIF, manufacturer, reserved
    if vifes:
        first |= 0x80
    out = bytearray((first,))
    out += bytes(v | 0x80 for v in vifes[:-1]) + bytes(vifes[-1:])
    if first & 0x7F == 0x7C:
        text = bytes(rng.randrange(0x20, 0x7F) for _ in range(rng.randrange(6)))
        out += bytes((len(text),)) + text
    return bytes(out)


def lvar_data(rng: random.Random) -> bytes:
    """LVAR and its data for every range of EN 13757-3 table 5, reserved ones included."""
    lvar = rng.choice(
        (
            rng.randrange(0x00, 0xC0),  # text of LVAR characters
            rng.randrange(0xC0, 0xCA),  # positive BCD, (LVAR - C0) x 2 digits
            rng.randrange(0xD0, 0xDA),  # negative BCD
            rng.randrange(0xE0, 0xF0),  # binary, LVAR - E0 bytes
            rng.randrange(0xF0, 0xF5),  # binary, 4 x (LVAR - EC) bytes
            rng.randrange(0xF5, 0xF7),  # binary, 48 or 64 bytes
            rng.randrange(0xF7, 0x100),  # reserved
        )
    )
    if lvar < 0xC0:
        size = lvar
    elif lvar < 0xE0:
        size = lvar & 0x0F
    elif lvar < 0xF0:
        size = lvar - 0xE0
    elif lvar < 0xF5:
        size = 4 * (lvar - 0xEC)
    else:
        size = {0xF5: 48, 0xF6: 64}.get(lvar, rng.randrange(8))
    size = min(size, 64)
    if lvar < 0xC0:
        data = bytes(rng.randrange(0x20, 0x7F) for _ in range(size))
    elif lvar < 0xE0:
        data = _bcd_digits(rng, size)
    else:
        data = rng.randbytes(size)
    return bytes((lvar,)) + data


def record(rng: random.Random) -> bytes:
    """One data record: DIB, VIB and data of the size its coding says."""
    coding = rng.choice(CODINGS)
    head = dib(rng, coding) + vib(rng)
    if coding == 0xD:
        return head + lvar_data(rng)
    size = FIXED_SIZES[coding]
    if coding in BCD_CODINGS:
        return head + _bcd_digits(rng, size)
    if coding == 0x5 and rng.random() < 0.1:  # real32 specials: NaN, infinities
        return head + rng.choice((b"\x00\x00\xc0\x7f", b"\x00\x00\x80\x7f", b"\x00\x00\x80\xff"))
    return head + rng.randbytes(size)


def long_header(rng: random.Random) -> bytes:
    """ID (BCD), manufacturer, version, medium, access number, status, signature."""
    return _bcd_digits(rng, 4) + rng.randbytes(8)


def user_data(rng: random.Random, ci: int) -> bytes:
    """Header for ``ci`` and records up to the frame's limit, sometimes with DIF 0x0F/0x1F."""
    if ci in (0x73, 0x77):  # fixed structure: ID, access, status, units, two counters
        return _bcd_digits(rng, 4) + rng.randbytes(rng.choice((12, 12, 12, rng.randrange(20))))
    if ci in (0x72, 0x76):
        data = long_header(rng)
    elif ci == 0x7A:
        data = rng.randbytes(4)
    else:
        data = b""
    for _ in range(rng.randrange(1, 12)):
        extra = record(rng)
        if len(data) + len(extra) > MAX_USER_DATA - 4:
            break
        data += extra
    tail = rng.random()
    if tail < 0.1:
        data += b"\x1f"  # more records follow
    elif tail < 0.2:
        data += b"\x0f" + rng.randbytes(rng.randrange(4))  # manufacturer data
    elif tail < 0.25:
        data += b"\x2f" * rng.randrange(1, 4)  # idle filler
    return data[:MAX_USER_DATA]


def telegram(rng: random.Random) -> bytes:
    """A whole RSP_UD long frame with a correct checksum and structured user data."""
    ci = rng.choice(CIS)
    return long_frame(ci, user_data(rng, ci), rng.choice((0x08, 0x18, 0x28)), rng.randrange(256))


def mutate(rng: random.Random, data: bytes) -> bytes:
    """A few random edits: bit flips, byte values, insertions, deletions, truncation."""
    out = bytearray(data)
    for _ in range(rng.randrange(1, 4)):
        edit = rng.randrange(5)
        position = rng.randrange(len(out) + 1)
        if edit == 0 and out:
            out[position % len(out)] ^= 1 << rng.randrange(8)
        elif edit == 1 and out:
            out[position % len(out)] = rng.randrange(256)
        elif edit == 2:
            out[position:position] = rng.randbytes(rng.randrange(1, 4))
        elif edit == 3:
            del out[position : position + rng.randrange(1, 4)]
        else:
            del out[position:]
    return bytes(out)


def reframe(rng: random.Random, frame: bytes) -> bytes:
    """Mutate the user data of a long frame and frame it again, checksum fixed."""
    if len(frame) < 9 or frame[0] != 0x68:
        return mutate(rng, frame)
    ci, data = frame[6], frame[7:-2]
    return long_frame(ci, mutate(rng, data)[:MAX_USER_DATA], frame[4], frame[5])


# Inputs that broke the decoder or the runtime once (issue 11), kept as fixed seeds.
REPROS: dict[str, bytes] = {
    # type J (time of day, 24-bit) under VIF 6D: a value that is no date-time
    "time_of_day_vif_6d": long_frame(
        0x72, bytes.fromhex("785634122C2D1B04000000 00") + b"\x03\x6d\x05\x04\x0c"
    ),
    # reserved LVAR 0xF7 (EN 13757-3 table 5)
    "reserved_lvar_f7": long_frame(
        0x72, bytes.fromhex("71234567 2C2D 1A 04 00 00 0000") + b"\x0d\x13\xf7" + bytes(8)
    ),
    # ELV Elvaco CMa10 from the libmbus corpus: ends in DIF 0x1F
    "elvaco_cma10_more_follow": bytes.fromhex(
        "68 53 53 68 08 0B 72 61 15 01 24 96 15 16 00 3F 00 00 00 01 FD 1B 02 02 FC 03 48 52 25"
        " 74 22 15 22 FC 03 48 52 25 74 24 0D 12 FC 03 48 52 25 74 C3 1C 02 65 2E 08 22 65 5C 05"
        " 12 65 A2 0B 01 72 18 42 65 2C 08 82 01 65 1F 08 0C 78 61 15 01 24 03 FD 0F 00 00 04 1F"
        " BD 16"
    ),
    # a long frame of L = 255 with a bad checksum, which a gateway looped forever
    "junk_long_frame": b"\x68\xff\xff\x68" + bytes(255) + b"\x01\x16",
}
