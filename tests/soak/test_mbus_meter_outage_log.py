"""Regression test for what the soak found (fixed in 99af415): a silent M-Bus meter unlogged.

When a whole port fails, Home Assistant's coordinator logs one error and one "recovered"
line. When only one meter of a working port stopped answering, its entities went unavailable and
came back without a word in the log, which the quality scale's log-when-unavailable rule (and
the soak's one-warning-one-recovery-line check) asks for.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.protocol.mbus.encode import Identity
from custom_components.mbus_han.protocol.mbus.simulator import (
    Fault,
    HeatMeterModel,
    SimulatedBus,
    SimulatedMeter,
    SimulatorTiming,
)

BAUD = 38400  # short answer windows for the silent meter: the test stays fast


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/mbus_han."""


@pytest.fixture
async def bus() -> AsyncIterator[SimulatedBus]:
    clock = [1000.0]
    meters = [
        SimulatedMeter(
            HeatMeterModel(Identity(12345678 + n, "SLB", 0x1A, 0x04), clock=lambda: clock[0]),
            address,
        )
        for n, address in enumerate((0, 5))
    ]
    simulated = SimulatedBus(meters, SimulatorTiming.instant(BAUD))
    yield simulated
    await simulated.close()


async def _poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


async def test_a_meter_that_stops_answering_is_logged_once_and_its_return_too(hass, bus, caplog):
    endpoint = await bus.start_pty()
    data = {"kind": "mbus", "port": endpoint.path, "baudrate": BAUD, "meters": ["0", "5"]}
    entry = MockConfigEntry(domain=DOMAIN, data=data, unique_id=endpoint.path)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    energy = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, "SLB-12345679-energy")
    assert energy is not None

    silent = bus.meters[1]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="custom_components.mbus_han"):
        silent.inject(Fault.NO_ANSWER, count=1000)
        await _poll(hass, entry)
        await _poll(hass, entry)
        assert hass.states.get(energy).state == STATE_UNAVAILABLE
        silent.faults.clear()
        await _poll(hass, entry)
        assert hass.states.get(energy).state != STATE_UNAVAILABLE
    lost = [r for r in caplog.records if r.levelno >= logging.WARNING]
    back = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(lost) == 1, [r.getMessage() for r in lost]
    assert len(back) == 1, [r.getMessage() for r in back]
