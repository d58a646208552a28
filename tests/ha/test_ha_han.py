"""A HAN port at run time: pushed values become entities, silence and loss, keys, restore.

The meter is the HAN simulator writing real frames into a pty that the integration opens
through the real serial library. Expected values come from the simulator's electrical model
(what the meter measured), not from our decoder.
"""

from __future__ import annotations

import datetime as dt
import logging
from unittest.mock import patch

import pytest
from ha_helpers import entry_device, han_entry_data, push_until, wait_until
from homeassistant.components.sensor import ATTR_STATE_CLASS, SensorStateClass
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.issues import key_issue_id
from custom_components.mbus_han.protocol.han import SecurityKeys
from custom_components.mbus_han.protocol.han.hdlc import encode_hdlc_frame
from custom_components.mbus_han.protocol.han.simulator import Maker, Wiring

KAIFA_ID = "6970631402614476"
P_IMPORT = "1-0:1.7.0.255"
ENERGY_IMPORT = "1-0:1.8.0.255"
KEY = "000102030405060708090A0B0C0D0E0F"
AUTH_KEY = "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"


async def _setup(hass: HomeAssistant, data: dict[str, object]) -> MockConfigEntry:
    entry = MockConfigEntry(domain=DOMAIN, data=data, unique_id=str(data["port"]))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _entity_id(hass: HomeAssistant, key: str, meter: str = KAIFA_ID) -> str | None:
    return er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"HAN-{meter}-{key}")


def _meter_entities(hass: HomeAssistant, entry_id: str) -> list[er.RegistryEntry]:
    """The entry's entities other than its port's own (connection, counters)."""
    entries = er.async_entries_for_config_entry(er.async_get(hass), entry_id)
    return [e for e in entries if not e.unique_id.startswith(f"{entry_id}-port_")]


def _state(hass: HomeAssistant, key: str, meter: str = KAIFA_ID) -> State:
    entity_id = _entity_id(hass, key, meter)
    assert entity_id is not None, key
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


async def test_pushed_values_become_entities_with_the_meters_values(hass, han_factory):
    await hass.config.async_set_time_zone("Europe/Oslo")  # where the meter's clock runs
    line = await han_factory(Maker.KAIFA, Wiring.THREE_PHASE)
    entry = await _setup(hass, han_entry_data(line.path))
    coordinator = entry.runtime_data.coordinator

    await line.send()  # list 1 names no meter: nothing to attach entities to yet
    await wait_until(hass, lambda: coordinator.stats.readings == 1)
    assert not _meter_entities(hass, entry.entry_id)

    pushes = await line.send_until(2)
    await wait_until(hass, lambda: _entity_id(hass, "1-0:52.7.0.255") is not None)
    physics = line.sim.physics
    assert pushes[-1].list_number == 2
    assert float(_state(hass, P_IMPORT).state) == physics.active_import
    for phase, (current, voltage) in enumerate(
        (("1-0:31.7.0.255", "1-0:32.7.0.255"), ("1-0:51.7.0.255", "1-0:52.7.0.255"))
    ):
        assert float(_state(hass, current).state) == pytest.approx(
            physics.current(phase), abs=0.0005
        )
        assert float(_state(hass, voltage).state) == pytest.approx(physics.voltage[phase], abs=0.05)
    power = _state(hass, P_IMPORT)
    assert power.attributes[ATTR_UNIT_OF_MEASUREMENT] == "W"
    assert power.attributes[ATTR_STATE_CLASS] == SensorStateClass.MEASUREMENT
    assert _state(hass, "meter_type").state == "MA304H4"

    device = entry_device(hass, entry.entry_id, f"HAN-{KAIFA_ID}")
    assert device is not None
    assert (device.manufacturer, device.model, device.serial_number) == (
        "Kaifa",
        "MA304H4",
        KAIFA_ID,
    )
    port_device = entry_device(hass, entry.entry_id, entry.entry_id)
    assert device.via_device_id == port_device.id

    # The energies come with list 3 (hourly), but their entities exist from list 2 on, known
    # from the powers the meter sends, so the energy dashboard can be set up at once.
    assert _state(hass, ENERGY_IMPORT).state == STATE_UNKNOWN
    assert _state(hass, "1-0:2.8.0.255").state == STATE_UNKNOWN
    await line.send_until(3)
    await wait_until(hass, lambda: _state(hass, ENERGY_IMPORT).state != STATE_UNKNOWN)
    energy = _state(hass, ENERGY_IMPORT)
    assert energy.attributes[ATTR_UNIT_OF_MEASUREMENT] == "kWh"
    assert energy.attributes[ATTR_STATE_CLASS] == SensorStateClass.TOTAL_INCREASING
    assert float(energy.state) * 1000 == pytest.approx(line.sim.physics.energy_import_wh, abs=1)
    # The raw clock is opt-in (a new state every push); its offset from Home Assistant's
    # time is shown: 11:00:10 on the meter's clock is 10:00:10 UTC in Oslo's winter time.
    clock = er.async_get(hass).async_get(_entity_id(hass, "meter_clock"))
    assert clock.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    expected = (
        dt.datetime(2026, 12, 2, 10, 0, 10, tzinfo=dt.UTC) - dt_util.utcnow()
    ).total_seconds()
    assert float(_state(hass, "clock_offset").state) == pytest.approx(expected, abs=5)


