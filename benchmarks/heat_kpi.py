"""Benchmark: a simulated month of heat-meter polls against the exactly integrated truth.

Run from the repository root: ``.venv/bin/python benchmarks/heat_kpi.py``. The project's
simulated heat meter (``HeatMeterModel``) is stepped with a fake clock every 20 s, so its
counters integrate its own instantaneous state; every 15 minutes (at 7 past the quarter, so
no poll lands on a boundary) it is read through its real telegram, except during gaps: across
both month boundaries, a five-hour restart and the night of the DST change. The truth is the
volume-weighted cooling and return temperature summed from the model's state at every step.

The model computes power as ``flow x delta T x 1.163`` (a constant heat capacity), so the
counter path is compared with that same constant; the physical water-property path is shown
for information (it differs by the model's simplification, not by an error of ours).
A second meter variant carries V x T registers (as Kamstrup MULTICAL meters do), integrated by
this harness from the same state. Last, a month with a household's daily load and the water's
real heat coefficient in the model, fed poll by poll to the tracker the sensors use (with its
state saved and reloaded as at restarts). The last line is
``RESULT cooling_error_k=<float> return_error_k=<float>`` from that month: what the sensors
show against the exact integrals (counters and sampled flow temperature, the path a meter
without V x T registers takes).
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from custom_components.mbus_han.billing.heat import (  # noqa: E402
    HeatKpi,
    HeatReading,
    PeriodKind,
    heat_coefficient,
    heat_kpi,
    period_bounds,
)
from custom_components.mbus_han.billing.heat_periods import HeatPeriods  # noqa: E402
from custom_components.mbus_han.protocol.mbus.model import Telegram  # noqa: E402
from custom_components.mbus_han.protocol.mbus.simulator.sources import (  # noqa: E402
    KWH_PER_M3_K,
    HeatMeterModel,
)
from custom_components.mbus_han.protocol.mbus.telegram import decode_user_data  # noqa: E402

HAMBURG = ZoneInfo("Europe/Berlin")
STEP_S = 20
POLL_S = 900
POLL_OFFSET_S = 420  # polls at 7, 22, 37 and 52 past the hour


@dataclass
class Truth:
    """Sums of the model's instantaneous state over time (m3, m3 K, m3 degC)."""

    volume: float = 0.0
    volume_delta: float = 0.0
    volume_flow_temperature: float = 0.0
    volume_return_temperature: float = 0.0

    def add(self, volume: float, flow_c: float, return_c: float) -> None:
        """One step: ``volume`` passed at these temperatures."""
        self.volume += volume
        self.volume_delta += volume * (flow_c - return_c)
        self.volume_flow_temperature += volume * flow_c
        self.volume_return_temperature += volume * return_c

    @property
    def cooling_k(self) -> float:
        """Volume-weighted flow minus return temperature."""
        return self.volume_delta / self.volume

    @property
    def return_c(self) -> float:
        """Volume-weighted return temperature."""
        return self.volume_return_temperature / self.volume


@dataclass
class SimulatedMonth:
    """A month's polls (plain and with V x T registers) and the truth per month and day."""

    start: dt.datetime
    end: dt.datetime
    readings: list[HeatReading] = field(default_factory=list)
    register_readings: list[HeatReading] = field(default_factory=list)
    month: Truth = field(default_factory=Truth)
    days: dict[dt.date, Truth] = field(default_factory=dict)
    missed_polls: int = 0


