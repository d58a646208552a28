"""The coordinators' supervisor: no exception ends a listener or a poll, none goes unnoticed.

Each test breaks something on purpose (an exception from the decoder, from the port, from an
entity) and checks what the issue 11 review asked for: the loop carries on with the next
frame, the error is logged once with the raw bytes, counted in diagnostics, and entities are
never left "available" with values that no longer come.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any
from unittest.mock import patch

from ha_helpers import (
    han_entry_data,
    mbus_entry_data,
    push_until,
    wait_until,
)
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from test_ha_han import _setup

from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.protocol.han import decoder as han_decoder
from custom_components.mbus_han.protocol.han.simulator import Maker
from custom_components.mbus_han.protocol.mbus.simulator import SimulatedMeter
from custom_components.mbus_han.protocol.mbus.simulator.sources import ReplaySource
from custom_components.mbus_han.sensor import MbusRecordSensor

KAIFA_ID = "6970631402614476"
P_IMPORT = "1-0:1.7.0.255"
# Issue 11, item 1: a valid HDLC push (CRC checked by the reviewer's and our framer) whose
# power scaler is sent as a 16-bit `long` (0x03E8), which killed the listener for good.
LONG_SCALER_PUSH = bytes.fromhex(
    "7ea02b410883134018e6e7000f00000001000101020309060100010700ff060000006402021003e8161b5f7a7e"
)
# A meter (CI 0x72, LUG 12345678) whose first record is a time of day: DIF 03 (24-bit
# integer) with VIF 6D, type J per EN 13757-3 annex A = 12:04:05; then an energy of 10 MWh.
TIME_OF_DAY_METER = "72 78563412 A732 01 04 00 00 0000 03 6D 05040C 04 06 10270000"


def _entity_id(hass: HomeAssistant, unique_id: str) -> str | None:
    return er.async_get(hass).async_get_entity_id("sensor", DOMAIN, unique_id)


def _han_state(hass: HomeAssistant, code: str) -> str:
    entity_id = _entity_id(hass, f"HAN-{KAIFA_ID}-{code}")
    assert entity_id is not None, code
    return hass.states.get(entity_id).state


def _raising_once_per_call(
    original: Callable[..., Any], failures: int, error: Exception
) -> Callable[..., Any]:
    """``original``, but the first ``failures`` calls raise ``error`` (an arbitrary bug)."""
    calls = [0]

    def call(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] <= failures:
            raise error
        return original(*args, **kwargs)

    return call


async def _han_with_entities(hass: HomeAssistant, han_factory: Any) -> tuple[Any, Any]:
    """A Kaifa meter on a pty, set up, its list 2 pushed: (line, coordinator)."""
    line = await han_factory(Maker.KAIFA)
    entry = await _setup(hass, han_entry_data(line.path))
    await line.send_until(2)
    await wait_until(hass, lambda: _entity_id(hass, f"HAN-{KAIFA_ID}-{P_IMPORT}") is not None)
    return line, entry.runtime_data.coordinator


async def test_a_decoder_exception_costs_one_push_not_the_listener(
    hass, hass_client, han_factory, caplog
):
    line, coordinator = await _han_with_entities(hass, han_factory)

    # The interpreter raises what it never should, on two pushes in a row.
    broken = _raising_once_per_call(han_decoder.interpret, 2, KeyError(1000))
    caplog.clear()
    with patch.object(han_decoder, "interpret", broken):
        readings = coordinator.stats.readings
        await line.send_next_of(2)
        await line.send_next_of(2)
        await wait_until(hass, lambda: coordinator.stats.crashes == 2)
        push = await line.send_next_of(2)
        await wait_until(hass, lambda: coordinator.stats.readings > readings)
    # The listener carried on: the next push's power is shown (simulator's model value).
    assert push.list_number == 2
    assert float(_han_state(hass, P_IMPORT)) == line.sim.physics.active_import
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]  # once per bug, not per push
    assert errors[0].exc_info is not None  # with its traceback
    # ... and the push that caused it (the LLC payload of the HDLC frame, EN 62056-46 8.4.1)
    assert "raw bytes: E6 E7 00 0F" in errors[0].getMessage()

    # The real push of issue 11, item 1, whatever the decoder makes of it now.
    readings = coordinator.stats.readings
    line.endpoint.writer.write(LONG_SCALER_PUSH)
    await line.send_next_of(2)
    await wait_until(hass, lambda: coordinator.stats.readings > readings)
    assert float(_han_state(hass, P_IMPORT)) == line.sim.physics.active_import
    result = await get_diagnostics_for_config_entry(hass, hass_client, coordinator.config_entry)
    assert result["statistics"]["listener"]["crashes"] >= 2


async def test_a_listener_killed_by_any_exception_goes_unavailable_and_restarts(
    hass, han_factory, fast_recovery, caplog
):
    line, coordinator = await _han_with_entities(hass, han_factory)
    assert _han_state(hass, P_IMPORT) != STATE_UNAVAILABLE

    async def killed() -> bytes:
        raise RuntimeError("an arbitrary bug in the read path")

    caplog.clear()
    port = coordinator._port
    assert port is not None
    port.read = killed  # the listening loop ends with this exception at the next read
    await line.send()
    await wait_until(hass, lambda: _han_state(hass, P_IMPORT) == STATE_UNAVAILABLE)
    assert not coordinator.last_update_success
    # Restarted (on a freshly opened port) with back-off: values come back.
    await push_until(hass, line.send, lambda: _han_state(hass, P_IMPORT) != STATE_UNAVAILABLE)
    assert coordinator.stats.listener_restarts == 1
    assert float(_han_state(hass, P_IMPORT)) == line.sim.physics.active_import
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1
    assert "RuntimeError" in logged[0].exc_text or logged[0].exc_info is not None


async def test_update_entity_during_an_outage_keeps_stale_values_unavailable(
    hass, han_factory, fast_recovery
):
    """Issue 11, item 12: ``update_entity`` marked entities available with stale values."""
    assert await async_setup_component(hass, "homeassistant", {})
    _line, coordinator = await _han_with_entities(hass, han_factory)
    await wait_until(hass, lambda: coordinator.stats.silences >= 1)
    assert _han_state(hass, P_IMPORT) == STATE_UNAVAILABLE

    entity_id = _entity_id(hass, f"HAN-{KAIFA_ID}-{P_IMPORT}")
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": entity_id}, blocking=True
    )
    await hass.async_block_till_done()
    assert _han_state(hass, P_IMPORT) == STATE_UNAVAILABLE
    assert not coordinator.last_update_success


async def test_the_config_flow_names_a_decoder_failure(hass, han_factory):
    """Issue 11, item 1: the flow's listen said "Unknown error" for a push that broke it."""
    from test_ha_config_flow import _menu

    from custom_components.mbus_han.protocol.simio import open_pty

    endpoint = await open_pty()

    async def keep_pushing() -> None:
        while True:
            endpoint.writer.write(LONG_SCALER_PUSH)
            await endpoint.writer.drain()
            await asyncio.sleep(0.05)

    pusher = asyncio.get_running_loop().create_task(keep_pushing())
    broken = _raising_once_per_call(han_decoder.interpret, 10**6, KeyError(1000))
    try:
        with patch.object(han_decoder, "interpret", broken):
            result = await _menu(hass, "han")
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], {"port": endpoint.path, "meter": "kaifa"}
            )
    finally:
        pusher.cancel()
        await asyncio.gather(pusher, return_exceptions=True)
        await endpoint.close()
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "decoder_failed"}
    assert "KeyError" in result["description_placeholders"]["error"]


