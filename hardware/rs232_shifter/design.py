"""MAX3232 level shifter: the Pi's 3.3 V UART to a DE-9 RS-232 port wired like a PC's.

Commercial M-Bus level converters (TechBase MBus 10 and similar) have an RS-232 port meant
for a PC; this board is that PC's serial port. DTR and RTS are held asserted (+5.5 V) for
converters that take power or a ready signal from them.
"""

from __future__ import annotations

from hardware.eda import library as lib
from hardware.eda import stock
from hardware.eda.model import Circuit, Part
from hardware.eda.stock import capacitor, resistor, semiconductor

TITLE = "RS-232 <-> 3.3 V UART level shifter (MAX3232)"


def build() -> Circuit:
    """MAX3232 at 3.3 V with its four 100 nF charge-pump capacitors and a bypass capacitor."""
    c = Circuit("rs232_shifter", TITLE)
    u1 = c.add(
        semiconductor(
            "U1",
            lib.MAX3232,
            "MAX3232",
            "Package_SO:SOIC-16_3.9x9.9mm_P1.27mm",
            "Texas Instruments",
            "MAX3232IDR",
        )
    )
    caps = [c.add(capacitor(f"C{n}", "100n", "GRM21BR71H104KA01L")) for n in range(1, 6)]
    r1 = c.add(resistor("R1", "100k"))  # keeps T1IN at mark while the Pi's TXD is not driven
    j1 = c.add(
        Part(
            "J1",
            lib.DE9_MALE,
            "RS-232 (DE-9 male)",
            "Connector_Dsub:DSUB-9_Male_Horizontal_P2.77x2.84mm_EdgePinOffset7.70mm_Housed_MountingHolesOffset9.12mm",
            "Amphenol ICC",
            "L717SDE09P",
            off_board=True,
        )
    )
    j2 = c.add(stock.pi_uart_header("J2"))
    # JP1/JP2 swap DE-9 pins 2 and 3 (the converter's DTE/DCE role is unverified): as
    # delivered (pads 1-2) T1OUT drives pin 3 and R1IN listens on pin 2, like a PC; cut
    # both 1-2 bridges and bridge 2-3 on both for the crossed (null-modem) wiring.
    jp1, jp2 = (
        c.add(
            Part(
                ref,
                lib.SOLDER_JUMPER_3,
                "2/3 swap",
                "Jumper:SolderJumper-3_P1.3mm_Bridged12_RoundedPad1.0x1.5mm",
                "(PCB)",
                "solder jumper",
            )
        )
        for ref in ("JP1", "JP2")
    )
    c1, c2, c3, c4, c5 = caps
    c.connect("C1P", u1["C1+"], c1["1"])
    c.connect("C1M", u1["C1-"], c1["2"])
    c.connect("C2P", u1["C2+"], c2["1"])
    c.connect("C2M", u1["C2-"], c2["2"])
    c.connect("V+", u1["V+"], c3["1"], power=True)
    c.connect("V-", u1["V-"], c4["1"], power=True)
    c.connect("+3V3", u1["VCC"], c5["1"], r1["1"], j2["1"], power=True)
    c.connect(
        "GND",
        u1["GND"],
        c3["2"],
        c4["2"],
        c5["2"],
        u1["T2IN"],
        u1["R2IN"],
        j1["5"],
        j1["SHELL"],  # the shell to ground: a cable's screen ends here, not on the Pi
        j2["4"],
        power=True,
    )
    c.supply("+3V3")
    c.supply("GND")
    # Pi side: GPIO14 (TXD) -> T1IN, R1OUT -> GPIO15 (RXD).
    c.connect("TXD", j2["2"], u1["T1IN"], r1["2"])
    c.connect("RXD", u1["R1OUT"], j2["3"])
    # DE-9 male, DTE pinout: 2 RXD in, 3 TXD out, 4 DTR out, 5 GND, 7 RTS out.
    c.connect("RS232_TXD", u1["T1OUT"], jp1["C"])
    c.connect("RS232_RXD", u1["R1IN"], jp2["C"])
    c.connect("DE9_PIN3", jp1["A"], jp2["B"], j1["3"])
    c.connect("DE9_PIN2", jp2["A"], jp1["B"], j1["2"])
    # One driver, T2OUT, holds both DTR and RTS asserted: a "host present" signal, not a
    # supply (a MAX3232 driver gives a few mA at +5 V).
    c.connect("RS232_DTR_RTS", u1["T2OUT"], j1["4"], j1["7"])
    c.no_connect(u1["R2OUT"], j1["1"], j1["6"], j1["8"], j1["9"])
    return c


WIRING = [
    (
        "J1 (DE-9 male)",
        "M-Bus converter's RS-232 port (straight cable; null-modem if it is a DTE)",
        "RS-232",
        "tab:blue",
    ),
    ("J2.1 3V3", "Pi pin 1 (3V3)", "3V3", "tab:red"),
    ("J2.2 TXD", "Pi pin 8 (GPIO14 TXD)", "TXD", "tab:orange"),
    ("J2.3 RXD", "Pi pin 10 (GPIO15 RXD)", "RXD", "tab:green"),
    ("J2.4 GND", "Pi pin 6 (GND)", "GND", "black"),
]
