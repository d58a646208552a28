"""Config entries of version 1 are migrated: libmbus's secondary addresses, renamed meters.

Expected addresses come from libmbus (mbus_frame_get_secondary_address prints the two
manufacturer bytes as received): SLB, code 0x4D82 (hand-computed: S 19, L 12, B 2), is sent as
82 4D, so version 1's ``123456784D821A04`` is libmbus's ``12345678824D1A04``.
"""

from __future__ import annotations

from ha_helpers import mbus_entry_data
from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mbus_han.const import CONF_METERS, DOMAIN
from custom_components.mbus_han.migration import meter_identifier_from_v1
from custom_components.mbus_han.protocol.mbus.simulator import SimulatedMeter
from custom_components.mbus_han.protocol.mbus.simulator.sources import ReplaySource

# A hand-built CI 0x72 telegram: ID 87654321, manufacturer 00 00 (no letters, read as "@@@"
# by version 1), version 01, medium 02, access 05, then DIF 04 VIF 03 E8 03 00 00 = 1000 Wh.
NO_LETTERS_METER = "72 21 43 65 87 00 00 01 02 05 00 00 00 04 03 E8 03 00 00"


async def test_version_1_entry_is_migrated_and_reads(hass, bus_factory, heat_meter):
    no_letters = SimulatedMeter(ReplaySource.from_hex(NO_LETTERS_METER), 3)
    _, port = await bus_factory(heat_meter, no_letters)
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=mbus_entry_data(port, ["123456784D821A04", "3", "1234FFFF"]),
        unique_id=port,
        version=1,
    )
    entry.add_to_hass(hass)
    # What version 1 registered for the meter without letters.
    old_device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "@@@-87654321")}
    )
    er.async_get(hass).async_get_or_create(
        "sensor",
        DOMAIN,
        "@@@-87654321-energy",
        config_entry=entry,
        device_id=old_device.id,
        suggested_object_id="old_energy",
    )

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (2, 1)
    # The 16-digit address in libmbus's form; primary addresses and 8-digit masks unchanged.
    assert entry.data[CONF_METERS] == ["12345678824D1A04", "3", "1234FFFF"]
    registry = er.async_get(hass)
    # The SLB meter is still selected and read with the migrated address.
    energy = hass.states.get(registry.async_get_entity_id("sensor", DOMAIN, "SLB-12345678-energy"))
    assert energy is not None
    assert energy.state not in ("unavailable", "unknown")
    # The meter without letters keeps its device and its entity (and so its history).
    assert registry.async_get_entity_id("sensor", DOMAIN, "0x0000-87654321-energy") == (
        "sensor.old_energy"
    )
    # 1000 Wh from the hand-built telegram (the old entity keeps the unit it was made with).
    old_energy = hass.states.get("sensor.old_energy")
    assert (float(old_energy.state), old_energy.attributes["unit_of_measurement"]) == (1000, "Wh")
    device = dr.async_get(hass).async_get(old_device.id)
    assert device is not None
    assert device.identifiers == {(DOMAIN, "0x0000-87654321")}


async def test_entry_from_a_newer_release_is_not_loaded(hass):
    entry = MockConfigEntry(
        domain=DOMAIN, data=mbus_entry_data("/dev/null", ["0"]), unique_id="/dev/null", version=3
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


def test_only_identifiers_without_letters_are_renamed():
    # Version 1 read each 5-bit group as chr(group + 64): 0 -> '@', 27-31 -> '[' '\' ']' '^' '_'.
    assert meter_identifier_from_v1("@@@-87654321") == "0x0000-87654321"
    # Z Z [ = 26 << 10 | 26 << 5 | 27 = 0x6B5B
    assert meter_identifier_from_v1("ZZ[-00000001") == "0x6B5B-00000001"
    assert meter_identifier_from_v1("SLB-12345678") == "SLB-12345678"
    assert meter_identifier_from_v1("address-5") == "address-5"
