"""Simulated M-Bus meters for the soak: ground truth, a vanishing USB port, a ser2net gateway.

- :class:`TruthSource` wraps a meter's telegram source and writes down, for every telegram the
  meter builds, the wall-clock time and the decoded value of each record: what the meter "had
  at that moment". The checker compares Home Assistant's recorder against this.
- :class:`UsbPort` serves a bus on a pty behind a stable symlink (as ``/dev/serial/by-id/...``
  is); unplugging closes the pty and removes the link, plugging back opens a new pty (a new
  ``/dev/pts/N``, as a re-enumerated adapter gets a new ``ttyUSBn``) and re-points the link.
- :class:`Ser2net` runs Debian's ``ser2net`` in front of a pty as a raw TCP gateway (what
  users put in ``socket://host:port``); stopping it drops the connection and, until it is
  started again, refuses new ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from custom_components.mbus_han.protocol.mbus.encode import Identity
from custom_components.mbus_han.protocol.mbus.model import Telegram
from custom_components.mbus_han.protocol.mbus.simulator import (
    HeatMeterModel,
    SimulatedBus,
    SimulatedMeter,
    SimulatorTiming,
)
from custom_components.mbus_han.protocol.mbus.simulator.sources import Payload, TelegramSource
from custom_components.mbus_han.protocol.mbus.telegram import decode_user_data
from custom_components.mbus_han.protocol.simio import PtyEndpoint

from .harness import die_with_parent, point_link

type Value = int | float | str | None


@dataclass(slots=True)
class Truth:
    """Every value every simulated meter sent: ``values[(meter_id, key)] = [(t, value)]``."""

    values: dict[tuple[str, str], list[tuple[float, Value]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    units: dict[tuple[str, str], str] = field(default_factory=dict)
    telegrams: int = 0


class TruthSource:
    """A telegram source that records what it sends before sending it."""

    def __init__(self, inner: TelegramSource, truth: Truth) -> None:
        self.inner = inner
        self.identity: Identity = inner.identity
        self.truth = truth
        self.meter_id = f"{inner.identity.manufacturer}-{inner.identity.id_text}"

    def telegram(self, index: int, access_number: int) -> Payload:
        """The inner source's telegram, its values noted with the time it was built."""
        payload = self.inner.telegram(index, access_number)
        telegram = decode_user_data(payload.ci, payload.data)
        now = time.time()
        if isinstance(telegram, Telegram):
            self.truth.telegrams += 1
            for record in telegram.records:
                value = record.value
                if isinstance(value, Decimal):
                    value = float(value)
                if isinstance(value, bool) or not isinstance(value, int | float):
                    value = None if value is None else str(value)
                key = (self.meter_id, record.key)
                self.truth.values[key].append((now, value))
                self.truth.units[key] = record.unit
        return payload


class ScaledClock:
    """Monotonic time running ``speed`` times faster: a week of meter time in minutes."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._origin = time.monotonic()

    def __call__(self) -> float:
        """Scaled seconds (starting at 1000, as the simulator tests' clocks do)."""
        return 1000.0 + (time.monotonic() - self._origin) * self.speed


def heat_meters(
    truth: Truth, clock: ScaledClock, first_id: int, addresses: list[int]
) -> list[SimulatedMeter]:
    """Heat meters (Allmess-like, SLB) with distinct IDs at the given primary addresses."""
    meters = []
    for number, address in enumerate(addresses):
        identity = Identity(first_id + number, "SLB", 0x1A, 0x04)
        model = HeatMeterModel(identity, clock=clock, seed=first_id + number)
        meters.append(SimulatedMeter(TruthSource(model, truth), address))
    return meters


class UsbPort:
    """A bus on a pty reached through a symlink that vanishes when the port is unplugged."""

    def __init__(self, bus: SimulatedBus, link: Path) -> None:
        self.bus = bus
        self.link = link
        self.pty: PtyEndpoint | None = None

    async def plug(self) -> None:
        """A new pty (new /dev/pts/N) and the link pointing at it."""
        self.pty = await self.bus.start_pty()
        point_link(self.link, self.pty.path)

    async def unplug(self) -> None:
        """Remove the link and close the pty: readers get an error, reopening fails."""
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        if self.pty is not None:
            await self.pty.close()
            self.pty = None

    def noise(self, rng: random.Random, length: int) -> None:
        """Random bytes on the line (a burst of interference), as the master reads them."""
        if self.pty is not None:
            with contextlib.suppress(ConnectionError, OSError):
                self.pty.writer.write(rng.randbytes(length))


def free_tcp_port() -> int:
    """A TCP port nobody listens on right now (for ser2net's accepter)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SER2NET_CONFIG = """\
%YAML 1.1
---
connection: &soak
  accepter: tcp,127.0.0.1,{port}
  connector: serialdev,{device},{baud}e81,local
  options:
    kickolduser: true
"""


class Ser2net:
    """Debian's ser2net serving ``device`` raw on ``socket://127.0.0.1:port``."""

    def __init__(self, device: str, baudrate: int, work_dir: Path) -> None:
        self.port = free_tcp_port()
        self.config = work_dir / f"ser2net-{self.port}.yaml"
        self.config.write_text(
            SER2NET_CONFIG.format(port=self.port, device=device, baud=baudrate),
            encoding="utf-8",
        )
        self.log = work_dir / f"ser2net-{self.port}.log"
        self.process: asyncio.subprocess.Process | None = None

    @staticmethod
    def available() -> str | None:
        """Path of the ser2net binary, if installed (Debian puts it in /usr/sbin)."""
        return shutil.which("ser2net") or shutil.which("ser2net", path="/usr/sbin:/sbin")

    @property
    def url(self) -> str:
        """What the integration is configured with."""
        return f"socket://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Run ser2net in the foreground and wait until it accepts connections."""
        binary = self.available()
        if binary is None:
            raise FileNotFoundError("ser2net is not installed (apt-get install ser2net)")
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                binary,
                "-n",
                "-d",
                "-c",
                str(self.config),
                "-P",
                str(self.config.with_suffix(".pid")),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return
        raise TimeoutError("ser2net did not start listening")

    async def stop(self) -> None:
        """Kill the gateway: open connections drop, new ones are refused."""
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()


def instant_bus(meters: list[SimulatedMeter], baudrate: int = 2400) -> SimulatedBus:
    """A bus whose meters answer at once (load tests: the integration's cost, not the wire)."""
    return SimulatedBus(meters, SimulatorTiming(baudrate=baudrate, time_scale=0.0, late_delay=1.0))


def real_bus(
    meters: list[SimulatedMeter], baudrate: int = 2400, late_delay: float = 0.3
) -> SimulatedBus:
    """A bus with real wire timing; a late answer starts ``late_delay`` s after its window.

    0.3 s late is what a slow meter or a busy converter does: beyond the standard's 330 bit
    times (0.14 s at 2400 baud), so the master must give up on it and retry.
    """
    timing = SimulatorTiming(baudrate=baudrate, time_scale=1.0, late_delay=late_delay)
    return SimulatedBus(meters, timing)
