"""The bridge end to end: simulated meters -> bridge -> a real mosquitto -> what a subscriber sees.

Ground truth is independent of the bridge: libmbus's normalised reading of the Kamstrup
Multical 601 telegram (tests/fixtures/mbus/libmbus, ``.norm.xml``) for the M-Bus meter, the HAN
simulator's own physics for the HAN meter, and the simulator's bytes for the raw frames.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mqtt_helpers import Broker, Watcher, bridge_config, watching

from custom_components.mbus_han.protocol.bridge import runner
from custom_components.mbus_han.protocol.bridge.config import parse_config
from custom_components.mbus_han.protocol.bridge.runner import Bridge
from custom_components.mbus_han.protocol.han.simulator import HanSimulator, Maker, Push
from custom_components.mbus_han.protocol.mbus.simulator import (
    SimulatedBus,
    SimulatedMeter,
    SimulatorTiming,
)
from custom_components.mbus_han.protocol.mbus.simulator.sources import ReplaySource
from custom_components.mbus_han.protocol.simio import serve_tcp

pytest.importorskip("aiomqtt")

KAMSTRUP_601 = (
    Path(__file__).parents[1] / "fixtures/mbus/libmbus/test-frames/kamstrup_multical_601.hex"
)
KAIFA = "HAN-6970631402614476"
KAMSTRUP = "KAM-06855817"


class HanFeeder:
    """A HAN meter behind a TCP gateway; the test sends each push when it wants."""

    def __init__(self) -> None:
        self.sim = HanSimulator(Maker.KAIFA, seed=3)
        self._pushes = self.sim.pushes()
        self.clients: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None
        self.sent: list[tuple[Push, int]] = []  # each push and its P+ (W) from the physics

    async def start(self) -> str:
        async def serve(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.clients.append(writer)

        self.server = await serve_tcp("127.0.0.1", 0, serve)
        return f"socket://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def send(self, list_number: int | None = None) -> tuple[Push, int]:
        while not self.clients or self.clients[-1].is_closing():
            await asyncio.sleep(0.02)
        while True:
            push = next(self._pushes)
            if list_number is None or push.list_number == list_number:
                break
        writer = self.clients[-1]
        writer.write(push.data)
        await writer.drain()
        sent = (push, self.sim.physics.active_import)
        self.sent.append(sent)
        return sent

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for writer in self.clients:
            writer.close()


@dataclass
class Site:
    broker: Broker
    watcher: Watcher
    han: HanFeeder
    bus: SimulatedBus
    config: dict[str, Any]
    bridge_task: asyncio.Task[None] | None = None
    bridge: Bridge | None = None

    async def start_bridge(self, config: dict[str, Any] | None = None) -> Bridge:
        self.bridge = Bridge(parse_config(config or self.config))
        self.bridge_task = asyncio.create_task(self.bridge.run())
        return self.bridge

    async def stop_bridge(self) -> None:
        if self.bridge_task is not None:
            self.bridge_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.bridge_task
            self.bridge_task = None


@pytest.fixture
async def site(socket_enabled: None) -> AsyncIterator[Site]:
    broker = Broker()
    broker.start()
    han = HanFeeder()
    bus = SimulatedBus(
        [SimulatedMeter(ReplaySource.from_file(KAMSTRUP_601), 5)], SimulatorTiming.instant()
    )
    try:
        han_url = await han.start()
        server = await bus.start_tcp()
        bus_url = f"socket://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        config = bridge_config(broker.port, bus_url, han_url)
        async with watching(broker.port) as watcher:
            site = Site(broker, watcher, han, bus, config)
            try:
                yield site
            finally:
                await site.stop_bridge()
    finally:
        await han.close()
        await bus.close()
        broker.close()


def _components(watcher: Watcher, meter_id: str) -> dict[str, Any]:
    return watcher.json(f"homeassistant/device/mbus_han_{meter_id.lower()}/config")["components"]


def _value(watcher: Watcher, component: dict[str, Any]) -> float | str | None:
    """A sensor's value as Home Assistant reads it from the component's state topic."""
    text = watcher.latest[component["state_topic"]].decode()
    if text == "None":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _power(watcher: Watcher) -> float | str | None:
    return _value(watcher, _by_name(_components(watcher, KAIFA), "Power import"))


def _by_name(components: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in components.values() if c["name"] == name)


async def _han_up(site: Site) -> None:
    """Send list 2 pushes until the meter's device and power are on the broker."""
    for _ in range(3):
        await site.han.send(list_number=2)
    topic = f"homeassistant/device/mbus_han_{KAIFA.lower()}/config"
    await site.watcher.wait_for(lambda: topic in site.watcher.latest)


