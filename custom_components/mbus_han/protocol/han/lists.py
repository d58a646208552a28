"""What each meter list means where the frame itself does not say: one declarative table per list.

Aidon and the Austrian push name every value by OBIS code and carry its scaler and unit, so they
need no table. Kaifa and Kamstrup send bare numbers whose scaling is fixed by the list version,
and Kaifa's Norwegian lists do not even name them: the position says what a value is. Variants
are recognised by what the frame says (list version, meter type), never by a value's size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .obis import Quantity

LIST_VERSION = "list_version"
METER_ID = "meter_id"
METER_TYPE = "meter_type"
# COSEM logical device name: starts with the maker's three-letter FLAG id (Blue Book 4.1.8.2)
LOGICAL_DEVICE_NAME = "logical_device_name"

# Identity and clock objects by value groups C.D.E, whatever A and B a maker uses.
IDENTITY_CODES: dict[tuple[int, int, int], str] = {
    (0, 2, 129): LIST_VERSION,  # Aidon/Kaifa 1-1:0.2.129.255 (Swedish Kaifa 1-0:...)
    (96, 1, 0): METER_ID,  # Aidon/Kaifa 0-0:96.1.0.255
    (0, 0, 5): METER_ID,  # Kamstrup 1-1:0.0.5.255
    (96, 1, 7): METER_TYPE,  # Aidon/Kaifa 0-0:96.1.7.255
    (96, 1, 1): METER_TYPE,  # Kamstrup 1-1:96.1.1.255
    (42, 0, 0): LOGICAL_DEVICE_NAME,  # 0-0:42.0.0.255 (Kaifa MA309, Landis+Gyr)
}
# Codes that mean the role above only with this value group A: Kamstrup's meter type is
# 1-1:96.1.1.255, while 0-0:96.1.1.255 is "device ID 2" (Landis+Gyr sends a serial there).
IDENTITY_ONLY_WITH_A: dict[tuple[int, int, int], int] = {(96, 1, 1): 1}
CLOCK_CDE = (1, 0, 0)  # 0-0:1.0.0.255, Kamstrup 0-1:1.0.0.255

# Three-letter FLAG manufacturer ids as they open the system title of ciphered APDUs.
FLAG_MANUFACTURERS = {"KFM": "Kaifa", "KAM": "Kamstrup", "AID": "Aidon", "LGZ": "Landis+Gyr"}

_POWERS = {
    Quantity.ACTIVE_POWER_IMPORT: 0,
    Quantity.ACTIVE_POWER_EXPORT: 0,
    Quantity.REACTIVE_POWER_IMPORT: 0,
    Quantity.REACTIVE_POWER_EXPORT: 0,
}


def _energies(scaler: int) -> dict[Quantity, int]:
    return {
        Quantity.ACTIVE_ENERGY_IMPORT: scaler,
        Quantity.ACTIVE_ENERGY_EXPORT: scaler,
        Quantity.REACTIVE_ENERGY_IMPORT: scaler,
        Quantity.REACTIVE_ENERGY_EXPORT: scaler,
    }


@dataclass(frozen=True, slots=True)
class Variant:
    """Scalers that differ for meter types matching ``meter_type`` (a regular expression)."""

    meter_type: re.Pattern[str]
    scalers: dict[Quantity, int]
    reason: str


@dataclass(frozen=True, slots=True)
class ListSpec:
    """How to read one meter list whose values carry no scaler-unit of their own."""

    manufacturer: str
    # power of ten per quantity; a quantity missing here has no known scaling and is left out
    scalers: dict[Quantity, int]
    # positional lists: element count -> the code NEK assigns to each position
    layouts: dict[int, tuple[str, ...]] = field(default_factory=dict)
    variants: tuple[Variant, ...] = ()
    # 3-wire (IT) meters that send a phase voltage they cannot measure as 0: type pattern, codes
    absent_when_zero: tuple[re.Pattern[str], frozenset[str]] | None = None

    def scalers_for(self, meter_type: str | None) -> dict[Quantity, int]:
        """Power of ten per quantity for this meter type; a missing quantity has no scaling."""
        if meter_type is not None:
            for variant in self.variants:
                if variant.meter_type.search(meter_type):
                    return {**self.scalers, **variant.scalers}
        return self.scalers


_IDENTITY = ("1-1:0.2.129.255", "0-0:96.1.0.255", "0-0:96.1.7.255")
_POWER_CODES = ("1-0:1.7.0.255", "1-0:2.7.0.255", "1-0:3.7.0.255", "1-0:4.7.0.255")
_ONE_PHASE = ("1-0:31.7.0.255", "1-0:32.7.0.255")
_THREE_PHASE = (
    *("1-0:31.7.0.255", "1-0:51.7.0.255", "1-0:71.7.0.255"),
    *("1-0:32.7.0.255", "1-0:52.7.0.255", "1-0:72.7.0.255"),
)
_HOURLY = ("0-0:1.0.0.255", "1-0:1.8.0.255", "1-0:2.8.0.255", "1-0:3.8.0.255", "1-0:4.8.0.255")

KAIFA_V1 = ListSpec(
    manufacturer="Kaifa",
    scalers={
        **_POWERS,
        Quantity.CURRENT: -3,  # mA
        Quantity.VOLTAGE: -1,  # 0.1 V
        **_energies(0),  # Wh
    },
    layouts={
        9: (*_IDENTITY, *_POWER_CODES, *_ONE_PHASE),
        13: (*_IDENTITY, *_POWER_CODES, *_THREE_PHASE),
        14: (*_IDENTITY, *_POWER_CODES, *_ONE_PHASE, *_HOURLY),
        18: (*_IDENTITY, *_POWER_CODES, *_THREE_PHASE, *_HOURLY),
    },
    # MA304H3E / MA304T3: 3-wire, UL2 is computed as 0 (no neutral to measure against)
    absent_when_zero=(re.compile(r"^MA\d{3}[HT]3"), frozenset({"1-0:52.7.0.255"})),
)

KAMSTRUP_V1 = ListSpec(
    manufacturer="Kamstrup",
    scalers={
        **_POWERS,
        Quantity.CURRENT: -2,  # 0.01 A
        Quantity.VOLTAGE: 0,  # 1 V
        # 10 Wh in Norway (Kamstrup's NVE list) and in Denmark, whose list names no meter
        # type (so no variant applies): the Danish decoders written for Radius's meters
        # multiply by 10 to Wh, as amsreader does for every Kamstrup; only Swedish units
        # (below) count Wh (evidence in docs/han.md, test in tests/han/test_han_lists.py)
        **_energies(1),
    },
    variants=(
        Variant(
            # Norwegian types end in -04x (NVE document), Swedish units in -09x
            meter_type=re.compile(r"09\d$"),
            scalers=_energies(0),
            reason="Swedish Kamstrup units count energy in Wh, not 10 Wh",
        ),
    ),
)

# NEK list 1 as Kaifa sends it: a structure holding one bare number, the active power in W.
NEK_LIST1_BARE = ListSpec(
    manufacturer="Kaifa",
    scalers={Quantity.ACTIVE_POWER_IMPORT: 0},
    layouts={1: ("1-0:1.7.0.255",)},
)

LIST_SPECS: dict[str, ListSpec] = {
    "KFM_001": KAIFA_V1,
    "Kamstrup_V0001": KAMSTRUP_V1,
}

# Lists whose values carry their own scaler-unit; only the maker is looked up.
SELF_DESCRIBING_LISTS: dict[str, str] = {"AIDON_V0001": "Aidon"}
