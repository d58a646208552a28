"""M-Bus master on a Raspberry Pi's UART, for the unit loads README.md rates it for.

Blocks: 12 V -> 44 V boost (LM2577), transmitter (zener-referenced emitter follower whose
reference a transistor drops by 12 V for a space, with a current limit), receiver (slave
current through a 22 ohm sense resistor, compared against its own long-term average plus an
offset, so the threshold follows the quiescent current of however many meters are on the bus).
"""

from __future__ import annotations

from hardware.eda import library as lib
from hardware.eda import stock
from hardware.eda.model import Circuit, Part
from hardware.eda.stock import capacitor, electrolytic, mmbt3904, resistor, semiconductor

TITLE = "M-Bus master, Raspberry Pi UART"


def build(fixed_threshold: bool = False) -> Circuit:
    """The master. `fixed_threshold=True` builds the naive receiver, for comparison only."""
    c = Circuit("mbus_master", TITLE)
    _power(c)
    _transmitter(c)
    _receiver(c, fixed_threshold)
    _pi_header(c)
    _declare_zener_bias(c)
    return c


def _power(c: Circuit) -> None:
    """12 V in (reverse-polarity diode), LM2577-ADJ boost to 44 V: 36 V mark plus headroom.

    The headroom covers the pass transistor (0.7 V), the current source (3.2 V + saturation)
    and the tolerances of the zener string (+5 %) and of the converter (2 %).
    """
    j3 = c.add(
        Part(
            "J3",
            lib.BARREL_JACK,
            "12V DC in",
            "Connector_BarrelJack:BarrelJack_Horizontal",
            "CUI Devices",
            "PJ-002A",
            off_board=True,
        )
    )
    c1 = c.add(
        electrolytic("C1", "100u", "EEU-FR1E101", "Capacitor_THT:CP_Radial_D6.3mm_P2.50mm", "25 V")
    )
    u1 = c.add(
        semiconductor(
            "U1",
            lib.LM2577_ADJ,
            "LM2577T-ADJ",
            "Package_TO_SOT_THT:TO-220-5_Vertical",
            "Texas Instruments",
            "LM2577T-ADJ/NOPB",
        )
    )
    l1 = c.add(
        Part(
            "L1",
            lib.INDUCTOR,
            "100u",
            "Inductor_SMD:L_Bourns_SRR1260",
            "Bourns",
            "SRR1260-101M",
            note="1.6 A",
        )
    )
    d1 = c.add(
        semiconductor(
            "D1",
            lib.DIODE,
            "MBR160",
            "Diode_THT:D_DO-41_SOD81_P10.16mm_Horizontal",
            "onsemi",
            "MBR160RLG",
            note="60 V Schottky",
        )
    )
    c2 = c.add(
        electrolytic("C2", "220u", "EEU-FR1J221", "Capacitor_THT:CP_Radial_D10.0mm_P5.00mm", "63 V")
    )
    r1 = c.add(resistor("R1", "69k8"))
    r2 = c.add(resistor("R2", "2k"))
    r3 = c.add(resistor("R3", "680"))
    # SNOS658D step-up procedure: C_C >= 58.5 V_OUT^2 C_OUT / (R_C^2 V_IN(min)) = 5.0 uF.
    c3 = c.add(capacitor("C3", "10u", "GRM21BR61C106KE15L"))
    c7 = c.add(capacitor("C7", "100n", "GRM21BR71H104KA01L"))  # ceramic right at VIN
    for part in (u1, l1, d1, c1, c2, r1, r2, r3, c3, c7):
        part.spice = None  # the bench replaces the converter by an ideal 44.2 V source
    d6 = c.add(
        semiconductor(
            "D6",
            lib.DIODE,
            "SS34",
            "Diode_SMD:D_SMA",
            "Vishay",
            "SS34-E3/61T",
            note="reverse-polarity guard",
        )
    )
    d6.spice = None
    c.connect("VIN", j3["TIP"], d6["A"])
    c.connect("+12V", d6["K"], c1["+"], c7["1"], u1["VIN"], l1["1"], power=True)
    c.connect(
        "GND", j3["SLEEVE"], c1["-"], c7["2"], u1["GND"], c2["-"], r2["2"], c3["2"], power=True
    )
    c.no_connect(j3["SWITCH"])
    c.connect("SW", u1["SW"], l1["2"], d1["A"])
    c.connect("+44V", d1["K"], c2["+"], r1["1"], power=True)
    c.connect("FB", r1["2"], r2["1"], u1["FB"])
    c.connect("COMP", u1["COMP"], r3["1"])
    c.connect("COMP_RC", r3["2"], c3["1"])
    c.params["vin_min"] = 12.0 * 0.95 - 0.5  # adapter -5 %, less D6's drop
    c.params["vin_max"] = 12.0 * 1.05
    c.supply("VIN")
    c.supply("+12V")  # the supply passes D6: a diode, no power_out pin to say so
    c.supply("GND")


