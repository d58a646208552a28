"""The poll-by-poll period tracker against hand calculation and the simulator's ground truth.

Hand-computed expectations are worked out next to each test from the counters alone; the
month is checked against the volume-weighted cooling and return temperature integrated
exactly from the simulated meter's instantaneous state (``benchmarks/heat_kpi.py``), fed to
the tracker one poll at a time with its state saved and reloaded as at a restart.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from zoneinfo import ZoneInfo

import pytest

from benchmarks.heat_kpi import SimulatedMonth, simulate_month
from custom_components.mbus_han.billing.heat import HeatReading, PeriodKind
from custom_components.mbus_han.billing.heat_periods import HeatPeriods
from custom_components.mbus_han.protocol.mbus.simulator.sources import KWH_PER_M3_K

BERLIN = ZoneInfo("Europe/Berlin")


def local(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def fed(*readings: HeatReading) -> HeatPeriods:
    periods = HeatPeriods(BERLIN)
    for reading in readings:
        periods.add(reading)
    return periods


def restarted(periods: HeatPeriods) -> HeatPeriods:
    """What a restart gives back: the state through JSON, as Home Assistant's Store keeps it."""
    return HeatPeriods.from_dict(json.loads(json.dumps(periods.to_dict())), BERLIN)


def test_the_day_starts_at_midnight_interpolated_between_two_polls() -> None:
    periods = fed(
        HeatReading(local(3, 1, 23, 30), 1000.0, 50.0),
        HeatReading(local(3, 2, 0, 30), 1010.0, 50.2),
        HeatReading(local(3, 2, 12), 1125.3, 60.1),
    )
    today = periods.kpi(PeriodKind.DAY, local(3, 2, 12), heat_capacity=1.163)
    assert today is not None
    # Midnight is half-way between the first two polls: 1005 kWh and 50.1 m3. To noon:
    # 120.3 kWh over 10 m3 = 120.3 / (10 x 1.163) = 10.344 K; 120.3 kWh in 12 h = 10.025 kW.
    assert today.complete
    assert today.kpi.start.interpolated
    assert today.kpi.start.gap == dt.timedelta(hours=1)
    assert today.kpi.energy_kwh == pytest.approx(120.3)
    assert today.kpi.cooling_k == pytest.approx(10.3439, abs=1e-4)
    assert today.kpi.mean_power_kw == pytest.approx(10.025)
    assert today.kpi.mean_volume_flow_m3h == pytest.approx(10 / 12)


def test_a_new_tracker_shows_the_period_since_its_first_poll_as_incomplete() -> None:
    periods = fed(
        HeatReading(local(3, 10, 14), 500.0, 20.0), HeatReading(local(3, 10, 16), 523.26, 21.0)
    )
    month = periods.kpi(PeriodKind.MONTH, local(3, 10, 16), heat_capacity=1.163)
    assert month is not None
    assert not month.complete
    assert month.measured_since == local(3, 10, 14)
    assert month.period_start == local(3, 1)
    # 23.26 kWh over 1 m3 at 1.163 kWh/(m3 K): 20 K.
    assert month.kpi.cooling_k == pytest.approx(20.0)


def test_nothing_for_a_new_day_before_its_first_poll() -> None:
    periods = fed(
        HeatReading(local(3, 2, 23, 40), 1000.0, 50.0), HeatReading(local(3, 2, 23, 55), 1003, 50.1)
    )
    assert periods.kpi(PeriodKind.DAY, local(3, 3, 0, 5)) is None
    assert periods.kpi(PeriodKind.HOUR, local(3, 3, 0, 5)) is None
    assert periods.kpi(PeriodKind.MONTH, local(3, 3, 0, 5)) is not None  # still March


def test_the_hour_so_far() -> None:
    periods = fed(
        HeatReading(local(3, 2, 9, 55), 1000.0, 40.0),
        HeatReading(local(3, 2, 10, 10), 1003.0, 40.1),
        HeatReading(local(3, 2, 10, 40), 1009.0, 40.3),
    )
    hour = periods.kpi(PeriodKind.HOUR, local(3, 2, 10, 45))
    assert hour is not None
    # 10:00 is a third of the way from 09:55 to 10:10: 1001 kWh; 1009 - 1001 = 8 kWh.
    assert hour.kpi.energy_kwh == pytest.approx(8.0)
    assert hour.complete
    assert hour.kpi.start.interpolated


