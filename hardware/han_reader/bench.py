"""ngspice bench: the HAN reader receiving a meter's push, bit by bit, to the Pi's RXD.

The deck is the design's own netlist (resistors and capacitors with their BOM values) plus
behavioural models of what SPICE has no model for:

- the meter: a voltage source across the RJ45 pins, mark 24 V and a space 10 V lower (the
  smallest swing the TSS721A data sheet guarantees to receive, SLAS222B p.3), playing the
  bytes as 8E1 UART frames at 2400 Bd, back to back;
- the TSS721A (`TSS721A_MODEL` below): a constant bus current set by R_RIDD (p.7), VB the bus
  voltage less the rectifier's 1.5 V (p.7), the receiver's threshold memory on SC charged with
  40 times its discharge current (p.3 eq. 1, discharge at its worst 3.2 uA), a space detected
  when VB falls more than half the 10 V step below SC, TX driven to V_BAT - 0.6 V at mark and
  to ground through 1.36 kOhm at space (1.5 V at 1.1 mA, the review's reading of p.8), VDD
  regulated from STC, which the bus current charges;
- the optocoupler (SFH618A): the LED as a diode with V_F 1.25 V at 1 mA (worst case, not in
  the sheet text we found), the phototransistor as a current source of CTR x I_F with the
  sheet's 32 % floor, saturating near 0 V, and a 20 us lag for its slowness (assumed: the
  turn-off time into 22 kOhm is not in the sheet text we found; bring-up must measure it).

The Pi's UART is then played in Python: a start bit's falling edge, every bit sampled in its
middle, a sample counting only if it is a valid GPIO level (below 0.8 V or above 2.0 V).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from hardware.eda import spice
from hardware.eda.model import Circuit
from hardware.eda.sheets import discretes, tss721a
from hardware.han_reader.design import build
from hardware.mbus_master.bench import uart_bits

BAUD = 2400
BIT = 1 / BAUD
MARK, STEP = 24.0, tss721a.FIGURES["space_drop"].value
V_IL, V_IH = 0.8, 2.0  # Raspberry Pi GPIO input levels at 3.3 V
LEAD = 5e-3  # s of idle bus before the first byte


@dataclass(frozen=True)
class Corner:
    """Which end of each spread the run takes.

    Defaults are the slowest, weakest signal: VDD at its minimum, TX's weak low, the LED's
    highest forward voltage, the opto's CTR floor, the Pi's 3.3 V at +5 %.
    """

    vdd: float = tss721a.FIGURES["vdd_min"].value
    tx_low_ohms: float = tss721a.FIGURES["tx_vol_max"].value / tss721a.FIGURES["tx_iol"].value
    vf_1ma: float = discretes.SFH618A["vf_max_1ma"]
    ctr: float = discretes.SFH618A["ctr_min_05ma"]
    v_pi: float = 3.3 * 1.05
    opto_lag: float = 20e-6  # s: assumed; SFH610A (sibling) lists t_off 18-25 us typical


WEAK = Corner()
# Most LED current: what drains STC hardest during a frame of zeros.
STRONG = Corner(
    vdd=tss721a.FIGURES["vdd_max"].value,
    tx_low_ohms=1.0,
    vf_1ma=discretes.SFH618A["vf_min_1ma"],
    ctr=discretes.SFH618A["ctr_min_1ma_grade4"],
    v_pi=3.3,
)


def tss721a_model(circuit: Circuit, corner: Corner) -> list[str]:
    """Behavioural TSS721A lines on the design's nets (see the module docstring)."""
    n = spice.node
    gnd, vb, sc, stc = n("GND_BUS"), n("VB_BUS"), n("SC_BUS"), n("STC_BUS")
    l1, l2, tx, vdd = n("BUS_L1"), n("BUS_L2"), n("TX_BUS"), n("VDD_BUS")
    r_ridd = _value(circuit, "R3")
    i_bus = tss721a.bus_current(r_ridd)
    i_dis = tss721a.FIGURES["sc_discharge_max"].value
    i_ch = i_dis * tss721a.FIGURES["sc_ratio"].value
    i_stc = tss721a.stc_charge_min(r_ridd)
    bat_net = circuit.net_of(circuit.parts["U1"]["BAT"])
    if bat_net is None:
        raise ValueError("U1 BAT is unconnected")
    bat = n(bat_net.name)
    hi = tss721a.FIGURES["tx_high_below_bat"].value
    half = STEP / 2
    space = f"(0.5 * (1 - tanh((V({vb},{gnd}) - V({sc},{gnd}) + {half:g}) / 0.2)))"
    return [
        f"BIBUS {l1} {l2} I = {i_bus:.4g} * tanh(V({l1},{l2}) / 0.5)",
        f"VRECT {l2} {gnd} DC 0.75",
        f"BVB {vb} {gnd} V = V({l1},{l2}) - 1.5",
        f"BSC {gnd} {sc} I = {i_ch:.4g} * 0.5 * (1 + tanh((V({vb},{gnd}) - V({sc},{gnd})) / 0.05))"
        f" - {i_dis:.4g} * 0.5 * (1 - tanh((V({vb},{gnd}) - V({sc},{gnd})) / 0.05))",
        f"BTXI txi {gnd} V = max(V({bat},{gnd}) - {hi:g}, 0) * (1 - {space})",
        f"RTXO txi {tx} {corner.tx_low_ohms:.4g}",
        f"BSTC {gnd} {stc} I = {i_stc:.4g} * 0.5 * (1 - tanh((V({stc},{gnd}) - 6.5) / 0.05))",
        f"BREG vreg {gnd} V = min({corner.vdd:g}, max(V({stc},{gnd}) - 0.3, 0))",
        "VREGI vreg vreg2 DC 0",
        f"RREG vreg2 {vdd} 5",
        f"BDRAW {stc} {gnd} I = max(i(VREGI), 0)",
        f"VGND {gnd} 0 DC 0",  # the isolation is not what this bench simulates
    ]


