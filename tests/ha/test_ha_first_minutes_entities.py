"""What a new user sees of the meters' clocks in the first minutes (issue 20 item 4).

A meter's clock changes with every push or poll: as a plain timestamp sensor it wrote a
logbook entry and a state row every 2 s (HAN) or every poll (M-Bus).
"""

from __future__ import annotations

import datetime as dt

from ha_helpers import mbus_entry_data
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.han_sensor import clock_offset_seconds
from custom_components.mbus_han.protocol.han import MeterClock


async def test_an_m_bus_meter_clock_is_opt_in(hass, bus_factory, heat_meter):
    _, port = await bus_factory(heat_meter)
    entry = MockConfigEntry(domain=DOMAIN, data=mbus_entry_data(port, ["0"]), unique_id=port)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    clocks = [e for e in entities if e.original_device_class == "timestamp"]
    assert clocks, "the simulated heat meter sends its date and time (VIF 0x6D)"
    assert all(e.disabled_by is er.RegistryEntryDisabler.INTEGRATION for e in clocks)
    energy = next(e for e in entities if e.original_device_class == "energy")
    assert energy.disabled_by is None


async def test_clock_offset_is_meter_minus_home_assistant_in_seconds(hass):
    await hass.config.async_set_time_zone("Europe/Oslo")
    clock = MeterClock(2026, 12, 2, 3, 11, 0, 10, None, None, 0)  # local, as meters send it
    received = dt.datetime(2026, 12, 2, 10, 0, 7, 400000, tzinfo=dt.UTC)
    # 11:00:10 in Oslo (CET, UTC+1) is 10:00:10 UTC: 2.6 s ahead, rounded to 3.
    assert clock_offset_seconds(clock, received) == 3
    assert clock_offset_seconds(None, received) is None


async def test_the_port_device_shows_how_the_port_is_doing(hass, bus_factory, heat_meter):
    """The port's device was empty ("This device has no entities", our name as maker)."""
    bus, port = await bus_factory(heat_meter)
    entry = MockConfigEntry(
        domain=DOMAIN, data=mbus_entry_data(port, ["0"]), unique_id=port, title=f"M-Bus {port}"
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    port_device = next(d for d in devices if (DOMAIN, entry.entry_id) in d.identifiers)
    assert port_device.manufacturer is None
    assert port_device.name == f"M-Bus {port}"
    entities = {
        e.translation_key: e.entity_id
        for e in er.async_entries_for_device(er.async_get(hass), port_device.id)
    }
    assert set(entities) == {"port_connection", "port_readings", "port_errors"}
    assert hass.states.get(entities["port_connection"]).state == STATE_ON
    assert hass.states.get(entities["port_readings"]).state == "1"  # the one read of meter 0
    assert hass.states.get(entities["port_errors"]).state == "0"

    await bus.close()  # the adapter is unplugged
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(entities["port_connection"]).state == STATE_OFF
    assert int(hass.states.get(entities["port_errors"]).state) >= 1
