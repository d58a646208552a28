"""HAN frames from MQTT end to end: simulator -> real mosquitto -> Home Assistant -> entities.

Nothing is mocked between the meter and the entities: Debian's ``mosquitto`` runs on loopback
at a free port, Home Assistant's MQTT integration connects to it, a separate paho client (the
library Home Assistant ships) publishes the HAN simulator's pushes one per message, as a
reader next to the meter does, and the user's path is the config flow. Expected values are
the simulator's electrical model (what the meter measured), not our decoder's output.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import paho.mqtt.client as paho
import pytest
from ha_helpers import HAN_START, wait_until
from homeassistant import config_entries
from homeassistant.components.mqtt import client as mqtt_client
from homeassistant.components.mqtt import is_connected
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mbus_han import han_coordinator
from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.mqtt_source import MqttCounters
from custom_components.mbus_han.protocol.han.simulator import HanSimulator, Maker, Push, Wiring

TOPIC = "mbus_han/hallway/han_raw"  # as the bridge names a meter's raw frames
KAIFA_ID = "6970631402614476"
MOSQUITTO = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/bin")


@pytest.fixture
def expected_lingering_timers() -> bool:
    """The MQTT integration's own reconnect and cooldown timers may outlive a test."""
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _accepting(port: int) -> None:
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return


class Broker:
    """Debian's mosquitto on 127.0.0.1 at a fixed free port; stopped and started at will."""

    def __init__(self, executable: str, config: Path) -> None:
        self.port = _free_port()
        self._executable = executable
        self._config = config
        config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        )
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            self._executable,
            "-c",
            str(self._config),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        async with asyncio.timeout(10):
            await _accepting(self.port)

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.terminate()
            await process.wait()


@pytest.fixture
async def broker(tmp_path: Path, socket_enabled: None) -> AsyncIterator[Broker]:
    """A real mosquitto on loopback (the test is skipped, saying why, without it)."""
    if MOSQUITTO is None:
        pytest.skip("Debian's mosquitto is not installed (see .ci/apt-packages.txt)")
    server = Broker(MOSQUITTO, tmp_path / "mosquitto.conf")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


class Publisher:
    """A reader next to the meter: publishes each push as one binary message (QoS 1)."""

    def __init__(self, port: int) -> None:
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="han-reader")
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def publish(self, data: bytes) -> None:
        """Blocking until the broker has it: run in the executor."""
        self.client.publish(TOPIC, data, qos=1).wait_for_publish(timeout=5)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def publisher(broker: Broker) -> Iterator[Publisher]:
    client = Publisher(broker.port)
    yield client
    client.close()


async def _connect_home_assistant(hass: HomeAssistant, port: int) -> None:
    """Set up Home Assistant's MQTT integration against the broker, as a user does."""
    entry = MockConfigEntry(domain="mqtt", data={"broker": "127.0.0.1", "port": port})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await wait_until(hass, lambda: is_connected(hass))


def _state(hass: HomeAssistant, code: str) -> float:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"HAN-{KAIFA_ID}-{code}")
    assert entity_id is not None, code
    state = hass.states.get(entity_id)
    assert state is not None
    return float(state.state)


