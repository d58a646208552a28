"""A simulated day of a Kaifa meter replayed through Home Assistant with the recorder.

Shared by the recorder test (tests/ha/test_ha_energy_hours.py) and the benchmark
(benchmarks/energy_hours.py). The meter is the HAN simulator; the ground truth is its
electrical model's energy counter at each hour boundary (what the meter counted in that
hour), read from the model, not from anything we decode. States are stamped with each push's
moment (Home Assistant's core and entity helper read ``time.time()`` for them, patched here;
the event loop keeps running in real time), and our statistics glue is told the same moment,
so the recorder sees a day.

The load varies over the day (night base, morning and evening peaks, a water heater
switching on and off mid-hour), so an hour booked one hour late is visibly wrong.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

from homeassistant import core as ha_core
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity as ha_entity
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.han_coordinator import HanCoordinator
from custom_components.mbus_han.protocol.han import HanReading, HanStreamDecoder, Transport
from custom_components.mbus_han.protocol.han import simulator as sim_module
from custom_components.mbus_han.protocol.han.simulator import HanSimulator, Maker, Wiring

OSLO = ZoneInfo("Europe/Oslo")
DAY = dt.date(2026, 11, 10)
KAIFA_ID = "6970631402614476"
STATISTIC_ID = f"{DOMAIN}:han_{KAIFA_ID}_energy_import"
ENERGY_IMPORT_UNIQUE_ID = f"HAN-{KAIFA_ID}-1-0:1.8.0.255"
# (from local hour, base load per phase in W): a varying day
PROFILE = (
    (0, (300.0, 200.0, 150.0)),
    (6, (900.0, 700.0, 500.0)),
    (9, (600.0, 400.0, 300.0)),
    (16, (1500.0, 1200.0, 900.0)),
    (22, (400.0, 300.0, 200.0)),
)
WATER_HEATER_W = 2000.0  # on phase 1 from :20 to :45 in the hours listed
WATER_HEATER_HOURS = (5, 7, 12, 18, 20)


@dataclass(slots=True)
class Window:
    """A stretch of local time with no pushes taken in."""

    start: dt.datetime
    end: dt.datetime
    kind: str  # "restart": the entry is reloaded; "outage": the port is lost

    def __contains__(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(slots=True)
class DayResult:
    """Per local hour start: truth, our statistic's change, the plain sensor's change."""

    truth_kwh: dict[dt.datetime, float] = field(default_factory=dict)
    ours_kwh: dict[dt.datetime, float] = field(default_factory=dict)
    plain_kwh: dict[dt.datetime, float] = field(default_factory=dict)
    estimated: list[str] = field(default_factory=list)
    pushes: int = 0


def local(hour: int, minute: int = 0, second: int = 0, day: dt.date = DAY) -> dt.datetime:
    """An aware local (Oslo) time on the replayed day."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=OSLO)


def _base_load(moment: dt.datetime) -> tuple[float, float, float]:
    loads = PROFILE[0][1]
    for hour, values in PROFILE:
        if moment.hour >= hour:
            loads = values
    if moment.hour in WATER_HEATER_HOURS and 20 <= moment.minute < 45:
        loads = (loads[0] + WATER_HEATER_W, loads[1], loads[2])
    return loads


@contextmanager
def simulated_time(clock: list[float]) -> Iterator[None]:
    """States stamped at ``clock[0]`` (a POSIX time) and the simulator's load steerable."""
    saved = sim_module._BASE_LOAD_W
    try:
        with (
            patch.object(ha_core, "time", SimpleNamespace(time=lambda: clock[0])),
            patch.object(ha_entity, "timer", lambda: clock[0]),
        ):
            yield
    finally:
        sim_module._BASE_LOAD_W = saved


def _statistics(coordinator: HanCoordinator) -> Any:
    """Our statistics glue on this coordinator (the listener it hooked onto the pushes)."""
    return coordinator.reading_listeners[0].__self__  # type: ignore[attr-defined]


