"""Manufacturer IDs: the 3-letter FLAG code packed into 15 bits (EN 13757-3, 5.6).

Each letter is stored as ``ord(letter) - 64`` in 5 bits: ``((c1 << 10) | (c2 << 5) | c3)``,
sent least significant byte first (SLB = 0x4D82 goes on the wire as ``82 4D``). Real meters
also send codes that are no letters (0x0000, bit 15 set): those are shown as ``0x`` and four
hex digits, so every 16-bit code has exactly one text and the text gives the code back.
"""

from __future__ import annotations

from functools import cache
from string import hexdigits

from ..errors import ProtocolError

# Full names of the makers of meters our users have, for the Home Assistant device registry.
MANUFACTURER_NAMES: dict[str, str] = {
    "ABB": "ABB",
    "ACW": "Itron (Actaris)",
    "AMT": "Aquametro",
    "APA": "Apator",
    "BMT": "BMETERS",
    "DME": "Diehl Metering",
    "DWZ": "Lorenz",
    "EDC": "EDC",
    "EFE": "Engelmann",
    "ELS": "Elster",
    "ELV": "Elvaco",
    "EMH": "EMH metering",
    "EMU": "EMU Elektronik",
    "ESY": "EasyMeter",
    "FIN": "Finder",
    "GAV": "Carlo Gavazzi",
    "GWF": "GWF MessSysteme",
    "HYD": "Diehl Metering (Hydrometer)",
    "ITW": "Itron",
    "KAM": "Kamstrup",
    "LGB": "Landis+Gyr",
    "LSE": "Landis+Gyr (Siemens)",
    "LUG": "Landis+Gyr",
    "MAD": "Maddalena",
    "MTC": "Metering Technology",
    "NZR": "Nordwestdeutsche Zählerrevision",
    "QDS": "Qundis",
    "REL": "Relay",
    "SBC": "Saia-Burgess",
    "SEN": "Sensus",
    "SLB": "Schlumberger (Allmess)",
    "SON": "Sontex",
    "SPX": "Sensus (SPX)",
    "TCH": "Techem",
    "THI": "Thitronik",
    "WEP": "Weptech",
    "WZG": "Modularis",
    "ZRI": "Zenner",
    "ZRM": "Zenner",
    "AMX": "Allmess",
    "HMU": "Diehl Metering",
    "SVM": "AB Svensk Värmemätning",
    "SIE": "Siemens",
    "MIN": "Minol",
    "TEC": "Tecson",
    "NES": "Networked Energy Services",
    "KMB": "Kamstrup",
    "ZAP": "Zaptronix",
}


_LETTER_SHIFTS = (10, 5, 0)
_HEX_PREFIX = "0x"


@cache
def decode_manufacturer(code: int) -> str:
    """The three letters packed in the 16-bit ``code``, or ``0xHHHH`` when it holds none.

    Letters need bit 15 clear and each 5-bit group in 1-26 (A-Z); anything else (0x0000 =
    "@@@", groups 27-31, bit 15) is not a FLAG code and is shown as its number instead.
    """
    groups = [(code >> shift) & 0x1F for shift in _LETTER_SHIFTS]
    if code >> 15 or not all(1 <= group <= 26 for group in groups):
        return f"{_HEX_PREFIX}{code:04X}"
    return "".join(chr(group + 64) for group in groups)


def encode_manufacturer(text: str) -> int:
    """The 16-bit code of three letters A-Z, or of ``0xHHHH``.

    ``0xHHHH`` is what :func:`decode_manufacturer` shows for a code that holds no letters.
    """
    digits = text[2:]
    if len(text) == 6 and text[:2].lower() == _HEX_PREFIX and all(c in hexdigits for c in digits):
        return int(digits, 16)
    letters = text.upper()
    if len(letters) != 3 or not all("A" <= c <= "Z" for c in letters):
        raise ProtocolError(f"manufacturer {text!r} is neither three letters A-Z nor 0x0000-0xFFFF")
    return pack_characters(letters)


def pack_characters(characters: str) -> int:
    """Pack three characters '@' (0) to '_' (31) into 15 bits, unchecked: letters are 1-26.

    Also what undoes older versions' reading of a code that holds no letters (0x0000 = "@@@").
    """
    return sum(
        (ord(character) - 64) << shift
        for character, shift in zip(characters, _LETTER_SHIFTS, strict=True)
    )


def manufacturer_name(letters: str) -> str:
    """The maker's name for ``letters``, or the code itself where we do not know it."""
    return MANUFACTURER_NAMES.get(letters, letters)


def secondary_address_text(id_text: str, manufacturer: str, version: int, medium: int) -> str:
    """Libmbus's 16-character secondary address, e.g. ``12345678824D1A04`` for SLB.

    ID digits, then the manufacturer's two bytes in the order they are sent (low byte
    first, as libmbus's ``mbus_frame_get_secondary_address`` prints them), version, medium.
    """
    wire = encode_manufacturer(manufacturer).to_bytes(2, "little")
    return f"{id_text}{wire.hex().upper()}{version:02X}{medium:02X}"