async def test_an_it_meter_gets_no_entity_for_the_phase_it_does_not_measure(hass, han_factory):
    line = await han_factory(Maker.KAIFA, Wiring.IT)
    entry = await _setup(hass, han_entry_data(line.path))
    await line.send_until(2)
    await wait_until(hass, lambda: entry.runtime_data.coordinator.stats.readings >= 2)
    await wait_until(hass, lambda: _entity_id(hass, "1-0:32.7.0.255") is not None)
    assert _entity_id(hass, "1-0:52.7.0.255") is None  # UL2 of a 3-wire meter is sent as 0
    assert _entity_id(hass, "1-0:72.7.0.255") is not None


async def test_encrypted_meter_with_its_keys(hass, han_factory):
    keys = SecurityKeys.from_hex(KEY, AUTH_KEY)
    line = await han_factory(Maker.KAIFA, keys=keys)
    await _setup(hass, han_entry_data(line.path, key=KEY, auth_key=AUTH_KEY))
    await line.send_until(2)
    await wait_until(hass, lambda: _entity_id(hass, P_IMPORT) is not None)
    assert float(_state(hass, P_IMPORT).state) == line.sim.physics.active_import


async def test_a_key_that_stops_working_raises_a_repair_issue(hass, han_factory):
    line = await han_factory(Maker.KAIFA, keys=SecurityKeys.from_hex(KEY, AUTH_KEY))
    wrong = "F" * 32
    entry = await _setup(hass, han_entry_data(line.path, key=KEY, auth_key=wrong))
    await line.send()
    issues = ir.async_get(hass)
    await wait_until(
        hass, lambda: issues.async_get_issue(DOMAIN, key_issue_id(entry.entry_id)) is not None
    )
    assert entry.runtime_data.coordinator.stats.key_errors == 1
    assert not _meter_entities(hass, entry.entry_id)


