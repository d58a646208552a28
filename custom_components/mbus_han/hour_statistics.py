"""Hourly energy statistics with each hour's energy in that hour (billing/hours.py books it).

For every energy register a HAN meter sends (active and reactive, import and export), the
recorder gets an external statistic ``mbus_han:<meter>_<register>`` whose row for hour H
holds the meter's register difference between H+1:00 and H:00, stamped H:00. The raw
register sensor stays as it is. Rows are added through the recorder's statistics API with
the meter's own boundaries, so nothing here depends on when the list arrived. After a
restart the sums continue from the last row the recorder has. Without the recorder (it is
not a dependency) nothing is written.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util import slugify

from .billing.hours import HourBooker, PeriodEnergy, meter_offset, register_boundary
from .const import CONF_SETTLEMENT_MINUTES, DEFAULT_SETTLEMENT_MINUTES, DOMAIN
from .protocol.han import HanReading
from .protocol.han.obis import parse_obis

if TYPE_CHECKING:
    from .han_coordinator import HanCoordinator

_LOGGER = logging.getLogger(__name__)

# (OBIS C of the register and of its power) -> statistic suffix, name, unit, unit class
_REGISTERS: dict[int, tuple[str, str, str, str | None]] = {
    1: ("energy_import", "energy import", UnitOfEnergy.KILO_WATT_HOUR, "energy"),
    2: ("energy_export", "energy export", UnitOfEnergy.KILO_WATT_HOUR, "energy"),
    3: ("reactive_energy_import", "reactive energy import", "kvarh", "reactive_energy"),
    4: ("reactive_energy_export", "reactive energy export", "kvarh", "reactive_energy"),
}
PENDING_KEPT = 2000  # pushes held while the last row is read back (a few seconds' worth)
ESTIMATED_KEPT = 48  # the latest hours split from a gap, for diagnostics
# The power seen since the last register is stored at most this often (and at unload and stop),
# so a restart across the hourly list still knows most of the hour it missed the end of.
SAVE_DELAY_S = 60.0
READ_BACK_RETRY_S = 60.0  # after the recorder failed to give the last row
STORE_VERSION = 1
# Whether this Home Assistant's statistics metadata names a unit class (2025.10 on).
_HAS_UNIT_CLASS = "unit_class" in StatisticMetaData.__annotations__


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    return Store(hass, STORE_VERSION, f"{DOMAIN}.hours.{entry_id}")


async def async_remove_stored_power(hass: HomeAssistant, entry_id: str) -> None:
    """A removed entry's stored power goes; its statistics stay (they are the user's history)."""
    await _store(hass, entry_id).async_remove()


@dataclass(slots=True)
class _Series:
    """One register's statistic: its booker, and the sum of the last row written."""

    statistic_id: str
    key: str  # the register's part of the id (energy_import ...), for diagnostics
    name: str
    unit: str
    unit_class: str | None
    booker: HourBooker
    last_sum: float | None = None  # None until read back from the recorder
    ready: bool = False
    pending: deque[tuple[str, dt.datetime, float]] = field(
        default_factory=lambda: deque(maxlen=PENDING_KEPT)
    )


def statistic_id(meter: str, code: str) -> str | None:
    """``mbus_han:<meter>_<register>`` for an energy register's or its power's OBIS code."""
    try:
        a, b, c, d, e, _f = parse_obis(code)
    except ValueError:
        return None  # not an OBIS code: nothing we book
    if a != 1 or c not in _REGISTERS or d not in (7, 8) or e != 0:
        return None
    suffix = _REGISTERS[c][0] if b in (0, 1) else f"{_REGISTERS[c][0]}_{b}"
    return f"{DOMAIN}:{slugify(meter)}_{suffix}"


