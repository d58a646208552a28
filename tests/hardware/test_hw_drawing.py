"""The drawn schematics (M-Bus master, HAN reader) say what the netlists say."""

import pytest

from hardware.han_reader.design import build as build_han
from hardware.han_reader.drawing import draw as draw_han
from hardware.mbus_master.design import build
from hardware.mbus_master.drawing import draw

NOT_DRAWN = {
    *("J1", "J2", "J3", "U1", "L1", "D1", "D6", "C1", "C2", "C3", "C6", "C7", "R1", "R2", "R3"),
    *("D7", "D8"),  # the surge clamps to the rail and to ground (README, protection)
}


@pytest.mark.parametrize(("build_design", "draw_design"), [(build, draw), (build_han, draw_han)])
def test_every_drawn_terminal_is_on_its_net(tmp_path, build_design, draw_design):
    circuit = build_design()
    drawn = draw_design(tmp_path / "circuit.png")
    assert (tmp_path / "circuit.png").stat().st_size > 10_000
    for (ref, pin), net in drawn.items():
        actual = circuit.net_of(circuit.parts[ref][pin])
        assert actual is not None, (ref, pin)
        assert actual.name == net, (ref, pin, net, actual.name)


def test_the_drawing_covers_transmitter_limiter_and_receiver():
    drawn_refs = {ref for ref, _ in draw()}
    assert drawn_refs == set(build().parts) - NOT_DRAWN


def test_the_han_reader_drawing_shows_every_part_and_every_u1_pin():
    drawn = draw_han()
    assert {ref for ref, _ in drawn} == set(build_han().parts)
    connected = {p.number for p in build_han().parts["U1"].definition.pins} - {"5", "7", "10"}
    u1 = {pin for ref, pin in drawn if ref == "U1"}
    names = {p.name: p.number for p in build_han().parts["U1"].definition.pins}
    assert {names[p] for p in u1} >= connected
