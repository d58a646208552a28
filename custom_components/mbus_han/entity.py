"""Base entities: the meters of an M-Bus port and the smart meter of a HAN port.

Device info comes from what each meter says about itself, so a device follows its meter.
"""

from __future__ import annotations

from homeassistant.const import EntityCategory
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .han_coordinator import HanCoordinator
from .mbus_coordinator import MbusCoordinator
from .meter_ids import meter_identifier
from .protocol.mbus.manufacturer import manufacturer_name
from .protocol.mbus.model import Quantity, Telegram
from .protocol.mbus.products import model_text

# Home Assistant 2026.x links a device to its parent by device id (``via_device_id``) and
# deprecates the identifier tuple (``via_device``), which is all 2025.4 knows.
_HAS_VIA_DEVICE_ID = "via_device_id" in DeviceInfo.__optional_keys__


def via_port(port_device_id: str, entry_id: str) -> DeviceInfo:
    """The device-info part naming the port's device as the meter's parent."""
    if _HAS_VIA_DEVICE_ID:
        return DeviceInfo(via_device_id=port_device_id)  # type: ignore[typeddict-unknown-key,unused-ignore]
    return DeviceInfo(via_device=(DOMAIN, entry_id))  # type: ignore[typeddict-unknown-key,unused-ignore]


def meter_device_info(
    port_device_id: str, entry_id: str, address: str, telegram: Telegram
) -> DeviceInfo:
    """Device registry data for the meter that sent ``telegram``."""
    header = telegram.header
    firmware = next(
        (str(r.value) for r in telegram.records if r.quantity is Quantity.FIRMWARE_VERSION),
        None,
    )
    info = DeviceInfo(
        identifiers={(DOMAIN, meter_identifier(entry_id, address, telegram))},
        sw_version=firmware,
        **via_port(port_device_id, entry_id),
    )
    if header is not None and header.manufacturer:
        info["manufacturer"] = manufacturer_name(header.manufacturer)
        info["model"] = model_text(header)
        info["serial_number"] = header.id_text
        info["name"] = f"{manufacturer_name(header.manufacturer)} {header.id_text}"
    else:
        info["name"] = f"M-Bus meter {address}"
    return info


class MbusMeterEntity(CoordinatorEntity[MbusCoordinator]):
    """An entity of one meter on the bus, available while that meter answers."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: MbusCoordinator, address: str, telegram: Telegram) -> None:
        # the address as context: the coordinator tells these entities when their meter is read
        super().__init__(coordinator, context=address)
        self.address = address
        self.meter_id = meter_identifier(coordinator.config_entry.entry_id, address, telegram)
        self._attr_device_info = meter_device_info(
            coordinator.port_device_id, coordinator.config_entry.entry_id, address, telegram
        )

    @property
    def telegram(self) -> Telegram | None:
        """The telegram of this meter from the latest poll, if it answered.

        Another meter answering at this address (a replacement, issue 18) is not this meter:
        its values belong to its own entities until the user carries these over.
        """
        if self.coordinator.data is None:
            return None
        telegram = self.coordinator.data.telegrams.get(self.address)
        if telegram is None or self._answers_for_another(telegram):
            return None
        return telegram

    def _answers_for_another(self, telegram: Telegram) -> bool:
        entry_id = self.coordinator.config_entry.entry_id
        return meter_identifier(entry_id, self.address, telegram) != self.meter_id

    @property
    def available(self) -> bool:
        """Available while the bus works and this meter answered the last poll."""
        return super().available and self.telegram is not None


class HanMeterEntity(CoordinatorEntity[HanCoordinator]):
    """An entity of the smart meter on a HAN port, available while the meter pushes."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: HanCoordinator, meter_id: str) -> None:
        super().__init__(coordinator)
        self.meter_id = meter_id
        meter = coordinator.data.meter
        if coordinator.device_identifier != meter_id:
            # Re-created from the registry before the meter has said who it is.
            self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, meter_id)})
            return
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, meter_id)},
            **via_port(coordinator.port_device_id, coordinator.config_entry.entry_id),
            manufacturer=meter.manufacturer,
            model=meter.meter_type,
            serial_number=meter.meter_id,
            name=" ".join(part for part in (meter.manufacturer, meter.meter_type) if part)
            or f"HAN {meter.meter_id or coordinator.port}",
        )

    def _is_mine(self) -> bool:
        """True while the port's meter is the one this entity belongs to (not swapped)."""
        return self.coordinator.device_identifier == self.meter_id

    @property
    def available(self) -> bool:
        """Available while the meter pushes, and it is still this entity's meter."""
        return super().available and self._is_mine()


class PortEntity(CoordinatorEntity[MbusCoordinator | HanCoordinator]):
    """A diagnostic entity of the port itself: how the connection to the meters is doing.

    Always available: a port that is down is what it reports, not a reason to hide it.
    """

    _attr_has_entity_name = True
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, coordinator: MbusCoordinator | HanCoordinator, key: str) -> None:
        super().__init__(coordinator)
        entry_id = coordinator.config_entry.entry_id
        self._attr_unique_id = f"{entry_id}-{key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, entry_id)})

    @property
    def available(self) -> bool:
        """Always: the port's state is what this entity shows."""
        return True
