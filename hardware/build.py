"""Regenerate every design's outputs from its source: `python -m hardware.build`.

Writes, per design directory: <name>.net (KiCad netlist), bom.csv, schematic.png/.svg and
wiring.png (and, for the M-Bus master and the HAN reader, the drawn circuit.png). The tests
fail when a committed .net or bom.csv differs from what this writes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from hardware.eda import bom, erc, kicad, render
from hardware.eda.model import Circuit
from hardware.han_reader import design as han_reader
from hardware.han_reader import drawing as han_drawing
from hardware.mbus_master import design as mbus_master
from hardware.mbus_master import drawing
from hardware.rs232_shifter import design as rs232_shifter

ROOT = Path(__file__).resolve().parent
DESIGNS: dict[str, tuple[Callable[[], Circuit], list[tuple[str, str, str, str]]]] = {
    "han_reader": (han_reader.build, han_reader.WIRING),
    "mbus_master": (mbus_master.build, mbus_master.WIRING),
    "rs232_shifter": (rs232_shifter.build, rs232_shifter.WIRING),
}


def text_outputs(name: str) -> dict[str, str]:
    """The committed text files of one design: file name -> content."""
    circuit = DESIGNS[name][0]()
    return {f"{name}.net": kicad.to_kicad_netlist(circuit), "bom.csv": bom.to_csv(circuit)}


def build(name: str, pictures: bool = True) -> list[Path]:
    """Write one design's outputs; refuse to when its ERC fails."""
    factory, wiring = DESIGNS[name]
    circuit = factory()
    problems = erc.check(circuit)
    if problems:
        raise SystemExit(f"{name}: ERC failed:\n  " + "\n  ".join(problems))
    out = ROOT / name
    written = []
    for file_name, text in text_outputs(name).items():
        (out / file_name).write_text(text)
        written.append(out / file_name)
    if pictures:
        for suffix in (".png", ".svg"):
            render.render_schematic(circuit, out / f"schematic{suffix}")
            written.append(out / f"schematic{suffix}")
        render.render_wiring(circuit.title, wiring, out / "wiring.png")
        written.append(out / "wiring.png")
        drawings = {"mbus_master": drawing.draw, "han_reader": han_drawing.draw}
        if name in drawings:
            drawings[name](out / "circuit.png")
            written.append(out / "circuit.png")
    return written


def main(argv: list[str]) -> int:
    """Build the designs named on the command line, or all of them."""
    for name in argv or list(DESIGNS):
        for path in build(name):
            print(path.relative_to(ROOT.parent))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
