"""Which device a meter's entities belong to, across ports, upgrades and silent meters.

Issue 11, item 5: meters that name no manufacturer (CI 0x78: no header at all) were known by
their address alone, on every port; item 12: devices of meters removed from the configuration
were never cleaned up while any configured meter was silent.
"""

from __future__ import annotations

from ha_helpers import mbus_entry_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.protocol.mbus.encode import Identity
from custom_components.mbus_han.protocol.mbus.simulator import Fault, SimulatedMeter
from custom_components.mbus_han.protocol.mbus.simulator.sources import ReplaySource

# CI 0x78: a variable data structure without a header (EN 13757-3 table 2), so no
# manufacturer and no ID; one record: DIF 04 (32-bit) VIF 06 (energy, kWh) = 10000 kWh.
HEADERLESS = "78 04 06 10270000"


def _headerless_meter(serial: int, address: int = 5) -> SimulatedMeter:
    # The identity is only the simulator's, for secondary addressing; the telegram has none.
    source = ReplaySource.from_hex(HEADERLESS, Identity(serial, "ABB", 1, 2))
    return SimulatedMeter(source, address)


def _add(hass: HomeAssistant, port: str, meters: list[str]) -> MockConfigEntry:
    entry = MockConfigEntry(domain=DOMAIN, data=mbus_entry_data(port, meters), unique_id=port)
    entry.add_to_hass(hass)
    return entry


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def _device_identifiers(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    return {
        name
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        for _, name in device.identifiers
    }


async def test_two_headerless_meters_at_address_5_on_two_ports_get_two_devices(hass, bus_factory):
    _, port_a = await bus_factory(_headerless_meter(1))
    _, port_b = await bus_factory(_headerless_meter(2))
    entry_a = _add(hass, port_a, ["5"])
    await _setup(hass, entry_a)
    entry_b = _add(hass, port_b, ["5"])
    await _setup(hass, entry_b)
    registry = er.async_get(hass)
    for entry in (entry_a, entry_b):
        entities = er.async_entries_for_config_entry(registry, entry.entry_id)
        energy = [e for e in entities if e.unique_id.endswith("-energy")]
        assert len(energy) == 1, entry.entry_id  # each port has its meter's entities
        assert float(hass.states.get(energy[0].entity_id).state) == 10_000  # kWh (VIF 06)
    for entry in (entry_a, entry_b):
        assert f"{entry.entry_id}-address-5" in _device_identifiers(hass, entry)
        assert registry.async_get_entity_id("sensor", DOMAIN, f"{entry.entry_id}-address-5-energy")
    devices_a = dr.async_entries_for_config_entry(dr.async_get(hass), entry_a.entry_id)
    devices_b = dr.async_entries_for_config_entry(dr.async_get(hass), entry_b.entry_id)
    assert not {d.id for d in devices_a} & {d.id for d in devices_b}


async def test_an_upgrade_moves_the_old_address_device_and_keeps_its_entities(hass, bus_factory):
    """Existing users keep their entity ids, history and device across the change."""
    _, port = await bus_factory(_headerless_meter(1))
    entry = _add(hass, port, ["5"])
    devices = dr.async_get(hass)
    old_device = devices.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, "address-5")},
        name="M-Bus meter 5",
    )
    entities = er.async_get(hass)
    old_entity = entities.async_get_or_create(
        "sensor",
        DOMAIN,
        "address-5-energy",
        config_entry=entry,
        device_id=old_device.id,
        suggested_object_id="my_heat_energy",
    )
    await _setup(hass, entry)
    moved = entities.async_get(old_entity.entity_id)
    assert moved is not None
    assert moved.unique_id == f"{entry.entry_id}-address-5-energy"
    assert moved.entity_id == "sensor.my_heat_energy"
    assert moved.device_id == old_device.id
    device = devices.async_get(old_device.id)
    assert device is not None
    assert device.identifiers == {(DOMAIN, f"{entry.entry_id}-address-5")}
    # Registered before without a display unit, so in Wh (VIF 06: 10^3 Wh x 10000).
    assert float(hass.states.get("sensor.my_heat_energy").state) == 10_000_000


async def test_stale_devices_go_while_a_configured_meter_is_silent(
    hass, bus_factory, heat_meter, kamstrup_meter
):
    _, port = await bus_factory(heat_meter, kamstrup_meter, _headerless_meter(1, 7))
    entry = _add(hass, port, ["0", "5", "7"])
    await _setup(hass, entry)
    assert {"SLB-12345678", "KAM-06855817"} <= _device_identifiers(hass, entry)

    # Meter 5 leaves the configuration; meter 0 is silent at the restart that follows.
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.config_entries.async_update_entry(entry, data={**entry.data, "meters": ["0", "7"]})
    heat_meter.inject(Fault.NO_ANSWER, count=100)
    await hass.async_block_till_done()
    await _setup(hass, entry)
    assert entry.runtime_data.coordinator.data.errors.keys() == {"0"}  # silent indeed
    identifiers = _device_identifiers(hass, entry)
    assert "KAM-06855817" not in identifiers  # no longer configured: gone
    assert "SLB-12345678" in identifiers  # configured, only silent: kept
    assert f"{entry.entry_id}-address-7" in identifiers
