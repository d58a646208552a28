"""The pictures are rendered from the source: every part and net appears in them."""

import html
import re

import pytest

from hardware.build import DESIGNS
from hardware.eda import render


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_schematic_shows_every_part_and_net(name, tmp_path):
    circuit = DESIGNS[name][0]()
    path = tmp_path / "schematic.svg"
    render.render_schematic(circuit, path)
    svg = html.unescape(path.read_text())
    for ref, part in circuit.parts.items():
        assert f"{ref}  {part.value}" in svg
    for net in circuit.nets:
        assert net in svg


def test_wiring_picture_names_every_wire(tmp_path):
    factory, wiring = DESIGNS["mbus_master"]
    path = tmp_path / "wiring.svg"
    render.render_wiring(factory().title, wiring, path)
    svg = html.unescape(path.read_text())
    for board, far, _signal, _colour in wiring:
        assert board in svg
        pi_pin = re.search(r"Pi pin (\d+)", far)
        if pi_pin:  # drawn on the 40-pin header instead of written out
            assert f"pin {pi_pin[1]}: " in svg
        else:
            assert far in svg
