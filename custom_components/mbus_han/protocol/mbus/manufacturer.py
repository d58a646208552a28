"""Manufacturer IDs: the 3-letter FLAG code packed into 15 bits (EN 13757-3, 5.6).

Each letter is stored as ``ord(letter) - 64`` in 5 bits: ``((c1 << 10) | (c2 << 5) | c3)``.
"""

from __future__ import annotations

from functools import cache

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


@cache
def decode_manufacturer(code: int) -> str:
    """Return the three letters packed in ``code`` (bit 15 is not part of the letters)."""
    return "".join(chr(((code >> shift) & 0x1F) + 64) for shift in (10, 5, 0))


def encode_manufacturer(letters: str) -> int:
    """Pack a three-letter code (A-Z) into its 15-bit number."""
    letters = letters.upper()
    if len(letters) != 3 or not all("A" <= c <= "Z" for c in letters):
        raise ProtocolError(f"manufacturer {letters!r} is not three letters A-Z")
    return ((ord(letters[0]) - 64) << 10) | ((ord(letters[1]) - 64) << 5) | (ord(letters[2]) - 64)


def manufacturer_name(letters: str) -> str:
    """The maker's name for ``letters``, or the code itself where we do not know it."""
    return MANUFACTURER_NAMES.get(letters, letters)
