"""Energy booked to the hour it was used, from the meter's own registers.

A HAN meter sends its energy registers once per settlement period (list 3, hourly; some
meters every 15 minutes), a few seconds after the period began, with the register value the
meter counted at that boundary. A plain counter sensor changes only when the list arrives, so
the recorder books each hour's energy into the *next* hour. Here the register read at the
boundary ``B`` is taken as the meter's value *at* ``B``: the energy of the period
``[A, B)`` is ``register(B) - register(A)``, exactly what the grid company bills.

When a boundary's register is missing (a port outage, a restart across the list-3 push),
only the sum over the gap is known. It is never booked into one hour (that would shift
energy into the wrong hour) and never left out of the sums (the total would no longer match
the meter). It is split over the gap's periods: what the power pushes (list 1/2) show of each
period counts as measured, and what is left of the register difference is spread evenly
over the time no push was seen. Those periods are marked ``estimated``; their sum over the
gap is still exact.

Pure Python, no Home Assistant: the statistics glue (hour_statistics.py) feeds and writes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

HOUR = dt.timedelta(hours=1)
# A register list comes a few seconds after its boundary (Kaifa XX:00:00 stamp, pushed at
# XX:00:10; Aidon and Kamstrup stamp the push time, XX:00:10 / XX:00:05). Registers sent later
# in a period (Swedish and Danish meters send them every 10 s) are not boundary readings.
MAX_REGISTER_DELAY_S = 120.0
# Power pushes further apart than this leave the time between unseen (list 1 comes every 2 s,
# list 2 every 10 s): it is counted as an outage, not integrated across.
MAX_SAMPLE_GAP_S = 60.0
# A gap longer than this is not spread: the meter's registers start a new series of rows.
MAX_GAP = dt.timedelta(days=31)
# More than any HAN meter can count (a 3x400 V 250 A supply is about 170 kW); a register step
# beyond it is a damaged value or another meter, never booked.
MAX_POWER_W = 1_000_000.0


@dataclass(frozen=True, slots=True)
class PeriodEnergy:
    """One settlement period's (or one hour's) energy as booked."""

    start: dt.datetime  # aware, the start of the period
    energy: float  # in the register's unit (Wh, varh)
    register: float  # the register at the period's end (interpolated where estimated)
    estimated: bool  # split from a gap's total, not read from two registers
    end_read: bool = True  # the register at its end was read (False: interpolated)


@dataclass(frozen=True, slots=True)
class Booked:
    """What one register reading completed: periods, and the hours now whole."""

    periods: tuple[PeriodEnergy, ...] = ()
    hours: tuple[PeriodEnergy, ...] = ()
    rejected: str | None = None  # why the register was not used (backwards, implausible)


def register_boundary(
    received: dt.datetime, meter_offset_s: float | None, period_minutes: int
) -> dt.datetime | None:
    """The period boundary a register reading belongs to, or None if it is not a boundary's.

    ``meter_offset_s`` is how far into its period the meter's clock was when it stamped the
    list (None: the list has no clock, so the receive time's own offset is used). The boundary
    is the receive time less that offset, rounded to the nearest period start: a meter clock a
    few minutes off, or local versus UTC, does not move a register into another hour.
    """
    period_s = period_minutes * 60
    if meter_offset_s is None:
        meter_offset_s = _seconds_into_period(received, period_s)
    if meter_offset_s > MAX_REGISTER_DELAY_S:
        return None
    moment = received - dt.timedelta(seconds=meter_offset_s)
    into = _seconds_into_period(moment, period_s)
    start = moment - dt.timedelta(seconds=into)
    if into >= period_s / 2:
        start += dt.timedelta(seconds=period_s)
    return start


def meter_offset(minute: int, second: int, period_minutes: int) -> float:
    """Seconds into its settlement period a meter clock reading ``XX:minute:second`` is."""
    return float((minute * 60 + second) % (period_minutes * 60))


def _seconds_into_period(moment: dt.datetime, period_s: int) -> float:
    """Seconds since the last period start; periods are aligned to UTC hours."""
    stamp = moment.timestamp()
    return stamp - (stamp // period_s) * period_s


def _period_start(moment: dt.datetime, period_s: int) -> dt.datetime:
    return moment - dt.timedelta(seconds=_seconds_into_period(moment, period_s))


class HourBooker:
    """Books one energy register of one meter into its periods and hours.

    Feed it the meter's power (``add_power``) and its boundary registers (``add_register``);
    each register returns the periods and whole hours it completed, in order. Bounded: it
    keeps the power integral only of the periods since the last register (at most
    :data:`MAX_GAP` of them).
    """

    def __init__(self, period_minutes: int = 60) -> None:
        if period_minutes not in (15, 60):
            raise ValueError(f"settlement period {period_minutes} min: only 60 or 15")
        self.period_s = period_minutes * 60
        self._period = dt.timedelta(seconds=self.period_s)
        self._anchor: tuple[dt.datetime, float] | None = None  # last boundary register
        self._hour: list[PeriodEnergy] = []  # booked periods of the hour not yet whole
        self._hour_start_read = True  # the register at the start of that hour was read
        self._at_read = True  # the register at the anchor's boundary was read
        # period start -> [measured energy, measured seconds] from the power pushes
        self._seen: dict[dt.datetime, list[float]] = {}
        self._last_power: tuple[dt.datetime, float] | None = None

    @property
    def anchor(self) -> tuple[dt.datetime, float] | None:
        """The last boundary and its register, from which the next period is booked."""
        return self._anchor

    def restore(self, boundary: dt.datetime, register: float) -> None:
        """Continue after a restart from the end of the last booked hour and its register."""
        self._anchor = (boundary, register)
        self._hour = []
        self._at_read = True
        self._prune(boundary)

    def snapshot(self) -> dict[str, Any]:
        """What a restart needs beyond the recorder's last row: the power seen since it (JSON)."""
        anchor = self._anchor
        return {
            "anchor": None if anchor is None else [anchor[0].isoformat(), anchor[1]],
            "seen": {start.isoformat(): list(seen) for start, seen in self._seen.items()},
        }

    def resume(self, snapshot: dict[str, Any]) -> None:
        """Take back the power seen before a restart, for the periods after the anchor.

        The anchor itself comes from the recorder (:meth:`restore`); only where the recorder
        has no row yet is the stored one used. Anything unreadable is ignored: the gap is
        then split as if nothing had been seen, which is still right in total.
        """
        try:
            stored = snapshot.get("anchor")
            if self._anchor is None and stored is not None:
                self.restore(dt.datetime.fromisoformat(stored[0]), float(stored[1]))
            if self._anchor is None:
                return
            for start_text, (energy, seconds) in snapshot.get("seen", {}).items():
                start = dt.datetime.fromisoformat(start_text)
                if start >= self._anchor[0] and start.tzinfo is not None:
                    seen = self._seen.setdefault(start, [0.0, 0.0])
                    seen[0] += float(energy)
                    seen[1] = min(float(self.period_s), seen[1] + float(seconds))
        except (AttributeError, TypeError, ValueError, IndexError):
            return

    def add_power(self, when: dt.datetime, power: float) -> None:
        """One power push (W or var): the time since the previous one counts as seen.

        The energy between two pushes is their mean times the time between (trapezoid).
        Pushes further apart than :data:`MAX_SAMPLE_GAP_S` leave the time between unseen.
        """
        last, self._last_power = self._last_power, (when, power)
        if last is None:
            return
        then, before = last
        seconds = (when - then).total_seconds()
        if not 0 < seconds <= MAX_SAMPLE_GAP_S:
            return
        mean_w = (before + power) / 2
        moment = then
        while moment < when:  # split at period boundaries
            start = _period_start(moment, self.period_s)
            end = min(when, start + self._period)
            part = (end - moment).total_seconds()
            seen = self._seen.setdefault(start, [0.0, 0.0])
            seen[0] += mean_w * part / 3600
            seen[1] += part
            moment = end
        self._prune(None)

    def add_register(self, boundary: dt.datetime, value: float) -> Booked:
        """The meter's register at a period boundary: book the periods since the last one."""
        if self._anchor is None:
            self.restore(boundary, value)
            return Booked()
        start, before = self._anchor
        if boundary <= start:
            return Booked()  # the same boundary again (a repeated list), or an older one
        energy = value - before
        length_s = (boundary - start).total_seconds()
        if energy < 0:
            return Booked(rejected="backwards")
        if energy > MAX_POWER_W * length_s / 3600:
            return Booked(rejected="implausible")
        if boundary - start > MAX_GAP:
            self.restore(boundary, value)
            return Booked(rejected="gap too long")
        periods = self._split(start, boundary, before, energy)
        self._anchor = (boundary, value)
        self._prune(boundary)
        return Booked(periods=tuple(periods), hours=tuple(self._whole_hours(periods)))

    def _split(
        self, start: dt.datetime, end: dt.datetime, before: float, energy: float
    ) -> list[PeriodEnergy]:
        """The periods of ``[start, end)`` with the gap's energy shared out (see module doc)."""
        starts = []
        moment = start
        while moment < end:
            starts.append(moment)
            moment += self._period
        if len(starts) == 1:
            return [PeriodEnergy(start, energy, before + energy, estimated=False)]
        lengths = [self.period_s] * len(starts)
        seen = [self._seen.get(s, [0.0, 0.0]) for s in starts]
        measured = [max(0.0, wh) for wh, _ in seen]
        unseen = [max(0.0, length - s) for length, (_, s) in zip(lengths, seen, strict=True)]
        total_measured, total_unseen = sum(measured), sum(unseen)
        if total_unseen > 0 and energy >= total_measured:
            fill = (energy - total_measured) / total_unseen
            shares = [m + u * fill for m, u in zip(measured, unseen, strict=True)]
        elif total_measured > 0:  # seen all along, or the power says more than the register
            shares = [energy * m / total_measured for m in measured]
        else:
            shares = [energy * length / sum(lengths) for length in lengths]
        scale = energy / sum(shares) if sum(shares) > 0 else 0.0  # exact total, rounding aside
        periods = []
        register = before
        for period_start, share in zip(starts, shares, strict=True):
            register += share * scale
            periods.append(PeriodEnergy(period_start, share * scale, register, True, False))
        # the last period ends at the register read: no rounding drift carried on
        last = periods[-1]
        periods[-1] = PeriodEnergy(
            last.start, last.energy + before + energy - register, before + energy, True, True
        )
        return periods

    def _whole_hours(self, periods: list[PeriodEnergy]) -> list[PeriodEnergy]:
        """Add up periods into hours, returning the hours whose last period is now booked."""
        hours = []
        for period in periods:
            if self._hour and _hour_start(period.start) != _hour_start(self._hour[0].start):
                self._hour = []  # an hour that began before a restart: never half an hour
            if not self._hour:
                self._hour_start_read = self._at_read
            self._hour.append(period)
            self._at_read = period.end_read
            if period.start + self._period == _hour_start(period.start) + HOUR:
                first = self._hour[0]
                if first.start == _hour_start(first.start):
                    read = self._hour_start_read and period.end_read
                    energy = sum(p.energy for p in self._hour)
                    hours.append(PeriodEnergy(first.start, energy, period.register, not read))
                self._hour = []
        return hours

    def _prune(self, before: dt.datetime | None) -> None:
        """Drop the power integral of periods already booked (or older than a gap allows)."""
        if before is None:
            if len(self._seen) <= MAX_GAP / self._period:
                return
            before = max(self._seen) - MAX_GAP
        for start in [s for s in self._seen if s < before]:
            del self._seen[start]


def _hour_start(moment: dt.datetime) -> dt.datetime:
    return _period_start(moment, 3600)
