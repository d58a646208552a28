"""What the electricity costs, from the settled periods and the prices the user gives (issue 17).

A running total in money, for Home Assistant's energy dashboard:

- every settled period adds its energy times (energy price + the grid's energy part). The
  energy price is the one in effect in the middle of the period (a spot price sensor's value);
  a period without a price is skipped, never guessed, and so is a period whose energy is
  missing. Both are counted so that the user sees how much was left out;
- the month's capacity step is charged when the month is first seen and topped up when the
  step rises, so each month's total holds exactly the price of the step the month ended in.

A period is settled once its hour's register can no longer change it (``SETTLE_AFTER`` past
the end of its hour). Pure Python; the state round-trips through ``to_dict``/``from_dict``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .capacity_meter import BOUNDARY_WINDOW, HOUR

SETTLE_AFTER = BOUNDARY_WINDOW


@dataclass(frozen=True, slots=True)
class Prices:
    """What the user priced; ``None`` where not given."""

    energy_entity: bool  # an energy price sensor is configured: a period needs its price
    grid_energy: float | None  # the grid's energy part, per kWh
    steps: tuple[float, ...]  # per month, one per step of the ladder (empty: not given)

    def step_price(self, step: int) -> float | None:
        """The month's price of ``step``; a step beyond the list costs the last price given."""
        if not self.steps:
            return None
        return self.steps[min(step, len(self.steps) - 1)]


def settled(start: dt.datetime, now: dt.datetime) -> bool:
    """True once no register can change the period starting at ``start`` any more.

    Every period of an hour is reconciled with the register at the hour's end.
    """
    hour_end = start.replace(minute=0, second=0, microsecond=0) + HOUR
    return now >= hour_end + SETTLE_AFTER


@dataclass(slots=True)
class CostLedger:
    """The running total and what is already in it."""

    total: float = 0.0
    priced_until: dt.datetime | None = None  # periods starting before this are done
    step_charged: dict[str, int] = field(default_factory=dict)  # "YYYY-MM" -> step in total
    skipped_no_price: int = 0
    skipped_no_energy: int = 0
    prices: dict[dt.datetime, float] = field(default_factory=dict)  # period start -> price

    def note_price(self, start: dt.datetime, price: float | None) -> None:
        """Remember the energy price in effect during the period starting at ``start``."""
        if price is not None:
            self.prices.setdefault(start.astimezone(dt.UTC), price)

    def add_period(self, start: dt.datetime, energy_kwh: float | None, prices: Prices) -> None:
        """Put one settled period into the total (once: later calls for it do nothing)."""
        start = start.astimezone(dt.UTC)
        if self.priced_until is not None and start < self.priced_until:
            return
        price = self.prices.pop(start, None)
        self.priced_until = start + dt.timedelta(seconds=1)
        if energy_kwh is None:
            self.skipped_no_energy += 1
            return
        if prices.energy_entity and price is None:
            self.skipped_no_price += 1
            return
        per_kwh = (price or 0.0) + (prices.grid_energy or 0.0)
        self.total += energy_kwh * per_kwh

    def charge_step(self, month: str, step: int, prices: Prices) -> None:
        """Make the month's step charge in the total that of ``step`` (steps only rise)."""
        price = prices.step_price(step)
        if price is None:
            return
        charged = self.step_charged.get(month)
        if charged is None:
            self.total += price
        elif step > charged:
            self.total += price - (prices.step_price(charged) or 0.0)
        else:
            return
        self.step_charged[month] = step
        # Bounded: only the last few months matter.
        for old in sorted(self.step_charged)[:-3]:
            del self.step_charged[old]

    def forget_prices_before(self, moment: dt.datetime) -> None:
        """Drop prices of periods already in the total (bounded memory)."""
        for start in [s for s in self.prices if s < moment]:
            del self.prices[start]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "total": self.total,
            "priced_until": None if self.priced_until is None else self.priced_until.isoformat(),
            "step_charged": dict(self.step_charged),
            "skipped_no_price": self.skipped_no_price,
            "skipped_no_energy": self.skipped_no_energy,
            "prices": {start.isoformat(): price for start, price in self.prices.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CostLedger:
        """Back from ``to_dict``."""
        until = data.get("priced_until")
        return cls(
            total=float(data.get("total", 0.0)),
            priced_until=None if until is None else dt.datetime.fromisoformat(until),
            step_charged={str(k): int(v) for k, v in data.get("step_charged", {}).items()},
            skipped_no_price=int(data.get("skipped_no_price", 0)),
            skipped_no_energy=int(data.get("skipped_no_energy", 0)),
            prices={
                dt.datetime.fromisoformat(k): float(v) for k, v in data.get("prices", {}).items()
            },
        )


def parse_numbers(text: str) -> tuple[float, ...]:
    """``"2, 5, 10"`` -> (2.0, 5.0, 10.0); raises ValueError on anything else."""
    parts = [part.strip() for part in text.replace(";", ",").split(",")]
    if parts == [""]:
        return ()
    numbers = tuple(float(part) for part in parts)
    if not all(math.isfinite(number) for number in numbers):
        raise ValueError("not a finite number")
    return numbers


def valid_ladder(bounds: Sequence[float]) -> bool:
    """A ladder's upper bounds must be positive and rise strictly."""
    return (
        bool(bounds)
        and all(b > 0 for b in bounds)
        and all(low < high for low, high in itertools.pairwise(bounds))
    )