async def test_one_entity_that_raises_does_not_freeze_the_others(
    hass, bus_factory, heat_meter, kamstrup_meter, clock
):
    """Isolated listeners: an entity's exception used to skip every listener after it."""
    original = MbusRecordSensor._handle_coordinator_update

    def broken(self: MbusRecordSensor) -> None:
        if self.address == "5":
            raise RuntimeError("an entity bug")
        original(self)

    _, port = await bus_factory(kamstrup_meter, heat_meter)
    with patch.object(MbusRecordSensor, "_handle_coordinator_update", broken):
        entry = await _setup(hass, mbus_entry_data(port, ["5", "0"]))
        energy = _entity_id(hass, "SLB-12345678-energy")
        assert energy is not None
        before = hass.states.get(energy).state
        clock[0] += 3600  # an hour of heat on the simulated meter
        await entry.runtime_data.coordinator.async_refresh()
        await hass.async_block_till_done()
    assert hass.states.get(energy).state != before
    assert entry.runtime_data.coordinator.stats.crashes > 0


async def test_a_time_of_day_record_does_not_freeze_the_bus(
    hass, bus_factory, heat_meter, clock, all_entities_enabled
):
    """Issue 11, item 2: record 03 6D 05 04 0C became a TIMESTAMP sensor and froze the bus."""
    odd = SimulatedMeter(ReplaySource.from_hex(TIME_OF_DAY_METER), 3)
    _, port = await bus_factory(odd, heat_meter)
    entry = await _setup(hass, mbus_entry_data(port, ["3", "0"]))
    energy = _entity_id(hass, "SLB-12345678-energy")
    assert energy is not None
    before = hass.states.get(energy).state
    clock[0] += 3600
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(energy).state != before  # the other meter's energy still updates
    time_of_day = _entity_id(hass, "LUG-12345678-date_time")
    assert time_of_day is not None
    state = hass.states.get(time_of_day)
    assert state.state == "12:04:05"  # EN 13757-3 type J: seconds, minutes, hours
    assert "device_class" not in state.attributes
    assert entry.runtime_data.coordinator.stats.crashes == 0


