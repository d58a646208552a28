"""The M-Bus & HAN integration: wired M-Bus heat meters and HAN-port smart electricity meters.

The protocol code lives in the pure-Python subpackage :mod:`.protocol`, which never imports
Home Assistant; this glue only schedules I/O and translates results into entities.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import device_registry as dr

from .const import CONF_KIND, CONF_PORT, DOMAIN, KIND_HAN
from .entity import meter_identifier
from .han_coordinator import HanCoordinator
from .mbus_coordinator import MbusCoordinator
from .migration import async_migrate
from .protocol.errors import TransportError

MBUS_PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR]
HAN_PLATFORMS: list[Platform] = [Platform.SENSOR]


@dataclass(slots=True)
class MbusHanRuntimeData:
    """What a loaded entry holds: the coordinator of its port."""

    coordinator: MbusCoordinator | HanCoordinator


type MbusHanConfigEntry = ConfigEntry[MbusHanRuntimeData]


def _platforms(entry: MbusHanConfigEntry) -> list[Platform]:
    return HAN_PLATFORMS if entry.data[CONF_KIND] == KIND_HAN else MBUS_PLATFORMS


def _register_port_device(hass: HomeAssistant, entry: MbusHanConfigEntry, model: str) -> str:
    """The port itself is a device: the meters on it name it as their via-device."""
    return (
        dr.async_get(hass)
        .async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, entry.entry_id)},
            name=f"{model} {entry.data[CONF_PORT]}",
            model=model,
            manufacturer="M-Bus & HAN",
        )
        .id
    )


async def async_migrate_entry(hass: HomeAssistant, entry: MbusHanConfigEntry) -> bool:
    """Bring an entry stored by an older version to today's form (see migration.py)."""
    return await async_migrate(hass, entry)


async def async_setup_entry(hass: HomeAssistant, entry: MbusHanConfigEntry) -> bool:
    """Set up one port: an M-Bus bus we poll, or a HAN port we listen to."""
    if entry.data[CONF_KIND] == KIND_HAN:
        await _setup_han(hass, entry)
    else:
        await _setup_mbus(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, _platforms(entry))
    return True


async def _setup_mbus(hass: HomeAssistant, entry: MbusHanConfigEntry) -> None:
    coordinator = MbusCoordinator(hass, entry)
    coordinator.port_device_id = _register_port_device(hass, entry, "M-Bus")
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = MbusHanRuntimeData(coordinator)
    _remove_stale_devices(hass, entry, coordinator)


async def _setup_han(hass: HomeAssistant, entry: MbusHanConfigEntry) -> None:
    coordinator = HanCoordinator(hass, entry)
    try:
        await coordinator.async_open()
    except TransportError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_open_port",
            translation_placeholders={"port": entry.data[CONF_PORT], "error": str(err)},
        ) from err
    coordinator.port_device_id = _register_port_device(hass, entry, "HAN")
    entry.runtime_data = MbusHanRuntimeData(coordinator)
    coordinator.async_start()


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: MbusHanConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a meter's device unless the meter still reports."""
    if (DOMAIN, entry.entry_id) in device.identifiers:
        return False  # the bus itself goes with the entry
    coordinator = entry.runtime_data.coordinator
    if isinstance(coordinator, HanCoordinator):
        return (DOMAIN, coordinator.device_identifier) not in device.identifiers
    current = {
        (DOMAIN, meter_identifier(address, telegram))
        for address, telegram in (coordinator.data.telegrams.items() if coordinator.data else ())
    }
    return not device.identifiers & current


def _remove_stale_devices(
    hass: HomeAssistant, entry: MbusHanConfigEntry, coordinator: MbusCoordinator
) -> None:
    """Drop the devices of meters that are no longer configured on this port.

    Run after a successful first poll: every configured meter that answered is known, and
    a meter that is still configured but did not answer keeps its device.
    """
    keep = {(DOMAIN, entry.entry_id)} | {
        (DOMAIN, meter_identifier(address, telegram))
        for address, telegram in coordinator.data.telegrams.items()
    }
    configured_but_silent = set(coordinator.data.errors)
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if device.identifiers & keep or configured_but_silent:
            continue
        registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: MbusHanConfigEntry) -> bool:
    """Unload the platforms and close the port."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, _platforms(entry))
    if unloaded:
        await entry.runtime_data.coordinator.async_shutdown()
    return unloaded