async def test_meters_are_announced_and_their_values_published(site: Site) -> None:
    await site.start_bridge()
    watcher = site.watcher
    await _han_up(site)
    kamstrup_topic = f"homeassistant/device/mbus_han_{KAMSTRUP.lower()}/config"
    await watcher.wait_for(lambda: kamstrup_topic in watcher.latest)

    # M-Bus: libmbus's reading of the telegram (norm.xml): 37351000 Wh, 561.08 m3, 101.69 C
    heat = _components(watcher, KAMSTRUP)
    energy = _by_name(heat, "Energy")
    assert energy["device_class"] == "energy"
    assert energy["state_class"] == "total_increasing"
    assert energy["unit_of_measurement"] == "kWh"
    flow = _by_name(heat, "Flow temperature")
    volume = _by_name(heat, "Volume")
    await watcher.wait_for(lambda: all(_value(watcher, c) is not None for c in heat.values()))
    assert _value(watcher, energy) == 37351
    assert _value(watcher, volume) == pytest.approx(561.08)
    assert _value(watcher, flow) == pytest.approx(101.69)
    assert flow["unit_of_measurement"] == "°C"
    assert watcher.latest["mbus_han/kam-06855817/availability"] == b"online"
    assert watcher.latest["mbus_han/bridge/basement/availability"] == b"online"

    # HAN: the value of the last push is the simulator's own P+ (W)
    await watcher.wait_for(lambda: _power(watcher) == site.han.sent[-1][1])
    device = watcher.json(f"homeassistant/device/mbus_han_{KAIFA.lower()}/config")
    assert device["device"]["serial_number"] == "6970631402614476"
    assert device["device"]["model"] == "MA304H4"
    # the energy registers exist from the start (unknown until list 3 brings them)
    energy = _by_name(device["components"], "Energy import")
    await watcher.wait_for(lambda: _value(watcher, energy) is None)  # sent as "None"


async def test_raw_frames_are_the_meter_frames(site: Site) -> None:
    """One whole frame per message, byte for byte what the meter sent."""
    await site.start_bridge()
    await _han_up(site)
    push, _ = await site.han.send(list_number=1)
    topic = "mbus_han/han-6970631402614476/han_raw"
    await site.watcher.wait_for(
        lambda: any(t == topic and p == push.data for t, p in site.watcher.history)
    )


async def test_broker_restart(site: Site) -> None:
    """The bridge reconnects by itself; values sent meanwhile arrive (the latest per meter)."""
    await site.start_bridge()
    await _han_up(site)
    site.broker.stop()
    _, power = await site.han.send(list_number=2)
    await asyncio.sleep(0.5)
    site.broker.start()
    await site.watcher.wait_for(lambda: _power(site.watcher) == power)
    assert site.watcher.latest["mbus_han/bridge/basement/availability"] == b"online"


