"""A heat meter's running periods, kept poll by poll: the boundary counters and nothing else.

The KPIs of a period (see :mod:`.heat`) need only the counters at its start and at the last
poll. This tracker keeps, for every local day it has seen (bounded), the counters at that
day's local midnight, read or interpolated between the two polls around it, plus the
volume-weighted sum of the sampled flow temperatures of that day (only for meters without
V x T registers, whose implied return temperature needs the flow side). Months, years and a
billing year start at a local midnight, so they come from the same daily records; the hour
keeps its own start.

What happens between polls cannot distort a period: a restart or an outage leaves a longer
interval between two polls, and a boundary inside it is interpolated across it (and flagged,
with the gap). A counter going backwards (a replaced or reset meter) starts every period
afresh from the new meter's first reading, marked as measured since then: never a negative
or giant figure. A period whose start came before the tracker's first reading is shown
from that first reading and marked incomplete, so a new installation shows numbers at once
without pretending they cover the whole period.

The whole state round-trips through :meth:`HeatPeriods.to_dict` / :meth:`from_dict` (JSON),
so a restart keeps the boundaries. Pure Python, no Home Assistant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from .heat import (
    Counters,
    HeatKpi,
    HeatReading,
    PeriodKind,
    counters_at,
    kpi_between,
    period_bounds,
    read_counters,
    went_backwards,
)

MAX_DAYS = 400  # daily boundaries kept: a billing year and a month's grace
STORAGE_VERSION = 1


@dataclass(slots=True)
class DayRecord:
    """One local day: the counters at its start and its sampled flow-temperature sums."""

    start: Counters
    complete: bool  # the start is the day's midnight (read or interpolated), not a later poll
    flow_volume_temperature: float = 0.0  # m3 degC: volume between polls x mean sampled T_flow
    flow_volume: float = 0.0  # m3 that had sampled flow temperatures on both sides


@dataclass(frozen=True, slots=True)
class PeriodKpi:
    """A running period's KPIs and how far they can be trusted."""

    kind: PeriodKind
    period_start: dt.datetime  # the period's start in local time
    kpi: HeatKpi
    complete: bool  # measured from the period's start (False: from ``kpi.start.at``)

    @property
    def measured_since(self) -> dt.datetime:
        """Where the figures start: the period's start, or the first reading after it."""
        return self.kpi.start.at


