"""Our devices and restored counters in Home Assistant 2026's registry and storage models.

Home Assistant 2026.x made device identifiers unique per config entry (a device belongs to one
entry; two entries naming the same identifier get two devices), links a device to its parent
by device id (``via_device_id``), and changed the restore-state helper's internals. These tests
run on 2026.10+ only (.venv-py314; 2025.4 has the older model, covered by the other tests) and
compare against what that model promises, read from its registry, and against the simulated
meters' own values.
"""

from __future__ import annotations

import pytest
from ha_helpers import SLB_ID, han_entry_data, mbus_entry_data, slb_heat_meter, wait_until
from homeassistant.const import MAJOR_VERSION, MINOR_VERSION
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import restore_state
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mbus_han.const import DOMAIN

pytestmark = pytest.mark.skipif(
    (MAJOR_VERSION, MINOR_VERSION) < (2026, 10),
    reason="Home Assistant 2026's device registry and restore-state storage",
)

KAIFA_ID = "6970631402614476"
ENERGY_IMPORT = "1-0:1.8.0.255"
KWH_PER = {"Wh": 0.001, "kWh": 1, "MWh": 1000}


async def _add_mbus(hass: HomeAssistant, port: str, address: str = "0") -> MockConfigEntry:
    entry = MockConfigEntry(domain=DOMAIN, data=mbus_entry_data(port, [address]), unique_id=port)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _devices(hass: HomeAssistant, entry: MockConfigEntry) -> list[dr.DeviceEntry]:
    return dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)


def _entity_id(hass: HomeAssistant, unique_id: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


async def test_port_device_is_the_parent_of_its_meter_devices_in_its_entry(hass, bus_factory):
    """One port device per entry, the meter's device linked to it by device id."""
    _, port = await bus_factory(slb_heat_meter(1000.0))
    entry = await _add_mbus(hass, port)
    devices = _devices(hass, entry)
    ports = [d for d in devices if (DOMAIN, entry.entry_id) in d.identifiers]
    meters = [d for d in devices if (DOMAIN, f"SLB-{SLB_ID}") in d.identifiers]
    assert len(ports) == 1
    assert len(meters) == 1
    assert len(devices) == 2  # nothing else
    # The 2026 model: a device belongs to exactly one config entry, its parent by device id.
    assert ports[0].config_entry_id == entry.entry_id
    assert meters[0].config_entry_id == entry.entry_id
    assert ports[0].via_device_id is None
    assert meters[0].via_device_id == ports[0].id
    # Every entity of the entry is on one of the entry's two devices.
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    assert entities
    assert {e.device_id for e in entities} <= {ports[0].id, meters[0].id}


async def test_two_ports_each_have_their_own_port_device(hass, bus_factory, kamstrup_meter):
    """A second port is a second parent; neither entry's devices move to the other."""
    _, port_a = await bus_factory(slb_heat_meter(1000.0))
    entry_a = await _add_mbus(hass, port_a)
    before = {d.id: d.via_device_id for d in _devices(hass, entry_a)}
    _, port_b = await bus_factory(kamstrup_meter)  # Kamstrup Multical 601 at address 5
    entry_b = await _add_mbus(hass, port_b, "5")
    assert {d.id: d.via_device_id for d in _devices(hass, entry_a)} == before
    devices_b = {next(iter(d.identifiers))[1]: d for d in _devices(hass, entry_b)}
    assert set(devices_b) == {entry_b.entry_id, "KAM-06855817"}
    assert devices_b["KAM-06855817"].via_device_id == devices_b[entry_b.entry_id].id
    assert not set(before) & {d.id for d in devices_b.values()}


async def test_a_counter_comes_back_from_the_stored_states_after_a_restart(
    hass, hass_storage, bus_factory
):
    """Energy saved by the restore-state store, loaded again, guards the first new reading.

    A restart as far as the integration can tell: the states are dumped to the store
    (``core.restore_state``), the entry is unloaded, the in-memory copy is dropped and the
    store read back, then the entry is set up again. The meter's counter then reads 0.11 %
    lower (a glitch): the restored total stays, as before the restart.
    """
    meter = slb_heat_meter(7600.0)
    _, port = await bus_factory(meter)
    entry = await _add_mbus(hass, port)
    entity_id = _entity_id(hass, f"SLB-{SLB_ID}-energy")
    assert float(hass.states.get(entity_id).state) == 7600  # kWh, as the meter sent it

    data = restore_state.async_get(hass)
    await data.async_dump_states()
    stored = {
        item["state"]["entity_id"]: item for item in hass_storage[restore_state.STORAGE_KEY]["data"]
    }
    extra = stored[entity_id]["extra_data"]
    assert extra["native_value"] * KWH_PER[extra["native_unit_of_measurement"]] == 7600

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    data.last_states = {}
    await data.async_load()  # from the store, as Home Assistant does at start
    assert entity_id in data.last_states

    meter.source.energy_kwh = 7591.64  # 0.11 % below: a glitch, not a meter exchange
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert float(hass.states.get(entity_id).state) == 7600


async def test_han_energy_comes_back_from_the_stored_states_before_the_hourly_list(
    hass, hass_storage, han_factory
):
    """The smart meter's energy, sent once an hour, is shown from the store after a restart."""
    line = await han_factory()
    entry = MockConfigEntry(domain=DOMAIN, data=han_entry_data(line.path), unique_id=line.path)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await line.send_until(3)
    unique_id = f"HAN-{KAIFA_ID}-{ENERGY_IMPORT}"
    await wait_until(
        hass,
        lambda: er.async_get(hass).async_get_entity_id("sensor", DOMAIN, unique_id) is not None,
    )
    entity_id = _entity_id(hass, unique_id)
    await wait_until(hass, lambda: hass.states.get(entity_id).state not in ("unknown",))
    sent_kwh = line.sim.physics.energy_import_wh / 1000  # the simulator's own counter
    assert float(hass.states.get(entity_id).state) == pytest.approx(sent_kwh, abs=0.001)

    data = restore_state.async_get(hass)
    await data.async_dump_states()
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    data.last_states = {}
    await data.async_load()

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await line.send_until(2)  # lists 1 and 2 only: no energy from the meter yet
    # Available once the meter has said who it is (list 2 carries its ID).
    await wait_until(hass, lambda: hass.states.get(entity_id).state != "unavailable")
    state = hass.states.get(entity_id)
    assert state.attributes["unit_of_measurement"] == "kWh"
    assert float(state.state) == pytest.approx(sent_kwh, abs=0.001)  # restored, not unknown
