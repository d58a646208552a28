"""One meter's settlement periods of the month, from its energy register and its live power.

Where each number comes from (issue 17):

- A completed period's energy is the meter's own count wherever it can be: the import energy
  register (OBIS 1-0:1.8.0), which the meter sends once an hour just after the hour (list 3,
  about XX:00:10). The difference between two registers an hour apart is exactly what the grid
  company bills for that hour. With 15-minute settlement the four quarters of an hour are the
  integral of the live power, scaled so that they add up to the register's hour.
- Between registers, the live power (list 1/2, every 2 to 10 s) is integrated (each sample
  held until the next one). That gives the running period's consumption so far, and a
  completed period's energy when its register does not come (a lost push).
- A gap in the power samples longer than ``MAX_GAP`` (an outage, a restart) makes every period
  it touches incomplete: unless registers at both ends of its hour say what it was, such a
  period is *missing* (``None``), and is never taken as zero.

Pure Python, no Home Assistant; the state round-trips through ``to_dict``/``from_dict`` so the
glue can store it across restarts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from .capacity import (
    DEFAULT_LADDER,
    PEAK_DAYS,
    DailyPeak,
    Headroom,
    Period,
    daily_peaks,
    headroom,
    peak_average,
    period_start,
    projected_period_energy,
    step_index,
    top_peaks,
)

# Power samples further apart than this are not bridged: three missed list-2 pushes (10 s
# each) is when the integration calls the meter silent.
MAX_GAP = dt.timedelta(seconds=30)
# A register counts as the total at the nearest hour when it comes this close to it: the
# meters send list 3 within seconds of the hour by their own clock.
BOUNDARY_WINDOW = dt.timedelta(minutes=5)
HOUR = dt.timedelta(hours=1)
STATE_VERSION = 1


@dataclass(slots=True)
class LivePeriod:
    """The running period: energy integrated from power since its start."""

    start: dt.datetime
    energy_kwh: float = 0.0
    complete: bool = True  # power covered it from its start without a gap


@dataclass(frozen=True, slots=True)
class Register:
    """The meter's import total at an hour boundary."""

    boundary: dt.datetime
    total_kwh: float
    distance_s: float  # how far from the boundary it was received


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