def test_a_restart_keeps_the_boundaries() -> None:
    polls = [
        HeatReading(local(3, 1, 23, 30), 1000.0, 50.0),
        HeatReading(local(3, 2, 0, 30), 1010.0, 50.2),
    ]
    periods = restarted(fed(*polls))
    # Home Assistant was down until 18:00: the next poll follows the stored last one.
    periods.add(HeatReading(local(3, 2, 18), 1200.0, 58.0))
    unbroken = fed(*polls, HeatReading(local(3, 2, 18), 1200.0, 58.0))
    assert periods.kpi(PeriodKind.DAY, local(3, 2, 18)) == unbroken.kpi(
        PeriodKind.DAY, local(3, 2, 18)
    )
    today = periods.kpi(PeriodKind.DAY, local(3, 2, 18), heat_capacity=1.163)
    assert today is not None
    assert today.kpi.energy_kwh == pytest.approx(195.0)  # 1200 - 1005


def test_an_outage_across_midnight_interpolates_the_boundary_across_it() -> None:
    periods = fed(HeatReading(local(3, 1, 22), 1000.0, 100.0))
    periods = restarted(periods)
    periods.add(HeatReading(local(3, 2, 2), 1040.0, 102.0))
    today = periods.kpi(PeriodKind.DAY, local(3, 2, 2))
    assert today is not None
    # Midnight, 2 h into the 4 h gap: 1020 kWh; the day so far 1040 - 1020 = 20 kWh.
    assert today.kpi.energy_kwh == pytest.approx(20.0)
    assert today.kpi.start.gap == dt.timedelta(hours=4)


def test_a_replaced_meter_starts_afresh_never_negative() -> None:
    periods = fed(
        HeatReading(local(3, 2), 5000.0, 100.0),
        HeatReading(local(3, 2, 10), 5100.0, 105.0),
        HeatReading(local(3, 2, 11), 2.0, 0.1),  # new meter, counting from zero
        HeatReading(local(3, 2, 12), 13.63, 0.6),
    )
    today = periods.kpi(PeriodKind.DAY, local(3, 2, 12), heat_capacity=1.163)
    assert today is not None
    assert not today.complete
    assert today.measured_since == local(3, 2, 11)
    assert today.kpi.energy_kwh == pytest.approx(11.63)
    assert today.kpi.cooling_k == pytest.approx(20.0)  # 11.63 / (0.5 x 1.163)
    assert periods.restarts == 1


def test_older_polls_are_ignored() -> None:
    periods = fed(HeatReading(local(3, 2, 10), 100.0, 5.0))
    assert not periods.add(HeatReading(local(3, 2, 9), 90.0, 4.0))
    assert periods.last is not None
    assert periods.last.energy_kwh == 100.0


def test_sampled_flow_temperature_gives_the_implied_return() -> None:
    periods = fed(
        HeatReading(local(3, 2, 0), 0.0, 0.0, flow_temperature_c=70.0),
        HeatReading(local(3, 2, 1), 20.0, 1.0, flow_temperature_c=60.0),
        HeatReading(local(3, 2, 2), 60.0, 3.0, flow_temperature_c=60.0),
    )
    today = periods.kpi(PeriodKind.DAY, local(3, 2, 2), heat_capacity=1.0)
    assert today is not None
    # 1 m3 at (70 + 60) / 2 = 65 degC and 2 m3 at 60: (65 + 120) / 3 = 61.667 degC.
    # 60 kWh / (3 m3 x 1) = 20 K, so the return is 41.667 degC.
    assert today.kpi.flow_temperature_c == pytest.approx(61.6667, abs=1e-4)
    assert today.kpi.return_temperature_c == pytest.approx(41.6667, abs=1e-4)


