"""HAN-port reader: the meter is the M-Bus master and pushes; we are a listen-only slave.

The TSS721A takes its power from the HAN port (no supply on the bus side), recovers the
meter's voltage-modulated data on its TX output (named from the slave MCU's side: TX goes to
the MCU's RXD), and drives an optocoupler's LED from its own 3.3 V only during space bits.
The optocoupler is the galvanic isolation: nothing on the bus side shares a net with the
Raspberry Pi side (a test checks this on the netlist).
"""

from __future__ import annotations

from hardware.eda import library as lib
from hardware.eda.model import Circuit, Part
from hardware.eda.stock import capacitor, electrolytic, resistor, semiconductor

TITLE = "HAN-port reader (TSS721A, optocoupler-isolated 3.3 V UART)"
BUS_SIDE = "bus"  # nets whose names end in _BUS, or start with HAN_/BUS_, are on the meter's side


def build(bat_on_ground: bool = False, c_sc: str = "100n") -> Circuit:
    """The reader: RJ45 -> TVS -> 2 x 220 ohm -> TSS721A -> SFH618A -> Pi GPIO15 (RXD).

    `bat_on_ground` and `c_sc` rebuild the first design's two defects (BAT tied to bus ground,
    220 pF on SC), so tests can show the data-sheet checks and the simulation catch them.
    """
    c = Circuit("han_reader", TITLE)
    c.params["baud_min"] = 2400.0  # the HAN port's only rate (NEK 399)
    c.params["port_current_max"] = 6e-3  # Kamstrup HAN port: 4 unit loads
    j1 = c.add(
        Part(
            "J1",
            lib.RJ45,
            "HAN (RJ45)",
            "Connector_RJ:RJ45_Amphenol_RJHSE538X",
            "Amphenol ICC",
            "RJHSE-5380",
            off_board=True,
        )
    )
    d1 = c.add(
        semiconductor(
            "D1",
            lib.TVS_BIDIR,
            "SMBJ30CA",
            "Diode_SMD:D_SMB",
            "Littelfuse",
            "SMBJ30CA",
            note="surge clamp: V_R 30 V, V_C 48.4 V < TSS721A's 50 V",
        )
    )
    r1, r2 = c.add(resistor("R1", "220", "1206")), c.add(resistor("R2", "220", "1206"))
    u1 = c.add(
        semiconductor(
            "U1",
            lib.TSS721A,
            "TSS721A",
            "Package_SO:SOIC-16_3.9x9.9mm_P1.27mm",
            "Texas Instruments",
            "TSS721ADR",
        )
    )
    c1 = c.add(
        electrolytic(
            "C1",
            "47u",
            "EEU-FR1C470",
            "Capacitor_THT:CP_Radial_D5.0mm_P2.00mm",
            "16 V, STC energy reserve",
        )
    )
    c2 = c.add(capacitor("C2", c_sc, SC_PARTS[c_sc]))  # SC: the receiver's threshold memory
    c3 = c.add(capacitor("C3", "1u", "GRM21BR71C105KA01L"))
    c4 = c.add(capacitor("C4", "100n", "GRM21BR71H104KA01L"))
    r3 = c.add(resistor("R3", "13k"))  # RIDD: 3 mA (2 UL) from the port, 2.3 mA for STC
    r4 = c.add(resistor("R4", "1k2"))  # opto LED: 0.72-2.0 mA over VDD, TX and V_F spread
    r5 = c.add(resistor("R5", "100"))  # RIS: transmit current; unused (listen-only) but defined
    r6 = c.add(resistor("R6", "22k"))  # Pi-side pull-up of RXD: 0.16 mA
    r7 = c.add(resistor("R7", "100k"))  # VDD's resistive load (issue 16 H6)
    u2 = c.add(
        semiconductor(
            "U2",
            lib.OPTO_DIP4,
            "SFH618A-4",
            "Package_DIP:DIP-4_W7.62mm",
            "Vishay",
            "SFH618A-4",
            note="CTR 160-320 % at 1 mA, >= 32 % at 0.5 mA; 5300 V rms isolation",
        )
    )
    tp1 = c.add(Part("TP1", lib.TEST_POINT, "VB", TP_FOOTPRINT, "Keystone", "5000"))
    tp2 = c.add(Part("TP2", lib.TEST_POINT, "VDD", TP_FOOTPRINT, "Keystone", "5000"))
    j2 = c.add(
        Part(
            "J2",
            lib.connector("Conn_01x03", 3, "Pin header 1x3, 2.54 mm"),
            "Pi UART",
            "Connector_PinHeader_2.54mm:PinHeader_1x03_P2.54mm_Vertical",
            "Wurth Elektronik",
            "61300311121",
            off_board=True,
        )
    )
    # Meter side. NEK 399 / HAN-NVE: M-Bus on RJ45 pins 1 and 2 (either polarity here: the
    # TSS721A's bridge); Aidon's pins 6-8 are an RS-232 activation port we leave alone.
    c.connect("HAN_A", j1["1"], d1["A1"], r1["1"])
    c.connect("HAN_B", j1["2"], d1["A2"], r2["1"])
    c.no_connect(*(j1[str(n)] for n in range(3, 9)))
    c.connect("BUS_L1", r1["2"], u1["BUSL1"])
    c.connect("BUS_L2", r2["2"], u1["BUSL2"])
    c.connect("VB_BUS", u1["VB"], tp1["1"], power=True)
    c.connect("STC_BUS", u1["STC"], c1["+"])
    c.connect("RIDD_BUS", u1["RIDD"], r3["1"])
    c.connect("SC_BUS", u1["SC"], c2["1"])
    c.connect("RIS_BUS", u1["RIS"], r5["1"])
    vdd = [u1["VDD"], c3["1"], c4["1"], r4["1"], r7["1"], u1["RX"], tp2["1"]]
    gnd = [u1["GND"], u1["RXI"], c1["-"], c2["2"], c3["2"], c4["2"], r3["2"], r5["2"], r7["2"]]
    # BAT is the logic-level input (SLAS222B p.2): tied to VDD, TX's high level is VDD - 0.6 V.
    (gnd if bat_on_ground else vdd).append(u1["BAT"])
    c.connect("VDD_BUS", *vdd, power=True)
    c.connect("GND_BUS", *gnd, power=True)
    c.supply("GND_BUS")  # the TSS721A's rectifier return: the bus powers this side
    c.no_connect(u1["PF"], u1["VS"], u1["TXI"])
    c.connect("LED_BUS", r4["2"], u2["A"])
    # RX high and RXI low: the modulation current source stays off (listen-only).
    c.connect("TX_BUS", u1["TX"], u2["K"])  # TX low (space) sinks the LED current
    # Raspberry Pi side: only the phototransistor and its pull-up.
    c.connect("+3V3_PI", j2["1"], r6["1"], power=True)
    c.connect("RXD", u2["C"], r6["2"], j2["2"])
    c.connect("GND_PI", u2["E"], j2["3"], power=True)
    c.supply("+3V3_PI")
    c.supply("GND_PI")
    return c


TP_FOOTPRINT = "TestPoint:TestPoint_Keystone_5000-5004_Miniature"  # through-hole test point
SC_PARTS = {"100n": "GRM21BR71H104KA01L", "220p": "GRM2165C1H221JA01D"}


WIRING = [
    ("J1 (RJ45)", "meter HAN port, straight RJ45 patch cable (pins 1-2 used)", "M-Bus", "tab:blue"),
    ("J2.1 3V3", "Pi pin 1 (3V3)", "3V3", "tab:red"),
    ("J2.2 RXD", "Pi pin 10 (GPIO15 RXD)", "RXD", "tab:green"),
    ("J2.3 GND", "Pi pin 6 (GND)", "GND", "black"),
]
