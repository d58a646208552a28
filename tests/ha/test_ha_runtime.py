"""Runtime behaviour: meters going silent and back, a lost port, repairs, glitches, restore."""

from __future__ import annotations

import errno
import logging
from unittest.mock import patch

import serialx
from ha_helpers import entry_device, mbus_entry_data
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.issues import permission_issue_id
from custom_components.mbus_han.protocol.mbus.simulator import Fault


async def _setup(hass: HomeAssistant, port: str, meters: list[str]) -> MockConfigEntry:
    entry = MockConfigEntry(domain=DOMAIN, data=mbus_entry_data(port, meters), unique_id=port)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _entity(hass: HomeAssistant, key: str, meter: str = "SLB-12345678") -> str:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{meter}-{key}")
    assert entity_id is not None, key
    return entity_id


async def _poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Run the next scheduled poll now.

    Not by moving a frozen clock: the master's answer timeouts run on the event loop's
    clock, which freezegun would stop.
    """
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


async def test_silent_meter_goes_unavailable_and_comes_back(
    hass, bus_factory, heat_meter, kamstrup_meter, caplog
):
    _, port = await bus_factory(heat_meter, kamstrup_meter)
    entry = await _setup(hass, port, ["0", "5"])
    energy = _entity(hass, "energy")
    kam_energy = _entity(hass, "energy", "KAM-06855817")
    assert hass.states.get(energy).state != STATE_UNAVAILABLE

    heat_meter.inject(Fault.NO_ANSWER, count=100)  # every retry of the next polls
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="custom_components.mbus_han"):
        await _poll(hass, entry)
        await _poll(hass, entry)
    assert hass.states.get(energy).state == STATE_UNAVAILABLE
    assert hass.states.get(kam_energy).state != STATE_UNAVAILABLE  # the other meter is fine
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once per outage, not once per poll
    assert "Meter 0" in warnings[0]

    heat_meter.faults.clear()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="custom_components.mbus_han"):
        await _poll(hass, entry)
        await _poll(hass, entry)
    assert hass.states.get(energy).state != STATE_UNAVAILABLE
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == [
        f"Meter 0 on {entry.data['port']} answers again"
    ]


async def test_lost_port_makes_everything_unavailable_once_and_recovers(
    hass, bus_factory, heat_meter, caplog
):
    _bus, port = await bus_factory(heat_meter)
    entry = await _setup(hass, port, ["0"])
    energy = _entity(hass, "energy")
    coordinator = entry.runtime_data.coordinator

    # Every meter silent: the poll fails as a whole, entities go unavailable, one warning.
    heat_meter.inject(Fault.NO_ANSWER, count=100)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        await _poll(hass, entry)
        await _poll(hass, entry)
    assert hass.states.get(energy).state == STATE_UNAVAILABLE
    assert not coordinator.last_update_success
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]

    heat_meter.faults.clear()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        await _poll(hass, entry)
    assert hass.states.get(energy).state != STATE_UNAVAILABLE
    assert any("recovered" in r.getMessage() for r in caplog.records)


async def test_permission_denied_raises_a_repair_issue(hass, bus_factory, heat_meter):
    _, port = await bus_factory(heat_meter)
    entry = await _setup(hass, port, ["0"])
    coordinator = entry.runtime_data.coordinator
    await coordinator._close_master()  # the next poll reopens the port
    denied = PermissionError(errno.EACCES, "Permission denied")
    with patch.object(serialx, "create_serial_connection", side_effect=denied):
        await _poll(hass, entry)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, permission_issue_id(entry.entry_id))
    assert issue is not None
    assert issue.translation_key == "port_permission"
    assert issue.translation_placeholders == {"port": port}
    # Once the port opens again, the issue goes away.
    await _poll(hass, entry)
    assert ir.async_get(hass).async_get_issue(DOMAIN, permission_issue_id(entry.entry_id)) is None


async def test_counter_glitch_is_not_written(hass, bus_factory, heat_meter):
    _, port = await bus_factory(heat_meter)
    entry = await _setup(hass, port, ["0"])
    energy = _entity(hass, "energy")
    before = float(hass.states.get(energy).state)
    # The meter reports 0.1 % less energy once (a glitch), then the true value again.
    heat_meter.source.energy_kwh -= before * 0.001
    await _poll(hass, entry)
    assert float(hass.states.get(energy).state) == before
    # A restart near zero is a new meter or a reset: written once the next reading confirms
    # it (one reading near zero may be a glitch too), and the user is told (issue 18).
    heat_meter.source.energy_kwh = 10.0
    await _poll(hass, entry)
    assert float(hass.states.get(energy).state) == before
    await _poll(hass, entry)
    assert float(hass.states.get(energy).state) == 10.0  # kWh, as the meter says
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"counter_restarted_{energy}")
    assert issue is not None
    assert issue.translation_key == "counter_restarted"


async def test_a_single_reading_near_zero_is_a_glitch(hass, bus_factory, heat_meter):
    _, port = await bus_factory(heat_meter)
    entry = await _setup(hass, port, ["0"])
    energy = _entity(hass, "energy")
    before = float(hass.states.get(energy).state)
    total = heat_meter.source.energy_kwh
    heat_meter.source.energy_kwh = 0.0  # once, then the true total again
    await _poll(hass, entry)
    heat_meter.source.energy_kwh = total
    await _poll(hass, entry)
    assert float(hass.states.get(energy).state) == before
    assert not ir.async_get(hass).issues


async def test_diagnostics(hass, hass_client, bus_factory, kamstrup_meter):
    _, port = await bus_factory(kamstrup_meter)
    entry = await _setup(hass, port, ["5"])
    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert result["entry"]["data"]["meters"] == ["5"]
    assert result["statistics"]["coordinator"]["reads_ok"] == 1
    meter = result["meters"]["5"]  # a primary address says nothing about the meter
    assert meter["header"]["manufacturer"] == "KAM"
    assert "06855817" not in str(result)  # its ID (and serial number) are personal data
    assert meter["header"]["id"] == "**REDACTED**"
    assert result["last_frames"] == "**REDACTED**"


async def test_stale_meter_device_is_removed(hass, bus_factory, heat_meter, kamstrup_meter):
    _, port = await bus_factory(heat_meter, kamstrup_meter)
    entry = await _setup(hass, port, ["0", "5"])
    assert entry_device(hass, entry.entry_id, "KAM-06855817") is not None
    # The user removes meter 5 from the configuration.
    hass.config_entries.async_update_entry(entry, data={**entry.data, "meters": ["0"]})
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry_device(hass, entry.entry_id, "KAM-06855817") is None
    assert entry_device(hass, entry.entry_id, "SLB-12345678") is not None


async def test_a_lost_port_is_retried_sooner_than_the_next_poll(hass, bus_factory, heat_meter):
    from datetime import timedelta

    from custom_components.mbus_han.mbus_coordinator import RECONNECT_DELAYS

    _, port = await bus_factory(heat_meter)
    entry = await _setup(hass, port, ["0"])
    coordinator = entry.runtime_data.coordinator
    assert coordinator.update_interval == timedelta(minutes=15)
    await coordinator._close_master()
    denied = FileNotFoundError(errno.ENOENT, "No such file or directory")
    with patch.object(serialx, "create_serial_connection", side_effect=denied):
        await _poll(hass, entry)
        assert coordinator.update_interval == RECONNECT_DELAYS[0]
        await _poll(hass, entry)
        assert coordinator.update_interval == RECONNECT_DELAYS[1]
    await _poll(hass, entry)  # the adapter is back
    assert coordinator.last_update_success
    assert coordinator.update_interval == timedelta(minutes=15)


async def test_first_meter_is_shown_before_the_second_is_read(
    hass, bus_factory, heat_meter, kamstrup_meter, clock
):
    # Each meter's reading is shown when that meter has been read, not at the end of the poll
    # (a 250-meter bus at 2400 baud takes minutes; issue 15). Order is checked against the
    # simulated meters' own count of telegrams sent.
    _, port = await bus_factory(heat_meter, kamstrup_meter)
    entry = await _setup(hass, port, ["0", "5"])  # polled in this order
    energy = _entity(hass, "energy")
    clock[0] += 3600  # an hour of heat: the heat meter's energy is higher at the next read
    kamstrup_reads_when_shown: list[int] = []

    @callback
    def on_state_changed(event: Event) -> None:
        if event.data["entity_id"] == energy:
            kamstrup_reads_when_shown.append(kamstrup_meter.telegrams_sent)

    hass.bus.async_listen(EVENT_STATE_CHANGED, on_state_changed)
    kamstrup_reads = kamstrup_meter.telegrams_sent
    await _poll(hass, entry)
    # shown once, while the Kamstrup meter had not yet been asked in this poll
    assert kamstrup_reads_when_shown == [kamstrup_reads]
    assert kamstrup_meter.telegrams_sent == kamstrup_reads + 1