@pytest.mark.usefixtures("mock_hass_config")  # an empty configuration.yaml, as MQTT reads it
async def test_a_meter_published_to_a_real_broker_becomes_entities(
    hass: HomeAssistant, broker: Broker, publisher: Publisher
) -> None:
    await _connect_home_assistant(hass, broker.port)
    # The reader publishes all along; the pushes checked below come from a meter started
    # afresh, so that its hourly list 3 is the 16th push, whatever happened before.
    pushes = HanSimulator(Maker.KAIFA, Wiring.THREE_PHASE, start=HAN_START, seed=1).pushes()

    async def publish(push: Push) -> None:
        await hass.async_add_executor_job(publisher.publish, push.data)

    # The user adds the topic while the reader publishes, as it always does.
    result: dict[str, Any] = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "han_mqtt"}
    )
    flow = hass.async_create_task(
        hass.config_entries.flow.async_configure(result["flow_id"], {"topic": TOPIC})
    )
    async with asyncio.timeout(20):
        while not flow.done():
            await publish(next(pushes))
            await asyncio.sleep(0.05)
    result = await flow
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == "mqtt_raw"
    assert result["data"]["transport"] == "hdlc"
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.coordinator

    # Publish until the entry's own subscription is in place (the broker has it)...
    async with asyncio.timeout(20):
        while coordinator.stats.readings == 0:
            await publish(next(pushes))
            await asyncio.sleep(0.05)
    # ... then up to the hourly list 3 (the energies), each push decoded as it came.
    sim = HanSimulator(Maker.KAIFA, Wiring.THREE_PHASE, start=HAN_START, seed=3)
    pushes = sim.pushes()
    readings = coordinator.stats.readings
    sent = 0
    while True:
        push = next(pushes)
        await publish(push)
        sent += 1
        if push.list_number == 3:
            break
    await wait_until(hass, lambda: coordinator.stats.readings >= readings + sent)
    assert coordinator.stats.undecodable == 0
    assert coordinator.mqtt_counters == MqttCounters()  # nothing dropped, skipped or retained

    physics = sim.physics  # the meter's state at its last push
    assert _state(hass, "1-0:1.7.0.255") == physics.active_import
    assert _state(hass, "1-0:1.8.0.255") * 1000 == pytest.approx(physics.energy_import_wh, abs=1)
    assert _state(hass, "1-0:32.7.0.255") == pytest.approx(physics.voltage[0], abs=0.05)
    assert _state(hass, "1-0:31.7.0.255") == pytest.approx(physics.current(0), abs=0.0005)


@pytest.mark.usefixtures("mock_hass_config")
async def test_a_broker_restart_is_an_outage_and_then_the_values_are_back(
    hass: HomeAssistant, broker: Broker
) -> None:
    """Never silently stuck: the broker goes away, the entities say so, and come back with it.

    Home Assistant's MQTT client reconnects by itself (every 10 s, here 0.2 s); our silence
    watchdog (30 s, here 2 s: longer than the MQTT integration takes to subscribe) makes the
    entities unavailable meanwhile.
    """
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={
            "kind": "han",
            "source": "mqtt",
            "port": TOPIC,
            "meter": "auto",
            "transport": "hdlc",
            "payload_format": "raw",
        },
        unique_id=TOPIC,
    )
    with (
        patch.object(mqtt_client, "RECONNECT_INTERVAL_SECONDS", 0.2),
        patch.object(han_coordinator, "SILENCE_TIMEOUT", 2.0),
        patch.object(han_coordinator, "RECONNECT_DELAYS", (0.05,)),
    ):
        await _connect_home_assistant(hass, broker.port)
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        coordinator = entry.runtime_data.coordinator
        sim = HanSimulator(Maker.KAIFA, Wiring.THREE_PHASE, start=HAN_START, seed=3)
        pushes = sim.pushes()

        async def publish_until(condition: Callable[[], bool]) -> None:
            """A reader publishing every 50 ms (a meter's 2 s, sped up) until ``condition``."""
            client = Publisher(broker.port)
            try:
                async with asyncio.timeout(20):
                    while not condition():
                        await hass.async_add_executor_job(client.publish, next(pushes).data)
                        await asyncio.sleep(0.05)
            finally:
                client.close()

        await publish_until(lambda: _available(hass, "1-0:1.7.0.255"))
        await broker.stop()
        await wait_until(hass, lambda: not is_connected(hass))
        await wait_until(hass, lambda: not _available(hass, "1-0:1.7.0.255"))
        assert coordinator.stats.silences >= 1

        await broker.start()
        await wait_until(hass, lambda: is_connected(hass))
        readings = coordinator.stats.readings
        await publish_until(lambda: coordinator.stats.readings > readings)
        await hass.async_block_till_done()
        assert _available(hass, "1-0:1.7.0.255")
        assert _state(hass, "1-0:1.7.0.255") == sim.physics.active_import


def _available(hass: HomeAssistant, code: str) -> bool:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"HAN-{KAIFA_ID}-{code}")
    state = hass.states.get(entity_id) if entity_id else None
    return state is not None and state.state not in (STATE_UNAVAILABLE, STATE_UNKNOWN)
