"""Fixtures for the Home Assistant glue: a simulated meter bus on a real pty."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from ha_helpers import KAMSTRUP_601, SLB_ID, TEST_BAUD

from custom_components.mbus_han.protocol.mbus.encode import Identity
from custom_components.mbus_han.protocol.mbus.simulator import (
    BusFaults,
    HeatMeterModel,
    SimulatedBus,
    SimulatedMeter,
    SimulatorTiming,
)
from custom_components.mbus_han.protocol.mbus.simulator.sources import ReplaySource


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/mbus_han in every test of this folder."""


@pytest.fixture
def clock() -> list[float]:
    """A settable monotonic clock driving the heat meter model."""
    return [1000.0]


@pytest.fixture
def heat_meter(clock: list[float]) -> SimulatedMeter:
    """An Allmess-like heat meter at primary address 0 (SLB 12345678)."""
    identity = Identity(SLB_ID, "SLB", 0x1A, 0x04)
    model = HeatMeterModel(identity, clock=lambda: clock[0], seed=1)
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
