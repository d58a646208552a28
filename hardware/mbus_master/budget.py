"""The hand calculation of README.md, as code: what the simulation is checked against.

Every number here comes from component values and datasheet figures, not from the
simulator. Tests compare the README's tables with these functions and the ngspice results
with the limits they predict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

UNIT_LOAD = 1.5e-3  # A, EN 13757-2: one unit load draws at most 1.5 mA
STEP_MIN, STEP_MAX = 11e-3, 20e-3  # A, a slave's space current on top of its quiescent current
V_RAIL = 1.23 * (1 + 69.8e3 / 2e3)  # LM2577-ADJ: 1.23 V x (1 + R1 / R2) = 44.2 V
V_ZENERS = 24.0 + 12.0  # D2 + D3: the mark reference
V_Z5, R14, VBE_Q5 = 3.9, 620.0, 0.70  # Q5 current source: (3.9 V - Vbe) / R14
R15 = 6.8e3  # D5's bias resistor
R_LIMIT = 10.0  # R8, current limit sense
R_SENSE = 22.0  # R10
R_PULLDOWN = 33e3  # R9
R_FILTER, C_FILTER = 4.7e3, 10e-9  # R11, C4
R_AVG, R_UP, C_BASE = 100e3, 2.4e6, 47e-6  # R12, R13, C5
V_LOGIC = 3.3
BETA_PASS = 50.0  # TIP31C, typical at 70 mA: the generic model's value
BETA_MIN = 25.0  # TIP31C data sheet minimum (at 1 A; nothing lower is promised at 70 mA)
VBE_SPREAD = -0.028  # V, Q4's V_BE below the model's (issue 16 M3: part-to-part, unverified)
RAIL_TOL = 0.02  # LM2577-ADJ reference and divider tolerance
AMBIENT_MAX, AMBIENT_MIN = 70.0, 0.0  # degC, the rated range
IS_Q4 = 6.734e-15  # A, saturation current of the public 2N3904 model
VT_27C = 0.025865  # V, kT/q at 27 degC
VBE_TEMPCO = -2.0e-3  # V/K, a silicon junction at constant current
FIXED_THRESHOLD = V_LOGIC * 4.87e3 / (100e3 + 4.87e3) / R_SENSE  # A, naive receiver


def reference_current(temp_c: float = 27.0, tol: float = 0.0) -> float:
    """Q5's constant current into the reference node: (Vz(D5) - Vbe(Q5)) / R14, 3.9 mA.

    `tol` = -1 gives the low corner: zener -5 %, R14 +1 %.
    """
    vbe = VBE_Q5 + VBE_TEMPCO * (temp_c - 27.0)
    return (V_Z5 * (1 + 0.05 * tol) - vbe) / (R14 * (1 - 0.01 * tol))


def current_limit(temp_c: float = 27.0, worst_case: bool = False) -> float:
    """Largest current Bus+ can deliver before the reference collapses.

    The limit is reached when Q4 takes all of Q5's current except the pass transistor's base
    current; that current (about 2.6 mA) leaves through Q4's emitter into Bus+ too, so the bus
    gets Vbe(Q4) / R8 + I(Q4). Vbe(Q4) = Vt * ln(Ic / Is) = 0.69 V at 27 degC, -2 mV/K.
    """
    r_limit = R_LIMIT * (1.01 if worst_case else 1.0)
    i_ref = reference_current(temp_c, -1.0 if worst_case else 0.0)
    beta = BETA_MIN if worst_case else BETA_PASS
    spread = VBE_SPREAD if worst_case else 0.0
    i_limit = 0.07  # fixed-point iteration on the base current term; converges at once
    for _ in range(5):
        i_q4 = i_ref - i_limit / beta
        vbe = VT_27C * math.log(i_q4 / IS_Q4) + VBE_TEMPCO * (temp_c - 27.0) + spread
        i_limit = vbe / r_limit + i_q4
    return i_limit


def mark_voltage(zener_tol: float = 0.0) -> float:
    """Bus+ at mark with no load: zener reference minus the pass transistor's Vbe (0.65 V)."""
    return V_ZENERS * (1 + zener_tol) - 0.65


