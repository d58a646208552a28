"""Base entity for the meters of an M-Bus port: device info from the meter's own header."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .mbus_coordinator import MbusCoordinator
from .protocol.mbus.manufacturer import manufacturer_name
from .protocol.mbus.model import Quantity, Telegram


def meter_identifier(address: str, telegram: Telegram) -> str:
    """A meter's device identifier: its manufacturer and ID, or the address without a header.

    The ID and manufacturer come from the meter itself, so a meter keeps its device (and
    history) when its primary address changes.
    """
    header = telegram.header
    if header is not None and header.id_text is not None and header.manufacturer:
        return f"{header.manufacturer}-{header.id_text}"
    return f"address-{address}"


def meter_device_info(entry_id: str, address: str, telegram: Telegram) -> DeviceInfo:
    """Device registry data for the meter that sent ``telegram``."""
    header = telegram.header
    firmware = next(
        (str(r.value) for r in telegram.records if r.quantity is Quantity.FIRMWARE_VERSION),
        None,
    )
    info = DeviceInfo(
        identifiers={(DOMAIN, meter_identifier(address, telegram))},
        via_device=(DOMAIN, entry_id),
        sw_version=firmware,
    )
    if header is not None and header.manufacturer:
        medium = header.medium.name.replace("_", " ").capitalize() if header.medium else None
        info["manufacturer"] = manufacturer_name(header.manufacturer)
        info["model"] = " ".join(part for part in (medium, f"version {header.version}") if part)
        info["serial_number"] = header.id_text
        info["name"] = f"{manufacturer_name(header.manufacturer)} {header.id_text}"
    else:
        info["name"] = f"M-Bus meter {address}"
    return info


class MbusMeterEntity(CoordinatorEntity[MbusCoordinator]):
    """An entity of one meter on the bus, available while that meter answers."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: MbusCoordinator, address: str, telegram: Telegram) -> None:
        super().__init__(coordinator)
        self.address = address
        self.meter_id = meter_identifier(address, telegram)
        self._attr_device_info = meter_device_info(
            coordinator.config_entry.entry_id, address, telegram
        )

    @property
    def telegram(self) -> Telegram | None:
        """The telegram of this meter from the latest poll, if it answered."""
        if self.coordinator.data is None:
            return None
        return self.coordinator.data.telegrams.get(self.address)

    @property
    def available(self) -> bool:
        """Available while the bus works and this meter answered the last poll."""
        return super().available and self.telegram is not None
