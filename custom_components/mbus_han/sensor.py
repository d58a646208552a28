"""Sensors: one per meaningful record of each meter on an M-Bus port."""

from __future__ import annotations

from decimal import Decimal

from homeassistant.components.sensor import RestoreSensor, SensorStateClass
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from . import MbusHanConfigEntry
from .entity import MbusMeterEntity, meter_identifier
from .mbus_coordinator import MbusCoordinator
from .mbus_sensor import MbusSensorEntityDescription, SensorValue, describe_record
from .protocol.mbus.model import Telegram

PARALLEL_UPDATES = 0  # the coordinator serialises all bus access
# A counter that drops by less than this fraction is a meter glitch, not a reset.
GLITCH_FRACTION = Decimal("0.01")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MbusHanConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add a sensor for every record the meters report, and for new ones as they appear."""
    coordinator = entry.runtime_data.coordinator
    known: set[str] = set()

    @callback
    def add_new_records() -> None:
        if coordinator.data is None:
            return
        new: list[MbusRecordSensor] = []
        for address, telegram in coordinator.data.telegrams.items():
            medium = telegram.header.medium if telegram.header else None
            meter_id = meter_identifier(address, telegram)
            for record in telegram.records:
                description = describe_record(record, medium)
                unique_id = f"{meter_id}-{record.key}"
                if description is None or unique_id in known:
                    continue
                known.add(unique_id)
                new.append(MbusRecordSensor(coordinator, address, telegram, description))
        if new:
            async_add_entities(new)

    add_new_records()
    entry.async_on_unload(coordinator.async_add_listener(add_new_records))


class MbusRecordSensor(MbusMeterEntity, RestoreSensor):
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
        if record is None or record.value is None:
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
        value = self._current_value()
        if not self._is_counter_glitch(value):
            self._attr_native_value = value
        super()._handle_coordinator_update()

    def _is_counter_glitch(self, value: SensorValue) -> bool:
        """True when a total would go backwards by a small amount: keep the last value."""
        last = self._attr_native_value
        if self.entity_description.state_class is not SensorStateClass.TOTAL_INCREASING:
            return False
        if not isinstance(value, int | float | Decimal) or not isinstance(
            last, int | float | Decimal
        ):
            return False
        drop = Decimal(str(last)) - Decimal(str(value))
        return Decimal(0) < drop <= abs(Decimal(str(last))) * GLITCH_FRACTION

    async def async_added_to_hass(self) -> None:
        """Restore a counter's last value while its meter has not answered yet."""
        await super().async_added_to_hass()
        if self._attr_native_value is not None:
            return
        if self.entity_description.state_class is not SensorStateClass.TOTAL_INCREASING:
            return
        if (last := await self.async_get_last_sensor_data()) is not None:
            self._attr_native_value = last.native_value