def _transmitter(c: Circuit) -> None:
    """Bus+ = (24 V + 12 V zeners) - Vbe: 36 V mark; Q1 shorts the 12 V zener for a space."""
    # Q5 feeds the reference a constant ~4 mA (D5 holds R14 at 3.9 V - Vbe): unlike a plain
    # resistor, its current does not grow as the limiter pulls the reference down, so the
    # current limit is sharp and a shorted bus costs nothing but Q3's heat.
    # 2N5401: V_CEO 150 V and 625 mW; with the bus shorted it holds ~40 V at 5 mA (0.2 W).
    q5 = c.add(
        semiconductor(
            "Q5",
            lib.PNP_TO92,
            "2N5401",
            "Package_TO_SOT_THT:TO-92_Inline",
            "onsemi",
            "2N5401BU",
            spice="Q{ref} {3} {2} {1} Q2N3906",
        )
    )
    d5 = c.add(
        semiconductor(
            "D5",
            lib.ZENER_SOT23,
            "3V9",
            "Package_TO_SOT_SMD:SOT-23",
            "Nexperia",
            "BZX84-C3V9,215",
            spice="D{ref} {1} {3} DZ3V9",
        )
    )
    # R14: (3.9 - 0.7) V / 620 = 5.2 mA, the zeners' test current (BZX79: 5 mA) at light
    # load. R15 biases D5 at its own 5 mA test current: (44.2 - 3.9) V / 6.8 k = 5.9 mA.
    r14, r15 = c.add(resistor("R14", "620")), c.add(resistor("R15", "6k8", "2010"))
    d2 = c.add(
        semiconductor(
            "D2",
            lib.ZENER,
            "24V",
            "Diode_THT:D_DO-35_SOD27_P7.62mm_Horizontal",
            "Nexperia",
            "BZX79-C24,113",
            spice="D{ref} {2} {1} DZ24",
            note="500 mW, specified at 5 mA",
        )
    )
    d3 = c.add(
        semiconductor(
            "D3",
            lib.ZENER,
            "12V",
            "Diode_THT:D_DO-35_SOD27_P7.62mm_Horizontal",
            "Nexperia",
            "BZX79-C12,113",
            spice="D{ref} {2} {1} DZ12",
            note="500 mW, specified at 5 mA",
        )
    )
    q1, q2, q4 = c.add(mmbt3904("Q1")), c.add(mmbt3904("Q2")), c.add(mmbt3904("Q4"))
    q3 = c.add(
        semiconductor(
            "Q3",
            lib.NPN_TO220,
            "TIP31C",
            "Package_TO_SOT_THT:TO-220-3_Vertical",
            "onsemi",
            "TIP31CG",
            spice="Q{ref} {2} {1} {3} QPOWER",
            note="on a heatsink of at most 10 K/W (README: thermal budget)",
        )
    )
    r5, r6, r7 = (
        c.add(resistor("R5", "4k7")),
        c.add(resistor("R6", "10k")),
        c.add(resistor("R7", "100k")),
    )
    r8 = c.add(resistor("R8", "10"))
    r9 = c.add(resistor("R9", "33k"))
    d4 = c.add(
        semiconductor(
            "D4",
            lib.TVS_BIDIR,
            "SMBJ43CA",
            "Diode_SMD:D_SMB",
            "Littelfuse",
            "SMBJ43CA",
            note="bus surge clamp",
        )
    )
    f1 = c.add(
        Part(
            "F1",
            lib.POLYFUSE,
            "PTC 100mA",
            "Capacitor_THT:C_Disc_D5.0mm_W2.5mm_P5.00mm",
            "Bourns",
            "MF-R010",
            spice="R{ref} {1} {2} 4",
            note="60 V, hold 100 mA: trips on external faults, not on our 80 mA limit",
        )
    )
    # Clamps: a surge on Bus+ goes into the 44 V rail's capacitor (D7) or to ground (D8),
    # through F1, instead of reverse-biasing Q3's base-emitter junction.
    d7 = c.add(semiconductor("D7", lib.DIODE, "S1G", "Diode_SMD:D_SMA", "Vishay", "S1G-E3/61T"))
    d8 = c.add(semiconductor("D8", lib.DIODE, "S1G", "Diode_SMD:D_SMA", "Vishay", "S1G-E3/61T"))
    j1 = c.add(
        Part(
            "J1",
            lib.connector("Screw_Terminal_01x02", 2, "2-pole screw terminal, 5.08 mm"),
            "M-Bus",
            "TerminalBlock_Phoenix:TerminalBlock_Phoenix_MKDS-1,5-2-5.08_1x02_P5.08mm_Horizontal",
            "Phoenix Contact",
            "1715721",
            off_board=True,
        )
    )
    c.connect("+44V", q3["C"], r14["1"], d5["K"], d7["K"])
    c.connect("ISRC_E", r14["2"], q5["E"])
    c.connect("ISRC_B", d5["A"], q5["B"], r15["1"])
    c.no_connect(d5["NC"])
    c.connect("VREF", q5["C"], d2["K"], q3["B"], q4["C"])
    c.connect("VZ", d2["A"], d3["K"], q1["C"])
    c.connect("GND", d3["A"], q1["E"], q2["E"], r7["2"], r9["2"], r15["2"], d8["A"])
    c.connect("TX_BASE", r5["2"], q1["B"], q2["C"])
    c.connect("+3V3", r5["1"], power=True)
    c.connect("TXD", r6["1"])
    c.connect("TXD_B", r6["2"], r7["1"], q2["B"])
    c.connect("EMITTER", q3["E"], r8["1"], q4["B"])
    c.connect("BUS+", r8["2"], q4["E"], r9["1"], f1["1"], d7["A"], d8["K"])
    c.connect("BUS+_TERM", f1["2"], d4["A1"], j1["1"])
    c.connect("BUS-", d4["A2"], j1["2"])


