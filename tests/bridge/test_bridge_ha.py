"""Bridge -> real mosquitto -> Home Assistant's own MQTT integration -> entities.

Nothing between the bridge and Home Assistant is mocked: the test harness's Home Assistant
(pytest-homeassistant-custom-component, both releases) sets up its MQTT integration against a
mosquitto started by the test, and the entities are what Home Assistant makes of the bridge's
discovery. Expected values: libmbus's reading of the Kamstrup telegram (``.norm.xml``) and the
HAN simulator's physics, as in test_bridge_e2e.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
from homeassistant.const import MAJOR_VERSION, MINOR_VERSION, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from mqtt_helpers import Broker, bridge_config, watching
from pytest_homeassistant_custom_component.common import MockConfigEntry
from test_bridge_e2e import KAMSTRUP_601, HanFeeder

from custom_components.mbus_han.protocol.bridge.config import parse_config
from custom_components.mbus_han.protocol.bridge.runner import Bridge
from custom_components.mbus_han.protocol.mbus.simulator import (
    SimulatedBus,
    SimulatedMeter,
    SimulatorTiming,
)
from custom_components.mbus_han.protocol.mbus.simulator.sources import ReplaySource

pytest.importorskip("aiomqtt")

HEAT_ENERGY = "mbus_han-KAM-06855817-energy"  # unique ids: the meter's identity and record key
HAN_POWER = "mbus_han-HAN-6970631402614476-1-0:1.7.0.255"
HAN_ENERGY = "mbus_han-HAN-6970631402614476-1-0:1.8.0.255"


@pytest.fixture
def expected_lingering_timers() -> bool:
    """The MQTT integration's own reconnect and unsubscribe timers may outlive a test."""
    return True


@pytest.fixture
def expected_lingering_tasks() -> bool:
    """The MQTT integration's reconnect task after the broker's restart is its own."""
    return True


async def _wait(hass: HomeAssistant, condition: Callable[[], bool], timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)
            await hass.async_block_till_done()


class Site:
    """Broker, meters and bridge of one test; the bridge can be stopped and started again."""

    def __init__(self, broker: Broker, config: dict[str, Any], han: HanFeeder) -> None:
        self.broker = broker
        self.config = config
        self.han = han
        self.task: asyncio.Task[None] | None = None
        self.bridge: Bridge | None = None

    def start(self, config: dict[str, Any] | None = None) -> Bridge:
        self.bridge = Bridge(parse_config(config or self.config))
        self.task = asyncio.get_running_loop().create_task(self.bridge.run())
        return self.bridge

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None


@pytest.fixture
async def site(hass: HomeAssistant, socket_enabled: None) -> AsyncIterator[Site]:
    broker = Broker()
    broker.start()
    han = HanFeeder()
    bus = SimulatedBus(
        [SimulatedMeter(ReplaySource.from_file(KAMSTRUP_601), 5)], SimulatorTiming.instant()
    )
    # the harness has no configuration.yaml (MQTT reads its YAML part at set-up)
    no_yaml = patch("homeassistant.config.async_hass_config_yaml", AsyncMock(return_value={}))
    no_yaml.start()
    entry = MockConfigEntry(domain="mqtt", data={"broker": "127.0.0.1", "port": broker.port})
    site: Site | None = None
    try:
        han_url = await han.start()
        server = await bus.start_tcp()
        bus_url = f"socket://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        config = bridge_config(broker.port, bus_url, han_url)
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        site = Site(broker, config, han)
        yield site
    finally:
        if site is not None:
            await site.stop()
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        no_yaml.stop()
        await han.close()
        await bus.close()
        broker.close()


def _entity(hass: HomeAssistant, unique_id: str) -> str | None:
    return er.async_get(hass).async_get_entity_id("sensor", "mqtt", unique_id)


def _device(hass: HomeAssistant, identifier: str) -> dr.DeviceEntry | None:
    """(Looked up by hand: 2026.x deprecates ``async_get_device``, 2025.4 lacks its successor.)"""
    entry = hass.config_entries.async_entries("mqtt")[0]
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    return next((d for d in devices if ("mqtt", identifier) in d.identifiers), None)


def _state(hass: HomeAssistant, unique_id: str) -> str | None:
    entity_id = _entity(hass, unique_id)
    state = hass.states.get(entity_id) if entity_id else None
    return state.state if state else None


async def _han_push(site: Site, hass: HomeAssistant) -> int:
    _, power = await site.han.send(list_number=2)
    return power


