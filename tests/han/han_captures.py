"""Captures from other projects' test data that the shared corpus lacks, with their provenance.

Each constant names the repository, file and commit it was copied from, and what that project's
own test asserts about it; the tests compare with those assertions and with hand calculation.
"""

from __future__ import annotations


def hex_bytes(text: str) -> bytes:
    """Bytes from hex text with any whitespace."""
    return bytes.fromhex("".join(text.split()))


# Kaifa MA309 of Salzburg Netz (Austria), the bare data-notification APDU (deciphered).
# esphome-libs/dlms_parser tests/dumps/raw_salzburg_netz.log@47e5037; its test
# tests/expected/raw_salzburg_netz.h asserts meter serial 1KFM0200234804, logical device name
# KFM1200200234804 and the twelve values in SALZBURG_VALUES (also in _decoded.xml there).
SALZBURG_NETZ_APDU = hex_bytes(
    """
    0f0017fa980c07e60b0c0610360000ffc400021009060000010000ff090c07e60b0c0610360000ffc40002
    0209060000600100ff090e314b464d303230303233343830340202090600002a0000ff09104b464d313230
    30323030323334383034020309060100200700ff1208f402020fff1623020309060100340700ff12090c02
    020fff1623020309060100480700ff12090a02020fff16230203090601001f0700ff1200a502020ffe1621
    020309060100330700ff1200ad02020ffe1621020309060100470700ff12002502020ffe16210203090601
    00010700ff06000002ca02020f00161b020309060100020700ff060000000002020f00161b020309060100
    010800ff060014416002020f00161e020309060100020800ff060000000002020f00161e02030906010003
    0800ff06000012d202020f001620020309060100040800ff060005be6002020f001620
    """
)
SALZBURG_VALUES = {
    "1-0:32.7.0.255": 229.2,  # 2292 x 10^-1 V
    "1-0:52.7.0.255": 231.6,
    "1-0:72.7.0.255": 231.4,
    "1-0:31.7.0.255": 1.65,  # 165 x 10^-2 A
    "1-0:51.7.0.255": 1.73,
    "1-0:71.7.0.255": 0.37,
    "1-0:1.7.0.255": 714,  # W, scaler 0
    "1-0:2.7.0.255": 0,
    "1-0:1.8.0.255": 1327456,  # Wh
    "1-0:2.8.0.255": 0,
    "1-0:3.8.0.255": 4818,  # varh
    "1-0:4.8.0.255": 376416,
}

# Landis+Gyr E450 (Switzerland, VSE configuration of 2026), unencrypted: one push as four HDLC
# frames, general-block-transfer blocks 1-4 (only the first frame has the LLC header); the body
# lists its 17 capture objects first, then their values. scs/smartmeter-datacollector
# tests/testdata/lg_e450.py@7d56c4b (UNENCRYPTED_VALID_DATA_CFG2026); its test
# tests/test_lge450.py (test_lge450_vse_standard) asserts the meter LGZ1030653520967 and values
# such as active power 28, active energy import 482939, voltage L1 236 (the raw numbers; that
# project scales them from its own table, the push itself carries no scaler-unit).
LG_E450_CFG2026 = hex_bytes(
    """
    7E A0 84 CE FF 03 13 12 8B E6 E7 00 E0 40 00 01 00 00 70 0F 00 D7 DD 82 0C 07 EA 05 04 01
    0B 27 14 FF 80 00 00 02 11 01 11 02 04 12 00 28 09 06 00 08 19 09 00 FF 0F 02 12 00 00 02
    04 12 00 28 09 06 00 08 19 09 00 FF 0F 01 12 00 00 02 04 12 00 01 09 06 00 00 2A 00 00 FF
    0F 02 12 00 00 02 04 12 00 01 09 06 00 00 60 01 01 FF 0F 02 12 00 00 02 04 12 00 08 09 06
    00 00 01 00 00 FF 0F 02 12 00 00 B2 51 7E
    7E A0 7D CE FF 03 13 D0 45 E0 40 00 02 00 00 6C 02 04 12 00 03 09 06 01 01 01 08 00 FF 0F
    02 12 00 00 02 04 12 00 03 09 06 01 01 02 08 00 FF 0F 02 12 00 00 02 04 12 00 03 09 06 01
    01 03 08 00 FF 0F 02 12 00 00 02 04 12 00 03 09 06 01 01 04 08 00 FF 0F 02 12 00 00 02 04
    12 00 03 09 06 01 00 01 07 00 FF 0F 02 12 00 00 02 04 12 00 03 09 06 01 00 02 07 00 FF 0F
    02 12 00 00 DE E1 7E
    7E A0 8B CE FF 03 13 EE E1 E0 40 00 03 00 00 7A 02 04 12 00 03 09 06 01 00 20 07 00 FF 0F
    02 12 00 00 02 04 12 00 03 09 06 01 00 34 07 00 FF 0F 02 12 00 00 02 04 12 00 03 09 06 01
    00 48 07 00 FF 0F 02 12 00 00 02 04 12 00 03 09 06 01 00 1F 07 00 FF 0F 02 12 00 00 02 04
    12 00 03 09 06 01 00 33 07 00 FF 0F 02 12 00 00 02 04 12 00 03 09 06 01 00 47 07 00 FF 0F
    02 12 00 00 09 06 00 08 19 09 00 FF 09 10 4C 47 5A 31 DF 00 7E
    7E A0 64 CE FF 03 13 F4 A0 E0 C0 00 04 00 00 53 30 33 30 36 35 33 35 32 30 39 36 37 09 07
    31 39 30 39 31 31 33 09 0C 07 EA 05 04 01 0B 27 15 FF 80 00 81 06 00 07 5E 7B 06 00 00 00
    00 06 00 00 00 25 06 00 05 42 79 06 00 00 00 1C 06 00 00 00 00 12 00 EC 12 00 EC 12 00 00
    12 00 09 12 00 08 12 00 00 09 6E 7E
    """
)

