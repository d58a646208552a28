"""The capacity-tariff sensors of a HAN meter (issue 17), when the option is on.

Every number comes from :class:`~.capacity_tracker.CapacityTracker` (which feeds the pure core
in ``billing/``); these entities only show it. The live ones (this period so far, projection,
headroom) are unknown whenever the running period is not covered by the meter's power from its
start; the month's ones stay available through a meter outage (they are still true), and list
the periods without data as an attribute.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfEnergy, UnitOfPower
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from . import MbusHanConfigEntry
from .billing.capacity import DailyPeak
from .capacity_tracker import CapacitySettings, CapacityTracker
from .const import CONF_CAPACITY
from .entity import HanMeterEntity
from .han_coordinator import HanCoordinator

MISSING_SHOWN = 24  # periods without data listed in an attribute (the count is complete)
# The live values change with every push (every 2 s); shown to 10 Wh (the display precision)
# and with whole minutes left, a new state is recorded every few pushes, not at each one.
LIVE_DIGITS = 2

type Value = float | int | None


@dataclass(frozen=True, kw_only=True)
class CapacitySensorDescription(SensorEntityDescription):
    """A capacity-tariff number and how to read it from the tracker at a moment."""

    value_fn: Callable[[CapacityTracker, dt.datetime], Value]
    attrs_fn: Callable[[CapacityTracker, dt.datetime], dict[str, Any]] | None = None


def _local(moment: dt.datetime) -> str:
    return dt_util.as_local(moment).isoformat()


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _period_attrs(tracker: CapacityTracker, now: dt.datetime) -> dict[str, Any]:
    live = tracker.meter.live
    if live is None:
        return {"period_minutes": tracker.meter.minutes}
    end = live.start + tracker.meter.length
    return {
        "period_minutes": tracker.meter.minutes,
        "period_start": _local(live.start),
        "period_end": _local(end),
        "minutes_left": max(0, math.ceil((end - now).total_seconds() / 60)),
    }


def _peak_attrs(peak: DailyPeak, minutes: int) -> dict[str, Any]:
    return {
        "start": _local(peak.start),
        "kwh": round(peak.power_kw * minutes / 60, 3),
        "kw": round(peak.power_kw, 3),
        "day_incomplete": peak.incomplete,
    }


def _month_attrs(tracker: CapacityTracker, now: dt.datetime) -> dict[str, Any]:
    meter = tracker.meter
    missing = meter.missing_periods(now)
    return {
        "peaks": [_peak_attrs(peak, meter.minutes) for peak in meter.top(now)],
        "missing_periods": len(missing),
        "missing_period_starts": [_local(start) for start in missing[-MISSING_SHOWN:]],
        "source": tracker.source,
        "period_minutes": meter.minutes,
    }


def _nth_peak(rank: int) -> Callable[[CapacityTracker, dt.datetime], Value]:
    def value(tracker: CapacityTracker, now: dt.datetime) -> Value:
        top = tracker.meter.top(now)
        return round(top[rank].power_kw, 3) if len(top) > rank else None

    return value


def _nth_peak_attrs(rank: int) -> Callable[[CapacityTracker, dt.datetime], dict[str, Any]]:
    def attrs(tracker: CapacityTracker, now: dt.datetime) -> dict[str, Any]:
        top = tracker.meter.top(now)
        return _peak_attrs(top[rank], tracker.meter.minutes) if len(top) > rank else {}

    return attrs


def _step_attrs(ladder: tuple[float, ...], step: int | None) -> dict[str, Any]:
    if step is None:
        return {}
    lower = 0.0 if step == 0 else ladder[step - 1]
    upper = ladder[step] if step < len(ladder) else None
    return {"lower_kw": lower, "upper_kw": upper}


def _step_value(tracker: CapacityTracker, now: dt.datetime) -> Value:
    return tracker.meter.step(now) + 1  # the first step is step 1 on every bill


def _projected_step(tracker: CapacityTracker, now: dt.datetime) -> Value:
    step = tracker.meter.projected_step(now)
    return None if step is None else step + 1


def _headroom(tracker: CapacityTracker, now: dt.datetime) -> Value:
    room = tracker.meter.headroom(now)
    return None if room is None else round(room.keep_average_kwh, LIVE_DIGITS)


def _step_headroom(tracker: CapacityTracker, now: dt.datetime) -> Value:
    room = tracker.meter.headroom(now)
    return None if room is None else _round(room.keep_step_kwh, LIVE_DIGITS)


_KWH = UnitOfEnergy.KILO_WATT_HOUR
_KW = UnitOfPower.KILO_WATT

CAPACITY_SENSORS: tuple[CapacitySensorDescription, ...] = (
    CapacitySensorDescription(
        key="capacity_period_energy",
        translation_key="capacity_period_energy",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=_KWH,
        suggested_display_precision=2,
        value_fn=lambda tracker, now: _round(tracker.meter.so_far_kwh(now), LIVE_DIGITS),
        attrs_fn=_period_attrs,
    ),
    CapacitySensorDescription(
        key="capacity_period_projection",
        translation_key="capacity_period_projection",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=_KWH,
        suggested_display_precision=2,
        value_fn=lambda tracker, now: _round(tracker.meter.projection_kwh(now), LIVE_DIGITS),
        attrs_fn=_period_attrs,
    ),
    CapacitySensorDescription(
        key="capacity_headroom",
        translation_key="capacity_headroom",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=_KWH,
        suggested_display_precision=2,
        value_fn=_headroom,
        attrs_fn=_period_attrs,
    ),
    CapacitySensorDescription(
        key="capacity_step_headroom",
        translation_key="capacity_step_headroom",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=_KWH,
        suggested_display_precision=2,
        value_fn=_step_headroom,
        attrs_fn=_period_attrs,
    ),
    CapacitySensorDescription(
        key="capacity_peak_average",
        translation_key="capacity_peak_average",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=_KW,
        suggested_display_precision=2,
        value_fn=lambda tracker, now: _round(tracker.meter.average_kw(now)),
        attrs_fn=_month_attrs,
    ),
    *(
        CapacitySensorDescription(
            key=f"capacity_peak_{rank + 1}",
            translation_key="capacity_peak",
            translation_placeholders={"rank": str(rank + 1)},
            device_class=SensorDeviceClass.POWER,
            native_unit_of_measurement=_KW,
            suggested_display_precision=2,
            value_fn=_nth_peak(rank),
            attrs_fn=_nth_peak_attrs(rank),
        )
        for rank in range(3)
    ),
    CapacitySensorDescription(
        key="capacity_step",
        translation_key="capacity_step",
        value_fn=_step_value,
        attrs_fn=lambda tracker, now: _step_attrs(tracker.meter.ladder, tracker.meter.step(now)),
    ),
    CapacitySensorDescription(
        key="capacity_projected_step",
        translation_key="capacity_projected_step",
        value_fn=_projected_step,
        attrs_fn=lambda tracker, now: {
            **_step_attrs(tracker.meter.ladder, tracker.meter.projected_step(now)),
            "projected_average_kw": _round(tracker.meter.projected_average_kw(now)),
        },
    ),
)

COST_SENSOR = CapacitySensorDescription(
    key="capacity_cost",
    translation_key="capacity_cost",
    device_class=SensorDeviceClass.MONETARY,
    state_class=SensorStateClass.TOTAL,
    suggested_display_precision=2,
    value_fn=lambda tracker, _now: round(tracker.ledger.total, 4),
    attrs_fn=lambda tracker, _now: {
        "periods_without_price": tracker.ledger.skipped_no_price,
        "periods_without_energy": tracker.ledger.skipped_no_energy,
    },
)


async def async_setup_capacity(
    hass: HomeAssistant,
    entry: MbusHanConfigEntry,
    coordinator: HanCoordinator,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Start the tracker and add its sensors once the meter has said who it is."""
    if not entry.options.get(CONF_CAPACITY, False):
        return
    settings = CapacitySettings.from_options(entry.options)
    tracker = CapacityTracker(hass, coordinator, settings)
    await tracker.async_start()
    entry.async_on_unload(tracker.async_stop)
    entry.runtime_data.capacity = tracker  # for the diagnostics
    descriptions = [*CAPACITY_SENSORS, *((COST_SENSOR,) if settings.priced else ())]
    added: set[str] = set()

    @callback
    def add_sensors() -> None:
        meter_id = coordinator.device_identifier
        if meter_id is None or meter_id in added:
            return
        added.add(meter_id)
        async_add_entities(
            CapacitySensor(coordinator, tracker, meter_id, description)
            for description in descriptions
        )

    add_sensors()
    entry.async_on_unload(coordinator.async_add_listener(add_sensors))