async def test_bridge_restart_and_a_meter_removed(site: Site) -> None:
    """A bridge stopped: its will says offline. Started without the M-Bus meter: it is removed."""
    bridge = await site.start_bridge()
    await _han_up(site)
    heat_topic = f"homeassistant/device/mbus_han_{KAMSTRUP.lower()}/config"
    await site.watcher.wait_for(lambda: heat_topic in site.watcher.latest)
    han_components = set(_components(site.watcher, KAIFA))
    assert bridge.publisher.connected
    await site.stop_bridge()
    await site.watcher.wait_for(
        lambda: site.watcher.latest["mbus_han/bridge/basement/availability"] == b"offline"
    )

    config = {key: value for key, value in site.config.items() if key != "mbus"}
    bridge = await site.start_bridge(config)
    energy = "mbus_han/kam-06855817/sensor/energy"
    removed = (heat_topic, energy, "mbus_han/kam-06855817/availability")
    await site.watcher.wait_for(lambda: all(site.watcher.latest[t] == b"" for t in removed))
    assert bridge.stats.removed_meters == [KAMSTRUP]
    # the HAN meter keeps every sensor it had, even before its first push in this run
    await site.han.send(list_number=1)
    await site.watcher.wait_for(
        lambda: site.watcher.latest["mbus_han/bridge/basement/availability"] == b"online"
    )
    await site.han.send(list_number=1)
    await asyncio.sleep(0.3)
    assert set(_components(site.watcher, KAIFA)) >= han_components


async def test_silent_han_meter_goes_offline(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "HAN_SILENCE", 1.0)
    await site.start_bridge()
    await _han_up(site)
    availability = "mbus_han/han-6970631402614476/availability"
    await site.watcher.wait_for(lambda: site.watcher.latest[availability] == b"offline")
    # as the integration after an outage: the power is no longer known (not its last value)
    await site.watcher.wait_for(lambda: _power(site.watcher) is None)


async def test_the_command_runs_and_stops_cleanly(site: Site, tmp_path: Path) -> None:
    """``mbus-han bridge CONFIG`` as systemd runs it: up, publishing; SIGTERM: offline, exit 0."""
    import signal
    import sys

    import yaml

    config = tmp_path / "bridge.yaml"
    config.write_text(yaml.safe_dump({k: v for k, v in site.config.items() if k != "mbus"}))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "custom_components.mbus_han",
        "bridge",
        str(config),
        cwd=Path(__file__).parents[2],
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await _han_up(site)
        availability = "mbus_han/bridge/basement/availability"
        assert site.watcher.latest[availability] == b"online"
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            assert await process.wait() == 0
        await site.watcher.wait_for(lambda: site.watcher.latest[availability] == b"offline")
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_lost_gateway_is_reopened(site: Site) -> None:
    """The HAN gateway drops the connection: the meter goes offline, the port is reopened (1 s
    back-off), and the next push is published again."""
    await site.start_bridge()
    await _han_up(site)
    availability = "mbus_han/han-6970631402614476/availability"
    first = site.han.clients[-1]
    first.close()
    await site.watcher.wait_for(lambda: site.watcher.latest[availability] == b"offline")
    # (send waits for the bridge to connect again: the closed client is not written to)
    _, power = await site.han.send(list_number=2)
    await site.watcher.wait_for(lambda: _power(site.watcher) == power)
    assert site.watcher.latest[availability] == b"online"


async def test_a_swapped_meter_replaces_the_old_one(site: Site) -> None:
    """Another meter pushes on the port (the grid operator swapped it): a new device, and the
    old one's retained discovery is cleared (as when it leaves the configuration)."""
    await site.start_bridge()
    await _han_up(site)
    site.han.sim.meter_id = "6970631400000001"
    new_topic = "homeassistant/device/mbus_han_han-6970631400000001/config"
    old_topic = f"homeassistant/device/mbus_han_{KAIFA.lower()}/config"
    for _ in range(2):
        await site.han.send(list_number=2)
    await site.watcher.wait_for(
        lambda: new_topic in site.watcher.latest and site.watcher.latest[old_topic] == b""
    )
    index = "mbus_han/bridge/basement/meters"
    await site.watcher.wait_for(lambda: KAIFA not in site.watcher.json(index))
    assert "HAN-6970631400000001" in site.watcher.json(index)
    assert site.watcher.latest[f"mbus_han/{KAIFA.lower()}/sensor/1-0_1_7_0_255"] == b""
