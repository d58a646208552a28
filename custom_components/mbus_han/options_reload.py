"""Reload an entry after its options flow changed what the entry's entities are made of.

Home Assistant 2026.11 reports an entry update listener on an integration whose flows also
reload entries (2026.12 breaks the combination), so the options flow asks for the reload
itself instead of a listener watching for changed options.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState, OptionsFlow
from homeassistant.core import HomeAssistant


def reload_once_saved(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Reload ``entry`` right after the options flow's result has been stored.

    Called from the step that returns ``async_create_entry``: the flow manager stores the
    options in the same event-loop step as it receives the result (checked on every release we
    test by tests/ha/test_ha_options_reload.py), so a reload scheduled for the next step sets
    the entry up with the new options. ``OptionsFlowWithReload`` does the same but does not
    exist in Home Assistant 2025.4, our minimum. An entry that is not running (set-up failed
    or waiting for a retry) takes the new options at its next set-up anyway.
    """
    if entry.state is not ConfigEntryState.LOADED:
        return
    hass.loop.call_soon(hass.config_entries.async_schedule_reload, entry.entry_id)


def options_changed(flow: OptionsFlow, new_options: dict[str, Any], keys: tuple[str, ...]) -> bool:
    """Whether saving ``new_options`` changes any of ``keys`` of the flow's entry."""
    old = flow.config_entry.options
    return any(old.get(key) != new_options.get(key) for key in keys)