async def test_silence_makes_entities_unavailable_once_and_they_come_back(
    hass, han_factory, fast_recovery, caplog
):
    line = await han_factory()
    entry = await _setup(hass, han_entry_data(line.path))
    coordinator = entry.runtime_data.coordinator
    await line.send_until(2)
    await wait_until(hass, lambda: _entity_id(hass, P_IMPORT) is not None)

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="custom_components.mbus_han"):
        # Nothing comes: unavailable after the silence timeout, reopened again and again.
        await wait_until(hass, lambda: coordinator.stats.silences >= 3)
        assert _state(hass, P_IMPORT).state == STATE_UNAVAILABLE
        await push_until(hass, line.send, lambda: _state(hass, P_IMPORT).state != STATE_UNAVAILABLE)
    assert float(_state(hass, P_IMPORT).state) == line.sim.physics.active_import
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    infos = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert len(infos) == 1
    assert "back" in infos[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_lost_gateway_is_reconnected(hass, fast_recovery, socket_enabled):
    """A socket:// gateway that drops the connection and comes back on the same port."""
    import asyncio

    from custom_components.mbus_han.protocol.han.simulator import HanSimulator
    from custom_components.mbus_han.protocol.simio import serve_tcp

    sim = HanSimulator(Maker.AIDON, seed=5)
    pushes = sim.pushes()
    clients: list[asyncio.StreamWriter] = []

    async def serve(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        clients.append(writer)

    server = await serve_tcp("127.0.0.1", 0, serve)
    port = server.sockets[0].getsockname()[1]
    entry = await _setup(hass, han_entry_data(f"socket://127.0.0.1:{port}", "aidon"))
    coordinator = entry.runtime_data.coordinator

    async def push_until_entity() -> None:
        await wait_until(hass, lambda: bool(clients))
        while _entity_id(hass, P_IMPORT, sim.meter_id) is None or (
            _state(hass, P_IMPORT, sim.meter_id).state == STATE_UNAVAILABLE
        ):
            clients[-1].write(next(pushes).data)
            await clients[-1].drain()
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(push_until_entity(), 10)
        # The gateway goes away: the connection drops and reconnecting is refused.
        server.close()
        for client in clients:
            client.close()
        clients.clear()
        await server.wait_closed()
        await wait_until(hass, lambda: coordinator.stats.port_errors >= 2)
        assert _state(hass, P_IMPORT, sim.meter_id).state == STATE_UNAVAILABLE
        # It comes back on the same port.
        server = await serve_tcp("127.0.0.1", port, serve)
        await asyncio.wait_for(push_until_entity(), 10)
    finally:
        server.close()
        for client in clients:
            client.close()
        await server.wait_closed()
    assert float(_state(hass, P_IMPORT, sim.meter_id).state) == sim.physics.active_import


async def test_port_missing_at_start_retries_the_setup(hass, tmp_path):
    entry = MockConfigEntry(domain=DOMAIN, data=han_entry_data(str(tmp_path / "ttyUSB9")))
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_energy_is_restored_until_the_hourly_list_comes(hass, han_factory):
    line = await han_factory()
    unique_id = f"HAN-{KAIFA_ID}-{ENERGY_IMPORT}"
    entry = MockConfigEntry(domain=DOMAIN, data=han_entry_data(line.path), unique_id=line.path)
    entry.add_to_hass(hass)
    entity_id = (
        er.async_get(hass)
        .async_get_or_create("sensor", DOMAIN, unique_id, config_entry=entry)
        .entity_id
    )
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(entity_id, "12345.0"),
                {"native_value": 12_345_000, "native_unit_of_measurement": "Wh"},
            )
        ],
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await line.send_until(2)
    await wait_until(hass, lambda: _entity_id(hass, P_IMPORT) is not None)
    # Registered here without the kWh display option, so the state is in Wh.
    restored = hass.states.get(entity_id)
    assert restored.attributes[ATTR_UNIT_OF_MEASUREMENT] == "Wh"
    assert float(restored.state) == 12_345_000  # restored, not unknown or unavailable
    await line.send_until(3)
    await wait_until(hass, lambda: float(hass.states.get(entity_id).state) != 12_345_000)
    assert float(hass.states.get(entity_id).state) == pytest.approx(
        line.sim.physics.energy_import_wh, abs=1
    )


async def test_diagnostics_redact_the_keys(hass, hass_client, han_factory):
    line = await han_factory(Maker.KAIFA, keys=SecurityKeys.from_hex(KEY))
    entry = await _setup(hass, han_entry_data(line.path, key=KEY))
    await line.send_until(2)
    await wait_until(hass, lambda: _entity_id(hass, P_IMPORT) is not None)
    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert result["entry"]["data"]["key"] == "**REDACTED**"
    assert KEY not in str(result)
    assert KAIFA_ID not in str(result)  # the meter ID is personal data
    assert result["meter"]["meter"]["meter_id"] == "**REDACTED**"
    assert result["meter"]["meter"]["meter_type"] == "MA304H4"
    assert result["statistics"]["stream"]["readings"] >= 2
    assert result["last_bytes"] == "**REDACTED**"  # the frames carry the ID


async def test_unload_stops_listening_and_closes_the_port(hass, han_factory):
    line = await han_factory()
    entry = await _setup(hass, han_entry_data(line.path))
    coordinator = entry.runtime_data.coordinator
    task = coordinator._task
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert task is not None
    assert task.done()
    assert coordinator._port is None
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_permission_denied_raises_a_repair_issue_until_the_port_opens(hass, han_factory):
    import errno

    import serialx

    from custom_components.mbus_han.issues import permission_issue_id

    line = await han_factory()
    entry = MockConfigEntry(domain=DOMAIN, data=han_entry_data(line.path), unique_id=line.path)
    entry.add_to_hass(hass)
    denied = PermissionError(errno.EACCES, "Permission denied")
    with patch.object(serialx, "create_serial_connection", side_effect=denied):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    issues = ir.async_get(hass)
    issue = issues.async_get_issue(DOMAIN, permission_issue_id(entry.entry_id))
    assert issue is not None
    assert issue.translation_placeholders == {"port": line.path}
    # The user fixes the group membership; the retry opens the port and the issue goes.
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert issues.async_get_issue(DOMAIN, permission_issue_id(entry.entry_id)) is None