def pulldown_current(zener_tol: float = 0.0) -> float:
    """R9 keeps the bus falling fast at a space; its current also counts against the limit."""
    return mark_voltage(zener_tol) / (R_PULLDOWN * (1 - 0.01))


def max_unit_loads(temp_c: float = 27.0, worst_case: bool = False) -> int:
    """Largest N for which N unit loads plus a 20 mA answer stay below the current limit.

    Beyond it the limiter clamps the bus current while a slave answers; the bus voltage
    then collapses (the slaves are constant-current sinks) and the answer is lost.
    Worst case: 70 degC, R8 +1 %, zeners +5 %, pass beta 25, Q4's V_BE 28 mV low.
    """
    if worst_case:
        available = current_limit(70.0, worst_case=True) - pulldown_current(0.05)
    else:
        available = current_limit(temp_c) - pulldown_current()
    return math.floor((available - STEP_MAX) / UNIT_LOAD)


def threshold_offset(n_loads: int) -> float:
    """Threshold minus baseline, in A of bus current: k * (3.3 V - Vsense) / R10."""
    k = R_AVG / (R_AVG + R_UP)
    return k * (V_LOGIC - n_loads * UNIT_LOAD * R_SENSE) / R_SENSE


def baseline_tau() -> float:
    """Time constant of the baseline: (R12 || R13) * C5."""
    return R_AVG * R_UP / (R_AVG + R_UP) * C_BASE


def baseline_drift(step: float, seconds: float, space_fraction: float) -> float:
    """Rise of the baseline (A) while a slave answers for `seconds` with that space share."""
    k = R_AVG / (R_AVG + R_UP)
    return (1 - k) * space_fraction * step * (1 - math.exp(-seconds / baseline_tau()))


def space_end_delay(step: float, n_loads: int) -> float:
    """How late RXD returns to mark after a slave's space ends (s).

    The filtered sense voltage decays from the step towards the baseline with R11 x C4 and
    crosses the threshold after tau * ln(step / offset). A UART samples mid-bit, so this must
    stay below half a bit: 208 us at 2400 Bd, but only 52 us at 9600 Bd.
    """
    return R_FILTER * C_FILTER * math.log(step / threshold_offset(n_loads))


def echo_equivalent_current(cable_capacitance: float = 10e-9) -> float:
    """The cable's charging pulse at a space -> mark edge, as the receiver sees it.

    12 V x C flows through R10 in a few microseconds; R11/C4 (47 us) spreads it to a bump of
    Q x R10 / tau, i.e. an apparent current of Q / tau. The threshold offset must exceed it
    or the receiver echoes the master's own bits.
    """
    return cable_capacitance * 12.0 / (R_FILTER * C_FILTER)


def fixed_threshold_max_loads() -> int:
    """The naive receiver reads a permanent space once N * 1.5 mA exceeds its threshold."""
    return math.floor(FIXED_THRESHOLD / UNIT_LOAD)


@dataclass(frozen=True)
class Summary:
    """The numbers README.md quotes."""

    limit_27c_ma: float
    limit_worst_ma: float
    n_nominal: int
    n_rated: int
    n_fixed: int
    offset_max_ma: float
    offset_at_rated_ma: float
    tau_s: float
    drift_255_bytes_ma: float


def summary() -> Summary:
    """Everything the README states, for the README test and for humans."""
    telegram = 255 * 11 / 2400  # s: the longest telegram at 2400 Bd
    return Summary(
        limit_27c_ma=round(current_limit() * 1e3, 1),
        limit_worst_ma=round(current_limit(70.0, worst_case=True) * 1e3, 1),
        n_nominal=max_unit_loads(),
        n_rated=max_unit_loads(worst_case=True),
        n_fixed=fixed_threshold_max_loads(),
        offset_max_ma=round(threshold_offset(0) * 1e3, 1),
        offset_at_rated_ma=round(threshold_offset(max_unit_loads(worst_case=True)) * 1e3, 1),
        tau_s=round(baseline_tau(), 2),
        drift_255_bytes_ma=round(baseline_drift(STEP_MIN, telegram, 10 / 11) * 1e3, 1),
    )


if __name__ == "__main__":
    print(summary())
