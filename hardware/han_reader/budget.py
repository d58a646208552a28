"""The HAN reader's worst-case currents, from the design's values and the data sheets.

README.md quotes these numbers and a test checks it does; other tests check the inequalities
the reader depends on (LED bright enough at the weak end, STC not drained at the strong end).
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware.eda import query
from hardware.eda.model import Circuit
from hardware.eda.sheets import discretes, tss721a
from hardware.han_reader.design import build

PI_SUPPLY_MAX = 3.3 * 1.05  # V: the Pi's 3.3 V rail at +5 %
SPACE_SHARE = 10 / 11  # an 8E1 0x00 byte: start, eight zeros and an even-parity zero


@dataclass(frozen=True)
class Budget:
    """Currents in A."""

    led_min: float  # VDD minimum, TX's weak low, LED V_F maximum
    led_max: float  # VDD maximum, TX at 0 V, LED V_F minimum
    collector_min: float  # the CTR floor at led_min
    pullup: float  # what R6 asks of the phototransistor
    stc_charge_min: float
    stc_drain_max: float  # LED during a frame of zeros plus VDD's load resistor


def budget(circuit: Circuit | None = None) -> Budget:
    """Worst cases from `circuit` (the design by default)."""
    c = circuit or build()

    def r(ref: str) -> float:
        return query.value(c.parts[ref])

    f = tss721a.FIGURES
    tx_low = f["tx_vol_max"].value / f["tx_iol"].value
    led_min = (f["vdd_min"].value - discretes.SFH618A["vf_max_1ma"]) / (r("R4") + tx_low)
    led_max = (f["vdd_max"].value - discretes.SFH618A["vf_min_1ma"]) / r("R4")
    return Budget(
        led_min=led_min,
        led_max=led_max,
        collector_min=discretes.ctr_guaranteed(c.parts["U2"].mpn, led_min) * led_min,
        pullup=PI_SUPPLY_MAX / r("R6"),
        stc_charge_min=tss721a.stc_charge_min(r("R3")),
        stc_drain_max=led_max * SPACE_SHARE + f["vdd_max"].value / r("R7"),
    )