def _declare_zener_bias(c: Circuit) -> None:
    """Bias currents at light load (1 UL), for the zener data-sheet rule (I_ZT 5 mA).

    At the rated load Q3's base takes up to 1.7 mA more (beta 25): the budget adds the
    zeners' change of voltage for that (Z_ZT x 1.7 mA) to their tolerance.
    """
    from hardware.mbus_master import budget  # noqa: PLC0415

    light = budget.reference_current() - 2.6e-3 / budget.BETA_MIN
    c.params["bias:D2"] = c.params["bias:D3"] = light
    c.params["bias:D5"] = (budget.V_RAIL - budget.V_Z5) / budget.R15


def _receiver(c: Circuit, fixed_threshold: bool) -> None:
    """Slave current -> R10 -> comparator against the averaged baseline plus an offset."""
    r10 = c.add(resistor("R10", "22", "1206"))
    r11 = c.add(resistor("R11", "4k7"))
    c4 = c.add(capacitor("C4", "10n", "GRM2165C1H103JA01D"))
    c5 = c.add(capacitor("C5", "47u", "GRM31CR60J476ME19L", size="1206"))
    c6 = c.add(capacitor("C6", "100n", "GRM21BR71H104KA01L"))
    u2 = c.add(
        semiconductor(
            "U2",
            lib.MCP6562,
            "MCP6562",
            "Package_SO:SOIC-8_3.9x4.9mm_P1.27mm",
            "Microchip",
            "MCP6562-E/SN",
            spice="X{ref} {3} {2} {1} {8} {4} CMP",
        )
    )
    if fixed_threshold:
        # The naive receiver: a fixed threshold at 7 mA, midway between one meter's idle
        # current (1.5 mA) and its smallest space current (1.5 + 11 mA).
        r12, r13 = c.add(resistor("R12", "100k")), c.add(resistor("R13", "4k87"))
        c.connect("+3V3", r12["1"])
        c.connect("THRESHOLD", r12["2"], r13["1"], c5["1"], u2["+INA"])
        c.connect("GND", r13["2"])
        c.connect("SENSE_F", r11["2"], c4["1"], u2["-INA"])
    else:
        # Baseline: R12 x C5 (tau 4.5 s) averages the sense voltage; R13 from 3.3 V lifts
        # the threshold by k * (3.3 V - Vsense), k = R12 / (R12 + R13) = 0.04.
        r12, r13 = c.add(resistor("R12", "100k")), c.add(resistor("R13", "2M4"))
        c.connect("SENSE_F", r11["2"], c4["1"], r12["1"], u2["-INA"])
        c.connect("THRESHOLD", r12["2"], r13["2"], c5["1"], u2["+INA"])
        c.connect("+3V3", r13["1"])
    c.connect("BUS-", r10["1"], r11["1"])
    c.connect("GND", r10["2"], c4["2"], c5["2"], c6["2"], u2["VSS"], u2["+INB"])
    c.connect("+3V3", c6["1"], u2["VDD"], u2["-INB"])  # unused half: inputs tied, output low
    c.no_connect(u2["OUTB"])
    c.connect("RXD", u2["OUTA"])


def _pi_header(c: Circuit) -> None:
    """J2: to the Pi's header pins 1 (3V3), 8 (GPIO14 TXD), 10 (GPIO15 RXD), 6 (GND)."""
    j2 = c.add(stock.pi_uart_header("J2"))
    c.connect("+3V3", j2["1"])
    c.connect("TXD", j2["2"])
    c.connect("RXD", j2["3"])
    c.connect("GND", j2["4"])
    c.supply("+3V3")


# Off-board wiring for the picture: (from, to, signal, colour).
WIRING = [
    ("J2.1 3V3", "Pi pin 1 (3V3)", "3V3", "tab:red"),
    ("J2.2 TXD", "Pi pin 8 (GPIO14 TXD)", "TXD", "tab:orange"),
    ("J2.3 RXD", "Pi pin 10 (GPIO15 RXD)", "RXD", "tab:green"),
    ("J2.4 GND", "Pi pin 6 (GND)", "GND", "black"),
    ("J1.1 BUS+", "meters: M-Bus (either wire)", "BUS+", "tab:blue"),
    ("J1.2 BUS-", "meters: M-Bus (other wire)", "BUS-", "tab:purple"),
    ("J3 12V", "12 V DC adapter, >= 0.5 A, centre +", "12V", "tab:brown"),
]
