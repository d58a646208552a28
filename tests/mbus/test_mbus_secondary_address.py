"""Secondary addresses in libmbus's text form, and manufacturer codes that hold no letters.

Independent sources: libmbus (rscada/libmbus, mbus/mbus-protocol.c)
``mbus_frame_get_secondary_address`` prints ``"%08lu%02X%02X%02X%02X"`` from the ID, then
``header.manufacturer[0]``, ``[1]`` (the two bytes as received, low byte first), version and
medium; ``mbus_frame_select_secondary_pack`` copies the four manufacturer digits back into
data[4] (first pair) and data[5] (second pair). Manufacturer codes are by hand from EN 13757-3
5.6: each letter is ``ord(letter) - 64`` in 5 bits, ``c1 << 10 | c2 << 5 | c3``.
"""

import pytest

from custom_components.mbus_han.protocol.errors import ProtocolError
from custom_components.mbus_han.protocol.mbus.encode import Identity
from custom_components.mbus_han.protocol.mbus.manufacturer import (
    decode_manufacturer,
    encode_manufacturer,
)
from custom_components.mbus_han.protocol.mbus.master import parse_address
from custom_components.mbus_han.protocol.mbus.requests import RequestError, SecondaryAddress
from custom_components.mbus_han.protocol.mbus.telegram import decode_long_header

# SLB: S = 19, L = 12, B = 2 -> 19 * 1024 + 12 * 32 + 2 = 19842 = 0x4D82, sent as 82 4D.
SLB_HEADER = bytes.fromhex("78 56 34 12 82 4D 1A 04 00 00 00 00")


def test_header_prints_libmbus_form():
    header = decode_long_header(SLB_HEADER)
    assert header.manufacturer == "SLB"
    # libmbus: "%08lu" 12345678, then bytes 82 4D, version 1A, medium 04.
    assert header.secondary_address == "12345678824D1A04"


def test_parse_libmbus_form_gives_wire_bytes():
    address = SecondaryAddress.parse("12345678824D1A04")
    assert address.manufacturer == "SLB"
    # mbus_frame_select_secondary_pack: data[0..3] BCD ID low byte first, data[4] = 0x82,
    # data[5] = 0x4D, data[6] version, data[7] medium.
    assert address.to_bytes() == bytes.fromhex("78 56 34 12 82 4D 1A 04")


def test_identity_prints_libmbus_form():
    assert Identity(12345678, "SLB", 0x1A, 4).secondary_address == "12345678824D1A04"


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (0x0000, "0x0000"),  # "@@@": every letter 0, sent by real meters
        (0x6B5B, "0x6B5B"),  # Z Z [: last group 27 is no letter
        (0xCD82, "0xCD82"),  # SLB with bit 15 set: not a FLAG code
        (0x0421, "AAA"),  # 1 * 1024 + 1 * 32 + 1
        (0x6B5A, "ZZZ"),  # 26 * 1024 + 26 * 32 + 26
    ],
)
def test_any_16_bit_code_has_one_text_and_back(code, text):
    assert decode_manufacturer(code) == text
    assert encode_manufacturer(text) == code


def test_bad_manufacturer_text_is_refused():
    for bad in ("AB", "A1B", "0x12345", "0xGGGG", "@@@"):
        with pytest.raises(ProtocolError):
            encode_manufacturer(bad)
    with pytest.raises(RequestError):
        SecondaryAddress("12345678", manufacturer="A1B")


def test_address_from_the_issue_parses_and_packs():
    # 74 52 as sent = code 0x5274 = 20 * 1024 + 19 * 32 + 20 = "TST".
    address = parse_address("1234567874520100")
    assert isinstance(address, SecondaryAddress)
    assert address.manufacturer == "TST"
    assert address.to_bytes() == bytes.fromhex("78 56 34 12 74 52 01 00")


def test_any_manufacturer_bytes_round_trip():
    # 00 00 ("@@@"), FF FE (bit 15 set) and a partial wildcard: the bytes stay as typed.
    for text in ("1234567800000100", "12345678FFFE0100", "12345678FF4D1A04"):
        assert SecondaryAddress.parse(text).to_bytes() == bytes.fromhex(
            text[6:8] + text[4:6] + text[2:4] + text[0:2] + text[8:]
        )


def test_header_without_letters_has_a_secondary_address():
    # An electricity meter that sends manufacturer 00 00: no crash, the bytes as sent.
    header = decode_long_header(bytes.fromhex("78 56 34 12 00 00 01 02 05 00 00 00"))
    assert header.manufacturer == "0x0000"
    assert header.secondary_address == "1234567800000102"
