"""Parts, pins and nets: the one source every output of a design is generated from."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class PinType(StrEnum):
    """Electrical pin types, spelled as KiCad spells them so the netlist carries them over."""

    INPUT = "input"
    OUTPUT = "output"
    BIDIRECTIONAL = "bidirectional"
    PASSIVE = "passive"
    POWER_IN = "power_in"
    POWER_OUT = "power_out"
    OPEN_COLLECTOR = "open_collector"
    NO_CONNECT = "no_connect"


@dataclass(frozen=True)
class PinDef:
    """One pin of a symbol: its number on the package, its name and electrical type.

    `pulled` marks inputs with an internal pull resistor (MAX3232 receiver inputs): such an
    input may be driven from a connector alone without floating when the cable is unplugged.
    """

    number: str
    name: str
    type: PinType
    pulled: bool = False


@dataclass(frozen=True)
class PartDef:
    """A symbol: what KiCad calls a library part. `lib` and `name` become the libsource."""

    lib: str
    name: str
    description: str
    pins: tuple[PinDef, ...]

    def pin(self, key: str) -> PinDef:
        """Find a pin by number or by (unique) name, so designs can say `U1["RX"]`."""
        by_number = [p for p in self.pins if p.number == key]
        if by_number:
            return by_number[0]
        by_name = [p for p in self.pins if p.name == key]
        if len(by_name) != 1:
            raise KeyError(f"{self.name}: no unique pin {key!r}")
        return by_name[0]


@dataclass
class Part:
    """A placed part: reference, value, footprint and where to buy it.

    `spice` is a SPICE element line template with `{ref}` and `{pin NUMBER}` fields (e.g.
    `"R{ref} {1} {2} 10k"`), or None for parts the simulation replaces by its own sources.
    `off_board` marks connectors: their pins are where cables plug in, so they never count
    as drivers of an input (an unplugged cable would leave it floating).
    """

    ref: str
    definition: PartDef
    value: str
    footprint: str
    manufacturer: str
    mpn: str
    spice: str | None = None
    off_board: bool = False
    note: str = ""

    def __getitem__(self, key: str) -> PinRef:
        return PinRef(self, self.definition.pin(key))


@dataclass(frozen=True)
class PinRef:
    """A pin of a placed part, as nets hold them."""

    part: Part
    pin: PinDef

    @property
    def key(self) -> tuple[str, str]:
        """(reference, pin number): what the KiCad netlist's `node` records."""
        return (self.part.ref, self.pin.number)

    def __str__(self) -> str:
        return f"{self.part.ref}.{self.pin.number}({self.pin.name})"


@dataclass
class Net:
    """A named net. `power` nets are supply rails: power_in pins belong only on them."""

    name: str
    power: bool = False
    pins: list[PinRef] = field(default_factory=list)


@dataclass
class Circuit:
    """A design: its parts, its nets and the pins deliberately left unconnected."""

    name: str
    title: str
    parts: dict[str, Part] = field(default_factory=dict)
    nets: dict[str, Net] = field(default_factory=dict)
    no_connects: set[tuple[str, str]] = field(default_factory=set)
    # Nets a supply enters the board on (a connector pin or an off-board source).
    supplies: set[str] = field(default_factory=set)
    # Operating figures the data-sheet rules need and the netlist cannot say (lowest baud
    # rate, lowest input voltage, the port's current budget): name -> value in SI units.
    params: dict[str, float] = field(default_factory=dict)

    def add(self, part: Part) -> Part:
        """Place a part; references must be unique."""
        if part.ref in self.parts:
            raise ValueError(f"duplicate reference {part.ref}")
        self.parts[part.ref] = part
        return part

    def connect(self, net_name: str, *pins: PinRef, power: bool = False) -> Net:
        """Join pins to a net (created on first use); a pin may belong to one net only."""
        net = self.nets.setdefault(net_name, Net(net_name, power=power))
        net.power = net.power or power
        for pin in pins:
            owner = self.net_of(pin)
            if owner is not None and owner.name != net_name:
                raise ValueError(f"{pin} already on net {owner.name}, not {net_name}")
            if owner is None:
                net.pins.append(pin)
        return net

    def supply(self, net_name: str) -> None:
        """Declare that power enters the board on this net (KiCad's PWR_FLAG)."""
        self.supplies.add(net_name)
        self.nets[net_name].power = True

    def no_connect(self, *pins: PinRef) -> None:
        """Mark pins as deliberately unconnected (KiCad's no-connect flag)."""
        for pin in pins:
            self.no_connects.add(pin.key)

    def net_of(self, pin: PinRef) -> Net | None:
        """The net a pin is on, if any."""
        for net in self.nets.values():
            if any(p.key == pin.key for p in net.pins):
                return net
        return None

    def connectivity(self) -> dict[str, frozenset[tuple[str, str]]]:
        """Net name -> set of (ref, pin): the form the KiCad round trip is compared in."""
        return {name: frozenset(p.key for p in net.pins) for name, net in self.nets.items()}