class HourStatistics:
    """Feeds one HAN port's pushes to a booker per register and writes the hours it books."""

    def __init__(self, hass: HomeAssistant, coordinator: HanCoordinator) -> None:
        self.hass = hass
        self.coordinator = coordinator
        self.period_minutes: int = coordinator.config_entry.options.get(
            CONF_SETTLEMENT_MINUTES, DEFAULT_SETTLEMENT_MINUTES
        )
        self.series: dict[str, _Series] = {}
        self.estimated: deque[tuple[str, str]] = deque(maxlen=ESTIMATED_KEPT)
        self.rejected = 0
        self._meter: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.now: Callable[[], dt.datetime] = dt_util.utcnow  # when a push arrived
        entry = coordinator.config_entry
        self._store = _store(hass, entry.entry_id)
        self._stored: asyncio.Task[dict[str, Any]] | None = None
        entry.async_on_unload(self._async_save)

    @property
    def enabled(self) -> bool:
        """Statistics need the recorder; without it the integration still runs."""
        return "recorder" in self.hass.config.components

    @callback
    def on_reading(self, reading: HanReading) -> None:
        """One decoded push: its powers count as seen, its registers book periods."""
        meter = self.coordinator.device_identifier
        if meter is None or not self.enabled:
            return
        self._meter = meter
        received = self.now()
        clock = reading.clock
        offset = None
        if clock is not None and clock.minute is not None and clock.second is not None:
            offset = meter_offset(clock.minute, clock.second, self.period_minutes)
        boundary: dt.datetime | None = None
        boundary_known = False
        for code, value in reading.values.items():
            sid = statistic_id(meter, code)
            if sid is None:
                continue
            d = parse_obis(code)[3]
            series = self._series(sid, code)
            if d == 7:
                self._feed(series, "power", received, float(value.value))
                continue
            if not boundary_known:
                boundary = register_boundary(received, offset, self.period_minutes)
                boundary_known = True
            if boundary is not None:
                self._feed(series, "register", boundary, float(value.value))

    def _series(self, sid: str, code: str) -> _Series:
        series = self.series.get(sid)
        if series is None:
            key = sid.rsplit(":", 1)[1].removeprefix(f"{slugify(self._meter or '')}_")
            _suffix, name, unit, unit_class = _REGISTERS[parse_obis(code)[2]]
            meter = self.coordinator.data.meter
            title = " ".join(filter(None, (meter.manufacturer, meter.meter_id))) or "HAN"
            booker = HourBooker(self.period_minutes)
            series = _Series(sid, key, f"{title} {name} (hourly)", unit, unit_class, booker)
            self.series[sid] = series
            task = self.coordinator.config_entry.async_create_background_task(
                self.hass, self._read_back(series), f"{DOMAIN} read back {sid}"
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return series

    async def _read_back(self, series: _Series) -> None:
        """Continue the sums from the recorder's last row (none: a new statistic).

        Until it is read, nothing is written: sums started anew would put the meter's whole
        history into one hour. A failed read is logged and tried again; the pushes meanwhile
        wait in a bounded buffer (the oldest power readings go first, which only makes a gap
        split less informed, never wrong in total).
        """
        while True:
            try:
                last = await get_instance(self.hass).async_add_executor_job(
                    get_last_statistics, self.hass, 1, series.statistic_id, False, {"sum", "state"}
                )
                break
            except Exception:
                _LOGGER.exception(
                    "Reading back %s failed; trying again in %.0f s",
                    series.statistic_id,
                    READ_BACK_RETRY_S,
                )
                await asyncio.sleep(READ_BACK_RETRY_S)
        rows = last.get(series.statistic_id)
        if rows:
            row = rows[0]
            start = row["start"]
            start_dt = (
                dt_util.utc_from_timestamp(start) if isinstance(start, int | float) else start
            )
            series.last_sum = float(row.get("sum") or 0.0)
            state = row.get("state")
            if state is not None:
                series.booker.restore(start_dt + dt.timedelta(hours=1), float(state) * 1000)
        else:
            series.last_sum = 0.0
        stored = (await self._load()).get(series.statistic_id)
        if isinstance(stored, dict):
            series.booker.resume(stored)
        series.ready = True
        while series.pending:
            self._feed(series, *series.pending.popleft())

    async def _load(self) -> dict[str, Any]:
        """The stored power of every series (once, shared by the series read back together)."""
        if self._stored is None:
            self._stored = self.hass.async_create_task(self._read_store())
        return await asyncio.shield(self._stored)

    async def _read_store(self) -> dict[str, Any]:
        try:
            return await self._store.async_load() or {}
        except Exception:  # noqa: BLE001 - a damaged file: start without the stored power
            _LOGGER.warning("Stored power of the hourly statistics unreadable; not used")
            return {}

    def _snapshot(self) -> dict[str, Any]:
        return {sid: s.booker.snapshot() for sid, s in self.series.items() if s.ready}

    async def _async_save(self) -> None:
        """At unload: keep the power seen since the last register for the next start."""
        if any(series.ready for series in self.series.values()):
            await self._store.async_save(self._snapshot())

    def _feed(self, series: _Series, kind: str, when: dt.datetime, value: float) -> None:
        if not series.ready:
            series.pending.append((kind, when, value))
            return
        self._store.async_delay_save(self._snapshot, SAVE_DELAY_S)
        if kind == "power":
            series.booker.add_power(when, value)
            return
        booked = series.booker.add_register(when, value)
        if booked.rejected:
            self.rejected += 1
            _LOGGER.warning(
                "%s: register %s at %s not booked (%s)",
                series.statistic_id,
                value,
                when.isoformat(),
                booked.rejected,
            )
        if booked.hours:
            self._write(series, booked.hours)

    def _write(self, series: _Series, hours: tuple[PeriodEnergy, ...]) -> None:
        rows: list[StatisticData] = []
        total = series.last_sum or 0.0
        for hour in hours:
            total += hour.energy / 1000
            rows.append(StatisticData(start=hour.start, state=hour.register / 1000, sum=total))
            if hour.estimated:
                self.estimated.append((series.key, hour.start.isoformat()))
                _LOGGER.info(
                    "%s: hour %s split from a gap between registers (estimated)",
                    series.statistic_id,
                    hour.start.isoformat(),
                )
        series.last_sum = total
        async_add_external_statistics(self.hass, self._metadata(series), rows)

    @staticmethod
    def _metadata(series: _Series) -> StatisticMetaData:
        metadata: dict[str, Any] = {
            "mean_type": StatisticMeanType.NONE,
            "has_sum": True,
            "name": series.name,
            "source": DOMAIN,
            "statistic_id": series.statistic_id,
            "unit_of_measurement": series.unit,
        }
        if _HAS_UNIT_CLASS:
            metadata["unit_class"] = series.unit_class
        return cast(StatisticMetaData, metadata)

    def diagnostics(self) -> dict[str, Any]:
        """Which statistics are kept, which hours were split from gaps, what was refused.

        Registers by their key only: the statistic ids hold the meter ID.
        """
        return {
            "period_minutes": self.period_minutes,
            "statistics": sorted(series.key for series in self.series.values()),
            "estimated_hours": list(self.estimated),
            "rejected_registers": self.rejected,
        }
