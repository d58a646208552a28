"""Fixtures for the Home Assistant glue: a simulated meter bus and HAN meters on real ptys."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from unittest.mock import PropertyMock, patch

import pytest
from ha_helpers import HAN_START, HEAT_METER_TIME, KAMSTRUP_601, SLB_ID, TEST_BAUD
from homeassistant.const import MAJOR_VERSION, MINOR_VERSION
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.mbus_han import han_coordinator
from custom_components.mbus_han.protocol.han import SecurityKeys, Transport
from custom_components.mbus_han.protocol.han.simulator import HanSimulator, Maker, Push, Wiring
from custom_components.mbus_han.protocol.mbus.encode import Identity
from custom_components.mbus_han.protocol.mbus.simulator import (
    BusFaults,
    HeatMeterModel,
    SimulatedBus,
    SimulatedMeter,
    SimulatorTiming,
)
from custom_components.mbus_han.protocol.mbus.simulator.sources import ReplaySource
from custom_components.mbus_han.protocol.simio import PtyEndpoint, open_pty

# The release the tests run against, as the snapshot directory names it.
HA_RELEASE = f"{MAJOR_VERSION}.{MINOR_VERSION}"


class PerReleaseSnapshotExtension(HomeAssistantSnapshotExtension):
    """Home Assistant's snapshot format, one directory per release (``snapshots/2025.4/``).

    What a release puts in a registry entry or state (fields, enum types, the device and
    state classes we use only where they exist) differs between the releases we test, so
    each keeps its own reviewed snapshots and a drift on one release shows as that.
    """

    @classmethod
    def dirname(cls, *, test_location: Any) -> str:
        return str(Path(test_location.filepath).parent / "snapshots" / HA_RELEASE)


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in Home Assistant's format (ids and timestamps left out), per release.

    The plugin defines the same fixture, but syrupy's own one wins the plugin order here.
    """
    return snapshot.use_extension(PerReleaseSnapshotExtension)


@pytest.fixture
def all_entities_enabled() -> Iterator[None]:
    """Create every entity enabled, including those disabled by default (for snapshots)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/mbus_han in every test of this folder."""


@pytest.fixture
def fast_recovery():
    """Silence after 0.3 s and reopen after 0.05 s, so outages take test time, not minutes."""
    with (
        patch.object(han_coordinator, "SILENCE_TIMEOUT", 0.3),
        patch.object(han_coordinator, "RECONNECT_DELAYS", (0.05,)),
    ):
        yield


@pytest.fixture
def clock() -> list[float]:
    """A settable monotonic clock driving the heat meter model."""
    return [1000.0]


@pytest.fixture
def heat_meter(clock: list[float]) -> SimulatedMeter:
    """An Allmess-like heat meter at primary address 0 (SLB 12345678)."""
    identity = Identity(SLB_ID, "SLB", 0x1A, 0x04)
    model = HeatMeterModel(
        identity, clock=lambda: clock[0], seed=1, wall_clock=lambda: HEAT_METER_TIME
    )
    return SimulatedMeter(model, 0)


@pytest.fixture
def kamstrup_meter() -> SimulatedMeter:
    """A Kamstrup Multical 601 replaying its real telegram, at primary address 5."""
    return SimulatedMeter(ReplaySource.from_file(KAMSTRUP_601), 5)


@pytest.fixture
async def bus_factory() -> AsyncIterator[Callable[..., object]]:
    """``await bus_factory(*meters)`` -> (bus, pty path); every bus closed after the test."""
    buses: list[SimulatedBus] = []

    async def start(*meters: SimulatedMeter, faults: BusFaults | None = None):
        bus = SimulatedBus(list(meters), SimulatorTiming.instant(TEST_BAUD), faults or BusFaults())
        buses.append(bus)
        endpoint = await bus.start_pty()
        return bus, endpoint.path

    yield start
    for bus in buses:
        await bus.close()


class HanLine:
    """A simulated HAN meter on a pty, pushed by hand (``send``) or at a pace (``stream``)."""

    def __init__(self, endpoint: PtyEndpoint, sim: HanSimulator) -> None:
        self.endpoint = endpoint
        self.sim = sim
        self.path = endpoint.path
        self._pushes = sim.pushes()
        self._task: asyncio.Task[int] | None = None

    async def send(self, count: int = 1) -> list[Push]:
        """Write the next ``count`` pushes at once; the meter's state is then the last one's."""
        sent = [next(self._pushes) for _ in range(count)]
        for push in sent:
            self.endpoint.writer.write(push.data)
        await self.endpoint.writer.drain()
        return sent

    async def send_until(self, list_number: int) -> list[Push]:
        """Write pushes up to and including the next one of list ``list_number``."""
        sent = await self.send()
        while sent[-1].list_number != list_number:
            sent += await self.send()
        return sent

    async def send_next_of(self, list_number: int) -> Push:
        """Write the next push of list ``list_number`` only, as if the others were lost."""
        push = next(self._pushes)
        while push.list_number != list_number:
            push = next(self._pushes)
        self.endpoint.writer.write(push.data)
        await self.endpoint.writer.drain()
        return push

    def stream(self, time_scale: float = 0.01) -> None:
        """Push in the background at ``time_scale`` times the real pace."""
        self._task = asyncio.get_running_loop().create_task(
            self.sim.run(self.endpoint.writer, time_scale)
        )

    async def close(self) -> None:
        """Stop pushing and close the pty."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.endpoint.close()


@pytest.fixture
async def han_factory() -> AsyncIterator[Callable[..., object]]:
    """``await han_factory(maker, wiring, keys=...)`` -> a :class:`HanLine` on a fresh pty.

    The meter's clock starts at 10:59:40, so list 2 follows within 10 s of meter time and
    list 3 (the energies) at 11:00:10.
    """
    lines: list[HanLine] = []

    async def start(
        maker: Maker = Maker.KAIFA,
        wiring: Wiring = Wiring.THREE_PHASE,
        keys: SecurityKeys | None = None,
        transport: Transport = Transport.HDLC,
    ) -> HanLine:
        sim = HanSimulator(maker, wiring, keys=keys, transport=transport, start=HAN_START, seed=3)
        line = HanLine(await open_pty(), sim)
        lines.append(line)
        return line

    yield start
    for line in lines:
        await line.close()
