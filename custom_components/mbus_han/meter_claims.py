"""One port per meter: a meter seen on a second port is left to the port that reads it.

The same meter can reach Home Assistant twice: a second master on an M-Bus, a new gateway
added before the old adapter's entry is deleted, a HAN meter read on its serial port and
through the MQTT bridge. Its entities' unique ids (and its hourly energy statistics) are the
meter's, not the port's, so that its history follows it from port to port. Two ports
publishing it would take each other's registry entries and count its energy twice.

So the first port keeps the meter: the port that had it before (its device in the device
registry), else the first to read it. Another port ignores that meter's readings and raises
a repair issue naming both ports, until the user deletes the port that has it; the other then
takes the meter over at its next reading, with the same entities and history. (A disabled
port keeps its meters: its entities are disabled with it, and a port taking them over would
get them disabled.)
"""

from __future__ import annotations

import logging

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN
from .issues import clear_meter_elsewhere, report_meter_elsewhere

_LOGGER = logging.getLogger(__name__)

# meter device identifier -> the entry id of the port that reads it
_CLAIMS: HassKey[dict[str, str]] = HassKey(f"{DOMAIN}_meter_claims")


def _claims(hass: HomeAssistant) -> dict[str, str]:
    return hass.data.setdefault(_CLAIMS, {})


@callback
def claim_known_meters(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """The meters this port had before (its devices) stay its own, whichever port starts first."""
    claims = _claims(hass)
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        for domain, identifier in device.identifiers:
            if domain == DOMAIN and identifier != entry.entry_id:  # not the port's own device
                claims.setdefault(identifier, entry.entry_id)


@callback
def may_publish(hass: HomeAssistant, entry: ConfigEntry, meter_id: str) -> bool:
    """True when this port publishes ``meter_id``; False (and a repair issue) when another does.

    A claim by an entry that was deleted passes to this port.
    """
    claims = _claims(hass)
    owner_id = claims.get(meter_id)
    if owner_id == entry.entry_id:
        return True
    owner = None if owner_id is None else hass.config_entries.async_get_entry(owner_id)
    if owner is None:  # new, or its port was deleted: this port's issue about it is over
        claims[meter_id] = entry.entry_id
        clear_meter_elsewhere(hass, entry.entry_id, meter_id)
        return True
    if report_meter_elsewhere(hass, entry.entry_id, meter_id, entry.title, owner.title):
        _LOGGER.warning(
            "%s: meter %s is read on %s; ignored here (Settings > Repairs)",
            entry.title,
            meter_id,
            owner.title,
        )
    return False


@callback
def release_meters(hass: HomeAssistant, entry_id: str) -> None:
    """A deleted port's meters pass to the next port that reads them."""
    claims = _claims(hass)
    for meter_id in [m for m, owner in claims.items() if owner == entry_id]:
        del claims[meter_id]
