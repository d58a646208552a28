"""The heat-meter KPI entities: cooling, return temperature, means per period, the target.

One set per heat meter, on the meter's device. Each entity shows its period up to the last
poll (see :mod:`.heat_kpi_tracker`) and says in its attributes how the figure came about:
which method (the meter's V x T registers, or energy over volume and water's heat capacity),
whether the period's start was interpolated between two polls, and whether the figures
cover the whole period or start later (a new installation, a replaced meter).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined,unused-ignore]
    BinarySensorDeviceClass,  # 2026.x re-exports it from .const without marking it public
    BinarySensorEntity,
)
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    UnitOfEnergy,
    UnitOfPower,
    UnitOfTemperature,
    UnitOfVolumeFlowRate,
)
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .billing.heat import PeriodKind, period_bounds
from .billing.heat_periods import PeriodKpi
from .entity import meter_device_info
from .heat_kpi_tracker import HeatKpiManager, TargetCheck
from .mbus_sensor import TEMPERATURE_DELTA
from .protocol.mbus.model import Telegram

PERIODS = (PeriodKind.DAY, PeriodKind.MONTH, PeriodKind.YEAR, PeriodKind.BILLING)
# Mean power and flow of the long periods are opt-in: cooling and return are what a bill uses.
_MEANS_ENABLED = frozenset({PeriodKind.DAY, PeriodKind.MONTH})


@dataclass(frozen=True, kw_only=True)
class HeatKpiSensorDescription(SensorEntityDescription):
    """One KPI of one period."""

    period: PeriodKind
    value_fn: Callable[[PeriodKpi], float | None]


def _descriptions(period: PeriodKind) -> list[HeatKpiSensorDescription]:
    name = period.value
    return [
        HeatKpiSensorDescription(
            key=f"heat_cooling_{name}",
            translation_key=f"heat_cooling_{name}",
            period=period,
            device_class=TEMPERATURE_DELTA,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfTemperature.KELVIN,
            suggested_display_precision=2,
            value_fn=lambda period: period.kpi.cooling_k,
        ),
        HeatKpiSensorDescription(
            key=f"heat_return_temperature_{name}",
            translation_key=f"heat_return_temperature_{name}",
            period=period,
            device_class=SensorDeviceClass.TEMPERATURE,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfTemperature.CELSIUS,
            suggested_display_precision=1,
            value_fn=lambda period: period.kpi.return_temperature_c,
        ),
        HeatKpiSensorDescription(
            key=f"heat_mean_power_{name}",
            translation_key=f"heat_mean_power_{name}",
            period=period,
            device_class=SensorDeviceClass.POWER,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfPower.KILO_WATT,
            suggested_display_precision=2,
            entity_registry_enabled_default=period in _MEANS_ENABLED,
            value_fn=lambda period: period.kpi.mean_power_kw,
        ),
        HeatKpiSensorDescription(
            key=f"heat_mean_volume_flow_{name}",
            translation_key=f"heat_mean_volume_flow_{name}",
            period=period,
            device_class=SensorDeviceClass.VOLUME_FLOW_RATE,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfVolumeFlowRate.CUBIC_METERS_PER_HOUR,
            suggested_display_precision=3,
            entity_registry_enabled_default=period in _MEANS_ENABLED,
            value_fn=lambda period: period.kpi.mean_volume_flow_m3h,
        ),
    ]


HOUR_ENERGY = HeatKpiSensorDescription(
    key="heat_energy_hour",
    translation_key="heat_energy_hour",
    period=PeriodKind.HOUR,
    device_class=SensorDeviceClass.ENERGY,
    state_class=SensorStateClass.TOTAL,  # with last_reset at the hour's start
    native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    suggested_display_precision=1,
    value_fn=lambda period: period.kpi.energy_kwh,
)


def heat_kpi_descriptions(billing: bool) -> list[HeatKpiSensorDescription]:
    """Every KPI sensor of a heat meter; the billing year's only when its start is set."""
    periods = [p for p in PERIODS if billing or p is not PeriodKind.BILLING]
    return [HOUR_ENERGY, *(d for period in periods for d in _descriptions(period))]


