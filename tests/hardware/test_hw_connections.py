"""Every part's pins connected as intended: tables written from the datasheets' pin lists
and the READMEs' wiring tables, checked against the design source independently of it."""

import pytest

from hardware.eda.model import Circuit
from hardware.eda.stock import ohms
from hardware.han_reader.design import build as build_han
from hardware.mbus_master.design import build as build_master
from hardware.rs232_shifter.design import build as build_rs232


def net_of(circuit: Circuit, ref: str, pin: str) -> str | None:
    part = circuit.parts[ref]
    net = circuit.net_of(part[pin])
    return None if net is None else net.name


def same_net(circuit: Circuit, *pins: str) -> bool:
    names = {net_of(circuit, *p.split(".")) for p in pins}
    return len(names) == 1 and None not in names


HAN = build_han()
MASTER = build_master()
RS232 = build_rs232()


@pytest.mark.parametrize(
    ("pins", "why"),
    [
        (("J1.1", "R1.1", "D1.1"), "RJ45 pin 1 is one M-Bus wire (NEK 399), clamped by the TVS"),
        (("J1.2", "R2.1", "D1.2"), "RJ45 pin 2 is the other M-Bus wire"),
        (("R1.2", "U1.16"), "BUSL1 is TSS721A pin 16"),
        (("R2.2", "U1.1"), "BUSL2 is TSS721A pin 1"),
        (("U1.3", "C1.1"), "STC (pin 3) holds the energy reserve capacitor's + end"),
        (
            ("U1.11", "R4.1", "U1.12", "U1.9", "R7.1"),
            "VDD (pin 11) feeds the LED; RX input (12) high: no modulation; BAT (9) on VDD "
            "(SLAS222B p.2 logic level adjust, figs 7/8/10); R7 is VDD's 100 kOhm load",
        ),
        (
            ("U1.15", "U1.13", "C1.2", "R7.2"),
            "GND (15) and RXI input (13) on bus-side ground",
        ),
        (
            ("U1.8", "U2.2"),
            "TX output (pin 8) low at a space: it sinks the optocoupler LED's cathode",
        ),
        (("R4.2", "U2.1"), "LED anode through R4 to VDD"),
        (("U2.4", "R6.2", "J2.2"), "phototransistor collector is RXD, pulled up on the Pi side"),
        (("U2.3", "J2.3"), "phototransistor emitter to the Pi's GND"),
        (("R6.1", "J2.1"), "pull-up from the Pi's 3.3 V"),
    ],
)
def test_han_reader_pins(pins, why):
    assert same_net(HAN, *pins), why


def test_han_reader_unused_rj45_pins_and_outputs_are_marked_no_connect():
    for pin in ["3", "4", "5", "6", "7", "8"]:
        assert ("J1", pin) in HAN.no_connects
    for pin in ["5", "7", "10"]:  # PF, TXI, VS: outputs
        assert ("U1", pin) in HAN.no_connects


def _side(circuit: Circuit, start: str, barrier: str) -> set[str]:
    """Nets reachable from `start` through parts, never across the optocoupler's gap."""
    pin_net = {p.key: net.name for net in circuit.nets.values() for p in net.pins}
    seen, todo = {start}, [start]
    while todo:
        net = circuit.nets[todo.pop()]
        for pin in net.pins:
            part = pin.part
            group = [p.number for p in part.definition.pins]
            if part.ref == barrier:  # optocoupler: 1-2 (LED) and 3-4 (transistor) are isolated
                group = ["1", "2"] if pin.pin.number in {"1", "2"} else ["3", "4"]
            for number in group:
                other = pin_net.get((part.ref, number))
                if other and other not in seen:
                    seen.add(other)
                    todo.append(other)
    return seen


def test_han_reader_is_galvanically_isolated_by_the_optocoupler():
    bus = _side(HAN, "HAN_A", barrier="U2")
    pi = _side(HAN, "RXD", barrier="U2")
    assert {"HAN_B", "GND_BUS", "VDD_BUS"} <= bus
    assert {"+3V3_PI", "GND_PI"} <= pi
    assert bus.isdisjoint(pi)


