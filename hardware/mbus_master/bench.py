"""ngspice test bench for the master's transmitter and receiver, with N unit loads.

The deck is the design's own netlist (hardware.eda.spice) plus: an ideal 44.2 V source for the
boost converter, 3.3 V from the Pi, the Pi's TXD as a PWL source, 2 x 1 ohm + 10 nF of
cable, and the meters as one behavioural load: N x 1.5 mA quiescent plus a space step of
11-20 mA, both falling to zero as the bus voltage collapses (1 - exp(-V / 2 V)), which is
how a constant-current slave behaves below its minimum voltage.

The master sends one byte, then the slaves answer with one byte (or a long telegram); every
bit is sampled in its middle, as a UART does.
"""

from __future__ import annotations

import argparse
import bisect
from dataclasses import dataclass
from pathlib import Path

from hardware.eda import spice
from hardware.eda.model import Circuit
from hardware.eda.sheets import mcp6562
from hardware.mbus_master import budget
from hardware.mbus_master.design import build

BAUD = 2400
BIT = 1 / BAUD
# TSS721A data sheet (the usual slave transceiver): mark 20.8-42 V at the slave, a space
# V_mark - 10 V. We ask for 24 V so a few volts of cable drop remain in hand.
MARK_MIN = 24.0  # V at the slaves: mark level while idle or answering
SPACE_DROP_MIN = 10.0  # V: a master's space must fall at least this far below mark
# V: how far the bus may sag below its mark level while a slave answers. The resistive part
# is 20 mA x (R8 + R10 + cable) = 0.7 V; more means the current limiter has taken over, and
# the sag grows by volts per extra mA: other slaves may read it as the master's space, and
# further on the slaves lose their supply.
MAX_SAG = 2.0


def uart_bits(data: bytes, parity: bool = True) -> list[int]:
    """8E1 (or 8N1) frames, LSB first: 0 = space, 1 = mark."""
    bits: list[int] = []
    for byte in data:
        word = [(byte >> i) & 1 for i in range(8)]
        bits += [0, *word, *([sum(word) % 2] if parity else []), 1]
    return bits


def _pwl(
    bits: list[int],
    start: float,
    high: float,
    low: float,
    idle: float,
    bit: float,
    edge: float = 1e-6,
) -> str:
    """A PWL source that idles at `idle` and plays `bits` (1 -> high, 0 -> low) from start."""
    points = [(0.0, idle)]
    level = idle
    for i, level_bit in enumerate(bits):
        value = high if level_bit else low
        if value != level:
            t = start + i * bit
            points += [(t, level), (t + edge, value)]
            level = value
    end = start + len(bits) * bit
    if level != idle:
        points += [(end, level), (end + edge, idle)]
    return "PWL(" + " ".join(f"{t:.7g} {v:.4g}" for t, v in points) + ")"


@dataclass(frozen=True)
class Corner:
    """Where the parts and the room sit: the simulation's corner.

    `beta` is the pass transistor's (TIP31C, data sheet minimum 25); `vbe_shift` moves the
    limit transistor Q4's V_BE (part spread); `offset` is the comparator's input offset
    (MCP6562: +/-10 mV max, unverified); `rail` and `zener` scale the 44.2 V rail (LM2577-ADJ
    +/-2 %) and the 24 V + 12 V reference zeners (BZX79-C: +/-5 %); D5 moves the other way.
    """

    name: str
    temp_c: float = 27.0
    beta: float = budget.BETA_PASS
    vbe_shift: float = 0.0
    offset: float = 0.0
    rail: float = 1.0
    zener: float = 1.0


