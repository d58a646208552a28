"""Snapshots of every entity's registry entry and state: a heat meter bus and a HAN meter.

The snapshot files were reviewed by hand against the meters' data sheets and the corpus
decodings (device classes, units, state classes, categories, enabled-by-default); a change
in them is a change users see, so it must be deliberate (``--snapshot-update``).
"""

from __future__ import annotations

from unittest.mock import patch

import pytest
from ha_helpers import han_entry_data, mbus_entry_data, wait_until
from homeassistant.const import Platform
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
    line = await han_factory(Maker.AIDON, Wiring.THREE_PHASE)
    entry = MockConfigEntry(domain=DOMAIN, data=han_entry_data(line.path), entry_id="han01")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await line.send_until(3)
    registry = er.async_get(hass)
    await wait_until(
        hass,
        lambda: any(
            e.unique_id.endswith("1-0:1.8.0.255")
            for e in er.async_entries_for_config_entry(registry, entry.entry_id)
        ),
    )
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