@pytest.mark.parametrize(
    ("pins", "why"),
    [
        (("J2.1", "R5.1", "U2.8", "R13.1"), "Pi 3.3 V powers comparator, TX drive and offset"),
        (("J2.2", "R6.1"), "Pi TXD (GPIO14) into the inverter Q2 via R6"),
        (("J2.3", "U2.1"), "comparator A output is the Pi's RXD (GPIO15)"),
        (("J2.4", "J3.2", "R10.2", "U2.4"), "one ground: adapter, Pi, sense resistor, comparator"),
        (("R6.2", "Q2.1", "R7.1"), "Q2 base from TXD, pulled down by R7"),
        (("Q2.3", "Q1.1", "R5.2"), "Q2 (TXD high) holds Q1 off: mark"),
        (("Q1.3", "D2.2", "D3.1"), "Q1 shorts the 12 V zener D3 for a space"),
        (("D2.1", "Q3.1", "Q4.3", "Q5.3"), "24 V + 12 V zener chain is the pass transistor's base"),
        (("Q3.2", "D1.1", "C2.1"), "pass collector on the 44 V rail"),
        (("Q3.3", "R8.1", "Q4.1"), "R8 senses the bus current between Q4's base ..."),
        (("R8.2", "Q4.2", "F1.1", "R9.1", "D7.2", "D8.1"), "... and emitter; clamped to rail/GND"),
        (("F1.2", "J1.1", "D4.1"), "Bus+ is terminal 1, behind the PTC F1"),
        (("J1.2", "R10.1", "R11.1"), "Bus- returns through the 22 ohm sense resistor"),
        (("R11.2", "C4.1", "R12.1", "U2.2"), "filtered sense voltage into -INA"),
        (("R12.2", "R13.2", "C5.1", "U2.3"), "averaged baseline plus offset into +INA"),
        (("R14.2", "Q5.1"), "current source emitter resistor (2N5401 TO-92: 1 = E)"),
        (("D5.1", "Q5.2", "R15.1"), "3.9 V zener (BZX84 pin 1 = A) sets the current source's base"),
        (("D5.3", "R14.1", "Q3.2", "D7.1"), "current source referenced to the 44 V rail"),
        (("U1.5", "C7.1"), "100 nF ceramic right at the LM2577's VIN (SNOS658D)"),
        (("U1.5", "L1.1", "D6.1"), "boost input from the 12 V jack's tip via D6"),
        (("U1.4", "L1.2", "D1.2"), "boost switch node"),
        (("U1.2", "R1.2", "R2.1"), "feedback divider: 1.23 V x (1 + 69.8k / 2k) = 44.2 V"),
    ],
)
def test_mbus_master_pins(pins, why):
    assert same_net(MASTER, *pins), why


def test_mbus_master_boost_feedback_sets_44_volts():
    r1, r2 = (ohms(MASTER.parts[r].value) for r in ("R1", "R2"))
    v_out = 1.23 * (1 + r1 / r2)  # LM2577-ADJ reference 1.23 V
    assert v_out == pytest.approx(44.2, abs=0.05)


@pytest.mark.parametrize(
    ("pins", "why"),
    [
        (("J2.2", "U1.11", "R1.2"), "Pi TXD (GPIO14) -> T1IN (11), pulled up to mark"),
        (("U1.12", "J2.3"), "R1OUT (12) -> Pi RXD (GPIO15)"),
        (("U1.14", "JP1.2"), "T1OUT (14) -> JP1's common pad"),
        (("JP1.1", "J1.3", "JP2.3"), "JP1 as delivered: DE-9 pin 3, TXD of a DTE; JP2's swap pad"),
        (("U1.13", "JP2.2"), "R1IN (13) <- JP2's common pad"),
        (("JP2.1", "J1.2", "JP1.3"), "JP2 as delivered: DE-9 pin 2, RXD of a DTE; JP1's swap pad"),
        (("J1.0", "J1.5", "U1.15"), "DE-9 shell and pin 5 on ground"),
        (("U1.7", "J1.4", "J1.7"), "T2OUT holds DTR (4) and RTS (7) asserted"),
        (("U1.15", "J1.5", "J2.4", "U1.10", "U1.8"), "GND (15) = DE-9 pin 5; T2IN, R2IN tied low"),
        (("U1.16", "J2.1", "C5.1"), "VCC (16) from the Pi's 3.3 V, bypassed"),
        (("U1.1", "C1.1"), "C1+ (1)"),
        (("U1.3", "C1.2"), "C1- (3)"),
        (("U1.4", "C2.1"), "C2+ (4)"),
        (("U1.5", "C2.2"), "C2- (5)"),
        (("U1.2", "C3.1"), "V+ (2) reservoir"),
        (("U1.6", "C4.1"), "V- (6) reservoir"),
    ],
)
def test_rs232_shifter_pins(pins, why):
    assert same_net(RS232, *pins), why
