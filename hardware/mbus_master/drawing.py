"""Wired schematic of the master's transmitter, current limit and receiver (schemdraw).

The net-label schematic (`schematic.png`) shows every pin; this one is drawn for reading the
circuit. Values and references come from `design.py`, and every terminal is tagged with the
net it is drawn on, so a test can check the drawing against the netlist (`DRAWN`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import schemdraw
import schemdraw.elements as elm

from hardware.eda.wired import Sheet as _Sheet
from hardware.mbus_master.design import build


def draw(path: Path | None = None) -> dict[tuple[str, str], str]:
    """Draw the analog core; save to `path` if given. Returns the (ref, pin) -> net tags."""
    c = build()
    with schemdraw.Drawing(show=False, fontsize=10) as d:
        d.config(unit=2.5)
        s = _Sheet(c, d)
        _transmit_input(s)
        _reference_and_pass(s)
        _receiver(s)
        s.title(
            (0, 15),
            "M-Bus master: transmitter, current limit, receiver"
            " (boost converter, Pi header and surge clamps D7/D8 not shown)",
        )
        if path is not None:
            d.save(str(path), dpi=110)
    return s.drawn


def _transmit_input(s: _Sheet) -> None:
    """TXD -> R6 -> Q2 (inverter) -> Q1 base; R5 pull-up from the Pi's 3.3 V."""
    d = s.d
    d.add(elm.Dot(open=True).at((0, 2)).label("TXD\n(Pi pin 8)", loc="left"))
    r6 = d.add(elm.Resistor().right().label(s.label("R6")))
    s.tag("R6", **{"1": "TXD", "2": "TXD_B"})
    d.add(elm.Dot())
    q2 = d.add(elm.BjtNpn().right().anchor("base").label("Q2", loc="right"))
    s.tag("Q2", B="TXD_B", C="TX_BASE", E="GND")
    s.ground(q2.emitter)
    d.add(elm.Resistor().at(r6.end).down().label(s.label("R7"), loc="top"))
    s.tag("R7", **{"1": "TXD_B", "2": "GND"})
    s.ground(d.here)
    d.add(elm.Line().at(q2.collector).up().length(1))
    tx_base = d.add(elm.Dot())
    d.add(elm.Resistor().up().label(s.label("R5")))
    s.tag("R5", **{"1": "+3V3", "2": "TX_BASE"})
    s.rail(d.here, "+3V3")
    d.add(elm.Line().at(tx_base.center).right().length(2.2))
    q1 = d.add(elm.BjtNpn().right().anchor("base").label("Q1", loc="right"))
    s.tag("Q1", B="TX_BASE", C="VZ", E="GND")
    s.ground(q1.emitter)
    d.add(elm.Line().at(q1.collector).up().length(0.5))
    s.vz = d.add(elm.Dot())  # type: ignore[attr-defined]


def _reference_and_pass(s: _Sheet) -> None:
    """D3/D2 zener string fed by the Q5 current source; Q3 follower; Q4/R8 current limit."""
    d = s.d
    vz = s.vz.center  # type: ignore[attr-defined]
    d.add(elm.Line().at(vz).right().length(1.5))
    d.add(elm.Zener().down().reverse().label(s.label("D3"), loc="bottom"))
    s.tag("D3", K="VZ", A="GND")
    s.ground(d.here)
    d2 = d.add(elm.Zener().at(vz).up().label(s.label("D2")))
    s.tag("D2", A="VZ", K="VREF")
    vref = d.add(elm.Dot().at(d2.end).label("VREF", loc="left"))
    # Current source above VREF.
    q5 = d.add(
        elm.BjtPnp()
        .right()
        .anchor("collector")
        .at((vref.center[0], vref.center[1] + 1.2))
        .label("Q5", loc="right")
    )
    d.add(elm.Line().at(q5.collector).to(vref.center))
    s.tag("Q5", C="VREF", E="ISRC_E", B="ISRC_B")
    d.add(elm.Resistor().at(q5.emitter).up().label(s.label("R14"), loc="bottom"))
    s.tag("R14", **{"1": "+44V", "2": "ISRC_E"})
    top = d.here
    s.rail(top, "+44V")
    d.add(elm.Line().at(q5.base).left().length(1.2))
    base_node = d.add(elm.Dot())
    d.add(elm.Zener().up().toy(top[1]).label(s.label("D5"), loc="top"))
    s.tag("D5", A="ISRC_B", K="+44V")
    d.add(elm.Line().right().tox(top[0]))
    d.add(elm.Resistor().at(base_node.center).down().label(s.label("R15"), loc="bottom"))
    s.tag("R15", **{"1": "ISRC_B", "2": "GND"})
    s.ground(d.here)
    # Pass transistor and limiter to the right of VREF.
    d.add(elm.Line().at(vref.center).right().length(7))
    q3 = d.add(elm.BjtNpn().right().anchor("base").label("Q3\nTIP31C", loc="right"))
    s.tag("Q3", B="VREF", C="+44V", E="EMITTER")
    d.add(elm.Line().at(q3.collector).up().toy(top[1]))
    s.rail(d.here, "+44V")
    d.add(elm.Line().at(q3.emitter).down().length(0.3))
    emitter = d.add(elm.Dot())
    r8 = d.add(elm.Resistor().down().label(s.label("R8"), loc="bottom"))
    s.tag("R8", **{"1": "EMITTER", "2": "BUS+"})
    busp = d.add(elm.Dot())
    q4 = d.add(
        elm.BjtNpn()
        .right()
        .reverse()
        .anchor("base")
        .at((emitter.center[0] - 1.8, emitter.center[1]))
        .label("Q4", loc="left")
    )
    d.add(elm.Line().at(q4.base).to(emitter.center))
    s.tag("Q4", B="EMITTER", E="BUS+", C="VREF")
    d.add(elm.Line().at(q4.emitter).toy(r8.end[1]))
    d.add(elm.Line().tox(busp.center[0]))
    d.add(elm.Line().at(q4.collector).toy(vref.center[1]))
    d.add(elm.Dot())
    # Bus side: R9, TVS, terminals.
    d.add(elm.Line().at(busp.center).right().length(2))
    r9_top = d.add(elm.Dot())
    d.add(elm.Resistor().down().label(s.label("R9"), loc="bottom"))
    s.tag("R9", **{"1": "BUS+", "2": "GND"})
    s.ground(d.here)
    d.add(elm.Resistor().at(r9_top.center).right().length(2.5).label(s.label("F1") + " PTC"))
    s.tag("F1", **{"1": "BUS+", "2": "BUS+_TERM"})
    s.tvs = d.add(elm.Dot())  # type: ignore[attr-defined]
    d.add(elm.Line().right().length(1.5))
    d.add(elm.Dot(open=True).label("Bus+  J1.1", loc="right"))


