"""A real MQTT broker for tests (Debian's mosquitto on loopback) and a client that watches it.

The broker is the one users run; nothing is mocked between the bridge and it. Tests that need
it skip cleanly where mosquitto is not installed (CI installs it: .ci/apt-packages.txt).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

MOSQUITTO = shutil.which("mosquitto") or (
    "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Broker:
    """mosquitto on 127.0.0.1:``port``; ``restart`` keeps the port and (persisted) retained."""

    def __init__(self, port: int | None = None) -> None:
        if MOSQUITTO is None:
            pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="mbus-han-mosquitto-"))
        (self.dir / "mosquitto.conf").write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {self.dir}/\n"
            "log_dest none\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert MOSQUITTO is not None
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.dir / "mosquitto.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return
            time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()  # SIGTERM: mosquitto saves its retained messages
            self.process.wait(10)
            self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Watcher:
    """Subscribes to everything; keeps the latest payload per topic (and every raw frame)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.latest: dict[str, bytes] = {}
        self.history: list[tuple[str, bytes]] = []
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def start(self) -> None:
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._run(ready))
        await asyncio.wait_for(ready.wait(), 10)

    async def _run(self, ready: asyncio.Event) -> None:
        import aiomqtt

        while True:
            try:
                async with aiomqtt.Client("127.0.0.1", self.port) as client:
                    await client.subscribe("#", qos=1)
                    ready.set()
                    async for message in client.messages:
                        payload = message.payload
                        data = payload if isinstance(payload, bytes) else str(payload).encode()
                        self.latest[str(message.topic)] = data
                        self.history.append((str(message.topic), data))
                        self._changed.set()
            except aiomqtt.MqttError:
                await asyncio.sleep(0.2)

    def json(self, topic: str) -> Any:
        return json.loads(self.latest[topic])

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            while True:
                with contextlib.suppress(KeyError, ValueError, TypeError):
                    if condition():
                        return
                self._changed.clear()
                await self._changed.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@contextlib.asynccontextmanager
async def watching(port: int) -> AsyncIterator[Watcher]:
    watcher = Watcher(port)
    await watcher.start()
    try:
        yield watcher
    finally:
        await watcher.stop()


def bridge_config(broker_port: int, bus_url: str, han_url: str) -> dict[str, Any]:
    """The test site's bridge: "basement", Kamstrup at address 5 on one bus, a Kaifa HAN port."""
    return {
        "bridge": {"id": "basement"},
        "mqtt": {"host": "127.0.0.1", "port": broker_port},
        "mbus": [{"port": bus_url, "meters": [5], "poll_interval": 10}],
        "han": [{"port": han_url, "meter": "kaifa"}],
    }
