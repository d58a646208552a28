"""Binary sensors: a meter's error flags and status bits, and whether its port is connected."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined,unused-ignore]
    BinarySensorDeviceClass,  # 2026.x re-exports it from .const without marking it public
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import MbusHanConfigEntry
from .entity import MbusMeterEntity, PortEntity
from .han_coordinator import HanCoordinator
from .heat_kpi_sensor import async_setup_heat_kpi_binary_sensors
from .mbus_coordinator import MbusCoordinator
from .meter_ids import meter_identifier
from .protocol.mbus.model import Quantity, StatusBit, Telegram

PARALLEL_UPDATES = 0

# Status byte bits that mean the meter itself reports a problem (EN 13757-3 table 5).
STATUS_ERROR_BITS = (
    StatusBit.APPLICATION_ERROR | StatusBit.POWER_LOW | StatusBit.PERMANENT_ERROR
) | StatusBit.TEMPORARY_ERROR


@dataclass(frozen=True, kw_only=True)
class MbusBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A problem indicator computed from a meter's telegram."""

    has_fn: Callable[[Telegram], bool]
    is_on_fn: Callable[[Telegram], bool | None]


def _error_flags(telegram: Telegram) -> int | None:
    for record in telegram.records:
        if record.quantity is Quantity.ERROR_FLAGS and isinstance(record.value, int):
            return record.value
    return None


BINARY_SENSORS: tuple[MbusBinarySensorEntityDescription, ...] = (
    MbusBinarySensorEntityDescription(
        key="error_flags",
        translation_key="error_flags",
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
        has_fn=lambda telegram: _error_flags(telegram) is not None,
        is_on_fn=lambda telegram: None if (flags := _error_flags(telegram)) is None else flags != 0,
    ),
    MbusBinarySensorEntityDescription(
        key="status",
        translation_key="status",
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
        has_fn=lambda telegram: telegram.header is not None,
        is_on_fn=lambda telegram: (
            None if telegram.header is None else bool(telegram.header.status & STATUS_ERROR_BITS)
        ),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MbusHanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the port's connection sensor, and the problem sensors of every meter as it appears."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities([PortConnectionSensor(coordinator)])
    if not isinstance(coordinator, MbusCoordinator):
        return  # a HAN meter sends no status byte
    if (heat_kpi := entry.runtime_data.heat_kpi) is not None and (
        remove := async_setup_heat_kpi_binary_sensors(heat_kpi, async_add_entities)
    ):
        entry.async_on_unload(remove)
    known: set[str] = set()

    @callback
    def add_new_meters() -> None:
        new: list[MbusProblemSensor] = []
        for address, telegram in coordinator.data.telegrams.items():
            for description in BINARY_SENSORS:
                meter_id = meter_identifier(entry.entry_id, address, telegram)
                unique_id = f"{meter_id}-{description.key}"
                if unique_id in known or not description.has_fn(telegram):
                    continue
                known.add(unique_id)
                new.append(MbusProblemSensor(coordinator, address, telegram, description))
        if new:
            async_add_entities(new)

    add_new_meters()
    entry.async_on_unload(coordinator.async_add_listener(add_new_meters))


class MbusProblemSensor(MbusMeterEntity, BinarySensorEntity):
    """On while the meter reports an error."""

    entity_description: MbusBinarySensorEntityDescription

    def __init__(
        self,
        coordinator: MbusCoordinator,
        address: str,
        telegram: Telegram,
        description: MbusBinarySensorEntityDescription,
    ) -> None:
        super().__init__(coordinator, address, telegram)
        self.entity_description = description
        self._attr_unique_id = f"{self.meter_id}-{description.key}"

    @property
    def is_on(self) -> bool | None:
        """Whether the meter reports the problem."""
        telegram = self.telegram
        return None if telegram is None else self.entity_description.is_on_fn(telegram)


class PortConnectionSensor(PortEntity, BinarySensorEntity):
    """On while the port delivers readings: the last poll worked, or the meter pushes."""

    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_translation_key = "port_connection"

    def __init__(self, coordinator: MbusCoordinator | HanCoordinator) -> None:
        super().__init__(coordinator, "port_connection")

    @property
    def is_on(self) -> bool:
        """Whether the latest poll, or the latest pushes, reached the meters."""
        return self.coordinator.last_update_success