def _receiver(s: _Sheet) -> None:
    """Bus- -> R10 to ground; R11/C4 filter; R12/C5 baseline + R13 offset; comparator."""
    d = s.d
    tvs_top = s.tvs.center  # type: ignore[attr-defined]
    tvs = d.add(elm.Zener().at(tvs_top).down().length(3).label(s.label("D4"), loc="bottom"))
    s.tag("D4", A1="BUS+_TERM", A2="BUS-")
    busm = d.add(elm.Dot())
    d.add(elm.Line().at(busm.center).right().length(1.5))
    d.add(elm.Dot(open=True).label("Bus-  J1.2", loc="right"))
    d.add(elm.Line().at(tvs.end).down().length(3.5))
    node = d.add(elm.Dot())
    d.add(elm.Resistor().down().label(s.label("R10") + "\nsense", loc="bottom"))
    s.tag("R10", **{"1": "BUS-", "2": "GND"})
    s.ground(d.here)
    d.add(elm.Line().at(node.center).left().length(1))
    d.add(elm.Resistor().left().label(s.label("R11")))
    s.tag("R11", **{"1": "BUS-", "2": "SENSE_F"})
    sense = d.add(elm.Dot().label("SENSE_F", loc="top"))
    d.add(elm.Capacitor().down().label(s.label("C4"), loc="bottom"))
    s.tag("C4", **{"1": "SENSE_F", "2": "GND"})
    s.ground(d.here)
    d.add(elm.Line().at(sense.center).left().length(1.5))
    sense2 = d.add(elm.Dot())
    d.add(elm.Resistor().left().label(s.label("R12")))
    s.tag("R12", **{"1": "SENSE_F", "2": "THRESHOLD"})
    th = d.add(elm.Dot().label("THRESHOLD", loc="top"))
    d.add(elm.Capacitor().down().label(s.label("C5") + "\nτ 4.5 s", loc="bottom"))
    s.tag("C5", **{"1": "THRESHOLD", "2": "GND"})
    s.ground(d.here)
    d.add(elm.Line().at(th.center).up().length(1))
    d.add(elm.Resistor().up().label(s.label("R13"), loc="bottom"))
    s.tag("R13", **{"1": "+3V3", "2": "THRESHOLD"})
    s.rail(d.here, "+3V3")
    op = d.add(
        elm.Opamp(leads=True)
        .right()
        .flip()
        .anchor("in2")
        .at((th.center[0] - 4.5, th.center[1]))
        .reverse()
        .label("U2A\nMCP6562", loc="center", ofst=(0, 0))
    )
    d.add(elm.Line().at(op.in2).to(th.center))
    low = th.center[1] - 3.8  # under C5's ground symbol, so the wire crosses nothing
    d.add(elm.Line().at(sense2.center).down().toy(low))
    d.add(elm.Line().left().tox(op.in1[0] + 0.8))
    d.add(elm.Line().up().toy(op.in1[1]))
    d.add(elm.Line().left().tox(op.in1[0]))
    s.tag("U2", **{"+INA": "THRESHOLD", "-INA": "SENSE_F", "OUTA": "RXD"})
    d.add(elm.Line().at(op.out).left().length(1))
    d.add(elm.Dot(open=True).label("RXD\n(Pi pin 10)", loc="left"))
