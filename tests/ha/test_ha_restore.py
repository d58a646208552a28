"""A counter restored after a restart is the reference for the meter's first value.

Issue 11, item 12: the first value read after a restart was written without comparison, so
a glitch could still step a total back (restored 7,591,384 Wh, then 7,583,000 Wh written).
"""

from __future__ import annotations

from ha_helpers import mbus_entry_data
from homeassistant.core import State
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.mbus_han.const import DOMAIN

RESTORED_WH = 7_591_384


async def _start_with_restored_energy(hass, port: str) -> str:
    entry = MockConfigEntry(domain=DOMAIN, data=mbus_entry_data(port, ["0"]), unique_id=port)
    entry.add_to_hass(hass)
    entity_id = (
        er.async_get(hass)
        .async_get_or_create("sensor", DOMAIN, "SLB-12345678-energy", config_entry=entry)
        .entity_id
    )
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(entity_id, str(RESTORED_WH)),
                {"native_value": RESTORED_WH, "native_unit_of_measurement": "Wh"},
            )
        ],
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entity_id


async def test_a_small_drop_below_the_restored_total_is_not_written(hass, bus_factory, heat_meter):
    heat_meter.source.energy_kwh = 7583.0  # 0.11 % below the restored total: a glitch
    _, port = await bus_factory(heat_meter)
    entity_id = await _start_with_restored_energy(hass, port)
    assert float(hass.states.get(entity_id).state) == RESTORED_WH


async def test_a_first_value_above_the_restored_total_is_written(hass, bus_factory, heat_meter):
    heat_meter.source.energy_kwh = 7600.0
    _, port = await bus_factory(heat_meter)
    entity_id = await _start_with_restored_energy(hass, port)
    assert float(hass.states.get(entity_id).state) == 7_600_000
