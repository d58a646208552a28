"""Symbols (pin numbers, names, types) for every part the designs use.

Pin numbers are the package's, taken from each manufacturer's datasheet; they are what the
KiCad netlist and the footprint use, so getting them right is what the tests check.
"""

from __future__ import annotations

from hardware.eda.model import PartDef, PinDef, PinType

P = PinType


def _pins(*spec: tuple[str, str, PinType] | tuple[str, str, PinType, bool]) -> tuple[PinDef, ...]:
    return tuple(PinDef(*s) for s in spec)


RESISTOR = PartDef("Device", "R", "Resistor", _pins(("1", "~", P.PASSIVE), ("2", "~", P.PASSIVE)))
CAPACITOR = PartDef("Device", "C", "Capacitor", _pins(("1", "~", P.PASSIVE), ("2", "~", P.PASSIVE)))
CAPACITOR_POL = PartDef(
    "Device",
    "C_Polarized",
    "Polarized capacitor",
    _pins(("1", "+", P.PASSIVE), ("2", "-", P.PASSIVE)),
)
INDUCTOR = PartDef("Device", "L", "Inductor", _pins(("1", "1", P.PASSIVE), ("2", "2", P.PASSIVE)))
DIODE = PartDef("Device", "D", "Diode", _pins(("1", "K", P.PASSIVE), ("2", "A", P.PASSIVE)))
ZENER = PartDef(
    "Device", "D_Zener", "Zener diode", _pins(("1", "K", P.PASSIVE), ("2", "A", P.PASSIVE))
)
TVS_BIDIR = PartDef(
    "Device",
    "D_TVS",
    "Bidirectional TVS diode",
    _pins(("1", "A1", P.PASSIVE), ("2", "A2", P.PASSIVE)),
)
# SOT-23 small-signal NPN (MMBT3904): 1 = B, 2 = E, 3 = C.
NPN_SOT23 = PartDef(
    "Transistor_BJT",
    "MMBT3904",
    "NPN small-signal transistor, SOT-23",
    _pins(("1", "B", P.INPUT), ("2", "E", P.PASSIVE), ("3", "C", P.PASSIVE)),
)
# SOT-23 small-signal PNP (MMBT3906): 1 = B, 2 = E, 3 = C.
PNP_SOT23 = PartDef(
    "Transistor_BJT",
    "MMBT3906",
    "PNP small-signal transistor, SOT-23",
    _pins(("1", "B", P.INPUT), ("2", "E", P.PASSIVE), ("3", "C", P.PASSIVE)),
)
# TO-92 high-voltage PNP (2N5401): 1 = E, 2 = B, 3 = C.
PNP_TO92 = PartDef(
    "Transistor_BJT",
    "2N5401",
    "PNP high-voltage transistor, TO-92",
    _pins(("1", "E", P.PASSIVE), ("2", "B", P.INPUT), ("3", "C", P.PASSIVE)),
)
POLYFUSE = PartDef(
    "Device",
    "Polyfuse",
    "Resettable fuse (PTC)",
    _pins(("1", "1", P.PASSIVE), ("2", "2", P.PASSIVE)),
)
# SOT-23 zener (BZX84 series): 1 = A, 2 = NC, 3 = K.
ZENER_SOT23 = PartDef(
    "Device",
    "BZX84",
    "Zener diode, SOT-23",
    _pins(("1", "A", P.PASSIVE), ("2", "NC", P.NO_CONNECT), ("3", "K", P.PASSIVE)),
)
# TO-220 power NPN (TIP31C): 1 = B, 2 = C (and tab), 3 = E.
NPN_TO220 = PartDef(
    "Transistor_BJT",
    "TIP31C",
    "NPN power transistor, TO-220",
    _pins(("1", "B", P.INPUT), ("2", "C", P.PASSIVE), ("3", "E", P.PASSIVE)),
)

# TI TSS721A meter-bus transceiver, SOIC-16 (D), datasheet SLAS222 pin table. Named from the
# slave MCU's side: TX/TXI *output* what the master sends (to the MCU's RXD), RX/RXI are
# *inputs* that switch the modulation current (from the MCU's TXD).
TSS721A = PartDef(
    "Interface",
    "TSS721A",
    "Meter-Bus slave transceiver",
    _pins(
        ("1", "BUSL2", P.PASSIVE),
        ("2", "VB", P.POWER_OUT),
        ("3", "STC", P.PASSIVE),
        ("4", "RIDD", P.PASSIVE),
        ("5", "PF", P.OUTPUT),
        ("6", "SC", P.PASSIVE),
        ("7", "TXI", P.OUTPUT),
        ("8", "TX", P.OUTPUT),
        ("9", "BAT", P.INPUT),
        ("10", "VS", P.OUTPUT),
        ("11", "VDD", P.POWER_OUT),
        ("12", "RX", P.INPUT),
        ("13", "RXI", P.INPUT),
        ("14", "RIS", P.PASSIVE),
        ("15", "GND", P.POWER_IN),
        ("16", "BUSL1", P.PASSIVE),
    ),
)

