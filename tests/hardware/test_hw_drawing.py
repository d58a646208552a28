"""The drawn schematic of the M-Bus master says what the netlist says."""

from hardware.mbus_master.design import build
from hardware.mbus_master.drawing import draw

NOT_DRAWN = {
    *("J1", "J2", "J3", "U1", "L1", "D1", "D6", "C1", "C2", "C3", "C6", "C7", "R1", "R2", "R3"),
    *("D7", "D8"),  # the surge clamps to the rail and to ground (README, protection)
}


def test_every_drawn_terminal_is_on_its_net(tmp_path):
    circuit = build()
    drawn = draw(tmp_path / "circuit.png")
    assert (tmp_path / "circuit.png").stat().st_size > 10_000
    for (ref, pin), net in drawn.items():
        actual = circuit.net_of(circuit.parts[ref][pin])
        assert actual is not None, (ref, pin)
        assert actual.name == net, (ref, pin, net, actual.name)


def test_the_drawing_covers_transmitter_limiter_and_receiver():
    drawn_refs = {ref for ref, _ in draw()}
    assert drawn_refs == set(build().parts) - NOT_DRAWN
