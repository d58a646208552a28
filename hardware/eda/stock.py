"""Factories for the common parts, so a design line reads like a schematic annotation.

Resistor values are written as on a schematic ("4k7", "2M4", "22"): `ohms()` turns them into
numbers for SPICE and the Yageo part number is derived from the same text, so the BOM, the
netlist and the simulation cannot disagree about a value.
"""

from __future__ import annotations

from hardware.eda import library as lib
from hardware.eda.model import Part, PartDef

_MULT = {"": 1.0, "R": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "u": 1e-6, "n": 1e-9, "p": 1e-12}
# Yageo RC series, 1 %: size -> (MPN prefix, power rating in W).
RESISTOR_SIZES = {
    "0805": ("RC0805FR-07", 0.125),
    "1206": ("RC1206FR-07", 0.25),
    "2010": ("RC2010FK-07", 0.75),
}


def ohms(value: str) -> float:
    """Parse schematic notation: "4k7" -> 4700, "2M4" -> 2.4e6, "22" -> 22, "100n" -> 1e-7."""
    for i, c in enumerate(value):
        if c in _MULT and c != "":
            head, tail = value[:i], value[i + 1 :]
            return float(f"{head or 0}.{tail or 0}") * _MULT[c]
    return float(value)


def spice_number(value: str) -> str:
    """A value as a plain SPICE number (SPICE reads "M" as milli, so never emit suffixes)."""
    return f"{ohms(value):.6g}"


def resistor(ref: str, value: str, size: str = "0805") -> Part:
    """A 1 % thick-film chip resistor (Yageo RC series)."""
    prefix, watts = RESISTOR_SIZES[size]
    code = value.upper() if any(c.isalpha() for c in value) else f"{value}R"
    return Part(
        ref,
        lib.RESISTOR,
        value,
        f"Resistor_SMD:R_{size}_{_metric(size)}",
        "Yageo",
        f"{prefix}{code}L",
        spice=f"R{{ref}} {{1}} {{2}} {spice_number(value)}",
        note=f"1 %, {watts} W",
    )


def capacitor(
    ref: str, value: str, mpn: str, manufacturer: str = "Murata", size: str = "0805"
) -> Part:
    """A ceramic chip capacitor."""
    return Part(
        ref,
        lib.CAPACITOR,
        value,
        f"Capacitor_SMD:C_{size}_{_metric(size)}",
        manufacturer,
        mpn,
        spice=f"C{{ref}} {{1}} {{2}} {spice_number(value)}",
    )


def electrolytic(ref: str, value: str, mpn: str, footprint: str, note: str) -> Part:
    """An aluminium electrolytic capacitor (Panasonic FR series unless stated)."""
    return Part(
        ref,
        lib.CAPACITOR_POL,
        value,
        footprint,
        "Panasonic",
        mpn,
        spice=f"C{{ref}} {{1}} {{2}} {spice_number(value)}",
        note=note,
    )


def semiconductor(
    ref: str,
    definition: PartDef,
    value: str,
    footprint: str,
    manufacturer: str,
    mpn: str,
    spice: str | None = None,
    note: str = "",
) -> Part:
    """Any other part: spelled out in full because each one is different."""
    return Part(ref, definition, value, footprint, manufacturer, mpn, spice=spice, note=note)


def mmbt3904(ref: str) -> Part:
    """The generic small NPN every stage here uses (SPICE: the public 2N3904 model)."""
    return Part(
        ref,
        lib.NPN_SOT23,
        "MMBT3904",
        "Package_TO_SOT_SMD:SOT-23",
        "onsemi",
        "MMBT3904LT1G",
        spice="Q{ref} {3} {1} {2} Q2N3904",
    )


def pi_uart_header(ref: str) -> Part:
    """The 1x4 header to the Pi's 3V3, TXD, RXD and GND (wired to the board, not on it)."""
    return Part(
        ref,
        lib.connector("Conn_01x04", 4, "Pin header 1x4, 2.54 mm"),
        "Pi UART",
        "Connector_PinHeader_2.54mm:PinHeader_1x04_P2.54mm_Vertical",
        "Wurth Elektronik",
        "61300411121",
        off_board=True,
    )


def _metric(size: str) -> str:
    return {"0805": "2012Metric", "1206": "3216Metric", "2010": "5025Metric"}[size]
