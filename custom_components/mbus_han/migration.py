"""Config entries stored by older versions, brought to today's form when they load.

Version 1 wrote a 16-digit secondary address with the manufacturer as its 15-bit code
(SLB = ``4D82``); version 2 writes libmbus's form, the two bytes as sent (``824D``), so
addresses copied from libmbus's tools work. Version 1 also named a meter whose manufacturer
code holds no letters by the code's 5-bit groups read as characters (0x0000 = ``@@@``);
version 2 names it ``0x0000``, so its device and entities are renamed to keep their history.
"""

from __future__ import annotations

import logging
import re

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .const import CONF_KIND, CONF_METERS, DOMAIN, ENTRY_MINOR_VERSION, ENTRY_VERSION, KIND_HAN
from .protocol.mbus.manufacturer import decode_manufacturer, pack_characters

_LOGGER = logging.getLogger(__name__)

_SECONDARY_ADDRESS_LENGTH = 16
# A version-1 meter identifier: three characters '@' (0) to '_' (31), a dash, the ID digits.
_V1_METER_IDENTIFIER = re.compile(r"([\x40-\x5f]{3})-([0-9A-F]{8})")


def secondary_address_from_v1(address: str) -> str:
    """The libmbus form of a version-1 address: the manufacturer's two bytes swapped.

    Primary addresses and 8-digit IDs carry no manufacturer and stay as they are.
    """
    if len(address) != _SECONDARY_ADDRESS_LENGTH:
        return address
    return address[:8] + address[10:12] + address[8:10] + address[12:]


def meter_identifier_from_v1(identifier: str) -> str:
    """Version 2's device identifier for a version-1 one (changed only without letters)."""
    match = _V1_METER_IDENTIFIER.fullmatch(identifier)
    if match is None:
        return identifier
    return f"{decode_manufacturer(pack_characters(match[1]))}-{match[2]}"


async def _rename_meters(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Give meters without manufacturer letters their new device and entity identifiers."""
    devices = dr.async_get(hass)
    renamed: dict[str, str] = {}
    for device in dr.async_entries_for_config_entry(devices, entry.entry_id):
        identifiers = set()
        for domain, name in device.identifiers:
            new = meter_identifier_from_v1(name) if domain == DOMAIN else name
            if new != name:
                renamed[name] = new
            identifiers.add((domain, new))
        if identifiers != device.identifiers:
            devices.async_update_device(device.id, new_identifiers=identifiers)
    if not renamed:
        return

    @callback
    def new_unique_id(entity: er.RegistryEntry) -> dict[str, str] | None:
        meter, _, key = entity.unique_id.partition("-")
        meter_id, _, key = key.partition("-")
        new = renamed.get(f"{meter}-{meter_id}")
        return {"new_unique_id": f"{new}-{key}"} if new else None

    await er.async_migrate_entries(hass, entry.entry_id, new_unique_id)
    _LOGGER.info("Renamed meters whose manufacturer code holds no letters: %s", renamed)


async def async_migrate(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Migrate ``entry`` to the current version; False for an entry from a newer release."""
    if entry.version > ENTRY_VERSION:
        return False  # written by a newer release whose form we cannot know
    if entry.version == 1:
        data = dict(entry.data)
        if data.get(CONF_KIND) != KIND_HAN:
            data[CONF_METERS] = [secondary_address_from_v1(a) for a in data[CONF_METERS]]
            await _rename_meters(hass, entry)
        hass.config_entries.async_update_entry(
            entry, data=data, version=ENTRY_VERSION, minor_version=ENTRY_MINOR_VERSION
        )
        _LOGGER.debug("Migrated entry %s to version %s", entry.entry_id, ENTRY_VERSION)
    return True
