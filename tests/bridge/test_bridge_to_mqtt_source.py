"""Bridge -> real mosquitto -> the integration's own "HAN frames from MQTT" source -> entities.

Issue 19 joins its two halves here: the bridge publishes a HAN meter's raw frames on
``<prefix>/<meter>/han_raw``, and the integration (not MQTT discovery) takes them with all of
its features, set up through its config flow as a user does. Nothing between the meter
simulator and the entities is mocked. Expected values: the HAN simulator's physics (P+ of the
push the meter sent), as in test_bridge_e2e.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from mqtt_helpers import Broker
from pytest_homeassistant_custom_component.common import MockConfigEntry
from test_bridge_e2e import HanFeeder

from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.protocol.bridge.config import parse_config
from custom_components.mbus_han.protocol.bridge.runner import Bridge

pytest.importorskip("aiomqtt")

KAIFA_ID = "6970631402614476"
RAW_TOPIC = f"mbus_han/han-{KAIFA_ID}/han_raw"  # the bridge's topic for this meter's frames


@pytest.fixture
def expected_lingering_timers() -> bool:
    """The MQTT integration's own reconnect and unsubscribe timers may outlive a test."""
    return True


async def _wait(hass: HomeAssistant, condition: Callable[[], bool], timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)
            await hass.async_block_till_done()


@pytest.fixture
async def bridged_han(
    hass: HomeAssistant, socket_enabled: None, enable_custom_integrations: None
) -> AsyncIterator[HanFeeder]:
    """A HAN meter behind a bridge publishing to mosquitto; Home Assistant's MQTT connected."""
    broker = Broker()
    broker.start()
    han = HanFeeder()
    config = {
        "bridge": {"id": "hallway"},
        "mqtt": {"host": "127.0.0.1", "port": broker.port},
        "han": [{"port": await han.start(), "meter": "kaifa"}],
    }
    entry = MockConfigEntry(domain="mqtt", data={"broker": "127.0.0.1", "port": broker.port})
    entry.add_to_hass(hass)
    # the harness has no configuration.yaml (MQTT reads its YAML part at set-up)
    no_yaml = patch("homeassistant.config.async_hass_config_yaml", AsyncMock(return_value={}))
    no_yaml.start()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    task = asyncio.get_running_loop().create_task(Bridge(parse_config(config)).run())
    try:
        yield han
    finally:
        no_yaml.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for our_entry in hass.config_entries.async_entries(DOMAIN):
            await hass.config_entries.async_unload(our_entry.entry_id)
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        await han.close()
        broker.close()


def _power(hass: HomeAssistant) -> str | None:
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"HAN-{KAIFA_ID}-1-0:1.7.0.255"
    )
    state = hass.states.get(entity_id) if entity_id else None
    return state.state if state else None


async def test_the_bridges_raw_frames_feed_the_integrations_mqtt_source(
    hass: HomeAssistant, bridged_han: HanFeeder
) -> None:
    result: dict[str, Any] = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "han_mqtt"}
    )
    flow = hass.async_create_task(
        hass.config_entries.flow.async_configure(result["flow_id"], {"topic": RAW_TOPIC})
    )
    async with asyncio.timeout(30):  # the meter pushes as it always does
        while not flow.done():
            await bridged_han.send()
            await asyncio.sleep(0.05)
    result = await flow
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == "mqtt_raw"  # one whole frame per message
    assert result["data"]["transport"] == "hdlc"

    # Each list 2 the meter sends reaches the integration's entity with its P+.
    for _ in range(3):
        _, power = await bridged_han.send(list_number=2)
        await _wait(hass, lambda power=power: _power(hass) == str(power))
