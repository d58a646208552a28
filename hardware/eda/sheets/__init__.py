"""Data-sheet models: each active part's limits and application rules, with their pages.

`check` runs the rules on a design.

The ERC in `hardware/eda/erc.py` checks wiring in general (nothing floats, no two drivers);
these rules check a design against what the manufacturer wrote, so a test that a design
passes them is a test against an independent source, not against the design's own choices.

Every figure says where it comes from. `verified=False` marks a figure we could not re-read
in the data sheet ourselves (it comes from the pre-order review in issue 16 or a vendor's
catalogue line); READMEs say so where they use one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hardware.eda.model import Circuit, Part


@dataclass(frozen=True)
class Figure:
    """One number from a data sheet: value (SI units), where it is written, whether re-read."""

    value: float
    source: str
    verified: bool = True


@dataclass(frozen=True)
class Rule:
    """An application rule: `check` returns what is wrong with `part` in `circuit`, or None."""

    text: str
    source: str
    check: Callable[[Circuit, Part], str | None]


@dataclass(frozen=True)
class Sheet:
    """A part's data sheet as far as the designs depend on it."""

    mpn_prefixes: tuple[str, ...]
    document: str
    figures: dict[str, Figure]
    rules: tuple[Rule, ...] = field(default=())

    def __getitem__(self, name: str) -> float:
        return self.figures[name].value


def _registry() -> list[Sheet]:
    from hardware.eda.sheets import (  # noqa: PLC0415
        discretes,
        lm2577,
        max3232,
        mcp6562,
        tss721a,
    )

    return [
        tss721a.SHEET,
        lm2577.SHEET,
        max3232.SHEET,
        mcp6562.SHEET,
        *discretes.SHEETS,
    ]


def sheet_for(part: Part) -> Sheet | None:
    """The data-sheet model of a placed part, found by its manufacturer part number."""
    for sheet in _registry():
        if any(part.mpn.startswith(prefix) for prefix in sheet.mpn_prefixes):
            return sheet
    return None


def check(circuit: Circuit) -> list[str]:
    """Every data-sheet rule violation in the design, each naming the page it comes from."""
    problems = []
    for ref in sorted(circuit.parts):
        part = circuit.parts[ref]
        sheet = sheet_for(part)
        if sheet is None:
            continue
        for rule in sheet.rules:
            problem = rule.check(circuit, part)
            if problem:
                problems.append(f"{ref} ({part.value}): {problem} [{rule.source}]")
    return problems