def test_a_billing_year_from_a_date_already_tracked() -> None:
    # Tracked since 1 June; a billing start of 1 July set later finds its midnight kept.
    periods = HeatPeriods(BERLIN)
    for day in range(92):
        at = local(6, 1) + dt.timedelta(days=day, hours=12)
        periods.add(HeatReading(at, 1000.0 + 116.3 * day, 10.0 + 5.0 * day))
    billing = periods.kpi(
        PeriodKind.BILLING, local(8, 31, 12), billing_start=dt.date(2020, 7, 1), heat_capacity=1.163
    )
    assert billing is not None
    assert billing.complete
    assert billing.period_start == local(7, 1)
    # 116.3 kWh per 5 m3 every day: 20 K whatever the span.
    assert billing.kpi.cooling_k == pytest.approx(20.0)


def test_the_dst_day_lasts_23_hours() -> None:
    periods = fed(
        HeatReading(local(3, 28, 23, 30), 0.0, 0.0),
        HeatReading(local(3, 29, 0, 30), 1.0, 0.1),
        HeatReading(local(3, 30, 0, 30), 24.0, 2.4),
    )
    day = periods.kpi(PeriodKind.DAY, local(3, 29, 12))
    assert day is not None
    assert day.kpi.hours == 23  # a past day: from its midnight to the next, both interpolated
    assert day.kpi.energy_kwh == pytest.approx(23.5 - 0.5)


# --- ground truth: a simulated month, fed poll by poll, with restarts -------------------------


@pytest.fixture(scope="module")
def march() -> SimulatedMonth:
    """March 2026 in Hamburg, polls every 15 minutes with gaps (see benchmarks/heat_kpi.py)."""
    return simulate_month()


def _tracked(readings: list[HeatReading], restarts: int) -> HeatPeriods:
    rng = random.Random(18)
    restart_at = set(rng.sample(range(len(readings)), restarts))
    periods = HeatPeriods(BERLIN)
    for index, reading in enumerate(readings):
        if index in restart_at:
            periods = restarted(periods)
        periods.add(reading)
    return periods


def test_the_month_against_the_exact_integral(march: SimulatedMonth) -> None:
    periods = _tracked(march.readings, restarts=40)
    month = periods.kpi(PeriodKind.MONTH, local(3, 15), heat_capacity=KWH_PER_M3_K)
    assert month is not None
    assert month.complete
    assert month.kpi.interpolated  # no poll near either boundary
    assert month.kpi.hours == 743
    assert month.kpi.cooling_k is not None
    assert month.kpi.return_temperature_c is not None
    assert abs(month.kpi.cooling_k - march.month.cooling_k) < 0.1
    assert abs(month.kpi.return_temperature_c - march.month.return_c) < 0.1


def test_every_day_against_the_exact_integral(march: SimulatedMonth) -> None:
    periods = _tracked(march.readings, restarts=40)
    for day, truth in march.days.items():
        kpi = periods.kpi(
            PeriodKind.DAY, dt.datetime.combine(day, dt.time(12), BERLIN), heat_capacity=1.163
        )
        assert kpi is not None, day
        assert kpi.kpi.cooling_k is not None
        assert abs(kpi.kpi.cooling_k - truth.cooling_k) < 0.1, day


def test_the_month_with_v_t_registers(march: SimulatedMonth) -> None:
    periods = _tracked(march.register_readings, restarts=10)
    month = periods.kpi(PeriodKind.MONTH, local(3, 15))
    assert month is not None
    assert month.kpi.cooling_k is not None
    assert month.kpi.return_temperature_c is not None
    assert abs(month.kpi.cooling_k - march.month.cooling_k) < 0.1
    assert abs(month.kpi.return_temperature_c - march.month.return_c) < 0.1


def test_a_damaged_store_starts_afresh() -> None:
    assert HeatPeriods.from_dict({"version": 1, "last": {"at": "x"}}, BERLIN).last is None
    assert HeatPeriods.from_dict({"version": 99}, BERLIN).last is None


def test_a_month_with_daily_load_and_the_waters_heat_coefficient() -> None:
    """What the sensors compute: no fixed k, the model's k follows the water's properties."""
    daily = simulate_month(daily_load=True)
    periods = _tracked(daily.readings, restarts=40)
    month = periods.kpi(PeriodKind.MONTH, local(3, 15))
    assert month is not None
    assert month.kpi.cooling_k is not None
    assert month.kpi.return_temperature_c is not None
    assert abs(month.kpi.cooling_k - daily.month.cooling_k) < 0.1
    assert abs(month.kpi.return_temperature_c - daily.month.return_c) < 0.1