async def test_home_assistant_makes_the_integrations_entities(
    hass: HomeAssistant, site: Site
) -> None:
    site.start()
    await _wait(
        hass, lambda: _state(hass, HEAT_ENERGY) not in (None, STATE_UNKNOWN, STATE_UNAVAILABLE)
    )
    # libmbus: 37351000 Wh -> 37351 kWh (the integration shows kWh; MQTT gets it in kWh)
    heat = hass.states.get(_entity(hass, HEAT_ENERGY) or "")
    assert heat is not None
    assert float(heat.state) == 37351
    assert heat.attributes["unit_of_measurement"] == "kWh"
    assert heat.attributes["device_class"] == "energy"
    assert heat.attributes["state_class"] == "total_increasing"
    assert heat.attributes["friendly_name"] == "Kamstrup 06855817 Energy"
    # default_entity_id (2025.10+) names it after the meter's identity; before, after the device
    new = (MAJOR_VERSION, MINOR_VERSION) >= (2025, 10)
    assert heat.entity_id == (
        "sensor.kam_06855817_energy" if new else "sensor.kamstrup_06855817_energy"
    )
    # the meter's status byte (0x00 in this telegram): no problem, as the integration says
    status_id = er.async_get(hass).async_get_entity_id(
        "binary_sensor", "mqtt", "mbus_han-KAM-06855817-status"
    )
    assert status_id is not None
    await _wait(hass, lambda: hass.states.get(status_id).state == "off")  # type: ignore[union-attr]
    assert hass.states.get(status_id).attributes["device_class"] == "problem"  # type: ignore[union-attr]
    device = _device(hass, "mbus_han_kam-06855817")
    assert device is not None
    assert (device.manufacturer, device.serial_number) == ("Kamstrup", "06855817")

    for _ in range(3):
        power = await _han_push(site, hass)
    await _wait(hass, lambda: _state(hass, HAN_POWER) == str(power))
    power_state = hass.states.get(_entity(hass, HAN_POWER) or "")
    assert power_state is not None
    assert power_state.attributes["unit_of_measurement"] == "W"
    assert power_state.attributes["device_class"] == "power"
    # the energy register exists before list 3 brings it: unknown, never 0
    assert _state(hass, HAN_ENERGY) == STATE_UNKNOWN


async def test_broker_restart_bridge_restart_and_a_removed_meter(
    hass: HomeAssistant, site: Site
) -> None:
    site.start()
    await _wait(
        hass, lambda: _state(hass, HEAT_ENERGY) not in (None, STATE_UNKNOWN, STATE_UNAVAILABLE)
    )
    await _han_push(site, hass)
    power = await _han_push(site, hass)
    await _wait(hass, lambda: _state(hass, HAN_POWER) == str(power))

    # The broker restarts: Home Assistant and the bridge reconnect; new values arrive. (Once
    # Home Assistant has sent its birth message: before, its MQTT client fails on a lost
    # connection with an error of its own.)
    async with watching(site.broker.port) as watcher:
        await watcher.wait_for(lambda: watcher.latest["homeassistant/status"] == b"online")
    await asyncio.to_thread(site.broker.stop)  # the event loop keeps running meanwhile
    await asyncio.sleep(1)
    await asyncio.to_thread(site.broker.start)
    await _wait(hass, lambda: _state(hass, HAN_POWER) in (None, STATE_UNAVAILABLE, str(power)))
    power = await _han_push(site, hass)
    while _state(hass, HAN_POWER) != str(power):
        power = await _han_push(site, hass)
        await asyncio.sleep(0.5)
        await hass.async_block_till_done()

    # The bridge stops: its last will makes every entity unavailable.
    await site.stop()
    await _wait(hass, lambda: _state(hass, HEAT_ENERGY) == STATE_UNAVAILABLE)
    assert _state(hass, HAN_POWER) == STATE_UNAVAILABLE

    # It starts again without the heat meter: that one is removed, the HAN meter comes back.
    entity_ids = {_entity(hass, HAN_POWER), _entity(hass, HAN_ENERGY)}
    site.start({key: value for key, value in site.config.items() if key != "mbus"})
    await _wait(hass, lambda: _entity(hass, HEAT_ENERGY) is None)
    assert _device(hass, "mbus_han_kam-06855817") is None
    power = await _han_push(site, hass)
    await _wait(hass, lambda: _state(hass, HAN_POWER) == str(power))
    # the same entities (no duplicates), the energy sensor kept though list 2 has no energy
    assert {_entity(hass, HAN_POWER), _entity(hass, HAN_ENERGY)} == entity_ids
    assert _state(hass, HAN_ENERGY) == STATE_UNKNOWN


async def test_the_integration_reads_the_bridges_raw_frames(
    hass: HomeAssistant, site: Site, enable_custom_integrations: None
) -> None:
    """Part 1 and part 2 together: the integration's MQTT source on the bridge's han_raw topic.

    The values are the integration's own (its entities, its decoder), from frames that crossed
    the bridge and a real broker; the simulator's physics says what they must be.
    """
    from custom_components.mbus_han.const import DOMAIN

    topic = "mbus_han/han-6970631402614476/han_raw"
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=2,
        unique_id=topic,
        data={
            "kind": "han",
            "source": "mqtt",
            "port": topic,
            "meter": "auto",
            "transport": "hdlc",
            "payload_format": "raw",
        },
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    site.start({key: value for key, value in site.config.items() if key != "mbus"})
    unique_id = "HAN-6970631402614476-1-0:1.7.0.255"  # the integration's own entity

    def integration_power() -> str | None:
        entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, unique_id)
        state = hass.states.get(entity_id) if entity_id else None
        return state.state if state else None

    power = await _han_push(site, hass)
    async with asyncio.timeout(30):
        while integration_power() != str(power):
            power = await _han_push(site, hass)
            await asyncio.sleep(0.5)
            await hass.async_block_till_done()
    assert _state(hass, HAN_POWER) == str(power)  # and the bridge's own MQTT entity agrees
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
