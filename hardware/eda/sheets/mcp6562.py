"""Microchip MCP6562 push-pull comparator (MCP6561/2/4 data sheet, DS22139)."""

from __future__ import annotations

from hardware.eda import query
from hardware.eda.model import Circuit, Part
from hardware.eda.sheets import Figure, Rule, Sheet

DOC = "Microchip DS22139 (MCP6561/2/4)"
FIGURES = {
    "vdd_min": Figure(1.8, f"{DOC}: supply 1.8-5.5 V", verified=False),
    "vdd_max": Figure(5.5, f"{DOC}: supply 1.8-5.5 V", verified=False),
    "offset_max": Figure(10e-3, f"{DOC}: input offset voltage, max", verified=False),
}


def _vdd_from_the_pi(c: Circuit, u: Part) -> str | None:
    """Its push-pull output swings to VDD: VDD must be the Pi's 3.3 V, as RXD's level."""
    vdd = query.net(c, u, "VDD")
    header = [p for p in c.parts.values() if p.off_board and p.value == "Pi UART"]
    if not header or query.net(c, header[0], "1") != vdd:
        return f"VDD is on {vdd}, not the Pi's 3.3 V: its output would drive RXD to another level"
    return None


SHEET = Sheet(
    ("MCP6562",),
    DOC,
    FIGURES,
    (Rule("output at the Pi's logic level", f"{DOC}: push-pull output", _vdd_from_the_pi),),
)
