"""Setting up an M-Bus port: meters read through the real serial library over a pty."""

from __future__ import annotations

from decimal import Decimal

from ha_helpers import entry_device, mbus_entry_data
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mbus_han.const import DOMAIN


async def _setup(hass: HomeAssistant, port: str, meters: list[str]) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN, data=mbus_entry_data(port, meters), unique_id=port, title=f"M-Bus {port}"
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_kamstrup_values_match_libmbus(hass, bus_factory, kamstrup_meter):
    """A real Multical 601 telegram: states equal libmbus's decoding, in HA units."""
    _, port = await bus_factory(kamstrup_meter)
    entry = await _setup(hass, port, ["5"])
    assert entry.state is ConfigEntryState.LOADED

    registry = er.async_get(hass)
    energy_id = registry.async_get_entity_id("sensor", DOMAIN, "KAM-06855817-energy")
    assert energy_id is not None
    energy = hass.states.get(energy_id)
    # libmbus: Energy 37351000 Wh (kamstrup_multical_601.norm.xml); shown in kWh.
    assert float(energy.state) == 37351.0
    assert energy.attributes["unit_of_measurement"] == "kWh"
    assert energy.attributes["device_class"] == "energy"
    assert energy.attributes["state_class"] == "total_increasing"

    flow_temp = hass.states.get(
        registry.async_get_entity_id("sensor", DOMAIN, "KAM-06855817-flow_temperature")
    )
    assert Decimal(flow_temp.state) == Decimal("101.69")
    assert flow_temp.attributes["unit_of_measurement"] == "°C"

    volume = hass.states.get(registry.async_get_entity_id("sensor", DOMAIN, "KAM-06855817-volume"))
    assert Decimal(volume.state) == Decimal("561.08")
    assert volume.attributes["device_class"] == "volume"

    # Stored values (storage 1) exist but are disabled by default.
    stored = registry.async_get(
        registry.async_get_entity_id("sensor", DOMAIN, "KAM-06855817-energy_storage_1")
    )
    assert stored.disabled_by is er.RegistryEntryDisabler.INTEGRATION

    device = entry_device(hass, entry.entry_id, "KAM-06855817")
    assert device.manufacturer == "Kamstrup"
    assert device.serial_number == "06855817"
    bus = entry_device(hass, entry.entry_id, entry.entry_id)
    assert device.via_device_id == bus.id


async def test_unload_closes_the_port(hass, bus_factory, heat_meter):
    _, port = await bus_factory(heat_meter)
    entry = await _setup(hass, port, ["0"])
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.coordinator
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert coordinator._master is None  # the port was closed


async def test_missing_port_retries_setup(hass, tmp_path):
    entry = MockConfigEntry(
        domain=DOMAIN, data=mbus_entry_data(str(tmp_path / "ttyUSB9"), ["0"]), unique_id="x"
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