NOMINAL = Corner("nominal 27 C")
# Least current limit and least headroom: hot, lowest beta, low V_BE, high zeners, low rail,
# the comparator's offset raising the threshold (hardest to see an 11 mA space).
WORST = Corner(
    "worst: 70 C, beta 25, Vbe -28 mV, +10 mV offset, rail -2 %, zeners +5 %",
    temp_c=budget.AMBIENT_MAX,
    beta=budget.BETA_MIN,
    vbe_shift=budget.VBE_SPREAD,
    offset=mcp6562.FIGURES["offset_max"].value,
    rail=1 - budget.RAIL_TOL,
    zener=1.05,
)
# Most current into a short and the most volts across the transistors: cold, high rail.
COLD = Corner("short: 0 C, rail +2 %", temp_c=budget.AMBIENT_MIN, rail=1 + budget.RAIL_TOL)
CORNERS = (
    NOMINAL,
    Corner("cold 0 C", temp_c=budget.AMBIENT_MIN),
    Corner("hot 70 C", temp_c=budget.AMBIENT_MAX),
    Corner("beta 25", beta=budget.BETA_MIN),
    WORST,
)


def models(corner: Corner) -> str:
    """The generic models moved to `corner`; Q4 gets its own model for its V_BE shift."""
    import math  # noqa: PLC0415

    text = spice.MODELS.replace("IKF=3 RB=2", f"IKF=3 RB=2 BF={corner.beta:g}", 1)
    text = text.replace("BF=50 VAF=100", "VAF=100", 1)
    for name, bv in (("DZ24", 24.0), ("DZ12", 12.0)):
        text = text.replace(f"{name} D(IS=1n RS=", f"{name} D(BV={bv * corner.zener:.4g} IS=1n RS=")
        text = text.replace(f"BV={bv:g} IBV", "IBV")
    d5 = 3.9 * (2 - corner.zener)
    text = text.replace("DZ3V9 D(IS=1n RS=20 BV=3.9", f"DZ3V9 D(IS=1n RS=20 BV={d5:.4g}")
    q4 = spice.MODELS.split(".model Q2N3906")[0].replace("Q2N3904", "QLIMIT", 1)
    scale = math.exp(-corner.vbe_shift / budget.VT_27C)
    q4 = q4.replace("IS=6.734f", f"IS={6.734e-15 * scale:.4g}", 1)
    text = text.replace("(V(inp) - V(inn))", f"(V(inp) - V(inn) - {corner.offset:g})")
    return text + q4


@dataclass(frozen=True)
class Result:
    """What a UART and the slaves would have seen."""

    master_bits_ok: bool  # every master bit reached the slaves as a clean mark or space
    slave_bits_ok: bool  # RXD read every slave bit correctly
    no_echo: bool  # RXD stayed at mark while the master transmitted
    min_bus_while_answering: float  # V at the slaves
    mark_v: float
    space_v: float

    @property
    def ok(self) -> bool:
        """The exchange works: both directions decoded and the bus held up."""
        return (
            self.master_bits_ok
            and self.slave_bits_ok
            and self.no_echo
            and self.min_bus_while_answering >= MARK_MIN
            and self.sag <= MAX_SAG
        )

    @property
    def sag(self) -> float:
        """How far the bus fell below its mark level while the slaves answered."""
        return self.mark_v - self.min_bus_while_answering


