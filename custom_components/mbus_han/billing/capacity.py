"""Norway's capacity tariff ("kapasitetsledd") from a month of metered periods.

Norwegian grid companies bill a monthly step chosen by the average of the three highest hourly
consumptions of the month, each on a different day (Forskrift om kontroll av nettvirksomhet
§ 13-3 as amended 2021; RME's guidance). Everything here works on settlement periods of 60 or
15 minutes: a period's power is its energy divided by its length, so a 15-minute period of
1 kWh counts as 4 kW. Days and months are the meter's local calendar (``ZoneInfo``), so the
DST days have 23 and 25 hours and a month rolls over at local midnight.

A period whose energy is missing (an outage) is never counted as zero: the day is marked
incomplete, so the user sees that its peak may be higher than shown.

Pure Python, no Home Assistant: the sensors and the store around it only feed and show it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

PEAK_DAYS = 3  # the three highest days of the month

# The upper bounds (kW) of the steps most Norwegian grid companies use; the last step is open.
DEFAULT_LADDER: tuple[float, ...] = (2, 5, 10, 15, 20, 25, 50, 75, 100)


@dataclass(frozen=True, slots=True)
class Period:
    """One settlement period's energy as the meter counted it."""

    start: dt.datetime  # timezone-aware
    energy_kwh: float | None  # None: no data for this period (outage), never taken as 0
    minutes: int = 60

    @property
    def power_kw(self) -> float | None:
        """The period's mean power: what the tariff compares."""
        if self.energy_kwh is None:
            return None
        return self.energy_kwh * 60 / self.minutes


@dataclass(frozen=True, slots=True)
class DailyPeak:
    """A day's highest period."""

    day: dt.date
    start: dt.datetime
    power_kw: float
    incomplete: bool  # the day has periods without data: its real peak may be higher


@dataclass(frozen=True, slots=True)
class Headroom:
    """How much more energy the current period may take before it costs more."""

    keep_average_kwh: float  # without raising the month's average of the top days
    keep_step_kwh: float | None  # without reaching the next step (None: already the top step)


def local_day(moment: dt.datetime, zone: ZoneInfo) -> dt.date:
    """The meter's calendar day of ``moment``."""
    return moment.astimezone(zone).date()


def daily_peaks(periods: Iterable[Period], zone: ZoneInfo) -> list[DailyPeak]:
    """Each day's highest period, by local day; days without any data are left out."""
    best: dict[dt.date, Period] = {}
    incomplete: set[dt.date] = set()
    for period in periods:
        day = local_day(period.start, zone)
        power = period.power_kw
        if power is None:
            incomplete.add(day)
            continue
        current = best.get(day)
        # Ties go to the earlier period: the one that set the peak first.
        if (
            current is None
            or power > (current.power_kw or 0.0)
            or (power == current.power_kw and period.start < current.start)
        ):
            best[day] = period
    return [
        DailyPeak(day, period.start, period.power_kw or 0.0, day in incomplete)
        for day, period in sorted(best.items())
    ]


def top_peaks(peaks: Iterable[DailyPeak], count: int = PEAK_DAYS) -> list[DailyPeak]:
    """The ``count`` highest daily peaks, highest first; a tie goes to the earlier day."""
    return sorted(peaks, key=lambda peak: (-peak.power_kw, peak.start))[:count]


def peak_average(peaks: Sequence[DailyPeak]) -> float | None:
    """The sum of the top three days over three: the month's value, and a floor before.

    Early in the month fewer than three days have data; the days still to come can only add
    to the sum, so dividing by three (not by the days so far) never overstates the bill.
    """
    top = top_peaks(peaks)
    if not top:
        return None
    return sum(peak.power_kw for peak in top) / PEAK_DAYS


def step_index(average_kw: float, ladder: Sequence[float] = DEFAULT_LADDER) -> int:
    """The step (0-based) whose range [lower, upper) holds ``average_kw``."""
    for index, upper in enumerate(ladder):
        if average_kw < upper:
            return index
    return len(ladder)


def _average_with(others: Sequence[float], today_kw: float) -> float:
    return sum(sorted([*others, today_kw], reverse=True)[:PEAK_DAYS]) / PEAK_DAYS


def _largest_day_peak_below(others: Sequence[float], bound_kw: float) -> float:
    """The largest day peak today may reach with the month's average still below ``bound``.

    Above the third-best other day, today replaces it: the average is then (first + second +
    today) / 3, with a missing day counting 0.
    """
    best_two = sorted(others, reverse=True)[: PEAK_DAYS - 1]
    return bound_kw * PEAK_DAYS - sum(best_two)


def headroom(
    peaks: Sequence[DailyPeak],
    today: dt.date,
    period_energy_kwh: float,
    period_minutes: int = 60,
    ladder: Sequence[float] = DEFAULT_LADDER,
) -> Headroom:
    """How many more kWh the running period may use, given the month so far.

    ``peaks`` are the month's daily peaks including today's completed periods;
    ``period_energy_kwh`` is what the running period has used so far.
    """
    others = [peak.power_kw for peak in peaks if peak.day != today]
    today_kw = max((peak.power_kw for peak in peaks if peak.day == today), default=0.0)
    hours = period_minutes / 60
    third = sorted(others, reverse=True)[PEAK_DAYS - 1] if len(others) >= PEAK_DAYS else 0.0
    keep_average = max(today_kw, third) * hours - period_energy_kwh

    average = _average_with(others, today_kw)
    step = step_index(average, ladder)
    keep_step: float | None = None
    if step < len(ladder):
        limit_kw = _largest_day_peak_below(others, ladder[step])
        keep_step = max(0.0, limit_kw * hours - period_energy_kwh)
    return Headroom(max(0.0, keep_average), keep_step)


def period_start(moment: dt.datetime, minutes: int = 60) -> dt.datetime:
    """The start of the settlement period holding ``moment`` (periods align to UTC hours)."""
    utc = moment.astimezone(dt.UTC)
    return utc.replace(minute=utc.minute - utc.minute % minutes, second=0, microsecond=0)


def projected_period_energy(
    energy_so_far_kwh: float, power_now_kw: float, moment: dt.datetime, minutes: int = 60
) -> float:
    """The running period's energy at its end if the present power holds."""
    end = period_start(moment, minutes) + dt.timedelta(minutes=minutes)
    remaining_hours = max(0.0, (end - moment).total_seconds() / 3600)
    return energy_so_far_kwh + max(0.0, power_now_kw) * remaining_hours
