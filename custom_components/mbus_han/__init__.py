"""The M-Bus & HAN integration: wired M-Bus heat meters and HAN-port smart electricity meters.

The protocol code lives in the pure-Python subpackage :mod:`.protocol`, which never imports
Home Assistant; this glue only schedules I/O and translates results into entities.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .capacity_tracker import CapacityTracker, async_remove_capacity_store
from .const import CONF_KIND, CONF_METER_DEVICES, CONF_METERS, CONF_PORT, DOMAIN, KIND_HAN
from .han_coordinator import HanCoordinator
from .heat_kpi_tracker import HeatKpiManager, async_remove_store
from .hour_statistics import HourStatistics, async_remove_stored_power
from .issues import clear_meters_elsewhere
from .mbus_coordinator import MbusCoordinator
from .meter_claims import claim_known_meters, release_meters
from .meter_ids import UNSCOPED_ADDRESS_PREFIX, meter_identifier
from .migration import async_migrate
from .mqtt_source import MqttUnavailableError
from .protocol.errors import TransportError
from .redact import redact_text, shown_port, unsecret_entry_identity
from .replacement import kept_identifiers, note_meter
from .replacement import start as start_replacement_checks

MBUS_PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR]
HAN_PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR]


@dataclass(slots=True)
class MbusHanRuntimeData:
    """What a loaded entry holds: the coordinator of its port."""

    coordinator: MbusCoordinator | HanCoordinator
    heat_kpi: HeatKpiManager | None = None  # M-Bus: the heat meters' period KPIs
    capacity: CapacityTracker | None = None  # HAN with the capacity tariff on (its sensors')


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
            name=entry.title,  # "M-Bus <port>", as the flow named it (secrets left out)
            model=model,
            manufacturer=None,  # the adapter's maker is not known here, and it is not ours
        )
        .id
    )


async def async_migrate_entry(hass: HomeAssistant, entry: MbusHanConfigEntry) -> bool:
    """Bring an entry stored by an older version to today's form (see migration.py)."""
    return await async_migrate(hass, entry)


async def async_setup_entry(hass: HomeAssistant, entry: MbusHanConfigEntry) -> bool:
    """Set up one port: an M-Bus bus we poll, or a HAN port we listen to."""
    if updates := unsecret_entry_identity(
        entry.data[CONF_PORT], entry.data[CONF_KIND], entry.title, entry.unique_id
    ):
        hass.config_entries.async_update_entry(
            entry,
            title=updates.get("title", entry.title),
            unique_id=updates.get("unique_id", entry.unique_id),
        )
    claim_known_meters(hass, entry)
    coordinator: MbusCoordinator | HanCoordinator
    if entry.data[CONF_KIND] == KIND_HAN:
        coordinator = await _open_han(hass, entry)
        entry.runtime_data = MbusHanRuntimeData(coordinator)
        start_replacement_checks(hass, entry, coordinator)
        coordinator.async_start()
    else:
        coordinator = await _first_mbus_poll(hass, entry)
        heat_kpi = HeatKpiManager(hass, entry, coordinator)
        entry.runtime_data = MbusHanRuntimeData(coordinator, heat_kpi)
        start_replacement_checks(hass, entry, None)
        await heat_kpi.async_load()
        _track_meter_devices(hass, entry, coordinator)
    await hass.config_entries.async_forward_entry_setups(entry, _platforms(entry))
    return True


async def _first_mbus_poll(hass: HomeAssistant, entry: MbusHanConfigEntry) -> MbusCoordinator:
    _scope_address_identifiers(hass, entry)
    coordinator = MbusCoordinator(hass, entry)
    coordinator.port_device_id = _register_port_device(hass, entry, "M-Bus")
    await coordinator.async_config_entry_first_refresh()
    return coordinator


def _track_meter_devices(
    hass: HomeAssistant, entry: MbusHanConfigEntry, coordinator: MbusCoordinator
) -> None:
    """Remember which device each configured meter has, and drop devices of removed meters."""
    _remember_meter_devices(hass, entry, coordinator)
    _remove_stale_devices(hass, entry)
    entry.async_on_unload(
        coordinator.async_add_listener(lambda: _remember_meter_devices(hass, entry, coordinator))
    )