class CapacityMeter:
    """The month of one meter: completed periods, the running period, the last register."""

    def __init__(
        self,
        zone: ZoneInfo,
        minutes: int = 60,
        ladder: Sequence[float] = DEFAULT_LADDER,
    ) -> None:
        if 60 % minutes:
            raise ValueError(f"a settlement period of {minutes} min does not divide an hour")
        self.zone = zone
        self.minutes = minutes
        self.ladder = tuple(ladder)
        self.length = dt.timedelta(minutes=minutes)
        # Completed periods by UTC start: kWh, or None when missing. This month and the last.
        self.periods: dict[dt.datetime, float | None] = {}
        self.live: LivePeriod | None = None
        self.last_sample: tuple[dt.datetime, float] | None = None  # (moment, kW)
        self.register: Register | None = None
        self.previous_register: Register | None = None  # the one an hour before ``register``
        # The month's views are asked for by a dozen sensors at every push: computed once per
        # change of the periods (``_version``) and month.
        self._version = 0
        self._cache: tuple[tuple[int, ...], list[Period], list[DailyPeak]] | None = None

    # --- input ------------------------------------------------------------------------------

    def add_power(self, moment: dt.datetime, power_kw: float) -> None:
        """Take one power sample (import, kW) received at ``moment``."""
        moment = moment.astimezone(dt.UTC)
        last = self.last_sample
        if last is not None and moment <= last[0]:
            return  # out of order or repeated: the integral already covers it
        if last is None:
            start = period_start(moment, self.minutes)
            self._open(start, complete=moment == start)
        else:
            self._integrate(last[0], moment, last[1], bridged=moment - last[0] <= MAX_GAP)
        self.last_sample = (moment, max(0.0, power_kw))

    def add_register(self, moment: dt.datetime, total_kwh: float) -> None:
        """Take the import register received at ``moment``; only one near an hour counts."""
        moment = moment.astimezone(dt.UTC)
        boundary = (moment + HOUR / 2).replace(minute=0, second=0, microsecond=0)
        distance = abs((moment - boundary).total_seconds())
        if distance > BOUNDARY_WINDOW.total_seconds():
            return
        register = Register(boundary, total_kwh, distance)
        current = self.register
        if current is not None and current.boundary == boundary:
            if distance >= current.distance_s:
                return
        elif current is not None and current.boundary > boundary:
            return  # older than what we have
        elif current is not None:
            self.previous_register = current
        self.register = register
        self._reconcile_hour()

    def close_until(self, moment: dt.datetime) -> None:
        """Close the periods that ended by ``moment`` without a sample after them.

        Called on a timer: a silent meter's running period ends (incomplete) when its time is
        up, rather than staying open until the meter speaks again.
        """
        moment = moment.astimezone(dt.UTC)
        last = self.last_sample
        if last is None or moment - last[0] <= MAX_GAP:
            return
        while self.live is not None and self.live.start + self.length <= moment:
            end = self.live.start + self.length
            if end - last[0] <= MAX_GAP:  # the last sample holds to the end
                self.live.energy_kwh += last[1] * (end - last[0]).total_seconds() / 3600
            else:
                self.live.complete = False
            self._close(self.live)

    def meter_replaced(self) -> None:
        """Another meter now measures the installation: the month goes on, the registers not.

        The grid company's month does not restart with a new meter, so the periods stay. The
        old meter's registers say nothing about the new one's (a difference across the two
        would be wrong), and the running period lacks the time of the change.
        """
        self.register = self.previous_register = None
        if self.live is not None:
            self.live.complete = False

    # --- periods ----------------------------------------------------------------------------

    def _open(self, start: dt.datetime, *, complete: bool) -> LivePeriod:
        if self.live is not None and self.live.start != start:
            self._close(self.live)
        if self.live is None:
            self.live = LivePeriod(start, 0.0, complete)
        return self.live

    def _integrate(
        self, begin: dt.datetime, end: dt.datetime, power_kw: float, *, bridged: bool
    ) -> None:
        moment = begin
        while moment < end:
            start = period_start(moment, self.minutes)
            live = self.live
            if live is None or live.start != start:
                # A period begun inside a gap (or after a restart) lacks its first part.
                live = self._open(start, complete=bridged and moment == start)
            stop = min(start + self.length, end)
            # A sample holds for MAX_GAP at most: across a longer gap it still covers the
            # rest of its own period when that is no longer than MAX_GAP.
            if bridged or (moment == begin and stop - begin <= MAX_GAP):
                live.energy_kwh += power_kw * (stop - moment).total_seconds() / 3600
            else:
                live.complete = False
            if stop == start + self.length:
                self._close(live)
            moment = stop
        if self.live is None:
            self._open(period_start(end, self.minutes), complete=bridged)

    def _close(self, live: LivePeriod) -> None:
        self._version += 1
        if self.live is live:
            self.live = None
        if self.periods.get(live.start) is None:  # a register's count is not overwritten
            self.periods[live.start] = live.energy_kwh if live.complete else None
        self._reconcile_hour()
        self._prune(live.start)

    def _prune(self, latest: dt.datetime) -> None:
        """Keep this month and the last: the bounded memory of a long-running meter."""
        local = latest.astimezone(self.zone)
        first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        keep_from = (first - dt.timedelta(days=1)).replace(day=1)
        for start in [s for s in self.periods if s.astimezone(self.zone) < keep_from]:
            del self.periods[start]

    def _reconcile_hour(self) -> None:
        """Give the hour between the last two registers the meter's own count."""
        new, old = self.register, self.previous_register
        if new is None or old is None or new.boundary - old.boundary != HOUR:
            return
        delta = new.total_kwh - old.total_kwh
        if delta < 0:
            return  # a new meter or a reset: the registers say nothing about this hour
        hour = old.boundary
        self._version += 1
        if self.minutes == 60:
            if self.live is None or self.live.start != hour:
                self.periods[hour] = delta
            return
        starts = [hour + self.length * index for index in range(60 // self.minutes)]
        if any(start not in self.periods for start in starts):
            return  # not all closed yet: the next close reconciles
        parts = [self.periods[start] for start in starts]
        missing = [index for index, part in enumerate(parts) if part is None]
        known = sum(part for part in parts if part is not None)
        if not missing and known > 0:
            for start, part in zip(starts, parts, strict=True):
                self.periods[start] = (part or 0.0) * delta / known
        elif len(missing) == 1 and delta >= known:
            # One quarter lost (a restart): the hour's count minus the others is exactly it.
            self.periods[starts[missing[0]]] = delta - known

    # --- what the sensors show --------------------------------------------------------------

    def _month(self, now: dt.datetime) -> tuple[list[Period], list[DailyPeak]]:
        month = now.astimezone(self.zone)
        key = (month.year, month.month, self._version, len(self.periods))
        if self._cache is None or self._cache[0] != key:
            periods = [
                Period(start, energy, self.minutes)
                for start, energy in sorted(self.periods.items())
                if (local := start.astimezone(self.zone)).year == month.year
                and local.month == month.month
            ]
            self._cache = (key, periods, daily_peaks(periods, self.zone))
        return self._cache[1], self._cache[2]

    def month_periods(self, now: dt.datetime) -> list[Period]:
        """The completed periods of ``now``'s local month (missing ones as ``None``)."""
        return list(self._month(now)[0])

    def peaks(self, now: dt.datetime) -> list[DailyPeak]:
        """Each day's highest completed period this month."""
        return list(self._month(now)[1])

    def top(self, now: dt.datetime) -> list[DailyPeak]:
        """The month's three highest days so far, highest first."""
        return top_peaks(self.peaks(now))

    def average_kw(self, now: dt.datetime) -> float | None:
        """The month's average of its top three days (a floor while fewer than three)."""
        return peak_average(self.peaks(now))

    def step(self, now: dt.datetime) -> int:
        """The step (0-based) the month has reached."""
        return step_index(self.average_kw(now) or 0.0, self.ladder)

    def missing_periods(self, now: dt.datetime) -> list[dt.datetime]:
        """Starts of this month's periods without data: their days may have had higher peaks."""
        return [period.start for period in self.month_periods(now) if period.energy_kwh is None]

    def so_far_kwh(self, now: dt.datetime) -> float | None:
        """The running period's consumption up to ``now``; None unless covered throughout."""
        now = now.astimezone(dt.UTC)
        live, last = self.live, self.last_sample
        if live is None or last is None or not live.complete:
            return None
        if live.start != period_start(now, self.minutes) or now - last[0] > MAX_GAP:
            return None
        held = max(0.0, (now - max(last[0], live.start)).total_seconds()) / 3600
        return live.energy_kwh + last[1] * held

    def power_kw(self, now: dt.datetime) -> float | None:
        """The latest power, while it is recent."""
        last = self.last_sample
        if last is None or now.astimezone(dt.UTC) - last[0] > MAX_GAP:
            return None
        return last[1]

    def projection_kwh(self, now: dt.datetime) -> float | None:
        """The running period's energy at its end if the present power holds."""
        so_far, power = self.so_far_kwh(now), self.power_kw(now)
        if so_far is None or power is None:
            return None
        return projected_period_energy(so_far, power, now, self.minutes)

    def headroom(self, now: dt.datetime) -> Headroom | None:
        """How much more the running period may use; None while its use so far is unknown."""
        so_far = self.so_far_kwh(now)
        if so_far is None:
            return None
        today = now.astimezone(self.zone).date()
        return headroom(self.peaks(now), today, so_far, self.minutes, self.ladder)

    def projected_average_kw(self, now: dt.datetime) -> float | None:
        """The month's average if the running period ends as projected, days ahead alike.

        With three days or more, the top three including the running period's projection.
        With fewer, the mean of the days so far: the month will have three, likely alike.
        """
        periods = self.month_periods(now)
        projection = self.projection_kwh(now)
        if projection is not None and self.live is not None:
            periods.append(Period(self.live.start, projection, self.minutes))
        peaks = daily_peaks(periods, self.zone)
        if not peaks:
            return None
        if len(peaks) >= PEAK_DAYS:
            return peak_average(peaks)
        return sum(peak.power_kw for peak in peaks) / len(peaks)

    def projected_step(self, now: dt.datetime) -> int | None:
        """The step the month is heading for (see ``projected_average_kw``)."""
        average = self.projected_average_kw(now)
        return None if average is None else step_index(average, self.ladder)

    # --- storage ----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The state as plain JSON data."""
        return {
            "version": STATE_VERSION,
            "minutes": self.minutes,
            "periods": {_iso(start): energy for start, energy in sorted(self.periods.items())},
            "live": None
            if self.live is None
            else {
                "start": _iso(self.live.start),
                "energy_kwh": self.live.energy_kwh,
                "complete": self.live.complete,
            },
            "last_sample": None
            if self.last_sample is None
            else [_iso(self.last_sample[0]), self.last_sample[1]],
            "registers": [
                [_iso(r.boundary), r.total_kwh, r.distance_s]
                for r in (self.previous_register, self.register)
                if r is not None
            ],
        }

    def load(self, data: dict[str, Any]) -> bool:
        """Take stored state; False (and nothing taken) when it is of another layout or period."""
        if data.get("version") != STATE_VERSION or data.get("minutes") != self.minutes:
            return False
        self._version += 1
        self.periods = {
            _parse(start): None if energy is None else float(energy)
            for start, energy in data["periods"].items()
        }
        live = data.get("live")
        self.live = None
        if live is not None:
            self.live = LivePeriod(
                _parse(live["start"]), float(live["energy_kwh"]), bool(live["complete"])
            )
        sample = data.get("last_sample")
        self.last_sample = None if sample is None else (_parse(sample[0]), float(sample[1]))
        registers = [Register(_parse(b), float(t), float(d)) for b, t, d in data["registers"]]
        self.register = registers[-1] if registers else None
        self.previous_register = registers[0] if len(registers) == 2 else None
        return True

    def add_hours(self, hours: dict[dt.datetime, float | None]) -> None:
        """Take completed hours from elsewhere (the recorder's statistics) where none are known."""
        if self.minutes != 60:
            return  # an hour's energy says nothing of its quarters' peaks
        self._version += 1
        for start, energy in hours.items():
            self.periods.setdefault(start.astimezone(dt.UTC), energy)


# How far an hour's register difference may stray from its mean power before the hour is
# taken as unknown: the register is counted in whole Wh and the mean is of 2-10 s samples.
STATISTICS_TOLERANCE = 0.10
STATISTICS_SLACK_KWH = 0.05


def hours_from_statistics(
    register_states: dict[dt.datetime, float], power_means_kw: dict[dt.datetime, float]
) -> dict[dt.datetime, float | None]:
    """Each hour's energy from the recorder's hourly rows of the register and of the power.

    The register (import energy, kWh) comes just after each hour, so the hourly row starting
    at H holds as its last state the total *at* H (the plain register sensor books every
    hour one hour late). The hour from H to H+1 is therefore ``state(H+1) - state(H)``. A row
    whose register did not come in its hour repeats the total before it: the difference would
    be 0 and the next one double. So each difference must agree with the hour's mean power
    (``power_means_kw``, row H covers H to H+1) within 10 % + 0.05 kWh, or the hour is
    missing (``None``), never zero. Hours with power but no register pair are missing too.
    """
    hours: dict[dt.datetime, float | None] = {}
    for start, mean_kw in power_means_kw.items():
        begin, end = register_states.get(start), register_states.get(start + HOUR)
        hours[start] = None
        if begin is None or end is None:
            continue
        delta = end - begin
        if delta >= 0 and abs(delta - mean_kw) <= STATISTICS_TOLERANCE * mean_kw + (
            STATISTICS_SLACK_KWH
        ):
            hours[start] = delta
    return hours
