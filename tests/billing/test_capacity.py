"""Norway's capacity tariff against months computed by hand.

Every expected number below was worked out on paper from the rule (the mean of the three
highest hourly consumptions of the month, on three different days; RME's guidance) and is
written next to its arithmetic; none comes from the code under test.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from custom_components.mbus_han.billing.capacity import (
    DEFAULT_LADDER,
    Period,
    daily_peaks,
    headroom,
    peak_average,
    period_start,
    projected_period_energy,
    step_index,
    top_peaks,
)

OSLO = ZoneInfo("Europe/Oslo")


def local(day: int, hour: int, minute: int = 0, month: int = 1, fold: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=OSLO, fold=fold)


def hours(day: int, energies: dict[int, float | None], month: int = 1) -> list[Period]:
    return [Period(local(day, hour, month=month), kwh) for hour, kwh in energies.items()]


def test_three_days_two_peaks_on_one_day_count_once() -> None:
    periods = [
        *hours(5, {7: 3.0, 18: 6.0}),  # two high hours on the 5th: only 6.0 counts
        *hours(6, {18: 4.0}),
        *hours(7, {8: 2.0}),
        *hours(8, {19: 5.0}),
    ]
    top = top_peaks(daily_peaks(periods, OSLO))
    assert [(p.day.day, p.power_kw) for p in top] == [(5, 6.0), (8, 5.0), (6, 4.0)]
    assert peak_average(daily_peaks(periods, OSLO)) == pytest.approx(5.0)  # (6 + 5 + 4) / 3


def test_tie_goes_to_the_earlier_hour_and_day() -> None:
    periods = [*hours(3, {9: 4.0, 17: 4.0}), *hours(2, {12: 4.0}), *hours(4, {12: 4.0})]
    peaks = daily_peaks(periods, OSLO)
    assert peaks[1].start == local(3, 9)  # the 3rd's first 4 kWh hour
    # Four days at 4.0: the three earliest count; the average is 4.0 either way.
    assert [p.day.day for p in top_peaks(peaks)] == [2, 3, 4]


def test_outage_hour_is_marked_never_zero() -> None:
    periods = hours(10, {17: None, 18: 2.5})
    [peak] = daily_peaks(periods, OSLO)
    assert peak.power_kw == 2.5
    assert peak.incomplete
    # A day with no data at all has no peak (not a peak of 0).
    assert daily_peaks(hours(11, {0: None}), OSLO) == []


def test_spring_forward_day_has_23_hours() -> None:
    # 2026-03-29: Oslo skips 02:00-03:00. 23 hourly periods from 00:00 local to 00:00 next day.
    start = dt.datetime(2026, 3, 28, 23, 0, tzinfo=dt.UTC)  # 00:00 CET on the 29th
    periods = [Period(start + dt.timedelta(hours=i), 1.0) for i in range(24)]
    days = {p.day: p for p in daily_peaks(periods, OSLO)}
    count_29 = sum(1 for p in periods if p.start.astimezone(OSLO).date() == dt.date(2026, 3, 29))
    assert count_29 == 23
    assert dt.date(2026, 3, 30) in days  # the 24th period is already the next local day


def test_fall_back_day_has_25_hours_and_the_repeated_hour_is_its_own_period() -> None:
    # 2026-10-25: 02:00-03:00 local happens twice (CEST, then CET).
    start = dt.datetime(2026, 10, 24, 22, 0, tzinfo=dt.UTC)  # 00:00 CEST on the 25th
    energies = [1.0] * 25
    energies[3] = 7.0  # the second 02:00 (CET), UTC 01:00
    periods = [Period(start + dt.timedelta(hours=i), e) for i, e in enumerate(energies)]
    assert sum(1 for p in periods if p.start.astimezone(OSLO).date().day == 25) == 25
    [peak] = daily_peaks(periods, OSLO)
    assert peak.power_kw == 7.0
    assert peak.start == dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.UTC)
    assert peak.start.astimezone(OSLO).strftime("%H:%M %Z") == "02:00 CET"


def test_month_boundary_is_local_midnight() -> None:
    # 23:30 UTC on 31 January is 00:30 on 1 February in Oslo: February's day 1.
    period = Period(dt.datetime(2026, 1, 31, 23, 0, tzinfo=dt.UTC), 9.0)
    [peak] = daily_peaks([period], OSLO)
    assert peak.day == dt.date(2026, 2, 1)


def test_quarter_hour_settlement_counts_power_not_energy() -> None:
    # 15-minute periods: 1.5 kWh in a quarter is 6 kW; 4 kWh over a whole hour is only 4 kW.
    quarters = [Period(local(12, 18, minute), e, 15) for minute, e in ((0, 1.0), (15, 1.5))]
    hour = [Period(local(13, 18), 4.0, 60)]
    peaks = daily_peaks([*quarters, *hour], OSLO)
    assert [p.power_kw for p in peaks] == [6.0, 4.0]


@pytest.mark.parametrize(
    ("average", "step"),
    [(0.0, 0), (1.99, 0), (2.0, 1), (4.9, 1), (5.0, 2), (24.99, 5), (99.0, 8), (150.0, 9)],
)
def test_step_of_the_default_ladder(average: float, step: int) -> None:
    # Ladder 0-2, 2-5, 5-10, 10-15, 15-20, 20-25, 25-50, 50-75, 75-100, 100+ kW.
    assert step_index(average, DEFAULT_LADDER) == step


def test_headroom_when_today_is_not_among_the_top_days() -> None:
    # Other days: 6, 5, 4 kW (average 5.0, step 5-10). Today's best hour so far: 3 kW.
    # The running hour has used 1.0 kWh. It may reach the third day's 4 kWh: 3.0 kWh more.
    # Next step at 10 kW: today may reach 3 x 10 - 6 - 5 = 19 kW: 18.0 kWh more.
    periods = [*hours(5, {18: 6.0}), *hours(6, {18: 5.0}), *hours(7, {18: 4.0})]
    periods += hours(9, {8: 3.0})
    room = headroom(daily_peaks(periods, OSLO), dt.date(2026, 1, 9), 1.0)
    assert room.keep_average_kwh == pytest.approx(3.0)
    assert room.keep_step_kwh == pytest.approx(18.0)


def test_headroom_when_today_already_counts() -> None:
    # Other days: 6, 5, 4; today already had a 5.5 kW hour, so today counts instead of the 4.
    # The running hour may reach 5.5 kWh without raising the average: 5.5 - 2.0 = 3.5 kWh.
    periods = [*hours(5, {18: 6.0}), *hours(6, {18: 5.0}), *hours(7, {18: 4.0})]
    periods += hours(9, {8: 5.5})
    room = headroom(daily_peaks(periods, OSLO), dt.date(2026, 1, 9), 2.0)
    assert room.keep_average_kwh == pytest.approx(3.5)


def test_headroom_early_in_the_month_and_on_a_quarter_hour() -> None:
    # Only one other day (3 kW) and nothing today yet: any use today raises the average.
    # The month's floor is (3 + 0 + 0) / 3 = 1.0 kW, step 0-2: today may reach
    # 3 x 2 - 3 - 0 = 3 kW before the average reaches 2 kW; over a quarter hour that is
    # 0.75 kWh, of which 0.1 is used: 0.65 kWh.
    periods = hours(1, {18: 3.0})
    assert peak_average(daily_peaks(periods, OSLO)) == pytest.approx(1.0)
    room = headroom(daily_peaks(periods, OSLO), dt.date(2026, 1, 2), 0.1, period_minutes=15)
    assert room.keep_average_kwh == 0.0
    assert room.keep_step_kwh == pytest.approx(0.65)


def test_headroom_in_the_top_step_has_no_next_step() -> None:
    periods = [p for d in (1, 2, 3) for p in hours(d, {18: 120.0})]
    room = headroom(daily_peaks(periods, OSLO), dt.date(2026, 1, 4), 0.0)
    assert room.keep_step_kwh is None
    assert room.keep_average_kwh == pytest.approx(120.0)


def test_projection_to_the_end_of_the_hour() -> None:
    # 20 minutes into the hour with 1.2 kWh used and 3 kW now: 1.2 + 3 x 40/60 = 3.2 kWh.
    moment = local(9, 17, 20)
    assert period_start(moment) == local(9, 17).astimezone(dt.UTC)
    assert projected_period_energy(1.2, 3.0, moment) == pytest.approx(3.2)
    # A quarter-hour period: 5 minutes left at 6 kW adds 0.5 kWh.
    assert projected_period_energy(0.4, 6.0, local(9, 17, 40), 15) == pytest.approx(0.9)
