"""TI LM2577-ADJ step-up regulator (SNOS658D)."""

from __future__ import annotations

from hardware.eda import query
from hardware.eda.model import Circuit, Part
from hardware.eda.sheets import Figure, Rule, Sheet

DOC = "TI SNOS658D"
FIGURES = {
    "vin_max": Figure(40.0, f"{DOC} operating ratings: supply 3.5 V <= V_IN <= 40 V"),
    "vin_min": Figure(3.5, f"{DOC} operating ratings: supply 3.5 V <= V_IN <= 40 V"),
    "switch_max": Figure(60.0, f"{DOC} operating ratings: output switch voltage 0-60 V"),
    "vref": Figure(1.23, f"{DOC} p.25 eq. 26: V_OUT = 1.23 V (1 + R1/R2)"),
    # Step-up design procedure, compensation: C_C >= 58.5 V_OUT^2 C_OUT / (R_C^2 V_IN(min)).
    "cc_coefficient": Figure(58.5, f"{DOC} step-up design procedure (per issue 16 M1)", False),
    "vin_bypass": Figure(100e-9, f"{DOC} input capacitor (per issue 16 M7)", verified=False),
}


def output_voltage(circuit: Circuit, u: Part) -> float:
    """V_OUT from the feedback divider: the resistor from FB to GND and the one above it."""
    fb, gnd = query.net(circuit, u, "FB"), query.net(circuit, u, "GND")
    (r2,) = query.between(circuit, fb, gnd, "R")
    upper = [
        r
        for r in circuit.parts.values()
        if r.definition.name == "R"
        and r is not r2
        and fb in {query.net(circuit, r, "1"), query.net(circuit, r, "2")}
    ]
    return FIGURES["vref"].value * (1 + query.value(upper[0]) / query.value(r2))


def _output_net(circuit: Circuit, u: Part) -> str | None:
    fb = query.net(circuit, u, "FB")
    for r in circuit.parts.values():
        nets = (
            {query.net(circuit, r, "1"), query.net(circuit, r, "2")}
            if r.definition.name == "R"
            else set()
        )
        if fb in nets and query.net(circuit, u, "GND") not in nets:
            return (nets - {fb}).pop()
    return None


def compensation_min(circuit: Circuit, u: Part) -> float:
    """Smallest C_C the design procedure allows for this design's R_C, C_OUT, V_OUT, V_IN."""
    comp, gnd = query.net(circuit, u, "COMP"), query.net(circuit, u, "GND")
    (r_c,) = [
        r
        for r in circuit.parts.values()
        if r.definition.name == "R"
        and comp in {query.net(circuit, r, "1"), query.net(circuit, r, "2")}
    ]
    v_out = output_voltage(circuit, u)
    c_out = query.capacitance(circuit, _output_net(circuit, u), gnd)
    v_in = circuit.params["vin_min"]
    return FIGURES["cc_coefficient"].value * v_out**2 * c_out / (query.value(r_c) ** 2 * v_in)


def _compensation(c: Circuit, u: Part) -> str | None:
    comp, gnd = query.net(c, u, "COMP"), query.net(c, u, "GND")
    (r_c,) = [
        r
        for r in c.parts.values()
        if r.definition.name == "R" and comp in {query.net(c, r, "1"), query.net(c, r, "2")}
    ]
    other = ({query.net(c, r_c, "1"), query.net(c, r_c, "2")} - {comp}).pop()
    c_c = query.capacitance(c, other, gnd)
    need = compensation_min(c, u)
    if c_c < need:
        return f"C_C {c_c * 1e6:.2g} uF below the {need * 1e6:.2g} uF the procedure requires"
    return None


def _vin_bypass(c: Circuit, u: Part) -> str | None:
    ceramics = query.between(c, query.net(c, u, "VIN"), query.net(c, u, "GND"), "C")
    if sum(query.value(p) for p in ceramics) < FIGURES["vin_bypass"].value:
        return "VIN needs a 100 nF ceramic capacitor to GND next to the pin"
    return None


def _switch_voltage(c: Circuit, u: Part) -> str | None:
    v = output_voltage(c, u) + 0.6  # the catch diode's forward drop on top
    if v > FIGURES["switch_max"].value:
        return f"switch sees {v:.1f} V, above {FIGURES['switch_max'].value:g} V"
    if c.params.get("vin_max", 0.0) > FIGURES["vin_max"].value:
        return "input voltage above 40 V"
    return None


SHEET = Sheet(
    ("LM2577",),
    DOC,
    FIGURES,
    (
        Rule("compensation capacitor", f"{DOC} step-up design procedure", _compensation),
        Rule("ceramic bypass at VIN", f"{DOC} input capacitor selection", _vin_bypass),
        Rule("switch and input voltage", f"{DOC} operating ratings", _switch_voltage),
    ),
)