def opto_model(corner: Corner) -> list[str]:
    """SFH618A: LED (sensed by VLED) and a lagging, saturating phototransistor."""
    n = spice.node
    import math  # noqa: PLC0415

    n_vt = 1.8 * 0.02585
    i_s = 1e-3 * math.exp(-corner.vf_1ma / n_vt)
    return [
        f".model DLED D(IS={i_s:.4g} N=1.8 RS=5)",
        f"VLED {n('LED_BUS')} led_a DC 0",
        f"DLED1 led_a {n('TX_BUS')} DLED",
        "BPH ph 0 V = i(VLED) * 1000",
        f"RPH ph phf {corner.opto_lag / 1e-9:.6g}",
        "CPH phf 0 1n",  # first-order lag of the photocurrent
        f"BCE {n('RXD')} {n('GND_PI')} I = {corner.ctr:g} * max(V(phf), 0) / 1000"
        f" * tanh(V({n('RXD')},{n('GND_PI')}) / 0.1)",
        f"CCE {n('RXD')} {n('GND_PI')} 10p",
    ]


def _value(circuit: Circuit, ref: str) -> float:
    from hardware.eda import query  # noqa: PLC0415

    return query.value(circuit.parts[ref])


def _bus_pwl(data: bytes) -> tuple[str, float]:
    bits = uart_bits(data)
    points = [(0.0, MARK)]
    level = 1
    for i, bit in enumerate(bits):
        if bit != level:
            t = LEAD + i * BIT
            points += [(t, MARK - STEP * (1 - level)), (t + 2e-6, MARK - STEP * (1 - bit))]
            level = bit
    end = LEAD + len(bits) * BIT
    pairs = [f"{t:.7g} {v:.4g}" for t, v in points]
    # ngspice reads long lines only up to a limit: continue the list on "+" lines.
    lines = [" ".join(pairs[i : i + 8]) for i in range(0, len(pairs), 8)]
    return "PWL(" + "\n+ ".join(lines) + ")", end + 3 * BIT


@dataclass(frozen=True)
class Reception:
    """What the Pi's UART made of RXD, and how the reader's supply held up."""

    received: bytes
    framing_errors: int
    stc_min: float
    rxd_low_max: float  # highest RXD level sampled in a space bit
    rxd_high_min: float  # lowest RXD level sampled in a mark bit


def receive(
    data: bytes, circuit: Circuit | None = None, corner: Corner = WEAK, step: float = 20e-6
) -> Reception:
    """Play `data` on the HAN port and decode RXD as the Pi's UART would."""
    circuit = circuit or build()
    n = spice.node
    pwl, t_end = _bus_pwl(data)
    deck = "\n".join(
        [
            f"* HAN reader receiving {len(data)} bytes",
            *spice.elements(circuit),
            *tss721a_model(circuit, corner),
            *opto_model(corner),
            f"VMETER {n('HAN_A')} {n('HAN_B')} {pwl}",
            f"VPI {n('+3V3_PI')} 0 DC {corner.v_pi:g}",
            f"VPIG {n('GND_PI')} 0 DC 0",
            f".ic v({n('STC_BUS')})=6.4 v({n('SC_BUS')})={MARK - 1.5 - 0.44 * 3:.3g}",
            ".control",
            f"tran {step:g} {t_end:.6g} 0 {step:g}",
            "set wr_singlescale",
            f"wrdata out.txt v({n('RXD')}) v({n('STC_BUS')},{n('GND_BUS')})",
            "quit 0",
            ".endc",
            ".end",
        ]
    )
    rows = [tuple(map(float, line.split())) for line in spice.run(deck, 120).splitlines() if line]
    return _uart(rows, len(data))


def _uart(rows: list[tuple[float, ...]], expected: int) -> Reception:
    """A UART on RXD: find each start edge, sample 11 bits mid-bit, check parity and stop."""
    times = [r[0] for r in rows]

    def at(t: float) -> float:
        i = min(max(bisect.bisect_left(times, t), 1), len(times) - 1)
        t0, t1 = times[i - 1], times[i]
        v0, v1 = rows[i - 1][1], rows[i][1]
        return v0 + (v1 - v0) * (t - t0) / (t1 - t0) if t1 > t0 else v1

    received, errors = bytearray(), 0
    low_max, high_min = 0.0, 5.0
    i = 0
    while i < len(rows) and len(received) + errors < expected:
        if rows[i][1] < (V_IL + V_IH) / 2 and i > 0 and rows[i - 1][1] >= (V_IL + V_IH) / 2:
            start = rows[i][0]
            levels = [at(start + (k + 0.5) * BIT) for k in range(11)]
            bits = []
            for v in levels:
                if v < V_IL:
                    bits.append(0)
                    low_max = max(low_max, v)
                elif v > V_IH:
                    bits.append(1)
                    high_min = min(high_min, v)
                else:
                    bits.append(-1)
            word = bits[1:9]
            ok = bits[0] == 0 and bits[10] == 1 and -1 not in bits and sum(bits[1:10]) % 2 == 0
            if ok:
                received.append(sum(b << k for k, b in enumerate(word)))
            else:
                errors += 1
            i = bisect.bisect_left(times, start + 10.5 * BIT)
            continue
        i += 1
    return Reception(bytes(received), errors, min(r[2] for r in rows), low_max, high_min)