def _iso(moment: dt.datetime) -> str:
    return dt_util.as_local(moment).isoformat()


def period_attributes(period: PeriodKpi) -> dict[str, Any]:
    """How a period's figures came about, for the entity's attributes."""
    kpi = period.kpi
    return {
        "period_start": _iso(period.period_start),
        "measured_since": _iso(period.measured_since),
        "measured_until": _iso(kpi.end.at),
        "complete_period": period.complete,
        "method": kpi.cooling_source.value,
        "heat_coefficient": None
        if kpi.heat_coefficient is None
        else round(kpi.heat_coefficient, 5),
        "flow_temperature_source": (
            None if kpi.flow_temperature_source is None else kpi.flow_temperature_source.value
        ),
        "start_interpolated": kpi.start.interpolated,
        "interpolation_gap_minutes": round(kpi.start.gap.total_seconds() / 60, 1),
        "energy_kwh": round(kpi.energy_kwh, 3),
        "volume_m3": round(kpi.volume_m3, 4),
        # True while the counters have moved too few steps of the meter's resolution for a
        # cooling or return temperature (those sensors are unknown until then).
        "resolution_limited": kpi.resolution_limited,
        # True when the meter's V x T registers contradict its energy register (the energy
        # path's figure is shown): worth reporting, with the meter's make and model.
        "registers_disagree": kpi.registers_disagree,
    }


# Attributes that change with every poll: in the state, not in the recorder's database.
_UNRECORDED = frozenset(
    {"measured_until", "heat_coefficient", "interpolation_gap_minutes", "energy_kwh", "volume_m3"}
)


def async_setup_heat_kpi_sensors(
    manager: HeatKpiManager, async_add_entities: AddConfigEntryEntitiesCallback
) -> CALLBACK_TYPE:
    """Add the KPI sensors of every heat meter as it is first read."""
    settings = manager.settings

    @callback
    def add_meter(meter_id: str, address: str, telegram: Telegram) -> None:
        entities: list[SensorEntity] = [
            HeatKpiSensor(manager, meter_id, address, telegram, description)
            for description in heat_kpi_descriptions(settings.billing_start is not None)
        ]
        if settings.has_target:
            entities.append(HeatTargetDeviationSensor(manager, meter_id, address, telegram))
        async_add_entities(entities)

    return manager.async_add_new_meter_listener(add_meter)


def async_setup_heat_kpi_binary_sensors(
    manager: HeatKpiManager, async_add_entities: AddConfigEntryEntitiesCallback
) -> CALLBACK_TYPE | None:
    """Add the "outside target" binary sensor of every heat meter, if a target is set."""
    if not manager.settings.has_target:
        return None

    @callback
    def add_meter(meter_id: str, address: str, telegram: Telegram) -> None:
        async_add_entities([HeatTargetBinarySensor(manager, meter_id, address, telegram)])

    return manager.async_add_new_meter_listener(add_meter)