def simulate(
    n_loads: int,
    step: float = budget.STEP_MAX,
    answer: bytes = b"\xe5",
    fixed_threshold: bool = False,
    master_byte: bytes = b"\x10",
    prelude: float = 0.0,
    baud: int = BAUD,
    deck_path: Path | None = None,
    corner: Corner = NOMINAL,
) -> Result:
    """Run one exchange with `n_loads` unit loads on the bus.

    `deck_path` keeps a copy of the SPICE deck, to run by hand with `ngspice -b`.
    `prelude` seconds of answer are played before `answer` as their average current (10/11
    of the step: a telegram of 0x00 bytes, the worst case for the baseline). The baseline's
    time constant is 10^4 bit times, so it sees only that average; simulating a 255-byte
    telegram bit by bit would take a minute and show nothing more.
    """
    bit = 1 / baud
    circuit = build(fixed_threshold=fixed_threshold)
    t_master = 1e-3
    master_bits = uart_bits(master_byte)
    t_answer = t_master + (len(master_bits) + 3) * bit
    t_slave = t_answer + prelude
    slave_bits = uart_bits(answer)
    t_end = t_slave + (len(slave_bits) + 2) * bit
    stx = _pwl(slave_bits, t_slave, 0.0, 1.0, 0.0, bit)
    if prelude:
        avg = 10 / 11
        stx = stx.replace(
            "PWL(0 0 ",
            f"PWL(0 0 {t_answer:.7g} 0 {t_answer + 1e-6:.7g} {avg:.6g} "
            f"{t_slave - bit / 2:.7g} {avg:.6g} {t_slave - bit / 2 + 1e-6:.7g} 0 ",
            1,
        )
    n = spice.node
    sp, sm = "slave_p", "slave_m"
    droop = f"(1 - exp(-max(V({sp},{sm}), 0) / 2))"
    deck = "\n".join(
        [
            f"* M-Bus master bench: {n_loads} UL, step {step * 1e3:.0f} mA, {corner.name}",
            models(corner),
            *_elements(circuit),
            f".temp {corner.temp_c:g}",
            f"V44 {n('+44V')} 0 DC {budget.V_RAIL * corner.rail:.4g}",
            f"V33 {n('+3V3')} 0 DC {budget.V_LOGIC}",
            f"VTXD {n('TXD')} 0 " + _pwl(master_bits, t_master, 3.3, 0.0, 3.3, bit),
            f"RC1 {n('BUS+_TERM')} {sp} 1",
            f"RC2 {n('BUS-')} {sm} 1",
            f"CC {sp} {sm} 10n",
            f"VSTX stx 0 {stx}",
            f"BQ {sp} {sm} I = {n_loads * budget.UNIT_LOAD:.6g} * {droop}",
            f"BS {sp} {sm} I = {step:.6g} * V(stx) * {droop}",
            ".options reltol=1e-4",
            ".control",
            f"tran 2u {t_end:.6g} 0 {20e-6 if prelude else 5e-6:.6g}",
            "set wr_singlescale",
            f"wrdata out.txt v({sp},{sm}) v({n('RXD')})",
            "quit 0",
            ".endc",
            ".end",
        ]
    )
    if deck_path is not None:
        deck_path.write_text(deck)
    rows = [
        tuple(map(float, line.split())) for line in spice.run(deck).splitlines() if line.strip()
    ]
    times = [r[0] for r in rows]

    def at(t: float, col: int) -> float:
        """Linear interpolation between the simulator's time points."""
        i = min(max(bisect.bisect_left(times, t), 1), len(times) - 1)
        t0, t1 = times[i - 1], times[i]
        v0, v1 = rows[i - 1][col], rows[i][col]
        return v0 + (v1 - v0) * (t - t0) / (t1 - t0) if t1 > t0 else v1

    mid = [t_master + (i + 0.5) * bit for i in range(len(master_bits))]
    bus = [at(t, 1) for t in mid]
    mark_v = min(v for v, b in zip(bus, master_bits, strict=True) if b)
    space_v = max(v for v, b in zip(bus, master_bits, strict=True) if not b)
    master_ok = mark_v >= MARK_MIN and mark_v - space_v >= SPACE_DROP_MIN
    rx = [at(t_slave + (i + 0.5) * bit, 2) > budget.V_LOGIC / 2 for i in range(len(slave_bits))]
    echo_window = [r[2] for r in rows if t_master <= r[0] <= t_answer]
    answering = [r[1] for r in rows if t_answer <= r[0] <= t_slave + len(slave_bits) * bit]
    return Result(
        master_bits_ok=master_ok,
        slave_bits_ok=rx == [bool(b) for b in slave_bits],
        no_echo=min(echo_window) > budget.V_LOGIC / 2,
        min_bus_while_answering=min(answering),
        mark_v=mark_v,
        space_v=space_v,
    )


def _elements(circuit: Circuit) -> list[str]:
    """The design's element lines, Q4 on its own model so a corner can shift its V_BE."""
    return [
        line.replace("Q2N3904", "QLIMIT") if line.startswith("QQ4 ") else line
        for line in spice.elements(circuit)
    ]


def rated_loads(corner: Corner, start: int = 20) -> int:
    """Most unit loads for which both 11 and 20 mA answers are read at `corner`."""
    n = start
    while all(
        simulate(n + 1, step=s, corner=corner).ok for s in (budget.STEP_MIN, budget.STEP_MAX)
    ):
        n += 1
    return n


