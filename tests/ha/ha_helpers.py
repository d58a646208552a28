"""Constants and helpers shared by the Home Assistant tests (not fixtures)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from custom_components.mbus_han.const import (
    CONF_BAUDRATE,
    CONF_KIND,
    CONF_METER,
    CONF_METERS,
    CONF_PARITY,
    CONF_PORT,
    CONF_TRANSPORT,
    DOMAIN,
    KIND_HAN,
    KIND_MBUS,
)
from custom_components.mbus_han.protocol.mbus.encode import Identity
from custom_components.mbus_han.protocol.mbus.simulator import HeatMeterModel, SimulatedMeter

# 38400 baud keeps the answer windows of silent addresses short, so tests stay fast.
TEST_BAUD = 38400
SLB_ID = 12345678
CORPUS = Path(__file__).resolve().parents[1] / "fixtures"  # vendored reference data
HAN_START = datetime(2026, 12, 2, 10, 59, 40)
HEAT_METER_TIME = datetime(2026, 12, 2, 14, 13)  # the heat meter's clock, fixed
KAMSTRUP_601 = CORPUS / "mbus" / "libmbus" / "test-frames" / "kamstrup_multical_601.hex"


def entry_device(hass: HomeAssistant, entry_id: str, identifier: str) -> dr.DeviceEntry | None:
    """The device of config entry ``entry_id`` that carries our identifier ``identifier``.

    Searched among the entry's devices, a public API of every release we test: since 2026.x a
    device identifier is unique only within its config entry, and
    ``DeviceRegistry.async_get_device`` is deprecated (it raises when a test calls it).
    """
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry_id):
        if (DOMAIN, identifier) in device.identifiers:
            return device
    return None


def mbus_entry_data(port: str, meters: list[str]) -> dict[str, object]:
    """Config entry data of an M-Bus port."""
    return {
        CONF_KIND: KIND_MBUS,
        CONF_PORT: port,
        CONF_BAUDRATE: TEST_BAUD,
        CONF_METERS: meters,
    }


def han_entry_data(
    port: str, meter: str = "kaifa", transport: str = "hdlc", **keys: str
) -> dict[str, object]:
    """Config entry data of a HAN port."""
    return {
        CONF_KIND: KIND_HAN,
        CONF_PORT: port,
        CONF_METER: meter,
        CONF_PARITY: "E",
        CONF_TRANSPORT: transport,
        **keys,
    }


async def wait_until(hass: HomeAssistant, condition: Callable[[], bool], limit: float = 10) -> None:
    """Let the event loop run until ``condition`` holds (``limit`` only guards against hangs)."""
    async with asyncio.timeout(limit):
        while not condition():
            await asyncio.sleep(0.01)
    await hass.async_block_till_done()


async def push_until(
    hass: HomeAssistant,
    send: Callable[[], Awaitable[object]],
    condition: Callable[[], bool],
    limit: float = 10,
) -> None:
    """Keep a meter pushing (as real ones do) until ``condition`` holds."""
    async with asyncio.timeout(limit):
        while not condition():
            await send()
            await asyncio.sleep(0.02)
    await hass.async_block_till_done()


def slb_heat_meter(energy_kwh: float) -> SimulatedMeter:
    """An Allmess-like heat meter (SLB 12345678) at primary address 0 with a set counter."""
    model = HeatMeterModel(
        Identity(SLB_ID, "SLB", 0x1A, 0x04),
        clock=lambda: 1000.0,
        seed=1,
        wall_clock=lambda: HEAT_METER_TIME,
        energy_kwh=energy_kwh,
    )
    return SimulatedMeter(model, 0)
