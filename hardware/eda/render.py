"""Pictures rendered from the design source: a net-label schematic and a wiring diagram.

The schematic draws every part as a box with its pins (number and name inside, the net's
name outside), the style of a KiCad sheet that uses labels instead of wires. It is generated,
so it can never disagree with the netlist; open the .net in KiCad for a drawn layout.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

from hardware.eda.kicad import _ref_key
from hardware.eda.model import Circuit, Part, PinDef

ORDER = ["J", "U", "Q", "D", "L", "R", "C", "TP"]
COLUMNS = 4
PITCH = 0.42  # vertical distance between pins
CELL_W = 6.2
mpl.rcParams["svg.hashsalt"] = "mbus_han"  # stable SVG ids, so regenerated files diff cleanly
mpl.rcParams["svg.fonttype"] = "none"  # text stays text: searchable, and editable in Inkscape


def _sides(part: Part) -> tuple[list[PinDef], list[PinDef]]:
    """DIP order: first half of the pins down the left side, the rest up the right side."""
    pins = list(part.definition.pins)
    half = (len(pins) + 1) // 2
    return pins[:half], list(reversed(pins[half:]))


def _net_names(circuit: Circuit) -> dict[tuple[str, str], str]:
    return {p.key: net.name for net in circuit.nets.values() for p in net.pins}


def _colour(circuit: Circuit, net: str) -> str:
    if "GND" in net:
        return "black"
    return "tab:red" if circuit.nets[net].power else "tab:blue"


def _sorted_parts(circuit: Circuit) -> list[Part]:
    def key(part: Part) -> tuple[int, tuple[str, int]]:
        prefix = part.ref.rstrip("0123456789")
        return (ORDER.index(prefix) if prefix in ORDER else len(ORDER), _ref_key(part.ref))

    return sorted(circuit.parts.values(), key=key)


def render_schematic(circuit: Circuit, path: Path) -> None:
    """Write the net-label schematic to `path` (.png or .svg)."""
    nets = _net_names(circuit)
    parts = _sorted_parts(circuit)
    heights = [max(len(s) for s in _sides(p)) * PITCH + 0.9 for p in parts]
    rows = [parts[i : i + COLUMNS] for i in range(0, len(parts), COLUMNS)]
    row_h = [max(heights[i : i + COLUMNS]) + 0.5 for i in range(0, len(parts), COLUMNS)]
    total_h = sum(row_h) + 1.2
    fig, ax = plt.subplots(figsize=(COLUMNS * CELL_W * 0.62, total_h * 0.62))
    ax.set_xlim(0, COLUMNS * CELL_W)
    ax.set_ylim(-total_h, 0)
    ax.axis("off")
    ax.text(
        0.1,
        -0.45,
        f"{circuit.title}  —  hardware/{circuit.name}/design.py",
        fontsize=12,
        weight="bold",
    )
    y = -1.2
    for row, h in zip(rows, row_h, strict=True):
        for col, part in enumerate(row):
            _draw_part(ax, circuit, part, nets, col * CELL_W + 1.9, y)
        y -= h
    fig.savefig(
        path,
        dpi=90,
        bbox_inches="tight",
        metadata={"Date": None} if path.suffix == ".svg" else None,
    )
    plt.close(fig)


def _draw_part(
    ax: plt.Axes, circuit: Circuit, part: Part, nets: dict[tuple[str, str], str], x: float, y: float
) -> None:
    left, right = _sides(part)
    n = max(len(left), len(right))
    w, h = 2.2, n * PITCH + 0.5
    ax.add_patch(Rectangle((x, y - h), w, h, fill=False, lw=1.2))
    ax.text(
        x + w / 2,
        y + 0.12,
        f"{part.ref}  {part.value}",
        ha="center",
        va="bottom",
        fontsize=7.5,
        weight="bold",
    )
    for side, pins in ((0, left), (1, right)):
        for i, pin in enumerate(pins):
            py = y - 0.45 - i * PITCH
            edge = x + side * w
            stub = edge + (0.35 if side else -0.35)
            ax.plot([edge, stub], [py, py], color="0.3", lw=1)
            label = pin.number if pin.name in {"~", pin.number} else f"{pin.number} {pin.name}"
            inside = edge + (-0.06 if side else 0.06)
            ax.text(inside, py, label, ha="right" if side else "left", va="center", fontsize=5.5)
            net = nets.get((part.ref, pin.number))
            if net is None:
                ax.plot([stub], [py], marker="x", color="tab:gray", ms=5)
                continue
            ax.text(
                stub + (0.05 if side else -0.05),
                py,
                net,
                ha="left" if side else "right",
                va="center",
                fontsize=6,
                color=_colour(circuit, net),
            )


def render_wiring(title: str, wiring: list[tuple[str, str, str, str]], path: Path) -> None:
    """Write the off-board wiring (board connector pin -> where it goes) to `path`.

    Wires to "Pi pin N" also end on a drawing of the Pi's 40-pin header (pin 1 marked, the
    board edge side noted), because counting header pins is where wiring mistakes happen.
    """
    n = len(wiring)
    pi_pins = {
        i: int(m[1]) for i, w in enumerate(wiring) if (m := re.search(r"Pi pin (\d+)", w[1]))
    }
    height = max(n + 1.0, 8.0 if pi_pins else 0.0)
    fig, ax = plt.subplots(figsize=(14, 0.62 * height + 1.0))
    ax.set_xlim(0, 14)
    ax.set_ylim(-height - 0.2, 0.9)
    ax.axis("off")
    ax.text(0, 0.5, f"Wiring: {title}", fontsize=11, weight="bold")
    ax.add_patch(Rectangle((0.1, -n - 0.3), 2.4, n + 0.4, fill=False, lw=1.5))
    ax.text(1.3, -n - 0.6, "this board", ha="center", fontsize=8)
    if pi_pins:
        _pi_header(ax, {pin: wiring[i][3] for i, pin in pi_pins.items()})
    for i, (board, far, signal, colour) in enumerate(wiring):
        y = -i - 0.4
        ax.text(0.2, y, board, va="center", fontsize=8)
        end = (5.6, y)
        if i in pi_pins:
            end = _header_xy(pi_pins[i])
        ax.plot([2.5, end[0]], [y, end[1]], color=colour, lw=2.2)
        ax.plot([2.5], [y], "o", color=colour, ms=4)
        ax.text(3.3, y + 0.12, signal, ha="center", fontsize=7.5, color=colour)
        if i not in pi_pins:
            ax.plot([end[0]], [end[1]], "o", color=colour, ms=4)
            ax.text(5.7, y, far, va="center", fontsize=8)
    fig.savefig(
        path,
        dpi=100,
        bbox_inches="tight",
        metadata={"Date": None} if path.suffix == ".svg" else None,
    )
    plt.close(fig)


HEADER_X, HEADER_TOP, HEADER_PITCH = 11.4, -0.6, 0.36


def _header_xy(pin: int) -> tuple[float, float]:
    """Where pin `pin` of the Pi's 2 x 20 header is drawn (odd pins left, even right)."""
    row, col = (pin - 1) // 2, (pin - 1) % 2
    return (HEADER_X + col * 0.5, HEADER_TOP - row * HEADER_PITCH)