@dataclass(frozen=True)
class Stress:
    """One transistor with the bus shorted: volts across it, current, power."""

    vce: float
    ic: float

    @property
    def power(self) -> float:
        """Dissipation in W (collector-emitter; the base's share is negligible)."""
        return abs(self.vce * self.ic)


TRANSISTORS = ("Q1", "Q2", "Q3", "Q4", "Q5")


def _pin_node(circuit: Circuit, ref: str, pin: str) -> str:
    net = circuit.net_of(circuit.parts[ref][pin])
    if net is None:
        raise ValueError(f"{ref}.{pin} is unconnected")
    return spice.node(net.name)


def short_circuit(corner: Corner = COLD, space: bool = False) -> dict[str, Stress]:
    """Bus terminals shorted (0.1 ohm) for 20 ms at mark or space: each transistor's stress."""
    circuit = build()
    n = spice.node
    pins = {
        ref: (_pin_node(circuit, ref, "C"), _pin_node(circuit, ref, "E")) for ref in TRANSISTORS
    }
    probes = " ".join(
        f"v({c}{'' if e == '0' else ',' + e}) @q{ref.lower()}[ic]" for ref, (c, e) in pins.items()
    )
    deck = "\n".join(
        [
            f"* M-Bus master, bus shorted, {corner.name}",
            models(corner),
            *_elements(circuit),
            f".temp {corner.temp_c:g}",
            f"V44 {n('+44V')} 0 DC {budget.V_RAIL * corner.rail:.4g}",
            f"V33 {n('+3V3')} 0 DC {budget.V_LOGIC}",
            f"VTXD {n('TXD')} 0 DC {0.0 if space else budget.V_LOGIC}",
            f"RSHORT {n('BUS+_TERM')} {n('BUS-')} 0.1",
            ".control",
            "save all " + " ".join(f"@q{r.lower()}[ic]" for r in TRANSISTORS),
            "tran 10u 20m",
            "set wr_singlescale",
            f"wrdata out.txt {probes}",
            "quit 0",
            ".endc",
            ".end",
        ]
    )
    last = [float(v) for v in spice.run(deck).strip().splitlines()[-1].split()]
    return {
        ref: Stress(vce=last[1 + 2 * i], ic=last[2 + 2 * i]) for i, ref in enumerate(TRANSISTORS)
    }


def report() -> str:
    """The rated unit loads per corner and the short-circuit stress, as a table."""
    lines = ["corner                                                                    UL"]
    for corner in CORNERS:
        lines.append(f"{corner.name:<72} {rated_loads(corner):>3}")
    lines.append("")
    lines.append("bus shorted (0 C, rail +2 %): transistor  V_CE     I_C      P")
    for ref, st in short_circuit().items():
        lines.append(f"  {ref}  {st.vce:7.2f} V  {st.ic * 1e3:7.2f} mA  {st.power * 1e3:7.1f} mW")
    lines.append(f"RESULT rated_unit_loads={rated_loads(WORST)} corner=worst")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`python -m hardware.mbus_master.bench`: rated loads per corner; `... bench 25`: one run."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("n_loads", type=int, nargs="?", help="unit loads on the bus")
    parser.add_argument("--worst", action="store_true", help="at the worst corner")
    parser.add_argument("--step", type=float, default=budget.STEP_MAX, help="space step in A")
    parser.add_argument("--baud", type=int, default=BAUD)
    parser.add_argument("--fixed-threshold", action="store_true", help="the naive receiver")
    parser.add_argument("--deck", type=Path, help="also write the SPICE deck here")
    args = parser.parse_args(argv)
    if args.n_loads is None:
        print(report())
        return 0
    result = simulate(
        args.n_loads,
        step=args.step,
        baud=args.baud,
        fixed_threshold=args.fixed_threshold,
        deck_path=args.deck,
        corner=WORST if args.worst else NOMINAL,
    )
    print(result, "works" if result.ok else "FAILS")
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