class HeatPeriods:
    """The boundary counters of one heat meter, fed with every poll in time order."""

    def __init__(self, zone: ZoneInfo, max_days: int = MAX_DAYS) -> None:
        self.zone = zone
        self.max_days = max_days
        self.last: HeatReading | None = None
        self.days: dict[dt.date, DayRecord] = {}
        self.hour: Counters | None = None  # the counters at the start of the hour of ``last``
        self.hour_complete = False
        self.restarts = 0  # counters that went backwards (meter replaced or reset)

    def _local_day(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.zone).date()

    def _begin(self, reading: HeatReading) -> None:
        """Start afresh from ``reading``: the periods before it are unknown here."""
        start = read_counters(reading)
        at_midnight = reading.at.astimezone(self.zone).time() == dt.time()
        self.days = {self._local_day(reading.at): DayRecord(start, complete=at_midnight)}
        hour_start = period_bounds(PeriodKind.HOUR, reading.at, self.zone)[0]
        self.hour = start
        self.hour_complete = _utc(reading.at) == _utc(hour_start)
        self.last = reading

    def add(self, reading: HeatReading) -> bool:
        """Take a poll; False when it is no newer than the last one (ignored)."""
        last = self.last
        if last is None:
            self._begin(reading)
            return True
        if _utc(reading.at) <= _utc(last.at):
            return False
        if went_backwards(last, reading):
            self.restarts += 1
            self._begin(reading)
            return True
        pair = [last, reading]
        self._add_flow_temperatures(last, reading)
        for midnight in self._midnights(last.at, reading.at):
            counters = counters_at(pair, midnight)
            if counters is not None:
                self.days[midnight.date()] = DayRecord(counters, complete=True)
        hour_start = period_bounds(PeriodKind.HOUR, reading.at, self.zone)[0]
        if _utc(hour_start) > _utc(last.at):
            self.hour = counters_at(pair, hour_start)
            self.hour_complete = self.hour is not None
        self._prune()
        self.last = reading
        return True

    def _midnights(self, after: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
        """Local midnights in (after, until], the latest ``max_days`` of them."""
        first = self._local_day(after) + dt.timedelta(days=1)
        last = self._local_day(until)
        days = (last - first).days + 1
        if days <= 0:
            return []
        first = max(first, last - dt.timedelta(days=self.max_days - 1))
        midnights = []
        day = first
        while day <= last:
            midnights.append(dt.datetime.combine(day, dt.time(), tzinfo=self.zone))
            day += dt.timedelta(days=1)
        return midnights

    def _add_flow_temperatures(self, before: HeatReading, after: HeatReading) -> None:
        """Spread the volume between two polls over the days it belongs to, at the mean T."""
        if before.flow_temperature_c is None or after.flow_temperature_c is None:
            return
        volume = after.volume_m3 - before.volume_m3
        if volume <= 0:
            return
        mean = (before.flow_temperature_c + after.flow_temperature_c) / 2
        start, end = _utc(before.at), _utc(after.at)
        span = end - start
        day = self._local_day(before.at)
        while True:
            day_start = _utc(dt.datetime.combine(day, dt.time(), tzinfo=self.zone))
            day_end = _utc(
                dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=self.zone)
            )
            overlap = min(end, day_end) - max(start, day_start)
            record = self.days.get(day)
            if overlap > dt.timedelta(0) and record is not None:
                part = volume * (overlap / span)
                record.flow_volume_temperature += part * mean
                record.flow_volume += part
            if day_end >= end:
                break
            day += dt.timedelta(days=1)

    def _prune(self) -> None:
        while len(self.days) > self.max_days:
            del self.days[min(self.days)]

    def kpi(
        self,
        kind: PeriodKind,
        now: dt.datetime,
        *,
        billing_start: dt.date | None = None,
        heat_capacity: float | None = None,
        volume_at: Literal["return", "flow"] = "return",
    ) -> PeriodKpi | None:
        """The period holding ``now``: up to the last poll, or whole once it has ended.

        A running period ends at the last poll; None before the period's first poll (just
        after midnight, say): the new day has no figures yet, and yesterday's are not today's.
        A past period ends at the next period's start record (kept per midnight); the hour
        is only known while it runs.
        """
        last = self.last
        if last is None:
            return None
        period_start, period_end = period_bounds(kind, now, self.zone, billing_start)
        end: Counters | None = None
        next_start = self.days.get(self._local_day(period_end))
        if kind is not PeriodKind.HOUR and next_start is not None and next_start.complete:
            end = next_start.start
        if end is None and _utc(period_start) < _utc(last.at) <= _utc(period_end):
            end = read_counters(last)
        if end is None:
            return None
        if kind is PeriodKind.HOUR:
            start, complete, sampled = self._hour_start(period_start)
        else:
            start, complete, sampled = self._day_start(period_start, period_end)
        if start is None:
            return None
        kpi = kpi_between(
            start,
            end,
            heat_capacity=heat_capacity,
            sampled_flow_temperature_c=sampled,
            volume_at=volume_at,
            energy_step_kwh=last.energy_step_kwh,
            volume_step_m3=last.volume_step_m3,
            volume_temperature_step=last.volume_temperature_step,
        )
        if kpi is None:
            return None
        return PeriodKpi(kind, period_start, kpi, complete)

    def _hour_start(self, period_start: dt.datetime) -> tuple[Counters | None, bool, None]:
        hour = self.hour
        if hour is None or _utc(hour.at) < _utc(period_start):
            return None, False, None
        complete = self.hour_complete and _utc(hour.at) == _utc(period_start)
        return hour, complete, None

    def _day_start(
        self, period_start: dt.datetime, period_end: dt.datetime
    ) -> tuple[Counters | None, bool, float | None]:
        first_day = self._local_day(period_start)
        end_day = self._local_day(period_end)
        days = sorted(day for day in self.days if first_day <= day < end_day)
        if not days:
            return None, False, None
        record = self.days[days[0]]
        complete = days[0] == first_day and record.complete
        weighted = sum(self.days[day].flow_volume_temperature for day in days)
        volume = sum(self.days[day].flow_volume for day in days)
        sampled = weighted / volume if volume > 0 else None
        return record.start, complete, sampled

    # --- persistence ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The whole state as JSON-compatible data."""
        return {
            "version": STORAGE_VERSION,
            "last": None if self.last is None else _reading_to_dict(self.last),
            "hour": None if self.hour is None else _counters_to_dict(self.hour),
            "hour_complete": self.hour_complete,
            "restarts": self.restarts,
            "days": {
                day.isoformat(): {
                    "start": _counters_to_dict(record.start),
                    "complete": record.complete,
                    "flow_volume_temperature": record.flow_volume_temperature,
                    "flow_volume": record.flow_volume,
                }
                for day, record in self.days.items()
            },
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], zone: ZoneInfo, max_days: int = MAX_DAYS
    ) -> HeatPeriods:
        """The state :meth:`to_dict` gave; an unknown version starts empty (never wrong)."""
        periods = cls(zone, max_days)
        if data.get("version") != STORAGE_VERSION:
            return periods
        try:
            last = data.get("last")
            periods.last = None if last is None else _reading_from_dict(last)
            hour = data.get("hour")
            periods.hour = None if hour is None else _counters_from_dict(hour)
            periods.hour_complete = bool(data.get("hour_complete", False))
            periods.restarts = int(data.get("restarts", 0))
            for day, record in data.get("days", {}).items():
                periods.days[dt.date.fromisoformat(day)] = DayRecord(
                    _counters_from_dict(record["start"]),
                    bool(record["complete"]),
                    float(record["flow_volume_temperature"]),
                    float(record["flow_volume"]),
                )
        except (KeyError, TypeError, ValueError):
            return cls(zone, max_days)  # damaged: start afresh rather than show wrong figures
        periods.days = dict(sorted(periods.days.items()))
        periods._prune()
        return periods


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def _optional(value: Any) -> float | None:
    return None if value is None else float(value)