def default_gaps(start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """No polls across both boundaries, during a restart and over the DST night (local)."""
    return [
        (start - dt.timedelta(minutes=50), start + dt.timedelta(minutes=65)),
        (start.replace(day=10, hour=9), start.replace(day=10, hour=14)),
        (start.replace(day=29, hour=1), start.replace(day=29, hour=4, minute=30)),
        (end - dt.timedelta(minutes=25), end + dt.timedelta(minutes=40)),
    ]


def _in_gap(moment: dt.datetime, gaps: list[tuple[dt.datetime, dt.datetime]]) -> bool:
    return any(low <= moment < high for low, high in gaps)


def _values(telegram: Telegram) -> dict[str, float]:
    return {
        record.key: float(record.value)
        for record in telegram.records
        if isinstance(record.value, int | float | Decimal)
    }


def simulate_month(
    year: int = 2026,
    month: int = 3,
    zone: ZoneInfo = HAMBURG,
    gaps: list[tuple[dt.datetime, dt.datetime]] | None = None,
    seed: int = 18,
    *,
    daily_load: bool = False,
) -> SimulatedMonth:
    """Step the simulated meter through a local month (plus two hours either side).

    ``daily_load``: the household's day (night setback, morning and evening peaks) and the
    water's real heat coefficient instead of the constant 1.163 (see ``HeatMeterModel``).
    """
    start, end = period_bounds(PeriodKind.MONTH, dt.datetime(year, month, 15, tzinfo=zone), zone)
    gaps = default_gaps(start, end) if gaps is None else gaps
    result = SimulatedMonth(start, end)
    origin = start.astimezone(dt.UTC) - dt.timedelta(hours=2)
    clock = [0.0]

    def wall() -> dt.datetime:
        return (origin + dt.timedelta(seconds=clock[0])).astimezone(zone).replace(tzinfo=None)

    model = HeatMeterModel(
        clock=lambda: clock[0],
        wall_clock=wall,
        seed=seed,
        daily_load=daily_load,
        heat_coefficient=heat_coefficient if daily_load else None,
    )
    registers = Truth(model.volume_m3, 0.0, model.volume_m3 * 60, model.volume_m3 * 45)
    steps = int((end.astimezone(dt.UTC) - origin).total_seconds() + 2 * 3600) // STEP_S
    access = 0
    for _ in range(steps):
        clock[0] += STEP_S
        model.advance()
        now = origin + dt.timedelta(seconds=clock[0])
        if clock[0] % POLL_S == POLL_OFFSET_S:
            if _in_gap(now, gaps):
                result.missed_polls += 1
            else:
                access = (access + 1) % 256
                payload = model.telegram(0, access)
                decoded = decode_user_data(payload.ci, payload.data)
                assert isinstance(decoded, Telegram)
                values = _values(decoded)
                reading = HeatReading(
                    now,
                    values["energy"] / 1000,  # Wh -> kWh
                    values["volume"],
                    flow_temperature_c=values["flow_temperature"],
                    return_temperature_c=values["return_temperature"],
                )
                result.readings.append(reading)
                result.register_readings.append(
                    HeatReading(
                        now,
                        reading.energy_kwh,
                        reading.volume_m3,
                        # Registers in whole m3 degC, as the meter shows them.
                        math.floor(registers.volume_flow_temperature),
                        math.floor(registers.volume_return_temperature),
                    )
                )
        # The state after this step (and after any telegram) is what the model integrates
        # over the next step: the truth and the registers use exactly that.
        volume = model.volume_flow_m3h * STEP_S / 3600
        flow_c, return_c = model.flow_temperature, model.return_temperature
        registers.add(volume, flow_c, return_c)
        if start <= now < end:
            result.month.add(volume, flow_c, return_c)
            day = now.astimezone(zone).date()
            result.days.setdefault(day, Truth()).add(volume, flow_c, return_c)
    return result


def _row(label: str, ours: float | None, exact: float) -> str:
    value = "-" if ours is None else f"{ours:9.4f}"
    error = "-" if ours is None else f"{ours - exact:+8.4f}"
    return f"{label:<44} {value:>9} {exact:9.4f} {error:>8}"


def month_kpis(simulated: SimulatedMonth) -> tuple[HeatKpi, HeatKpi, HeatKpi]:
    """The month by the model's heat capacity, by water properties, and by registers."""
    start, end = simulated.start, simulated.end
    by_model = heat_kpi(simulated.readings, start, end, heat_capacity=KWH_PER_M3_K)
    by_water = heat_kpi(simulated.readings, start, end)
    by_registers = heat_kpi(simulated.register_readings, start, end)
    assert by_model is not None
    assert by_water is not None
    assert by_registers is not None
    return by_model, by_water, by_registers


def main() -> None:
    simulated = simulate_month()
    zone = HAMBURG
    print(
        f"{len(simulated.readings)} polls, {simulated.missed_polls} missed; "
        f"{simulated.start:%Y-%m-%d %H:%M %Z} .. {simulated.end:%Y-%m-%d %H:%M %Z}"
    )
    print(f"{'day':<10} {'hours':>5} {'kWh':>8} {'m3':>7} {'cooling':>8} {'exact':>8} interp")
    for day, truth in sorted(simulated.days.items()):
        start, end = period_bounds(
            PeriodKind.DAY, dt.datetime.combine(day, dt.time(12), zone), zone
        )
        kpi = heat_kpi(simulated.readings, start, end, heat_capacity=KWH_PER_M3_K)
        if kpi is None or kpi.cooling_k is None:
            print(f"{day} no data")
            continue
        print(
            f"{day} {kpi.hours:5.0f} {kpi.energy_kwh:8.1f} {kpi.volume_m3:7.2f} "
            f"{kpi.cooling_k:8.3f} {truth.cooling_k:8.3f} {'yes' if kpi.interpolated else ''}"
        )
    by_model, by_water, by_registers = month_kpis(simulated)
    exact = simulated.month
    print()
    print(f"{'the month':<44} {'ours':>9} {'exact':>9} {'error':>8}")
    print(_row("cooling, counters, k = 1.163 (the model's)", by_model.cooling_k, exact.cooling_k))
    print(_row("cooling, counters, k of water (IAPWS fits)", by_water.cooling_k, exact.cooling_k))
    print(_row("cooling, V x T registers", by_registers.cooling_k, exact.cooling_k))
    print(
        _row(
            "return temp., counters + sampled flow temp.",
            by_model.return_temperature_c,
            exact.return_c,
        )
    )
    print(_row("return temp., V x T registers", by_registers.return_temperature_c, exact.return_c))
    power, flow = by_model.mean_power_kw, by_model.mean_volume_flow_m3h
    print(f"mean power {power:.3f} kW, mean flow {flow:.4f} m3/h")

    # What the sensors show: a household's daily load, water's real heat coefficient, the
    # poll-by-poll tracker (state saved and reloaded every 100 polls, as at a restart).
    daily = simulate_month(daily_load=True)
    periods = HeatPeriods(zone)
    for index, reading in enumerate(daily.readings):
        if index % 100 == 99:
            periods = HeatPeriods.from_dict(periods.to_dict(), zone)
        periods.add(reading)
    sensors = periods.kpi(PeriodKind.MONTH, daily.start + dt.timedelta(days=15))
    assert sensors is not None
    assert sensors.kpi.cooling_k is not None
    assert sensors.kpi.return_temperature_c is not None
    truth = daily.month
    print()
    label = "daily load, the sensors (tracker + restarts)"
    print(f"{label:<44} {'ours':>9} {'exact':>9} {'error':>8}")
    print(_row("cooling, counters, k of water", sensors.kpi.cooling_k, truth.cooling_k))
    print(
        _row(
            "return temp., counters + sampled flow temp.",
            sensors.kpi.return_temperature_c,
            truth.return_c,
        )
    )
    cooling_error = abs(sensors.kpi.cooling_k - truth.cooling_k)
    return_error = abs(sensors.kpi.return_temperature_c - truth.return_c)
    print(f"RESULT cooling_error_k={cooling_error:.4f} return_error_k={return_error:.4f}")


if __name__ == "__main__":
    main()
