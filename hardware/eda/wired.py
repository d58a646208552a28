"""Helpers for the wired schematic drawings (schemdraw): place parts, remember their nets.

Every terminal a drawing places is tagged with the net it is drawn on, so a test can check
the drawing against the design's netlist: a wire drawn to the wrong pin fails the test.
"""

from __future__ import annotations

import schemdraw
import schemdraw.elements as elm

from hardware.eda.model import Circuit


class Sheet:
    """Places elements and records (ref, pin) -> net for the consistency test."""

    def __init__(self, circuit: Circuit, drawing: schemdraw.Drawing) -> None:
        self.c = circuit
        self.d = drawing
        self.drawn: dict[tuple[str, str], str] = {}

    def label(self, ref: str) -> str:
        """Reference and value, as a part's label."""
        part = self.c.parts[ref]
        return f"{ref}\n{part.value}"

    def tag(self, ref: str, **pins: str) -> None:
        """Record that `ref`'s pins (by number or name) are drawn on these nets."""
        for pin, net in pins.items():
            self.drawn[(ref, pin)] = net

    def ground(self, at: tuple[float, float] | schemdraw.util.Point) -> None:
        """A ground symbol."""
        self.d.add(elm.Ground().at(at))

    def rail(self, at: tuple[float, float] | schemdraw.util.Point, name: str) -> None:
        """A supply rail symbol with its name."""
        self.d.add(elm.Vdd().at(at).label(name))

    def title(self, at: tuple[float, float], text: str) -> None:
        """The drawing's caption, left-aligned at `at`."""
        self.d.add(elm.Label().at(at).label(text, loc="right", halign="left"))
