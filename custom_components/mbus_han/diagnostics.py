"""Diagnostics: configuration (secrets redacted), decode statistics and the last raw frames."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from . import MbusHanConfigEntry
from .const import CONF_AUTH_KEY, CONF_KEY
from .protocol.mbus.jsonout import telegram_to_json

TO_REDACT = {CONF_KEY, CONF_AUTH_KEY}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: MbusHanConfigEntry
) -> dict[str, Any]:
    """What a maintainer needs to understand a problem report."""
    coordinator = entry.runtime_data.coordinator
    master = coordinator.master
    data = coordinator.data
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
        },
        "statistics": {
            "coordinator": asdict(coordinator.stats),
            "master": asdict(master.stats) if master is not None else None,
            "last_update_success": coordinator.last_update_success,
        },
        "meters": {
            address: telegram_to_json(telegram)
            for address, telegram in (data.telegrams.items() if data else ())
        },
        "errors": dict(data.errors) if data else {},
        "last_frames": list(coordinator.raw_frames),
    }
