"""Questions the data-sheet rules ask of a netlist.

Which net a pin is on, what sits between two nets, a passive part's value as a number.
"""

from __future__ import annotations

from hardware.eda.model import Circuit, Part
from hardware.eda.stock import ohms


def net(circuit: Circuit, part: Part, pin: str) -> str | None:
    """Name of the net `part`'s pin `pin` (number or name) is on, or None when unconnected."""
    found = circuit.net_of(part[pin])
    return None if found is None else found.name


def between(circuit: Circuit, net_a: str | None, net_b: str | None, *kinds: str) -> list[Part]:
    """Two-pin parts of the given symbol names (e.g. "R", "C") with one pin on each net."""
    if net_a is None or net_b is None:
        return []
    found = []
    for part in circuit.parts.values():
        if part.definition.name not in kinds or len(part.definition.pins) != 2:
            continue
        nets = {net(circuit, part, p.number) for p in part.definition.pins}
        if nets == {net_a, net_b}:
            found.append(part)
    return found


def value(part: Part) -> float:
    """A resistor's or capacitor's value in ohms or farads ("4k7" -> 4700, "100n" -> 1e-7)."""
    return ohms(part.value)


def capacitance(circuit: Circuit, net_a: str | None, net_b: str | None) -> float:
    """Total capacitance between two nets (parallel capacitors add)."""
    return sum(value(p) for p in between(circuit, net_a, net_b, "C", "C_Polarized"))


def parts_by_mpn(circuit: Circuit, prefix: str) -> list[Part]:
    """Every placed part whose manufacturer part number starts with `prefix`."""
    return [p for p in circuit.parts.values() if p.mpn.startswith(prefix)]