class DroppingGateway:
    """A TCP serial gateway in front of the simulated bus that can drop idle connections."""

    def __init__(self, target_port: int) -> None:
        self._target = target_port
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target)
        self._writers += [writer, up_writer]
        await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(4096):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    def drop_connections(self) -> None:
        """What gateways do after a minute or two without traffic."""
        for writer in self._writers:
            writer.close()
        self._writers.clear()

    async def close(self) -> None:
        self.drop_connections()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def test_a_gateway_that_drops_idle_connections_costs_no_poll(
    hass, bus_factory, heat_meter, socket_enabled, caplog
):
    """Issue 11, item 8: every poll after an idle drop failed with "Lost the connection"."""
    bus, _ = await bus_factory(heat_meter)
    server = await bus.start_tcp()
    gateway = DroppingGateway(server.sockets[0].getsockname()[1])
    port = await gateway.start()
    try:
        entry = await _setup(hass, mbus_entry_data(f"socket://127.0.0.1:{port}", ["0"]))
        coordinator = entry.runtime_data.coordinator
        energy = _entity_id(hass, "SLB-12345678-energy")
        assert energy is not None
        caplog.clear()
        for _ in range(3):
            gateway.drop_connections()
            await asyncio.sleep(0.05)  # the close reaches our side while idle
            await coordinator.async_refresh()
            await hass.async_block_till_done()
            assert coordinator.last_update_success
            assert hass.states.get(energy).state != STATE_UNAVAILABLE
        assert coordinator.stats.reconnects == 3
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await gateway.close()


def test_the_time_of_day_telegram_decodes_as_the_standard_says():
    """The hand-built time-of-day telegram decodes as the standard says (guards the fixture)."""
    from custom_components.mbus_han.protocol.mbus.telegram import decode_user_data

    raw = bytes.fromhex(TIME_OF_DAY_METER.replace(" ", ""))
    telegram = decode_user_data(raw[0], raw[1:])
    assert str(telegram.records[0].value) == "12:04:05"


async def test_a_listener_task_that_dies_anyway_is_started_again(hass, han_factory, fast_recovery):
    """Even an exception escaping the loop's own error handling ends nothing for good."""
    line, coordinator = await _han_with_entities(hass, han_factory)
    original = type(coordinator)._crashed
    calls = [0]

    def crashing_once(self, what: str, err: Exception, raw: bytes) -> None:
        calls[0] += 1
        if calls[0] == 1:
            raise RuntimeError("a bug in the error handling itself")
        original(self, what, err, raw)

    async def killed() -> bytes:
        raise RuntimeError("an arbitrary bug in the read path")

    with patch.object(type(coordinator), "_crashed", crashing_once):
        coordinator._port.read = killed
        task = coordinator._task
        await line.send()
        await wait_until(hass, task.done)
        await wait_until(hass, lambda: _han_state(hass, P_IMPORT) == STATE_UNAVAILABLE)
        await push_until(hass, line.send, lambda: _han_state(hass, P_IMPORT) != STATE_UNAVAILABLE)
    assert coordinator._task is not task  # a new listener
    assert coordinator.stats.listener_restarts >= 2  # the loop's, then the task's