def _pi_header(ax: plt.Axes, used: dict[int, str]) -> None:
    """Draw the 40-pin header as seen from above, pin 1 (3V3) top left, names of used pins."""
    names = {1: "3V3", 2: "5V", 4: "5V", 6: "GND", 8: "GPIO14 TXD", 10: "GPIO15 RXD"}
    ax.add_patch(
        Rectangle(
            (HEADER_X - 0.3, HEADER_TOP - 19 * HEADER_PITCH - 0.3),
            1.1,
            19 * HEADER_PITCH + 0.6,
            fill=False,
            lw=1.2,
        )
    )
    ax.text(
        HEADER_X + 0.25,
        HEADER_TOP + 0.35,
        "Raspberry Pi 40-pin header (top view)",
        ha="center",
        fontsize=8,
    )
    for pin in range(1, 41):
        x, y = _header_xy(pin)
        colour = used.get(pin, "0.75")
        ax.plot([x], [y], "s" if pin == 1 else "o", color=colour, ms=6 if pin in used else 4)
        if pin in used:
            ax.text(HEADER_X + 0.75, y, f"pin {pin}: {names.get(pin, '')}", va="center", fontsize=7)
    ax.text(
        HEADER_X + 0.75,
        HEADER_TOP - 17 * HEADER_PITCH,
        "even pins: outer board edge\npins 39-40: USB/Ethernet end",
        fontsize=6.5,
        color="0.4",
        va="center",
    )
