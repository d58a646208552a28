"""The bridge against a real Home Assistant server of the newest release (.venv-hass, 2026.11).

test_bridge_ha.py checks the bridge against the test harness's Home Assistant (both releases);
this one starts the server our users run, as scripts/demo does (``python -m homeassistant``
from ``$MBUS_HAN_DEMO_HASS_PYTHON``, with ``--skip-pip``), adds its MQTT integration through
the config flow over the REST API against a mosquitto started here, and reads what the
server made of the bridge's discovery through its websocket API. Expected values: libmbus's
reading of the Kamstrup telegram (``.norm.xml``: 37351000 Wh) and the HAN simulator's physics.

Runs in scripts/test's newest run (which sets ``$MBUS_HAN_DEMO_HASS_PYTHON``); skipped
elsewhere, because the fallback server (the test venv's) would install requirements into it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from mqtt_helpers import Broker, bridge_config, free_port
from test_bridge_e2e import KAMSTRUP_601, HanFeeder

from custom_components.mbus_han.protocol.bridge.config import parse_config
from custom_components.mbus_han.protocol.bridge.runner import Bridge
from custom_components.mbus_han.protocol.mbus.simulator import (
    SimulatedBus,
    SimulatedMeter,
    SimulatorTiming,
)
from custom_components.mbus_han.protocol.mbus.simulator.sources import ReplaySource
from demo import home_assistant
from demo.client import Credentials, HaClient, wait_for_ok

pytest.importorskip("aiomqtt")
if not os.environ.get(home_assistant.HASS_PYTHON_ENV):
    pytest.skip(
        f"${home_assistant.HASS_PYTHON_ENV} is not set (scripts/test's newest run sets it)",
        allow_module_level=True,
    )

START_TIMEOUT = 600.0  # s: a cold start on two shared cores compiles translations etc.
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "bridge"
HEAT_ENERGY = "mbus_han-KAM-06855817-energy"
HAN_POWER = "mbus_han-HAN-6970631402614476-1-0:1.7.0.255"


@dataclass
class Server:
    client: HaClient
    version: str


@pytest.fixture
async def server(tmp_path: Path, socket_enabled: None) -> AsyncIterator[Server]:
    """A real Home Assistant on a free port with a fresh config dir, onboarded."""
    config_dir = tmp_path / "config"
    port = free_port()
    home_assistant.prepare_config_dir(config_dir, port=port)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    process = await home_assistant.start(config_dir, ARTIFACTS)
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            await wait_for_ok(session, f"{base_url}/api/onboarding", START_TIMEOUT)
            client = await HaClient.onboard(
                session, base_url, Credentials("bridge", "bridge", "bridge-test-only")
            )
            try:
                config = await client.rest("get", "/api/config")
                yield Server(client, str(config["version"]))
            finally:
                await client.close()
    finally:
        await process.stop()


async def _add_mqtt(client: HaClient, broker_port: int) -> None:
    """MQTT's own config flow, as a user answers it: broker and port."""
    result = await client.rest("post", "/api/config/config_entries/flow", {"handler": "mqtt"})
    for _ in range(5):
        if result.get("type") == "create_entry":
            return
        if result.get("type") == "menu":
            payload: dict[str, Any] = {"next_step_id": "broker"}
        elif result.get("type") == "form":
            assert not result.get("errors"), result
            payload = {"broker": "127.0.0.1", "port": broker_port}
            # 2026.x groups the rest in a section: the frontend sends its defaults, a
            # switch left off, and no CA certificate
            for field in result.get("data_schema") or []:
                if field.get("type") == "expandable":
                    section = {
                        item["name"]: item["default"]
                        for item in field.get("schema", [])
                        if "default" in item
                    }
                    payload[field["name"]] = {
                        "set_client_cert": False,
                        "set_ca_cert": "off",
                        **section,
                    }
        else:
            pytest.fail(f"MQTT's flow answered {result}")
        path = f"/api/config/config_entries/flow/{result['flow_id']}"
        result = await client.rest("post", path, payload)
    pytest.fail(f"MQTT's flow did not finish: {result}")


async def _entity_state(client: HaClient, unique_id: str) -> dict[str, Any] | None:
    registry = await client.ws("config/entity_registry/list")
    entity_id = next(
        (
            item["entity_id"]
            for item in registry
            if item.get("platform") == "mqtt" and item.get("unique_id") == unique_id
        ),
        None,
    )
    if entity_id is None:
        return None
    states = await client.rest("get", f"/api/states/{entity_id}")
    return states if isinstance(states, dict) else None


async def _wait_state(
    client: HaClient, unique_id: str, wanted: Any, timeout: float = 120.0
) -> dict[str, Any]:
    last: dict[str, Any] | None = None
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            while True:
                last = await _entity_state(client, unique_id)
                if last is not None and wanted(last["state"]):
                    return last
                await asyncio.sleep(0.5)
    pytest.fail(f"{unique_id}: last seen {last}")


def _pinned_release() -> str:
    """The release requirements_hass.txt pins for .venv-hass."""
    text = (Path(__file__).resolve().parents[2] / "requirements_hass.txt").read_text("utf-8")
    return next(
        line.split("==", 1)[1].strip()
        for line in text.splitlines()
        if line.startswith("homeassistant==")
    )


async def test_the_newest_home_assistant_makes_the_bridges_entities(server: Server) -> None:
    assert server.version == _pinned_release()
    broker = Broker()
    broker.start()
    han = HanFeeder()
    bus = SimulatedBus(
        [SimulatedMeter(ReplaySource.from_file(KAMSTRUP_601), 5)], SimulatorTiming.instant()
    )
    task: asyncio.Task[None] | None = None
    try:
        han_url = await han.start()
        tcp = await bus.start_tcp()
        await _add_mqtt(server.client, broker.port)
        bridge = Bridge(
            parse_config(
                bridge_config(
                    broker.port, f"socket://127.0.0.1:{tcp.sockets[0].getsockname()[1]}", han_url
                )
            )
        )
        task = asyncio.get_running_loop().create_task(bridge.run())

        # libmbus: 37351000 Wh -> 37351 kWh
        heat = await _wait_state(
            server.client, HEAT_ENERGY, lambda s: s not in ("unknown", "unavailable")
        )
        assert float(heat["state"]) == 37351, server.version
        attributes = heat["attributes"]
        assert attributes["unit_of_measurement"] == "kWh"
        assert attributes["device_class"] == "energy"
        assert attributes["state_class"] == "total_increasing"
        assert attributes["friendly_name"] == "Kamstrup 06855817 Energy"
        assert heat["entity_id"] == "sensor.kam_06855817_energy"  # default_entity_id

        power = 0
        for _ in range(3):
            _, power = await han.send(list_number=2)
        state = await _wait_state(server.client, HAN_POWER, lambda s: s == str(power))
        assert state["attributes"]["unit_of_measurement"] == "W"
        assert state["attributes"]["device_class"] == "power"
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await han.close()
        await bus.close()
        broker.close()