# Optocoupler, DIP-4 phototransistor output (Vishay SFH618A): 1 A, 2 K, 3 E, 4 C.
OPTO_DIP4 = PartDef(
    "Isolator",
    "SFH618A",
    "Optocoupler, phototransistor output, low input current",
    _pins(
        ("1", "A", P.PASSIVE),
        ("2", "K", P.PASSIVE),
        ("3", "E", P.PASSIVE),
        ("4", "C", P.OPEN_COLLECTOR),
    ),
)

# Microchip MCP6562 dual push-pull comparator, SOIC-8 (standard dual pinout).
MCP6562 = PartDef(
    "Comparator",
    "MCP6562",
    "Dual push-pull comparator, rail-to-rail input, 1.8-5.5 V",
    _pins(
        ("1", "OUTA", P.OUTPUT),
        ("2", "-INA", P.INPUT),
        ("3", "+INA", P.INPUT),
        ("4", "VSS", P.POWER_IN),
        ("5", "+INB", P.INPUT),
        ("6", "-INB", P.INPUT),
        ("7", "OUTB", P.OUTPUT),
        ("8", "VDD", P.POWER_IN),
    ),
)

# TI LM2577-ADJ boost regulator, TO-220-5 straight leads (KC): 1 COMP, 2 FB, 3 GND, 4 SWITCH,
# 5 VIN (pin order as in the data sheet connection diagram; not re-checked against SNOS658).
LM2577_ADJ = PartDef(
    "Regulator_Switching",
    "LM2577T-ADJ",
    "3 A step-up regulator, 65 V switch, adjustable",
    _pins(
        ("1", "COMP", P.PASSIVE),
        ("2", "FB", P.INPUT),
        ("3", "GND", P.POWER_IN),
        ("4", "SW", P.PASSIVE),
        ("5", "VIN", P.POWER_IN),
    ),
)

# MAX3232 RS-232 transceiver, SOIC-16 / DIP-16, pin table common to TI and Maxim parts.
# Receiver inputs have an internal 5 kOhm pull-down (`pulled`).
MAX3232 = PartDef(
    "Interface_UART",
    "MAX3232",
    "3-5.5 V dual RS-232 line driver/receiver",
    _pins(
        ("1", "C1+", P.PASSIVE),
        ("2", "V+", P.POWER_OUT),
        ("3", "C1-", P.PASSIVE),
        ("4", "C2+", P.PASSIVE),
        ("5", "C2-", P.PASSIVE),
        ("6", "V-", P.POWER_OUT),
        ("7", "T2OUT", P.OUTPUT),
        ("8", "R2IN", P.INPUT, True),
        ("9", "R2OUT", P.OUTPUT),
        ("10", "T2IN", P.INPUT),
        ("11", "T1IN", P.INPUT),
        ("12", "R1OUT", P.OUTPUT),
        ("13", "R1IN", P.INPUT, True),
        ("14", "T1OUT", P.OUTPUT),
        ("15", "GND", P.POWER_IN),
        ("16", "VCC", P.POWER_IN),
    ),
)


def connector(name: str, pins: int, description: str) -> PartDef:
    """A generic connector: every pin passive, numbered 1..pins."""
    return PartDef(
        "Connector",
        name,
        description,
        tuple(PinDef(str(n), f"Pin_{n}", P.PASSIVE) for n in range(1, pins + 1)),
    )


RJ45 = connector("RJ45", 8, "8P8C modular jack (HAN port cable)")
DE9_MALE = PartDef(
    "Connector",
    "DB9_Male_MountingHoles",
    "D-sub 9 male, DTE (PC) pinout, shell on pin 0",
    (
        PinDef("0", "SHELL", P.PASSIVE),
        *(PinDef(str(n), f"Pin_{n}", P.PASSIVE) for n in range(1, 10)),
    ),
)
# Three-pad solder jumper, pads 1-2 bridged as delivered (KiCad Jumper:SolderJumper_3_Bridged12).
SOLDER_JUMPER_3 = PartDef(
    "Jumper",
    "SolderJumper_3_Bridged12",
    "Solder jumper, 3 pads, 1-2 bridged",
    _pins(("1", "A", P.PASSIVE), ("2", "C", P.PASSIVE), ("3", "B", P.PASSIVE)),
)
BARREL_JACK = PartDef(
    "Connector",
    "Barrel_Jack",
    "DC barrel jack 2.1 mm, centre positive",
    _pins(("1", "TIP", P.PASSIVE), ("2", "SLEEVE", P.PASSIVE), ("3", "SWITCH", P.PASSIVE)),
)
TEST_POINT = PartDef("Connector", "TestPoint", "Test point", _pins(("1", "1", P.PASSIVE)))