def _counters_to_dict(counters: Counters) -> dict[str, Any]:
    return {
        "at": _utc(counters.at).isoformat(),
        "energy_kwh": counters.energy_kwh,
        "volume_m3": counters.volume_m3,
        "volume_flow_temperature": counters.volume_flow_temperature,
        "volume_return_temperature": counters.volume_return_temperature,
        "interpolated": counters.interpolated,
        "gap_s": counters.gap.total_seconds(),
    }


def _counters_from_dict(data: dict[str, Any]) -> Counters:
    return Counters(
        _aware(data["at"]),
        float(data["energy_kwh"]),
        float(data["volume_m3"]),
        _optional(data.get("volume_flow_temperature")),
        _optional(data.get("volume_return_temperature")),
        interpolated=bool(data["interpolated"]),
        gap=dt.timedelta(seconds=float(data["gap_s"])),
    )


def _reading_to_dict(reading: HeatReading) -> dict[str, Any]:
    return {
        "at": _utc(reading.at).isoformat(),
        "energy_kwh": reading.energy_kwh,
        "volume_m3": reading.volume_m3,
        "volume_flow_temperature": reading.volume_flow_temperature,
        "volume_return_temperature": reading.volume_return_temperature,
        "flow_temperature_c": reading.flow_temperature_c,
        "return_temperature_c": reading.return_temperature_c,
        "energy_step_kwh": reading.energy_step_kwh,
        "volume_step_m3": reading.volume_step_m3,
        "volume_temperature_step": reading.volume_temperature_step,
    }


def _reading_from_dict(data: dict[str, Any]) -> HeatReading:
    return HeatReading(
        _aware(data["at"]),
        float(data["energy_kwh"]),
        float(data["volume_m3"]),
        _optional(data.get("volume_flow_temperature")),
        _optional(data.get("volume_return_temperature")),
        _optional(data.get("flow_temperature_c")),
        _optional(data.get("return_temperature_c")),
        _optional(data.get("energy_step_kwh")),
        _optional(data.get("volume_step_m3")),
        _optional(data.get("volume_temperature_step")),
    )


def _aware(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a stored time without its zone")
    return moment