class HeatKpiEntity(Entity):
    """Shared by the KPI entities: the meter's device, updates per reading and per period."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _period: PeriodKind

    def __init__(
        self, manager: HeatKpiManager, meter_id: str, address: str, telegram: Telegram, key: str
    ) -> None:
        self.manager = manager
        self.meter_id = meter_id
        coordinator = manager.coordinator
        self._attr_unique_id = f"{meter_id}-{key}"
        self._attr_device_info = meter_device_info(
            coordinator.port_device_id, coordinator.config_entry.entry_id, address, telegram
        )
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._refresh(dt_util.utcnow())

    def _refresh(self, now: dt.datetime) -> None:
        """Recompute from the tracker for ``now``."""
        raise NotImplementedError

    async def async_added_to_hass(self) -> None:
        """Follow the meter's readings and the period's rollover at local midnight."""
        await super().async_added_to_hass()
        self.async_on_remove(self.manager.async_add_meter_listener(self.meter_id, self._update))
        self._schedule_rollover()
        self.async_on_remove(self._cancel_timer)

    @callback
    def _cancel_timer(self) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None

    @callback
    def _schedule_rollover(self) -> None:
        period = self._period
        billing = self.manager.settings.billing_start
        if period is PeriodKind.BILLING and billing is None:
            return
        end = period_bounds(period, dt_util.utcnow(), self.manager.zone, billing)[1]
        self._unsub_timer = async_track_point_in_utc_time(self.hass, self._rolled_over, end)

    @callback
    def _rolled_over(self, now: dt.datetime) -> None:
        """A new period began: no figures until its first poll."""
        self._unsub_timer = None
        self._update()
        self._schedule_rollover()

    @callback
    def _update(self) -> None:
        self._refresh(dt_util.utcnow())
        self.async_write_ha_state()


class HeatKpiSensor(HeatKpiEntity, SensorEntity):
    """One KPI of one period for one heat meter."""

    entity_description: HeatKpiSensorDescription
    _unrecorded_attributes = _UNRECORDED

    def __init__(
        self,
        manager: HeatKpiManager,
        meter_id: str,
        address: str,
        telegram: Telegram,
        description: HeatKpiSensorDescription,
    ) -> None:
        self.entity_description = description
        self._period = description.period
        super().__init__(manager, meter_id, address, telegram, description.key)

    def _refresh(self, now: dt.datetime) -> None:
        period = self.manager.kpi(self.meter_id, self._period, now)
        value = None if period is None else self.entity_description.value_fn(period)
        self._attr_native_value = None if value is None else round(value, 4)
        self._attr_extra_state_attributes = (
            period_attributes(period)
            if period is not None and (value is not None or period.kpi.resolution_limited)
            else {}
        )
        if self.entity_description.state_class is SensorStateClass.TOTAL:
            # The hour this total belongs to; none while it has no value.
            self._attr_last_reset = None if period is None else period.period_start


def _target_attributes(manager: HeatKpiManager, check: TargetCheck | None) -> dict[str, Any]:
    settings = manager.settings
    attributes: dict[str, Any] = {
        "target": settings.target,
        "target_low": settings.low,
        "target_high": settings.high,
        "target_period": settings.target_period.value,
    }
    if check is not None:
        attributes["value"] = round(check.value, 2)
        attributes["deviation"] = round(check.deviation, 2)
        attributes.update(period_attributes(check.period))
    return attributes


class HeatTargetDeviationSensor(HeatKpiEntity, SensorEntity):
    """How far the target period's cooling or return temperature lies outside the band.

    0 inside the band; negative below it, positive above (kelvin either way).
    """

    _attr_translation_key = "heat_target_deviation"
    _attr_device_class = TEMPERATURE_DELTA
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_native_unit_of_measurement = UnitOfTemperature.KELVIN
    _attr_suggested_display_precision = 2
    _unrecorded_attributes = _UNRECORDED

    def __init__(
        self, manager: HeatKpiManager, meter_id: str, address: str, telegram: Telegram
    ) -> None:
        self._period = manager.settings.target_period
        super().__init__(manager, meter_id, address, telegram, "heat_target_deviation")

    def _refresh(self, now: dt.datetime) -> None:
        check = self.manager.target_check(self.meter_id, now)
        self._attr_native_value = None if check is None else round(check.deviation, 4)
        self._attr_extra_state_attributes = _target_attributes(self.manager, check)


class HeatTargetBinarySensor(HeatKpiEntity, BinarySensorEntity):
    """On while the target period's cooling or return temperature is outside the band."""

    _attr_translation_key = "heat_outside_target"
    _attr_device_class = BinarySensorDeviceClass.PROBLEM
    _unrecorded_attributes = _UNRECORDED

    def __init__(
        self, manager: HeatKpiManager, meter_id: str, address: str, telegram: Telegram
    ) -> None:
        self._period = manager.settings.target_period
        super().__init__(manager, meter_id, address, telegram, "heat_outside_target")

    def _refresh(self, now: dt.datetime) -> None:
        check = self.manager.target_check(self.meter_id, now)
        self._attr_is_on = None if check is None else check.outside
        self._attr_extra_state_attributes = _target_attributes(self.manager, check)
