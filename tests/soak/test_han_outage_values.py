"""Regression test for what the soak found (fixed in 99af415): HAN values stale after an outage.

The soak's recorder check caught it: after the HAN listener reconnects, the first push is
usually list 1 (active power only); every other value (voltages, currents, reactive power)
becomes available again at once, showing what the meter sent before the outage, recorded with
the time of the reconnect as if the meter had just measured it. Those values must stay
unavailable until a push carries them again (or come back with the new value).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from unittest.mock import patch

import pytest
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mbus_han import han_coordinator
from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.protocol.han.simulator import HanSimulator, Maker, Wiring
from custom_components.mbus_han.protocol.simio import PtyEndpoint, open_pty

KAIFA_ID = "6970631402614476"
VOLTAGE_L1 = "1-0:32.7.0.255"
P_IMPORT = "1-0:1.7.0.255"
START = datetime(2026, 12, 2, 10, 59, 40)  # list 2 within 10 s of meter time


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/mbus_han."""


@pytest.fixture
def fast_recovery():
    """Silence after 0.3 s and reopen after 0.05 s: the outage takes test time, not minutes."""
    with (
        patch.object(han_coordinator, "SILENCE_TIMEOUT", 0.3),
        patch.object(han_coordinator, "RECONNECT_DELAYS", (0.05,)),
    ):
        yield


@pytest.fixture
async def pty() -> AsyncIterator[PtyEndpoint]:
    endpoint = await open_pty()
    yield endpoint
    await endpoint.close()


async def _wait(hass: HomeAssistant, condition, limit: float = 10) -> None:
    async with asyncio.timeout(limit):
        while not condition():
            await asyncio.sleep(0.01)
    await hass.async_block_till_done()


def _state(hass: HomeAssistant, code: str) -> str | None:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"HAN-{KAIFA_ID}-{code}")
    state = hass.states.get(entity_id) if entity_id else None
    return state.state if state else None


async def test_a_value_the_first_push_after_an_outage_lacks_is_not_shown_stale(
    hass, pty, fast_recovery
):
    sim = HanSimulator(Maker.KAIFA, Wiring.THREE_PHASE, start=START, seed=3)
    pushes = sim.pushes()
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={
            "kind": "han",
            "port": pty.path,
            "meter": "kaifa",
            "parity": "E",
            "transport": "hdlc",
        },
        unique_id=pty.path,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator

    # Until list 2 (voltages) has come: the voltage entity shows the meter's voltage.
    while True:
        push = next(pushes)
        pty.writer.write(push.data)
        await pty.writer.drain()
        if push.list_number == 2:
            break
    await _wait(hass, lambda: _state(hass, VOLTAGE_L1) not in (None, STATE_UNAVAILABLE))
    before = float(_state(hass, VOLTAGE_L1))
    assert before == pytest.approx(sim.physics.voltage[0], abs=0.05)

    # The meter goes silent: everything unavailable.
    await _wait(hass, lambda: coordinator.stats.silences >= 1)
    assert _state(hass, VOLTAGE_L1) == STATE_UNAVAILABLE

    # Time passes for the meter (its voltage wanders); then one list-1 push (power only).
    push = next(pushes)
    while push.list_number != 1:
        push = next(pushes)
    for _ in range(30):  # let the meter's state move on: voltages drift with every push
        push = next(pushes)
    while push.list_number != 1:
        push = next(pushes)
    now = sim.physics.voltage[0]
    assert round(now, 1) != round(before, 1)
    readings = coordinator.stats.readings

    async def send_list_1() -> None:
        pty.writer.write(push.data)
        await pty.writer.drain()
        await asyncio.sleep(0.05)

    async with asyncio.timeout(10):
        while coordinator.stats.readings == readings:
            await send_list_1()
    await hass.async_block_till_done()
    assert _state(hass, P_IMPORT) != STATE_UNAVAILABLE

    # The voltage was not in that push: unavailable, or the meter's present value; never the
    # value from before the outage.
    shown = _state(hass, VOLTAGE_L1)
    assert shown == STATE_UNAVAILABLE or float(shown) == pytest.approx(now, abs=0.05), (
        f"voltage shows {shown} V from before the outage; the meter measures {now:.1f} V"
    )
