"""Wired schematic of the HAN reader (schemdraw), to build it on perfboard from one picture.

Values and references come from `design.py`; every drawn terminal is tagged with its net and
a test checks the tags against the netlist. Bus-side ground and the Pi's ground are drawn
with different symbols: they must never be joined (the optocoupler is the isolation).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import schemdraw
import schemdraw.elements as elm

from hardware.eda.model import Circuit
from hardware.eda.wired import Sheet
from hardware.han_reader.design import build

LEFT = ["BUSL1", "BUSL2", "RIDD", "SC", "STC", "RIS", "GND", "RXI"]
RIGHT = ["VDD", "BAT", "RX", "TX", "VB", "PF", "TXI", "VS"]


def draw(path: Path | None = None) -> dict[tuple[str, str], str]:
    """Draw the whole reader; save to `path` if given. Returns the (ref, pin) -> net tags."""
    c = build()
    numbers = {p.name: p.number for p in c.parts["U1"].definition.pins}
    with schemdraw.Drawing(show=False, fontsize=10) as d:
        d.config(unit=2.0)
        s = Sheet(c, d)
        pins = [elm.IcPin(name=n, pin=numbers[n], side="left") for n in reversed(LEFT)]
        pins += [elm.IcPin(name=n, pin=numbers[n], side="right") for n in reversed(RIGHT)]
        u1 = d.add(elm.Ic(pins=pins, size=(4.5, 9), pinspacing=1.0).label("U1 TSS721A", "top"))
        s.tag("U1", **{n: _net(c, n) for n in LEFT + RIGHT if _net(c, n)})
        _bus_side(s, u1)
        _supply_side(s, u1)
        _pi_side(s, u1)
        s.title(
            (u1.BUSL1[0] - 9, u1.BUSL1[1] + 2.5),
            "HAN reader. Meter side: ground symbol = bus ground (GND_BUS)."
            " Pi side: chassis symbol = Pi GND. Never join the two grounds.",
        )
        if path is not None:
            d.save(str(path), dpi=110)
    return s.drawn


def _net(c: Circuit, pin: str) -> str:
    net = c.net_of(c.parts["U1"][pin])
    return "" if net is None else net.name


def _bus_ground(s: Sheet, at: schemdraw.util.Point) -> None:
    s.d.add(elm.Ground().at(at))


def _bus_side(s: Sheet, u1: elm.Ic) -> None:
    """RJ45 pins 1-2, TVS across them, R1/R2 into BUSL1/BUSL2; RIDD, SC, STC, RIS parts."""
    d = s.d
    d.add(elm.Resistor().at(u1.BUSL1).left().length(3).label(s.label("R1")))
    s.tag("R1", **{"2": "BUS_L1", "1": "HAN_A"})
    a = d.add(elm.Dot())
    r2 = d.add(elm.Resistor().at(u1.BUSL2).left().length(3).label(s.label("R2"), loc="bottom"))
    s.tag("R2", **{"2": "BUS_L2", "1": "HAN_B"})
    d.add(elm.Line().at(r2.end).left().length(0.01))
    b = d.add(elm.Dot())
    tvs_x = a.center[0] - 1.2
    d.add(elm.Line().at(a.center).left().tox(tvs_x))
    ta = d.add(elm.Dot())
    d.add(elm.Zener().at(ta.center).down().toy(b.center[1]).label(s.label("D1") + "\nTVS", "left"))
    s.tag("D1", A1="HAN_A", A2="HAN_B")
    d.add(elm.Line().at(b.center).left().tox(tvs_x))
    d.add(elm.Line().at(ta.center).left().length(1.5))
    d.add(elm.Dot(open=True).label("J1 RJ45 pin 1", "left"))
    d.add(elm.Line().at((tvs_x, b.center[1])).left().length(1.5))
    d.add(elm.Dot(open=True).label("J1 RJ45 pin 2", "left"))
    s.tag("J1", **{"1": "HAN_A", "2": "HAN_B"})
    # Parts to bus ground, nearest pin lowest so no wire crosses another.
    hang = [
        ("RIS", "R5", "RIS_BUS", 1.0),
        ("STC", "C1", "STC_BUS", 2.2),
        ("SC", "C2", "SC_BUS", 3.4),
        ("RIDD", "R3", "RIDD_BUS", 4.6),
    ]
    bottom = u1.RXI[1] - 1.5
    for pin, ref, net, dx in hang:
        start = getattr(u1, pin)
        d.add(elm.Line().at(start).left().length(dx))
        part = c_or_r(ref)
        el = d.add(part.down().toy(bottom).label(s.label(ref)))
        first, second = ("1", "2") if ref != "C1" else ("+", "-")
        s.tag(ref, **{first: net, second: "GND_BUS"})
        _bus_ground(s, el.end)
    d.add(elm.Line().at(u1.GND).left().length(0.5))
    gnd_node = d.add(elm.Dot())
    d.add(elm.Line().at(u1.RXI).left().length(0.5))
    d.add(elm.Line().toy(gnd_node.center[1]))
    d.add(elm.Line().at(gnd_node.center).down().toy(bottom))
    _bus_ground(s, d.here)


def c_or_r(ref: str) -> elm.Element:
    """The symbol for a two-terminal part by its reference letter."""
    if ref == "C1":
        return elm.Capacitor(polar=True)
    return elm.Capacitor() if ref.startswith("C") else elm.Resistor()


def _supply_side(s: Sheet, u1: elm.Ic) -> None:
    """VDD rail: BAT and RX tied to it, C3, C4, R7 to bus ground, TP2; TP1 on VB."""
    d = s.d
    d.add(elm.Line().at(u1.VDD).right().length(1.0))
    vdd = d.add(elm.Dot().label("VDD", "top"))
    d.add(elm.Line().at(u1.BAT).right().length(1.0))
    d.add(elm.Line().toy(vdd.center[1]))
    d.add(elm.Dot().at((vdd.center[0], u1.BAT[1])))
    d.add(elm.Line().at(u1.RX).right().length(1.0))
    d.add(elm.Line().toy(u1.BAT[1]))
    d.add(elm.Line().at(vdd.center).up().length(1.0))
    top = d.add(elm.Dot())
    x = top.center[0]
    for ref in ("C3", "C4", "R7"):
        d.add(elm.Line().at((x, top.center[1])).right().length(1.6))
        x += 1.6
        d.add(elm.Dot())
        el = d.add(c_or_r(ref).down().length(2.0).label(s.label(ref), "right"))
        s.tag(ref, **{"1": "VDD_BUS", "2": "GND_BUS"})
        _bus_ground(s, el.end)
    d.add(elm.Line().at((x, top.center[1])).right().length(2.0))
    s.r4_node = d.add(elm.Dot())  # type: ignore[attr-defined]
    d.add(elm.Line().at(top.center).up().length(0.8))
    d.add(elm.Dot(open=True).label("TP2 VDD", "right"))
    s.tag("TP2", **{"1": "VDD_BUS"})
    d.add(elm.Line().at(u1.VB).right().length(0.8))
    d.add(elm.Dot(open=True).label("TP1 VB", "right"))
    s.tag("TP1", **{"1": "VB_BUS"})
    for pin in ("PF", "TXI", "VS"):
        d.add(elm.Line().at(getattr(u1, pin)).right().length(0.4))
        d.add(elm.Label().label("n.c.", "right"))


def _pi_side(s: Sheet, u1: elm.Ic) -> None:
    """R4 from VDD to the LED, the LED's cathode to TX; phototransistor with R6 to the Pi."""
    d = s.d
    node = s.r4_node.center  # type: ignore[attr-defined]
    anode_y = u1.TX[1] + 2.0
    d.add(elm.Resistor().at(node).down().toy(anode_y).label(s.label("R4"), "left"))
    s.tag("R4", **{"1": "VDD_BUS", "2": "LED_BUS"})
    opto = d.add(
        elm.Optocoupler()
        .right()
        .anchor("anode")
        .at((node[0] + 1.0, anode_y))
        .label("U2 " + s.c.parts["U2"].value, "bottom")
    )
    s.tag("U2", A="LED_BUS", K="TX_BUS", C="RXD", E="GND_PI")
    d.add(elm.Line().at((node[0], anode_y)).to(opto.anode))
    d.add(elm.Line().at(u1.TX).right().tox(node[0]))
    d.add(elm.Line().toy(opto.cathode[1]))
    d.add(elm.Line().tox(opto.cathode[0]))
    # Pi side
    d.add(elm.Line().at(opto.collector).right().length(1.5))
    rxd = d.add(elm.Dot())
    d.add(elm.Resistor().up().length(2.5).label(s.label("R6")))
    s.tag("R6", **{"2": "RXD", "1": "+3V3_PI"})
    d.add(elm.Dot(open=True).label("J2.1 3V3 (Pi pin 1)", "right"))
    d.add(elm.Line().at(rxd.center).right().length(1.5))
    d.add(elm.Dot(open=True).label("J2.2 RXD (Pi pin 10)", "right"))
    d.add(elm.Line().at(opto.emitter).down().length(1.0))
    d.add(elm.GroundChassis())
    d.add(elm.Line().at(opto.emitter).right().length(3.0))
    d.add(elm.Dot(open=True).label("J2.3 GND (Pi pin 6)", "right"))
    s.tag("J2", **{"1": "+3V3_PI", "2": "RXD", "3": "GND_PI"})
