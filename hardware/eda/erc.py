"""Electrical rules check: the mistakes that cost a board re-spin, found from the source.

Rules (each returns a human-readable violation, so a failing test says what to fix):
- every pin is on a net or explicitly marked no-connect, never both;
- no net has a single pin (a wire to nowhere);
- no input floats: a net holding an input must hold an on-board driver (an output, a power
  source, or a passive part such as a pull resistor); a connector pin does not count, since
  the cable may be unplugged. Inputs with an internal pull (`pulled`) are exempt;
- power_in pins sit on power nets that have a source (a power_out pin or a declared supply);
- at most one push-pull output or power_out per net (no two drivers fighting);
- a no-connect flag is only on pins that are not inputs or power inputs;
- every part with a data-sheet model (`hardware/eda/sheets/`) obeys its sheet's rules.
"""

from __future__ import annotations

from hardware.eda import sheets
from hardware.eda.model import Circuit, PinRef, PinType

DRIVERS = {PinType.OUTPUT, PinType.POWER_OUT, PinType.BIDIRECTIONAL, PinType.OPEN_COLLECTOR}
PUSH_PULL = {PinType.OUTPUT, PinType.POWER_OUT}


def _is_driver(pin: PinRef) -> bool:
    if pin.part.off_board:
        return False
    if pin.pin.type in DRIVERS:
        return True
    # A passive pin of an on-board part (resistor, capacitor, diode, transistor C/E) defines
    # the node's level; only a part whose pins are all inputs cannot.
    return pin.pin.type == PinType.PASSIVE


def check(circuit: Circuit) -> list[str]:
    """Return every rule violation in the circuit; an empty list means it passes."""
    problems: list[str] = []
    connected = {p.key for net in circuit.nets.values() for p in net.pins}
    for part in circuit.parts.values():
        for pin_def in part.definition.pins:
            pin = part[pin_def.number]
            key = pin.key
            if key in connected and key in circuit.no_connects:
                problems.append(f"{pin} is on a net and also marked no-connect")
            elif key not in connected and key not in circuit.no_connects:
                problems.append(f"{pin} is unconnected (connect it or mark it no-connect)")
            elif key in circuit.no_connects and pin_def.type in {PinType.INPUT, PinType.POWER_IN}:
                problems.append(f"{pin} is an input marked no-connect: it would float")
    for net in circuit.nets.values():
        if len(net.pins) < 2:
            problems.append(f"net {net.name} has a single pin {net.pins[0] if net.pins else ''}")
        types = [p.pin.type for p in net.pins]
        inputs = [p for p in net.pins if p.pin.type == PinType.INPUT and not p.pin.pulled]
        if inputs and not net.power and not any(_is_driver(p) for p in net.pins if p not in inputs):
            problems.append(f"net {net.name}: input {inputs[0]} has no on-board driver")
        if sum(t in PUSH_PULL for t in types) > 1:
            problems.append(f"net {net.name}: more than one push-pull output or power source")
        power_ins = [p for p in net.pins if p.pin.type == PinType.POWER_IN]
        if power_ins:
            sourced = net.name in circuit.supplies or PinType.POWER_OUT in types
            if not net.power:
                problems.append(f"net {net.name}: power pin {power_ins[0]} on a signal net")
            elif not sourced:
                problems.append(f"net {net.name}: power pin {power_ins[0]} but no source")
    return problems + sheets.check(circuit)
