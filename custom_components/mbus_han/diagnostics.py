"""Diagnostics: configuration (keys redacted), decode statistics and the last raw data."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from . import MbusHanConfigEntry
from .const import CONF_AUTH_KEY, CONF_KEY
from .han_coordinator import HanCoordinator
from .mbus_coordinator import MbusCoordinator
from .protocol.han.jsonout import reading_to_json
from .protocol.han.reading import HanReading
from .protocol.mbus.jsonout import telegram_to_json

TO_REDACT = {CONF_KEY, CONF_AUTH_KEY}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: MbusHanConfigEntry
) -> dict[str, Any]:
    """What a maintainer needs to understand a problem report."""
    coordinator = entry.runtime_data.coordinator
    config = {
        "data": async_redact_data(dict(entry.data), TO_REDACT),
        "options": async_redact_data(dict(entry.options), TO_REDACT),
    }
    if isinstance(coordinator, HanCoordinator):
        return {"entry": config, **_han(coordinator)}
    return {"entry": config, **_mbus(coordinator)}


def _mbus(coordinator: MbusCoordinator) -> dict[str, Any]:
    master = coordinator.master
    data = coordinator.data
    return {
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


def _han(coordinator: HanCoordinator) -> dict[str, Any]:
    data = coordinator.data
    merged = HanReading(
        meter=data.meter,
        clock=data.clock,
        values=dict(data.values),
        not_present=frozenset(data.not_present),
    )
    return {
        "statistics": {
            "listener": asdict(coordinator.stats),
            "stream": asdict(coordinator.decoder.stats),
            "last_update_success": coordinator.last_update_success,
        },
        "meter": reading_to_json(merged),
        "last_bytes": bytes(coordinator.raw_bytes).hex(" ").upper(),
    }
