"""Snapshots of every entity's registry entry and state: a heat meter bus and a HAN meter.

The snapshot files were reviewed by hand against the meters' data sheets and the corpus
decodings (device classes, units, state classes, categories, enabled-by-default); a change
in them is a change users see, so it must be deliberate (``--snapshot-update``).
"""

from __future__ import annotations

import datetime as dt
from unittest.mock import patch

import pytest
from ha_helpers import HAN_START, han_entry_data, mbus_entry_data, wait_until
from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform

from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.protocol.han.simulator import Maker, Wiring


@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR])
@pytest.mark.usefixtures("all_entities_enabled")
async def test_heat_meter_bus_entities(
    hass, bus_factory, heat_meter, kamstrup_meter, entity_registry, snapshot, platform
):
    _, port = await bus_factory(heat_meter, kamstrup_meter)
    entry = MockConfigEntry(
        domain=DOMAIN, data=mbus_entry_data("/dev/simulated", ["0", "5"]), entry_id="mbus01"
    )
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, "port": port})
    with patch("custom_components.mbus_han.MBUS_PLATFORMS", [platform]):
        assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


@pytest.mark.usefixtures("all_entities_enabled")
async def test_han_meter_entities(hass, han_factory, entity_registry, snapshot):
    await hass.config.async_set_time_zone("Europe/Oslo")
    # The clock offset compares the meter's clock with the time a push arrives: fix that time.
    arrival = HAN_START.replace(tzinfo=dt.UTC)
    with (
        patch("custom_components.mbus_han.sensor.received_now", lambda: arrival),
        patch("custom_components.mbus_han.HAN_PLATFORMS", [Platform.SENSOR]),
    ):
        line = await han_factory(Maker.AIDON, Wiring.THREE_PHASE)
        entry = MockConfigEntry(domain=DOMAIN, data=han_entry_data(line.path), entry_id="han01")
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        await line.send_until(3)

        def energy_known() -> bool:  # the entity exists from list 2 on; its value with list 3
            entries = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
            energy = [e for e in entries if e.unique_id.endswith("1-0:1.8.0.255")]
            state = hass.states.get(energy[0].entity_id) if energy else None
            return state is not None and state.state != STATE_UNKNOWN

        await wait_until(hass, energy_known)
        await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
