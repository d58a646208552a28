"""Sensors: the records of each M-Bus meter, and the values a HAN meter pushes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from . import MbusHanConfigEntry
from .capacity_sensor import async_setup_capacity
from .entity import HanMeterEntity, MbusMeterEntity, PortEntity
from .han_coordinator import HanCoordinator
from .han_sensor import (
    CLOCK_OFFSET_SENSOR,
    CLOCK_OFFSET_STEP,
    IDENTITY_SENSORS,
    HanIdentitySensorEntityDescription,
    HanSensorEntityDescription,
    clock_offset_seconds,
    describe_code,
    describe_value,
    expected_counters,
)
from .heat_kpi_sensor import async_setup_heat_kpi_sensors
from .mbus_coordinator import MbusCoordinator
from .mbus_sensor import MbusSensorEntityDescription, SensorValue, describe_record
from .meter_ids import meter_identifier
from .protocol.mbus.model import Telegram
from .protocol.meter_change import Step, confirms_restart, counter_step
from .replacement import carried_value, note_first_reading, report_counter_restart

PARALLEL_UPDATES = 0  # the coordinator serialises all port access
# A HAN value's unique id: the meter's device identifier, then the OBIS code A-B:C.D.E.F.
_HAN_UNIQUE_ID = re.compile(r"(?P<device>HAN-.+)-(?P<code>\d+-\d+:\d+\.\d+\.\d+\.\d+)")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MbusHanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a sensor for every value the meters report, and for new ones as they appear."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(PortCounterSensor(coordinator, d) for d in PORT_COUNTERS)
    if isinstance(coordinator, HanCoordinator):
        restored = _restored_han_counters(hass, entry, coordinator)
        async_add_entities(restored)
        add_new = _han_adder(coordinator, async_add_entities, restored)
        await async_setup_capacity(hass, entry, coordinator, async_add_entities)
    else:
        add_new = _mbus_adder(coordinator, async_add_entities)
        if (heat_kpi := entry.runtime_data.heat_kpi) is not None:
            entry.async_on_unload(async_setup_heat_kpi_sensors(heat_kpi, async_add_entities))
    add_new()
    entry.async_on_unload(coordinator.async_add_listener(add_new))


def _mbus_adder(
    coordinator: MbusCoordinator, async_add_entities: AddConfigEntryEntitiesCallback
) -> Callable[[], None]:
    known: set[str] = set()

    @callback
    def add_new_records() -> None:
        if coordinator.data is None:
            return
        new: list[MbusRecordSensor] = []
        for address, telegram in coordinator.data.telegrams.items():
            medium = telegram.header.medium if telegram.header else None
            meter_id = meter_identifier(coordinator.config_entry.entry_id, address, telegram)
            for record in telegram.records:
                unique_id = f"{meter_id}-{record.key}"
                if unique_id in known:
                    continue  # every poll: decided once per record
                known.add(unique_id)
                if (description := describe_record(record, medium)) is not None:
                    new.append(MbusRecordSensor(coordinator, address, telegram, description))
        if new:
            async_add_entities(new)

    return add_new_records


def _restored_han_counters(
    hass: HomeAssistant, entry: MbusHanConfigEntry, coordinator: HanCoordinator
) -> list[HanValueSensor]:
    """The energy counters this port had before the restart, back with their last values.

    A HAN meter sends its energies once an hour; without this they would be unknown until then.
    """
    sensors = []
    for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        found = _HAN_UNIQUE_ID.fullmatch(entity.unique_id)
        if entity.domain != "sensor" or found is None:
            continue
        description = describe_code(found["code"])
        if description is None or description.state_class is not SensorStateClass.TOTAL_INCREASING:
            continue
        sensors.append(HanValueSensor(coordinator, found["device"], description))
    return sensors


def _han_adder(
    coordinator: HanCoordinator,
    async_add_entities: AddConfigEntryEntitiesCallback,
    restored_sensors: list[HanValueSensor],
) -> Callable[[], None]:
    known: set[str] = set()
    restored = {sensor.unique_id for sensor in restored_sensors}

    @callback
    def add_new_values() -> None:
        data = coordinator.data
        meter_id = coordinator.device_identifier
        if meter_id is None:
            return  # list 1 names no meter: wait for list 2 (10 s) to know whose values
        new: list[SensorEntity] = []
        sent = {code: describe_value(code, value.quantity) for code, value in data.values.items()}
        coming = {code: describe_code(code) for code in expected_counters(data.values)}
        for code, description in (coming | sent).items():
            unique_id = f"{meter_id}-{code}"
            if unique_id in known:
                continue  # every push: decided once per value
            known.add(unique_id)
            if description is not None and unique_id not in restored:
                new.append(HanValueSensor(coordinator, meter_id, description))
        offset_id = f"{meter_id}-{CLOCK_OFFSET_SENSOR.key}"
        if data.clock is not None and offset_id not in known:
            known.add(offset_id)
            new.append(HanClockOffsetSensor(coordinator, meter_id))
        for identity in IDENTITY_SENSORS:
            unique_id = f"{meter_id}-{identity.key}"
            if unique_id not in known and identity.has_fn(data.meter, data.clock):
                known.add(unique_id)
                new.append(HanIdentitySensor(coordinator, meter_id, identity))
        if new:
            async_add_entities(new)

    return add_new_values


class CounterGuardSensor(RestoreSensor):
    """Keeps totals sane: no small step backwards, and the last value across restarts.

    A counter that falls to near zero restarted (a new meter with the same number, or a reset
    register): taken once the next reading confirms it, as one reading near zero may be a
    glitch. A counter carried over from a replaced meter goes on from the old meter's total
    (``replacement.carried_value``). The steps are told apart in ``protocol/meter_change.py``.
    """

    _held_restart: SensorValue = None  # a reading near zero waiting for the next one

    def _accept(self, value: SensorValue) -> None:
        """Take ``value`` unless it is a counter glitch or an unconfirmed restart."""
        if self.entity_description.state_class is not SensorStateClass.TOTAL_INCREASING:
            self._attr_native_value = value
            return
        value = self._carried(value)
        last = self._attr_native_value
        step = counter_step(last, value)
        if step is Step.GLITCH:
            return
        if step is Step.RESTART:
            held, self._held_restart = self._held_restart, value
            if not confirms_restart(held, value):
                return
            report_counter_restart(self.hass, self.entity_id, last, value)
        self._held_restart = None
        self._attr_native_value = value

    def _carried(self, value: SensorValue) -> SensorValue:
        entry_id = self.registry_entry.config_entry_id if self.registry_entry else None
        entry = self.hass.config_entries.async_get_entry(entry_id) if entry_id else None
        if entry is None:
            return value
        note_first_reading(self.hass, entry, self.unique_id, value)
        return carried_value(self.hass, entry, self.unique_id, self._attr_native_value, value)

    async def async_added_to_hass(self) -> None:
        """Restore a counter's last value; the meter's first value after a start must beat it.

        The first value read after a restart is held against the restored one as every later
        value is against its predecessor: a glitch must not step the total back either.
        """
        await super().async_added_to_hass()
        if self.entity_description.state_class is not SensorStateClass.TOTAL_INCREASING:
            return
        first = self._attr_native_value
        last = await self.async_get_last_sensor_data()
        self._attr_native_value = None if last is None else last.native_value
        if first is not None:
            self._accept(first)


class MbusRecordSensor(MbusMeterEntity, CounterGuardSensor):
    """The value of one record, found by its stable key on every poll."""

    entity_description: MbusSensorEntityDescription

    def __init__(
        self,
        coordinator: MbusCoordinator,
        address: str,
        telegram: Telegram,
        description: MbusSensorEntityDescription,
    ) -> None:
        super().__init__(coordinator, address, telegram)
        self.entity_description = description
        self._attr_unique_id = f"{self.meter_id}-{description.record_key}"
        self._attr_native_value = self._current_value()

    def _current_value(self) -> SensorValue:
        data = self.coordinator.data
        record = data.records.get(self.address, {}).get(self.entity_description.record_key)
        if record is None or record.value is None or self.telegram is None:
            return None
        return self.entity_description.value_fn(record.value)

    @property
    def available(self) -> bool:
        """Available while the meter answers and still reports this record."""
        return (
            super().available
            and self.entity_description.record_key
            in self.coordinator.data.records.get(self.address, {})
        )

    @callback
    def _handle_coordinator_update(self) -> None:
        if self.available:  # a silent or replaced meter's entity keeps its last total
            self._accept(self._current_value())
        super()._handle_coordinator_update()


class HanValueSensor(HanMeterEntity, CounterGuardSensor):
    """One value the HAN meter pushes, found by its OBIS code in every push."""

    entity_description: HanSensorEntityDescription

    def __init__(
        self, coordinator: HanCoordinator, meter_id: str, description: HanSensorEntityDescription
    ) -> None:
        super().__init__(coordinator, meter_id)
        self.entity_description = description
        self._attr_unique_id = f"{meter_id}-{description.obis}"
        self._attr_native_value = self._current_value()

    def _current_value(self) -> SensorValue:
        if not self._is_mine():
            return None
        value = self.coordinator.data.values.get(self.entity_description.obis)
        return None if value is None else value.value

    @property
    def available(self) -> bool:
        """Available while the meter pushes and this value is known (sent, or restored)."""
        if not super().available:
            return False
        if self.entity_description.obis in self.coordinator.data.values:
            return True
        # A counter keeps its last known (or restored) total until the next hourly list; one
        # not sent yet is unknown (it exists so the energy dashboard can be set up at once).
        return self.entity_description.state_class is SensorStateClass.TOTAL_INCREASING

    @callback
    def _handle_coordinator_update(self) -> None:
        value = self._current_value()
        if value is not None:  # a list without this value leaves it as it was
            self._accept(value)
        super()._handle_coordinator_update()


class HanIdentitySensor(HanMeterEntity, SensorEntity):
    """Who the meter says it is, or what its clock says (diagnostics)."""

    entity_description: HanIdentitySensorEntityDescription

    def __init__(
        self,
        coordinator: HanCoordinator,
        meter_id: str,
        description: HanIdentitySensorEntityDescription,
    ) -> None:
        super().__init__(coordinator, meter_id)
        self.entity_description = description
        self._attr_unique_id = f"{meter_id}-{description.key}"

    @property
    def native_value(self) -> SensorValue:
        """The value from the latest pushes."""
        data = self.coordinator.data
        return self.entity_description.value_fn(data.meter, data.clock)


def received_now() -> dt.datetime:
    """When the push being handled arrived: now (a seam for tests that fix the time)."""
    return dt_util.utcnow()


class HanClockOffsetSensor(HanMeterEntity, SensorEntity):
    """How far the meter's clock is from Home Assistant's: what a user watches of the clock.

    Changes only when the offset moves by ``CLOCK_OFFSET_STEP`` seconds, so the logbook and the
    recorder do not get a new state with every push.
    """

    entity_description = CLOCK_OFFSET_SENSOR

    def __init__(self, coordinator: HanCoordinator, meter_id: str) -> None:
        super().__init__(coordinator, meter_id)
        self._attr_unique_id = f"{meter_id}-{CLOCK_OFFSET_SENSOR.key}"
        self._take_offset()

    def _take_offset(self) -> None:
        offset = clock_offset_seconds(self.coordinator.data.clock, received_now())
        shown = self._attr_native_value
        if offset is None:
            return
        if not isinstance(shown, int) or abs(offset - shown) >= CLOCK_OFFSET_STEP:
            self._attr_native_value = offset

    @callback
    def _handle_coordinator_update(self) -> None:
        if self._is_mine():
            self._take_offset()
        super()._handle_coordinator_update()


def _port_counts(coordinator: MbusCoordinator | HanCoordinator) -> tuple[int, int]:
    """Readings that arrived whole, and everything that failed on the way, since start-up."""
    if isinstance(coordinator, HanCoordinator):
        han = coordinator.stats
        failed = han.undecodable + han.key_errors + han.port_errors + han.silences + han.crashes
        return han.readings, failed
    mbus = coordinator.stats
    return mbus.reads_ok, mbus.reads_failed + mbus.port_errors + mbus.crashes


@dataclass(frozen=True, kw_only=True)
class PortCounterDescription(SensorEntityDescription):
    """A count of what happened on a port; its statistics give the rate per hour."""

    value_fn: Callable[[MbusCoordinator | HanCoordinator], int]


PORT_COUNTERS: tuple[PortCounterDescription, ...] = (
    PortCounterDescription(
        key="port_readings",
        translation_key="port_readings",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda coordinator: _port_counts(coordinator)[0],
    ),
    PortCounterDescription(
        key="port_errors",
        translation_key="port_errors",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda coordinator: _port_counts(coordinator)[1],
    ),
)


class PortCounterSensor(PortEntity, SensorEntity):
    """Readings or errors on the port since Home Assistant started (a counter that restarts)."""

    entity_description: PortCounterDescription

    def __init__(
        self, coordinator: MbusCoordinator | HanCoordinator, description: PortCounterDescription
    ) -> None:
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> int:
        """The count now."""
        return self.entity_description.value_fn(self.coordinator)