class CapacitySensor(HanMeterEntity, SensorEntity):
    """One capacity-tariff number of the meter, updated with every push and every tick."""

    entity_description: CapacitySensorDescription
    # What changes every minute is for automations, not for the history.
    _unrecorded_attributes = frozenset({"minutes_left"})

    def __init__(
        self,
        coordinator: HanCoordinator,
        tracker: CapacityTracker,
        meter_id: str,
        description: CapacitySensorDescription,
    ) -> None:
        super().__init__(coordinator, meter_id)
        self.tracker = tracker
        self.entity_description = description
        self._attr_unique_id = f"{meter_id}-{description.key}"
        if description.device_class is SensorDeviceClass.MONETARY:
            self._attr_native_unit_of_measurement = tracker.hass.config.currency

    async def async_added_to_hass(self) -> None:
        """Follow the tracker (not the coordinator: the tracker has read the push first).

        CoordinatorEntity's own subscription is left out on purpose: one write per push.
        """
        self.async_on_remove(self.tracker.async_add_listener(self._on_tracker))

    @callback
    def _on_tracker(self) -> None:
        self.async_write_ha_state()

    @property
    def available(self) -> bool:
        """The month's numbers stay true while the meter is silent; the cost needs its price."""
        if not self._is_mine() or self.tracker.meter_id != self.meter_id:
            return False
        if self.entity_description.key == COST_SENSOR.key:
            return self.tracker.settings.price_entity is None or self.tracker.price() is not None
        return True

    @property
    def native_value(self) -> Value:
        """The number now."""
        return self.entity_description.value_fn(self.tracker, dt_util.utcnow())

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Where the number comes from: hours, missing periods, the step's range."""
        attrs_fn = self.entity_description.attrs_fn
        return None if attrs_fn is None else attrs_fn(self.tracker, dt_util.utcnow())
