"""The same meter on two ports: one port reads it, the other says so (meter_claims.py).

A second master on the bus, a gateway added before the old adapter's entry is deleted, a HAN
meter on its serial port and through the MQTT bridge. Entity unique ids are the meter's (its
history follows it from port to port), so before this the second port took the first port's
registry entries and, for a HAN meter, imported its hourly energy a second time. Expected
behaviour (what a user needs, not this code's output): the first port keeps every entity, the
second creates none for that meter and raises a repair issue naming both ports; once the first
port is deleted the second takes the meter over with the same unique ids. Values are the
simulated meters' own (ground truth), not read back from our decoder.
"""

from __future__ import annotations

import pytest
from ha_helpers import SLB_ID, han_entry_data, mbus_entry_data, slb_heat_meter, wait_until
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.diagnostics import async_get_config_entry_diagnostics

METER = f"SLB-{SLB_ID}"
KAIFA_METER = "HAN-6970631402614476"
ENERGY_IMPORT = "1-0:1.8.0.255"


async def _add(hass: HomeAssistant, data: dict[str, object], port: str) -> MockConfigEntry:
    entry = MockConfigEntry(domain=DOMAIN, data=data, unique_id=port, title=port)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _meter_entities(hass: HomeAssistant, entry: MockConfigEntry, meter: str) -> set[str]:
    """The unique ids of ``meter``'s entities that belong to ``entry``."""
    return {
        e.unique_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.unique_id.startswith(f"{meter}-")
    }


def _issue(hass: HomeAssistant, entry: MockConfigEntry, meter: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"meter_on_two_ports_{entry.entry_id}_{meter}"
    )


async def test_a_second_mbus_port_leaves_the_meter_to_the_first_until_it_is_deleted(
    hass, bus_factory, caplog
):
    """The first port keeps its entities; the second raises an issue, then takes over."""
    _, port_a = await bus_factory(slb_heat_meter(1000.0))
    entry_a = await _add(hass, mbus_entry_data(port_a, ["0"]), port_a)
    mine_a = _meter_entities(hass, entry_a, METER)
    assert len(mine_a) > 5  # energy, volume, power, flow, temperatures, ...

    _, port_b = await bus_factory(slb_heat_meter(1000.0))
    entry_b = await _add(hass, mbus_entry_data(port_b, ["0"]), port_b)
    await entry_b.runtime_data.coordinator.async_refresh()  # a second poll changes nothing
    await hass.async_block_till_done()

    assert _meter_entities(hass, entry_a, METER) == mine_a
    assert _meter_entities(hass, entry_b, METER) == set()
    issue = _issue(hass, entry_b, METER)
    assert issue is not None
    assert issue.translation_key == "meter_on_two_ports"
    assert issue.translation_placeholders == {"meter": METER, "port": port_b, "other": port_a}
    said = [r.getMessage() for r in caplog.records if "ignored here" in r.getMessage()]
    assert said == [
        f"{port_b}: meter {METER} is read on {port_a}; ignored here (Settings > Repairs)"
    ]
    # the second port works: its meter answers, it is only not published there
    connection = er.async_get(hass).async_get_entity_id(
        "binary_sensor", DOMAIN, f"{entry_b.entry_id}-port_connection"
    )
    assert connection is not None
    assert hass.states.get(connection).state == "on"
    diagnostics = await async_get_config_entry_diagnostics(hass, entry_b)
    assert diagnostics["read_on_another_port"] == ["0"]
    assert diagnostics["meters"] == {}

    assert await hass.config_entries.async_remove(entry_a.entry_id)
    await hass.async_block_till_done()
    await entry_b.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()

    assert _meter_entities(hass, entry_b, METER) == mine_a  # the same unique ids
    assert _issue(hass, entry_b, METER) is None
    energy = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{METER}-energy")
    assert energy is not None
    assert float(hass.states.get(energy).state) == pytest.approx(1000.0)  # the meter's counter


async def test_the_port_that_had_the_meter_keeps_it_after_a_restart_of_both(hass, bus_factory):
    """Whichever port starts first after a restart, the meter stays with the port it had."""
    _, port_a = await bus_factory(slb_heat_meter(1000.0))
    _, port_b = await bus_factory(slb_heat_meter(1000.0))
    entry_a = await _add(hass, mbus_entry_data(port_a, ["0"]), port_a)
    entry_b = await _add(hass, mbus_entry_data(port_b, ["0"]), port_b)
    mine_a = _meter_entities(hass, entry_a, METER)
    assert await hass.config_entries.async_unload(entry_a.entry_id)
    assert await hass.config_entries.async_unload(entry_b.entry_id)
    await hass.async_block_till_done()
    assert _issue(hass, entry_b, METER) is None  # unloading clears it

    # B first this time: A still has the meter's device, so A keeps it.
    assert await hass.config_entries.async_setup(entry_b.entry_id)
    assert await hass.config_entries.async_setup(entry_a.entry_id)
    await hass.async_block_till_done()

    assert _meter_entities(hass, entry_a, METER) == mine_a
    assert _meter_entities(hass, entry_b, METER) == set()
    assert _issue(hass, entry_b, METER) is not None


async def test_a_han_meter_on_two_ports_is_published_and_counted_once(hass, han_factory):
    """A second HAN port with the same meter creates no entity and passes no push on.

    Its pushes reach neither entities nor the reading listeners that feed the hourly energy
    statistics (the coordinator stops before both), so the meter's energy is counted once.
    """
    line_a = await han_factory()
    line_b = await han_factory()
    entry_a = await _add(hass, han_entry_data(line_a.path), line_a.path)
    await line_a.send_until(3)
    registry = er.async_get(hass)
    unique_id = f"{KAIFA_METER}-{ENERGY_IMPORT}"
    await wait_until(
        hass, lambda: registry.async_get_entity_id("sensor", DOMAIN, unique_id) is not None
    )
    mine_a = _meter_entities(hass, entry_a, KAIFA_METER)
    sent_kwh = line_a.sim.physics.energy_import_wh / 1000  # the simulator's own counter

    entry_b = await _add(hass, han_entry_data(line_b.path), line_b.path)
    await line_b.send_until(3)
    await wait_until(hass, lambda: _issue(hass, entry_b, KAIFA_METER) is not None)

    assert _meter_entities(hass, entry_a, KAIFA_METER) == mine_a
    assert _meter_entities(hass, entry_b, KAIFA_METER) == set()
    entity_id = registry.async_get_entity_id("sensor", DOMAIN, unique_id)
    assert entity_id is not None
    assert float(hass.states.get(entity_id).state) == pytest.approx(sent_kwh, abs=0.001)
    assert entry_b.runtime_data.coordinator.stats.readings > 0  # B hears the meter
