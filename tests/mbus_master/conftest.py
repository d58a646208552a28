"""Fixtures: a simulated bus with a master connected over a pty or TCP, torn down cleanly."""

import asyncio

import pytest

from custom_components.mbus_han.protocol.mbus.encode import Identity
from custom_components.mbus_han.protocol.mbus.master import MbusMaster
from custom_components.mbus_han.protocol.mbus.simulator import (
    BusFaults,
    HeatMeterModel,
    SimulatedBus,
    SimulatedMeter,
    SimulatorTiming,
)
from custom_components.mbus_han.protocol.transport import SerialSettings

# 38400 baud keeps silent answer windows short (10 ms + margin) so tests stay fast; the
# timing itself is tested at 2400 baud with a time scale in test_master_timing.py.
TEST_BAUD = 38400
# The answer window's extra margin. Generous enough for a loaded 2-core CI machine, whose
# event loop can be tens of milliseconds late to read an instant answer from the pty.
TEST_MARGIN = 0.06


def _heat_meter(identification=12345678, primary=0, *, history=False, manufacturer="SLB", **kw):
    identity = Identity(identification, manufacturer, 0x1A, 0x04)
    return SimulatedMeter(HeatMeterModel(identity, history=history), primary, **kw)


@pytest.fixture
def heat_meter():
    """``heat_meter(id, primary, history=..., manufacturer=...)`` -> a live simulated meter."""
    return _heat_meter


@pytest.fixture
async def connect():
    """``await connect(meters, tcp=False, ...)`` -> (bus, master); closed after the test."""
    opened = []

    async def factory(
        meters,
        *,
        tcp=False,
        timing=None,
        faults=None,
        retries=2,
        margin=TEST_MARGIN,
        baud=TEST_BAUD,
    ):
        # A late answer comes 200 ms late: after the master's first window (10 ms + margin),
        # within its retries, like a slave that is too slow once.
        timing = timing or SimulatorTiming(baud, time_scale=0.0, late_delay=0.2)
        bus = SimulatedBus(meters, timing, faults or BusFaults())
        opened.append(bus)
        if tcp:
            server = await bus.start_tcp("127.0.0.1", 0)
            url = f"socket://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        else:
            url = (await bus.start_pty()).path
        master = await MbusMaster.open(
            url, SerialSettings(baud), extra_margin=margin, retries=retries
        )
        opened.append(master)
        return bus, master

    yield factory
    for thing in reversed(opened):
        await thing.close()
    await asyncio.sleep(0)
    leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert leftover == [], f"tasks left running: {leftover}"