async def test_a_meter_that_never_names_itself_gets_a_device_of_its_port(hass):
    """Swedish Aidon meters send 27 values every 10 s and no meter ID (real frame, corpus)."""
    import json

    from ha_helpers import CORPUS

    from custom_components.mbus_han.protocol.simio import open_pty

    case = next(
        c
        for c in json.loads((CORPUS / "han" / "aidon.json").read_text())
        if c["name"] == "aidon_se_27_items_hdlc"
    )
    expected = case["expected"]
    frame = bytes.fromhex(case["hex"])
    endpoint = await open_pty()
    try:
        entry = await _setup(hass, han_entry_data(endpoint.path, "aidon"))
        device = f"HAN-entry-{entry.entry_id}"

        async def send() -> None:
            endpoint.writer.write(frame)
            await endpoint.writer.drain()

        await push_until(
            hass,
            send,
            lambda: (
                _entity_id(hass, P_IMPORT, "") is not None
                or (
                    er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{device}-{P_IMPORT}")
                    is not None
                )
            ),
        )
        registry = er.async_get(hass)
        for code in ("1-0:1.7.0.255", "1-0:51.7.0.255", "1-0:52.7.0.255", "1-0:3.7.0.255"):
            entity_id = registry.async_get_entity_id("sensor", DOMAIN, f"{device}-{code}")
            assert entity_id is not None, code
            assert float(hass.states.get(entity_id).state) == expected[code], code
        assert entry_device(hass, entry.entry_id, device) is not None
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await endpoint.close()


async def test_after_an_outage_only_what_the_meter_sent_since_is_shown(
    hass, han_factory, fast_recovery
):
    """Currents from before a silence are not true any more; the last energy total still is."""
    line = await han_factory()
    entry = await _setup(hass, han_entry_data(line.path))
    coordinator = entry.runtime_data.coordinator
    await line.send_until(3)
    await wait_until(hass, lambda: _entity_id(hass, ENERGY_IMPORT) is not None)
    energy_before = _state(hass, ENERGY_IMPORT).state
    await wait_until(hass, lambda: coordinator.stats.silences >= 1)

    async def send_list_1() -> None:
        await line.send_next_of(1)  # only power comes back for now

    await push_until(hass, send_list_1, lambda: _state(hass, P_IMPORT).state != STATE_UNAVAILABLE)
    assert _state(hass, "1-0:31.7.0.255").state == STATE_UNAVAILABLE  # current L1: not sent yet
    assert _state(hass, ENERGY_IMPORT).state == energy_before  # the last total the meter sent
    await line.send_until(2)
    await wait_until(hass, lambda: _state(hass, "1-0:31.7.0.255").state != STATE_UNAVAILABLE)


async def test_a_push_with_no_known_value_is_counted_and_logged_with_its_bytes(
    hass, han_factory, caplog
):
    # A well-formed push whose only value (0-0:96.14.0.255, the tariff) means nothing here.
    apdu = bytes.fromhex("0F0000000100020102020906") + bytes.fromhex("0000600E00FF1102")
    frame = encode_hdlc_frame(b"\xe6\xe7\x00" + apdu)
    line = await han_factory()
    entry = await _setup(hass, han_entry_data(line.path))
    coordinator = entry.runtime_data.coordinator
    with caplog.at_level(logging.WARNING, logger="custom_components.mbus_han.han_coordinator"):
        for _ in range(2):
            line.endpoint.writer.write(frame)
            await line.endpoint.writer.drain()
        await wait_until(hass, lambda: coordinator.stats.undecodable >= 2)
    assert coordinator.stats.readings == 0
    warnings = [r for r in caplog.records if "no value this integration knows" in r.message]
    assert len(warnings) == 1  # once, not per push
    assert apdu.hex() in warnings[0].message
