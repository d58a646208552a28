"""Options that change what a port's entities are made of reload it, without an update listener.

Home Assistant 2026.11 reports an update listener on an integration whose flows also reload
entries (2026.12 breaks the combination), so the options flow schedules the reload itself
(options_reload.py). These tests hold that on both releases we test: the reload happens once
the new options are stored (the set-up sees them), only when they changed, and never through
an update listener.
"""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from ha_helpers import mbus_entry_data
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components import mbus_han
from custom_components.mbus_han.const import (
    CONF_BILLING_START,
    CONF_TARGET,
    DOMAIN,
)


async def _heat_options(hass: HomeAssistant, entry: MockConfigEntry, **user: Any) -> None:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "heat_kpi"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_TARGET: "none", **user}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_changed_heat_options_reload_the_bus_with_them(hass, bus_factory, heat_meter):
    _, port = await bus_factory(heat_meter)
    entry = MockConfigEntry(domain=DOMAIN, data=mbus_entry_data(port, ["0"]), unique_id=port)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.update_listeners == []

    seen_at_setup: list[dict[str, Any]] = []
    real_setup = mbus_han.async_setup_entry

    async def recording_setup(hass: HomeAssistant, entry: Any) -> bool:
        seen_at_setup.append(dict(entry.options))
        return await real_setup(hass, entry)

    with patch.object(mbus_han, "async_setup_entry", recording_setup):
        await _heat_options(hass, entry, **{CONF_BILLING_START: "2025-07-01"})
        await hass.async_block_till_done()
        # Reloaded once, and the set-up already saw the stored options.
        assert [o.get(CONF_BILLING_START) for o in seen_at_setup] == ["2025-07-01"]
        assert entry.state is ConfigEntryState.LOADED
        # The same options again: nothing to rebuild, no reload.
        await _heat_options(hass, entry, **{CONF_BILLING_START: "2025-07-01"})
        await hass.async_block_till_done()
        assert len(seen_at_setup) == 1
    assert entry.update_listeners == []


async def test_options_of_a_port_that_is_not_running_wait_for_its_next_setup(hass):
    entry = MockConfigEntry(domain=DOMAIN, data=mbus_entry_data("/dev/ttyUSB9", ["0"]))
    entry.add_to_hass(hass)
    with patch.object(mbus_han, "async_setup_entry") as setup:
        await _heat_options(hass, entry, **{CONF_BILLING_START: "2025-07-01"})
        await hass.async_block_till_done()
    setup.assert_not_called()
    assert entry.options[CONF_BILLING_START] == "2025-07-01"
