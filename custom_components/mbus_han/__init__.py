"""The M-Bus & HAN integration: wired M-Bus heat meters and HAN-port smart electricity meters.

The protocol code lives in the pure-Python subpackage :mod:`.protocol`, which never imports
Home Assistant; this glue only schedules I/O and translates results into entities.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .const import CONF_KIND, CONF_PORT, DOMAIN, KIND_MBUS
from .entity import meter_identifier
from .mbus_coordinator import MbusCoordinator

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR]


@dataclass(slots=True)
class MbusHanRuntimeData:
    """What a loaded entry holds: the coordinator of its port."""

    coordinator: MbusCoordinator


type MbusHanConfigEntry = ConfigEntry[MbusHanRuntimeData]


async def async_setup_entry(hass: HomeAssistant, entry: MbusHanConfigEntry) -> bool:
    """Set up one port: register the bus as a device, poll its meters, add the platforms."""
    if entry.data[CONF_KIND] != KIND_MBUS:
        return False  # HAN ports are not supported by this version yet
    coordinator = MbusCoordinator(hass, entry)
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        name=f"M-Bus {entry.data[CONF_PORT]}",
        model="M-Bus",
        manufacturer="M-Bus & HAN",
    )
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = MbusHanRuntimeData(coordinator)
    _remove_stale_devices(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: MbusHanConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a meter's device unless the meter still reports."""
    if (DOMAIN, entry.entry_id) in device.identifiers:
        return False  # the bus itself goes with the entry
    coordinator = entry.runtime_data.coordinator
    current = {
        (DOMAIN, meter_identifier(address, telegram))
        for address, telegram in (coordinator.data.telegrams.items() if coordinator.data else ())
    }
    return not device.identifiers & current


def _remove_stale_devices(hass: HomeAssistant, entry: MbusHanConfigEntry) -> None:
    """Drop the devices of meters that are no longer configured on this port.

    Run after a successful first poll: every configured meter that answered is known, and
    a meter that is still configured but did not answer keeps its device.
    """
    coordinator = entry.runtime_data.coordinator
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
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.coordinator.async_shutdown()
    return unloaded
