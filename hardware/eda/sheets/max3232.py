"""TI MAX3232 RS-232 transceiver (SLLS410): charge-pump capacitors for a 3.0-3.6 V supply."""

from __future__ import annotations

from hardware.eda import query
from hardware.eda.model import Circuit, Part
from hardware.eda.sheets import Figure, Rule, Sheet

DOC = "TI SLLS410"
FIGURES = {
    "c_pump_min": Figure(0.1e-6, f"{DOC} table: V_CC 3.0-3.6 V, C1-C4 0.1 uF", verified=False),
}


def _pump(c: Circuit, u: Part) -> str | None:
    gnd = query.net(c, u, "GND")
    pairs = [("C1+", "C1-"), ("C2+", "C2-")]
    caps = [query.capacitance(c, query.net(c, u, a), query.net(c, u, b)) for a, b in pairs]
    caps += [query.capacitance(c, query.net(c, u, p), gnd) for p in ("V+", "V-", "VCC")]
    if min(caps) < FIGURES["c_pump_min"].value:
        return "a charge-pump or bypass capacitor is below 0.1 uF"
    return None


SHEET = Sheet(("MAX3232",), DOC, FIGURES, (Rule("charge-pump capacitors", DOC, _pump),))
