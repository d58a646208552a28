"""Electrical rules: every design passes, and each rule really catches its mistake."""

import pytest

from hardware.build import DESIGNS
from hardware.eda import erc
from hardware.eda import library as lib
from hardware.eda.model import Circuit, Part
from hardware.eda.stock import resistor
from hardware.mbus_master.design import build as build_master


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_design_passes_erc(name):
    assert erc.check(DESIGNS[name][0]()) == []


def test_naive_receiver_variant_is_also_a_valid_circuit():
    assert erc.check(build_master(fixed_threshold=True)) == []


def _comparator_board() -> tuple[Circuit, Part, Part]:
    c = Circuit("t", "t")
    u = c.add(Part("U1", lib.MCP6562, "MCP6562", "fp", "m", "p"))
    j = c.add(Part("J1", lib.connector("Conn_01x02", 2, "c"), "in", "fp", "m", "p", off_board=True))
    c.connect("VDD", u["VDD"], j["1"], power=True)
    c.connect("GND", u["VSS"], u["+INB"], u["-INB"], j["2"], power=True)
    c.supply("VDD")
    c.supply("GND")
    c.no_connect(u["OUTA"], u["OUTB"])
    return c, u, j


def test_catches_unconnected_pin():
    c, _, _ = _comparator_board()
    problems = erc.check(c)
    assert any("U1.2(-INA) is unconnected" in p for p in problems)
    assert any("U1.3(+INA) is unconnected" in p for p in problems)


def test_catches_input_driven_only_by_a_connector():
    c, u, _ = _comparator_board()
    j2 = c.add(
        Part("J2", lib.connector("Conn_01x02", 2, "c"), "sig", "fp", "m", "p", off_board=True)
    )
    c.connect("SIG_A", u["+INA"], j2["1"])
    c.connect("SIG_B", u["-INA"], j2["2"])
    problems = erc.check(c)
    assert any("SIG_A: input U1.3(+INA) has no on-board driver" in p for p in problems)
    r = c.add(resistor("R1", "10k"))
    c.connect("SIG_A", r["1"])
    c.connect("GND", r["2"])
    assert not any("SIG_A" in p for p in erc.check(c))


def test_catches_single_pin_net_and_power_pin_on_signal_net():
    c = Circuit("t", "t")
    u = c.add(Part("U1", lib.MCP6562, "MCP6562", "fp", "m", "p"))
    c.connect("LONELY", u["OUTA"])
    c.connect("SIG", u["VDD"], u["OUTB"])
    problems = erc.check(c)
    assert any("net LONELY has a single pin" in p for p in problems)
    assert any("SIG: power pin U1.8(VDD) on a signal net" in p for p in problems)


def test_catches_unsourced_power_net_and_fighting_outputs():
    c = Circuit("t", "t")
    u = c.add(Part("U1", lib.MCP6562, "MCP6562", "fp", "m", "p"))
    c.connect("VDD", u["VDD"], u["VSS"], power=True)
    c.connect("OUT", u["OUTA"], u["OUTB"])
    problems = erc.check(c)
    assert any("VDD: power pin" in p and "no source" in p for p in problems)
    assert any("OUT: more than one push-pull output" in p for p in problems)


def test_catches_no_connect_on_an_input_and_on_a_connected_pin():
    c, u, _ = _comparator_board()
    c.no_connect(u["+INA"])
    c.no_connect(u["VDD"])
    problems = erc.check(c)
    assert any("U1.3(+INA) is an input marked no-connect" in p for p in problems)
    assert any("U1.8(VDD) is on a net and also marked no-connect" in p for p in problems)


def test_a_pin_cannot_join_two_nets():
    c, u, _ = _comparator_board()
    with pytest.raises(ValueError, match="already on net GND"):
        c.connect("OTHER", u["VSS"])