async def replay_day(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    windows: list[Window],
    *,
    plain_statistics: bool = False,
    maker: Maker = Maker.KAIFA,
    hours: int = 24,
) -> DayResult:
    """Replay ``hours`` of ``DAY`` (local) from 23:58 the evening before to a minute after."""
    result = DayResult()
    meter = HanSimulator(
        maker,
        Wiring.THREE_PHASE,
        start=dt.datetime.combine(DAY, dt.time(0)) - dt.timedelta(minutes=2),
        seed=17,
    )
    decoder = HanStreamDecoder(Transport.HDLC)
    end = local(0, 1) + dt.timedelta(hours=hours)
    counter_at: dict[dt.datetime, float] = {}
    in_window: Window | None = None
    next_compile: dt.datetime | None = None
    clock = [local(0).timestamp()]
    with simulated_time(clock):
        for push in meter.pushes():
            moment = push.moment.replace(tzinfo=OSLO)
            sim_module._BASE_LOAD_W = _base_load(moment)
            if moment.minute == 0 and moment.second == 0:
                counter_at[moment] = meter.physics.energy_import_wh  # the truth at XX:00:00
            if moment >= end:
                break
            if push.list_number == 1:
                continue  # list 2 (every 10 s) carries the power too; list 1 only speeds up
            now = moment.astimezone(dt.UTC)
            clock[0] = now.timestamp()
            window = next((w for w in windows if moment in w), None)
            if window is not in_window:
                if window is not None and window.kind == "outage":
                    entry.runtime_data.coordinator._set_outage("port_lost", "test")
                if window is not None and window.kind == "restart":
                    await async_wait_recording_done(hass)
                    assert await hass.config_entries.async_unload(entry.entry_id)
                if in_window is not None and in_window.kind == "restart":
                    assert await hass.config_entries.async_setup(entry.entry_id)
                    await hass.async_block_till_done()
                in_window = window
            if window is not None:
                continue
            coordinator = entry.runtime_data.coordinator
            assert isinstance(coordinator, HanCoordinator)
            _statistics(coordinator).now = lambda now=now: now
            for reading in decoder.feed(push.clean):
                assert isinstance(reading, HanReading)
                coordinator._on_result(reading)
                result.pushes += 1
            if plain_statistics:
                next_compile = await _compile_plain(hass, now, next_compile)
            if push.list_number == 3:
                await hass.async_block_till_done()
        async with asyncio.timeout(10):  # every statistic has read back its last row
            while not all(series.ready for series in _statistics(coordinator).series.values()):
                await asyncio.sleep(0.01)
        await async_wait_recording_done(hass)
    estimated = _statistics(coordinator).estimated
    result.estimated = [hour for key, hour in estimated if key == "energy_import"]
    hours = sorted(counter_at)
    for start, stop in itertools.pairwise(hours):
        if start.date() == DAY:
            result.truth_kwh[start] = (counter_at[stop] - counter_at[start]) / 1000
    result.ours_kwh = await hourly_changes(hass, f"{DOMAIN}:han_{meter.meter_id}_energy_import")
    if plain_statistics:
        entity_id = er.async_get(hass).async_get_entity_id(
            "sensor", DOMAIN, ENERGY_IMPORT_UNIQUE_ID
        )
        assert entity_id is not None
        result.plain_kwh = await hourly_changes(hass, entity_id)
    return result


async def _compile_plain(
    hass: HomeAssistant, now: dt.datetime, due: dt.datetime | None
) -> dt.datetime:
    """Have the recorder compile the 5-minute (and hourly) statistics as it would live."""
    from homeassistant.components.recorder import get_instance
    from homeassistant.components.recorder.tasks import StatisticsTask

    five = dt.timedelta(minutes=5)
    start = now.replace(second=0, microsecond=0)
    start -= dt.timedelta(minutes=start.minute % 5)
    if due is None:
        return start + five
    if now >= due + dt.timedelta(seconds=12):  # the recorder compiles 12 s after the period
        await async_wait_recording_done(hass)
        get_instance(hass).queue_task(StatisticsTask(due - five, False))
        await async_wait_recording_done(hass)
        return due + five
    return due


async def hourly_changes(hass: HomeAssistant, statistic_id: str) -> dict[dt.datetime, float]:
    """Each hourly row's change of sum, by local hour start (the energy dashboard's number)."""
    from homeassistant.components.recorder import get_instance

    start = local(0) - dt.timedelta(hours=2)
    stop = local(0, day=DAY + dt.timedelta(days=1)) + dt.timedelta(hours=2)
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period, hass, start, stop, {statistic_id}, "hour", None, {"sum"}
    )
    changes: dict[dt.datetime, float] = {}
    previous: float | None = None
    for row in rows.get(statistic_id, []):
        begin = row["start"]
        moment = (
            dt.datetime.fromtimestamp(begin, dt.UTC) if isinstance(begin, int | float) else begin
        ).astimezone(OSLO)
        total = row["sum"]
        assert total is not None
        if previous is not None and moment.date() == DAY:
            changes[moment] = total - previous
        elif moment.date() == DAY:
            changes[moment] = total  # the first row: its sum is its own energy
        previous = total
    return changes
