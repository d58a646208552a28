"""Decisions for the corpus telegrams libmbus refuses (``unsupported-frames/``).

``invalid_length``, ``invalid_length2`` and ``manual_frame1`` are covered in
test_mbus_corpus_errors.py. The four here are valid frames that we decode; each expectation
is read off the bytes by hand.
"""

import pytest
from mbus_corpus import UNSUPPORTED_FRAMES, read_hex

from custom_components.mbus_han.protocol.mbus.frames import LongFrame, parse_frame
from custom_components.mbus_han.protocol.mbus.model import Medium, Quantity, StatusBit, Telegram
from custom_components.mbus_han.protocol.mbus.telegram import decode_telegram_bytes


def decode(name: str) -> Telegram:
    result = decode_telegram_bytes(read_hex(UNSUPPORTED_FRAMES / f"{name}.hex"))
    assert isinstance(result, Telegram)
    return result


@pytest.mark.parametrize("name", ["manual_frame4", "manual_frame5", "manual_frame6"])
def test_master_snd_ud_frames_are_master_frames(name):
    # C = 53 (SND_UD, PRM bit set) to the broadcast/network address FE, CI 51 (data send).
    frame = parse_frame(read_hex(UNSUPPORTED_FRAMES / f"{name}.hex"))
    assert isinstance(frame, LongFrame)
    assert (frame.control, frame.address, frame.ci) == (0x53, 0xFE, 0x51)
    assert frame.from_master  # so the stream framer's caller treats it as an echo


def test_manual_frame4_set_primary_address():
    # 68 06 06 68 53 FE 51 | 01 7A 08 | 25 16: DIF 01 (8-bit), VIF 7A (bus address), 08.
    # Decision: a master's "set primary address to 8" decodes as a header-less record.
    telegram = decode("manual_frame4")
    assert telegram.ci == 0x51
    assert telegram.header is None
    assert telegram.source_address == 0xFE
    (record,) = telegram.records
    assert record.quantity is Quantity.BUS_ADDRESS
    assert record.value == 8
    assert (record.dif, record.vif) == (b"\x01", b"\x7a")


def test_manual_frame5_write_enhanced_identification_binary():
    # CI 51 | 07 79 04 03 02 01 24 40 01 04: DIF 07 (64-bit integer), VIF 79 (enhanced
    # identification). Read least significant byte first the 8 bytes are the number
    # 0x0401402401020304 (= ID 01020304, manufacturer 4024, version 01, medium 04 as a
    # secondary address). Decision: kept as the unsigned 64-bit integer the coding says.
    telegram = decode("manual_frame5")
    assert telegram.header is None
    (record,) = telegram.records
    assert record.quantity is Quantity.ENHANCED_IDENTIFICATION
    assert record.value == 0x0401402401020304
    assert record.raw_value.to_bytes(8, "little") == bytes.fromhex("04 03 02 01 24 40 01 04")


def test_manual_frame6_write_identification_and_energy():
    # CI 51 | 0C 79 78 56 34 12 | 0C 06 07 01 00 00:
    # DIF 0C (8-digit BCD) VIF 79: "12345678"; DIF 0C VIF 06 (kWh): "00000107" = 107 kWh.
    telegram = decode("manual_frame6")
    identification, energy = telegram.records
    assert identification.quantity is Quantity.ENHANCED_IDENTIFICATION
    assert identification.value == 12345678
    assert energy.quantity is Quantity.ENERGY
    assert energy.unit == "Wh"
    assert energy.value == 107000


def test_svm_f22_telegram2_is_all_manufacturer_data_with_more_to_follow():
    # 68 DE DE 68 08 01 72: RSP_UD from address 1, long header:
    #   89 60 00 01 -> ID 01006089; CD 4E -> 0x4ECD = (19 * 32 + 22) * 32 + 13 -> S V M;
    #   version 09; medium 04 (heat, outlet); access 18 = 24; status 70; signature 00 00.
    # The first DIF is 1F: everything after it is manufacturer specific and the meter has
    # more records in the next telegram. L = 0xDE = 222 = C, A, CI + 219 data bytes;
    # 219 - 12 header - 1 DIF = 206 bytes of manufacturer data, 45 00 3C ... 6E 6D 00 00.
    raw = read_hex(UNSUPPORTED_FRAMES / "svm_f22_telegram2.hex")
    telegram = decode("svm_f22_telegram2")
    header = telegram.header
    assert header.id == 1006089
    assert header.id_text == "01006089"
    assert header.manufacturer == "SVM"
    assert header.version == 9
    assert header.medium is Medium.HEAT_OUTLET
    assert header.access_number == 24
    assert header.status == 0x70
    assert header.status_flags == {
        StatusBit.TEMPORARY_ERROR,
        StatusBit.MANUFACTURER_1,
        StatusBit.MANUFACTURER_2,
    }
    assert header.signature == 0
    assert telegram.records == ()
    assert telegram.more_records_follow
    assert len(telegram.manufacturer_data) == 206
    assert telegram.manufacturer_data == raw[20:-2]
    assert telegram.manufacturer_data[:3] == bytes.fromhex("45 00 3C")
    assert telegram.manufacturer_data[-4:] == bytes.fromhex("6E 6D 00 00")