# Landis+Gyr E450, encrypted: three HDLC frames, general-block-transfer around one
# general-glo-ciphering APDU (security control 0x30: encrypted and authenticated).
# esphome-libs/dlms_parser tests/dumps/hdlc_lgz_e450_2.log@b39241d with the keys in
# hdlc_lgz_e450_2.key / .gak there; tests/expected/hdlc_lgz_e450_2.h asserts the clock
# 2023-11-10 10:58:50 and the sixteen raw values of LG_E450_2_RAW.
LG_E450_2 = hex_bytes(
    """
    7EA08BCEFF0313EEE1E6E700E04000010000 77DB084C475A67735DD3A982010330000ACC8312647AB92EC2EA
    FE5C43E8EE96E1660EA3BA192E67A73F96A35A50DD907E8A46120574A68ED778EF7F26C32ADE71E4F6B9B3EC5F
    1F9693FC9B1106FA28006FA312340E146F229A6573674C216879EDC8970D56216A973EF069759B3C916A051782
    B231A8B6C1477E
    7EA08BCEFF0313EEE1E04000020000 7AA021B52995C5E9DED30A2C89439E01F04ABDC24504FFEB47054753D162
    B39A9C7BCAEF58407BF76A61DB32477B0044FD1CD71B49F4468E42C53E6087F4B390514484F46D355B18C897B0
    94D103737467FB8555F35D2BD3C7030B105B2FA5DA21A03B0FC8FFD6A753E9E76BAD2D41C993A5CF4B977C0050
    3885ED14187E
    7EA030CEFF031386F8E0C000030000 1F7622079BB81587CBD326E641A07516FDF312F76EE65AE6B0FB5EC3463F
    EBE00F1E7E
    """
)
LG_E450_2_KEY = "5FDE26FE7A1A36B6E1C0BA048FA9A023"
LG_E450_2_AUTH_KEY = "7DA42A44E00BD0AF5E1A911E3CCA64FD"
LG_E450_2_RAW = {
    "1-0:1.8.0.255": 12048950,
    "1-0:1.8.1.255": 8768040,
    "1-0:1.8.2.255": 3280910,
    "1-0:1.7.0.255": 545,
    "1-0:2.8.0.255": 18054,
    "1-0:2.8.1.255": 18054,
    "1-0:2.8.2.255": 0,
    "1-0:2.7.0.255": 0,
    "1-0:3.8.0.255": 30098,
    "1-0:3.8.1.255": 29488,
    "1-0:3.8.2.255": 610,
    "1-0:3.7.0.255": 9,
    "1-0:4.8.0.255": 9801363,
    "1-0:4.8.1.255": 6492443,
    "1-0:4.8.2.255": 3308920,
    "1-0:4.7.0.255": 379,
}