def _scope_address_identifiers(hass: HomeAssistant, entry: MbusHanConfigEntry) -> None:
    """Move ``address-N`` devices and entities to ``<entry id>-address-N`` (issue 11, item 5).

    Meters without a manufacturer were known by their address alone, so two of them at the
    same address on two ports shared a device and the second port lost its entities. Each
    port's entities are moved to the scoped id, keeping their history and settings; a device
    only this port used keeps its id in the registry (its identifier changes), a device two
    ports shared is left to the other one and this port's meter gets a device of its own.
    Runs at every set-up: once nothing is left to move it does nothing.
    """
    scoped = f"{entry.entry_id}-"
    entities = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(entities, entry.entry_id):
        if entity.unique_id.startswith(UNSCOPED_ADDRESS_PREFIX):
            new_unique_id = scoped + entity.unique_id
            if entities.async_get_entity_id(entity.domain, DOMAIN, new_unique_id) is None:
                entities.async_update_entity(entity.entity_id, new_unique_id=new_unique_id)
    devices = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(devices, entry.entry_id):
        old = {
            (domain, name)
            for domain, name in device.identifiers
            if domain == DOMAIN and name.startswith(UNSCOPED_ADDRESS_PREFIX)
        }
        if not old:
            continue
        if len(device.config_entries) > 1:
            devices.async_update_device(device.id, remove_config_entry_id=entry.entry_id)
            continue
        new = {(DOMAIN, scoped + name) for _, name in old}
        try:
            devices.async_update_device(device.id, new_identifiers=(device.identifiers - old) | new)
        except dr.DeviceIdentifierCollisionError:
            devices.async_update_device(device.id, remove_config_entry_id=entry.entry_id)


@callback
def _remember_meter_devices(
    hass: HomeAssistant, entry: MbusHanConfigEntry, coordinator: MbusCoordinator
) -> None:
    """Keep, per configured address, the device identifier its meter last answered with.

    Stored in the entry, so that a meter silent at the next start still has its device
    known (and kept), while devices of meters no longer configured can go.
    """
    if coordinator.data is None:
        return
    configured = set(entry.data[CONF_METERS])
    stored: dict[str, str] = entry.data.get(CONF_METER_DEVICES, {})
    known = {address: name for address, name in stored.items() if address in configured}
    for address, telegram in coordinator.data.telegrams.items():
        known[address] = meter_identifier(entry.entry_id, address, telegram)
        note_meter(hass, entry, address, stored.get(address), known[address])  # replaced?
    if known != stored:
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_METER_DEVICES: known}
        )


async def _open_han(hass: HomeAssistant, entry: MbusHanConfigEntry) -> HanCoordinator:
    coordinator = HanCoordinator(hass, entry)
    try:
        await coordinator.async_open()
    except MqttUnavailableError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="mqtt_unavailable",
            translation_placeholders={"port": entry.data[CONF_PORT]},
        ) from err
    except TransportError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_open_port",
            translation_placeholders={
                "port": shown_port(entry.data[CONF_PORT]),
                "error": redact_text(str(err), entry.data[CONF_PORT]),
            },
        ) from err
    model = "HAN over MQTT" if coordinator.mqtt else "HAN"
    coordinator.port_device_id = _register_port_device(hass, entry, model)
    coordinator.reading_listeners.append(HourStatistics(hass, coordinator).on_reading)
    return coordinator


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
        (DOMAIN, meter_identifier(entry.entry_id, address, telegram))
        for address, telegram in (coordinator.data.telegrams.items() if coordinator.data else ())
    }
    return not device.identifiers & current


def _remove_stale_devices(hass: HomeAssistant, entry: MbusHanConfigEntry) -> None:
    """Drop the devices of meters that are no longer configured on this port.

    Run after a successful first poll, when every configured meter that ever answered has
    its device identifier remembered: a configured meter keeps its device even while it is
    silent. Only a configured meter that has never answered leaves the question open; then
    nothing is removed.
    """
    known: dict[str, str] = entry.data.get(CONF_METER_DEVICES, {})
    if set(entry.data[CONF_METERS]) - set(known):
        return  # a configured meter never heard from may own any of the devices
    keep = {(DOMAIN, entry.entry_id)} | {(DOMAIN, name) for name in known.values()}
    keep |= {(DOMAIN, name) for name in kept_identifiers(entry)}  # replaced, not yet decided
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if not device.identifiers & keep:
            registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: MbusHanConfigEntry) -> bool:
    """Unload the platforms and close the port."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, _platforms(entry))
    if unloaded:
        await entry.runtime_data.coordinator.async_shutdown()
        clear_meters_elsewhere(hass, entry.entry_id)
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: MbusHanConfigEntry) -> None:
    """Forget what a removed entry stored: power, heat periods, the capacity month.

    The statistics rows stay: they are the user's history.
    """
    release_meters(hass, entry.entry_id)
    clear_meters_elsewhere(hass, entry.entry_id)
    await async_remove_stored_power(hass, entry.entry_id)
    await async_remove_store(hass, entry.entry_id)
    await async_remove_capacity_store(hass, entry.entry_id)
