"""Diagnostics: configuration, decode statistics and the latest values, nothing identifying.

Keys, secrets in the port URL, meter IDs and serial numbers (also inside secondary addresses,
records and system titles) and the raw frames that carry them are redacted, as Home
Assistant's own integrations do (homewizard), since users post diagnostics in public issues.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from . import MbusHanConfigEntry
from .const import CONF_AUTH_KEY, CONF_KEY, CONF_METER_DEVICES, CONF_METERS, CONF_PORT
from .han_coordinator import HanCoordinator
from .hour_statistics import HourStatistics
from .mbus_coordinator import MbusCoordinator
from .protocol.han.jsonout import reading_to_json
from .protocol.han.reading import HanReading
from .protocol.mbus.jsonout import telegram_to_json
from .protocol.mbus.model import Quantity
from .redact import shown_port
from .replacement import (
    CONF_CARRIED,
    CONF_FINAL_TOTALS,
    CONF_FIRST_READINGS,
    CONF_HAN_METER,
    CONF_KEPT_METERS,
    CONF_REPLACEMENTS,
)

TO_REDACT = {
    CONF_KEY,
    CONF_AUTH_KEY,
    CONF_METER_DEVICES,
    CONF_HAN_METER,  # meter IDs, also in the replacement records (issue 18)
    CONF_REPLACEMENTS,
    CONF_KEPT_METERS,
    CONF_CARRIED,
    CONF_FINAL_TOTALS,
    CONF_FIRST_READINGS,
    "id",  # an M-Bus header's meter ID
    "meter_id",  # a HAN meter's ID
    "system_title",  # a DLMS system title holds the meter's serial number
    "last_frames",
    "last_bytes",
}
# Records whose value identifies the meter or its owner.
_IDENTIFYING_QUANTITIES = {
    Quantity.FABRICATION_NUMBER.value,
    Quantity.ENHANCED_IDENTIFICATION.value,
    Quantity.CUSTOMER.value,
    Quantity.CUSTOMER_LOCATION.value,
}
_PRIMARY_ADDRESS_DIGITS = 3


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: MbusHanConfigEntry
) -> dict[str, Any]:
    """What a maintainer needs to understand a problem report."""
    coordinator = entry.runtime_data.coordinator
    data = dict(entry.data)
    data[CONF_PORT] = shown_port(data[CONF_PORT])
    if isinstance(coordinator, HanCoordinator) and (meter_id := coordinator.data.meter.meter_id):
        # An MQTT topic often names the meter by its ID (the bridge's <prefix>/<id>/han_raw).
        data[CONF_PORT] = data[CONF_PORT].replace(meter_id, "**REDACTED**")
    if CONF_METERS in data:  # secondary addresses hold the meter ID
        data[CONF_METERS] = [_address_label(a, n) for n, a in enumerate(data[CONF_METERS], 1)]
    config = {"data": data, "options": dict(entry.options)}
    found = _han(coordinator) if isinstance(coordinator, HanCoordinator) else _mbus(coordinator)
    if (capacity := entry.runtime_data.capacity) is not None:
        found["capacity_tariff"] = capacity.diagnostics(dt_util.utcnow())
    redacted: dict[str, Any] = async_redact_data({"entry": config, **found}, TO_REDACT)
    return redacted


def _address_label(address: str, number: int) -> str:
    """A primary address as it is; a secondary one (the meter ID) by its position."""
    if address.isdecimal() and len(address) <= _PRIMARY_ADDRESS_DIGITS:
        return address
    return f"secondary address {number}"


def _telegram_json(telegram: Any) -> dict[str, Any]:
    found: dict[str, Any] = telegram_to_json(telegram)
    for record in found.get("records", ()):
        if record["quantity"] in _IDENTIFYING_QUANTITIES:
            record["value"] = record["raw_value"] = "**REDACTED**"
    return found


def _mbus(coordinator: MbusCoordinator) -> dict[str, Any]:
    master = coordinator.master
    data = coordinator.data
    labels = {a: _address_label(a, n) for n, a in enumerate(coordinator.addresses, 1)}
    return {
        "statistics": {
            "coordinator": asdict(coordinator.stats),
            "master": asdict(master.stats) if master is not None else None,
            "last_update_success": coordinator.last_update_success,
        },
        "meters": {
            labels.get(address, "?"): _telegram_json(telegram)
            for address, telegram in (data.telegrams.items() if data else ())
        },
        "errors": {
            labels.get(address, "?"): error
            for address, error in (data.errors.items() if data else ())
        },
        # answered, but another port reads that meter (meter_claims.py; a repair issue says so)
        "read_on_another_port": sorted(
            labels.get(a, "?") for a in (data.elsewhere if data else ())
        ),
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
            **({"mqtt": asdict(coordinator.mqtt_counters)} if coordinator.mqtt else {}),
        },
        "meter": reading_to_json(merged),
        "last_bytes": bytes(coordinator.raw_bytes).hex(" ").upper(),
        "hour_statistics": next(
            (
                owner.diagnostics()
                for listener in coordinator.reading_listeners
                if isinstance(owner := getattr(listener, "__self__", None), HourStatistics)
            ),
            None,
        ),
    }
