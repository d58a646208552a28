"""HAN frames from an MQTT topic: the config flow's format detection and the entities.

Home Assistant's MQTT integration is the test fixture of pytest-homeassistant-custom-component
(``mqtt_mock``, ``async_fire_mqtt_message``): messages reach our subscription through the real
MQTT integration's dispatch, only the broker connection is mocked. The frames are vendored
reference cases (tests/fixtures/han; values confirmed by amshan, dlms_parser and the source
projects' tests), so every expected value is the case's confirmed one, not our decoder's.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import Mock, patch

import pytest
from ha_helpers import push_until, wait_until
from homeassistant import config_entries
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.mbus_han import config_flow, han_coordinator
from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.mqtt_source import MAX_QUEUED_MESSAGES, MqttSource, topic_error
from custom_components.mbus_han.protocol.han.payload import PayloadFormat

HAN_CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "han"
TOPIC = "mbus_han/hallway/han_raw"


def _case(file: str, name: str) -> dict[str, Any]:
    cases = json.loads((HAN_CORPUS / f"{file}.json").read_text())
    return next(case for case in cases if case["name"] == name)


KAIFA = _case("built", "kaifa_ma304h3e_list3_it_hdlc_built")  # HDLC, list 3, unencrypted
KAIFA_FRAME = bytes.fromhex(KAIFA["hex"])
NETZ_NOE = _case("encrypted", "kaifa_netz_noe_mbus_two_frames")  # M-Bus, AES-GCM encrypted
NETZ_NOE_BYTES = bytes.fromhex(NETZ_NOE["hex"])

PAYLOADS = {
    "raw": KAIFA_FRAME,
    "hex": KAIFA_FRAME.hex().upper(),  # amsreader firmware's pass-through format
    "json": json.dumps({"time": 1580000000, "data": base64.b64encode(KAIFA_FRAME).decode()}),
}


@pytest.fixture
def expected_lingering_timers() -> bool:
    """The MQTT integration's own unsubscribe cooldown timer may outlive a test: not ours."""
    return True


@pytest.fixture
def short_wait():
    """Give up listening after 0.3 s instead of 30 s where nothing will come."""
    with patch.object(config_flow, "HAN_TEST_TIMEOUT", 0.3):
        yield


async def _start(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "han_mqtt"}
    )


async def _submit_while_publishing(
    hass: HomeAssistant, flow_id: str, answer: dict[str, str], payloads: list[bytes | str]
) -> dict[str, Any]:
    """Submit the form, and publish ``payloads`` over and over while the flow listens."""
    topic = answer.get("topic", TOPIC)
    task = hass.async_create_task(hass.config_entries.flow.async_configure(flow_id, answer))
    async with asyncio.timeout(10):
        while not task.done():
            for payload in payloads:
                async_fire_mqtt_message(hass, topic, payload)
            await asyncio.sleep(0.02)
    return await task


async def test_without_the_mqtt_integration_the_flow_says_to_set_it_up(hass):
    result = await _start(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_configured"


@pytest.mark.parametrize("payload_format", ["raw", "hex", "json"])
async def test_the_format_of_the_first_messages_is_found_and_said(hass, mqtt_mock, payload_format):
    result = await _start(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "han_mqtt"
    result = await _submit_while_publishing(
        hass, result["flow_id"], {"topic": TOPIC}, [PAYLOADS[payload_format]]
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == f"mqtt_{payload_format}"
    assert result["description_placeholders"] == {"topic": TOPIC, "framing": "HDLC"}
    assert result["title"] == f"HAN MQTT {TOPIC}"
    assert result["result"].unique_id == TOPIC
    assert result["data"] == {
        "kind": "han",
        "source": "mqtt",
        "port": TOPIC,
        "meter": "auto",
        "transport": "hdlc",
        "payload_format": payload_format,
    }


async def test_a_stream_split_anywhere_is_raw(hass, mqtt_mock):
    """A reader forwarding the port's bytes as they come: 5-byte pieces, cut mid-frame."""
    result = await _start(hass)
    pieces: list[bytes | str] = [KAIFA_FRAME[i : i + 5] for i in range(0, len(KAIFA_FRAME), 5)]
    result = await _submit_while_publishing(hass, result["flow_id"], {"topic": TOPIC}, pieces)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["payload_format"] == "raw"


async def test_an_encrypted_mbus_meter_needs_its_key(hass, mqtt_mock):
    """Two M-Bus frames in one message (an Austrian meter), encrypted with the case's key."""
    result = await _start(hass)
    result = await _submit_while_publishing(
        hass, result["flow_id"], {"topic": TOPIC}, [NETZ_NOE_BYTES]
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "key_required"}
    result = await _submit_while_publishing(
        hass, result["flow_id"], {"topic": TOPIC, "key": NETZ_NOE["key_hex"]}, [NETZ_NOE_BYTES]
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["transport"] == "mbus"
    assert result["data"]["key"] == NETZ_NOE["key_hex"]


@pytest.mark.parametrize("topic", ["meters/+/han_raw", "meters/#", ""])
async def test_a_wildcard_or_empty_topic_is_refused(hass, mqtt_mock, topic):
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"topic": topic})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"topic": "invalid_topic"}
    assert result["description_placeholders"]["error"]


@pytest.mark.usefixtures("short_wait")
async def test_a_silent_topic_or_one_with_values_only_ends_at_the_deadline(hass, mqtt_mock):
    """amsreader's JSON mode publishes decoded values, no frame: nothing to decode."""
    result = await _start(hass)
    values_only = json.dumps({"id": "x", "data": {"P": 4904, "tPI": 79591.144}})
    result = await _submit_while_publishing(
        hass, result["flow_id"], {"topic": TOPIC}, [values_only]
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_mqtt_data"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"topic": TOPIC})
    assert result["errors"] == {"base": "no_mqtt_data"}


async def test_a_topic_is_added_once(hass, mqtt_mock):
    MockConfigEntry(domain=DOMAIN, data=_entry_data(), unique_id=TOPIC).add_to_hass(hass)
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"topic": TOPIC})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


def _entry_data(payload_format: str = "raw", **keys: str) -> dict[str, Any]:
    return {
        "kind": "han",
        "source": "mqtt",
        "port": TOPIC,
        "meter": "auto",
        "transport": "hdlc",
        "payload_format": payload_format,
        **keys,
    }


async def _setup(hass: HomeAssistant, data: dict[str, Any]) -> MockConfigEntry:
    entry = MockConfigEntry(domain=DOMAIN, data=data, unique_id=TOPIC, version=2)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _state(hass: HomeAssistant, code: str) -> str:
    meter = KAIFA["expected"]["meter_id"]
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"HAN-{meter}-{code}")
    assert entity_id is not None, code
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


@pytest.mark.parametrize("payload_format", ["raw", "hex", "json"])
async def test_messages_become_entities_with_the_frames_confirmed_values(
    hass, mqtt_mock, payload_format
):
    entry = await _setup(hass, _entry_data(payload_format))
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.coordinator
    async_fire_mqtt_message(hass, TOPIC, PAYLOADS[payload_format])
    await wait_until(hass, lambda: coordinator.stats.readings == 1)
    expected = KAIFA["expected"]
    assert float(_state(hass, "1-0:1.7.0.255")) == expected["1-0:1.7.0.255"]  # W
    assert float(_state(hass, "1-0:1.8.0.255")) * 1000 == expected["1-0:1.8.0.255"]  # kWh
    assert float(_state(hass, "1-0:32.7.0.255")) == expected["1-0:32.7.0.255"]  # V
    assert float(_state(hass, "1-0:31.7.0.255")) == expected["1-0:31.7.0.255"]  # A
    assert _state(hass, "meter_type") == expected["meter_type"]


async def test_retained_and_foreign_messages_give_no_values(hass, hass_client, mqtt_mock):
    """A retained push is the broker's old copy: right or absent, it is not shown as now."""
    entry = await _setup(hass, _entry_data("hex"))
    coordinator = entry.runtime_data.coordinator
    async_fire_mqtt_message(hass, TOPIC, PAYLOADS["hex"], retain=True)
    async_fire_mqtt_message(hass, TOPIC, b"online")  # not hex: skipped, counted
    async_fire_mqtt_message(hass, TOPIC, PAYLOADS["hex"])
    await wait_until(hass, lambda: coordinator.stats.readings == 1)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["statistics"]["mqtt"] == {"dropped": 0, "retained": 1, "payload_errors": 1}
    assert diagnostics["entry"]["data"]["payload_format"] == "hex"


@pytest.mark.usefixtures("fast_recovery")
async def test_a_silent_topic_makes_the_entities_unavailable_until_frames_come_again(
    hass, mqtt_mock
):
    entry = await _setup(hass, _entry_data())
    coordinator = entry.runtime_data.coordinator
    async_fire_mqtt_message(hass, TOPIC, KAIFA_FRAME)
    await wait_until(hass, lambda: coordinator.stats.readings == 1)
    await wait_until(hass, lambda: _state(hass, "1-0:1.7.0.255") == STATE_UNAVAILABLE)
    assert coordinator.stats.silences >= 1
    # The watchdog subscribed again: a reader publishing again is heard (a push that comes
    # while it resubscribes, every 0.3 s here, is missed; the meter's next one is taken).
    await wait_until(hass, lambda: coordinator.stats.connects >= 2)

    async def publish() -> None:
        async_fire_mqtt_message(hass, TOPIC, KAIFA_FRAME)

    power = str(KAIFA["expected"]["1-0:1.7.0.255"])  # W, the case's confirmed value
    await push_until(hass, publish, lambda: _state(hass, "1-0:1.7.0.255") == power)


async def test_without_the_mqtt_integration_the_entry_waits_for_it(hass):
    entry = await _setup(hass, _entry_data())
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason is not None
    assert "MQTT" in entry.reason


async def test_reconfigure_moves_the_meter_to_another_topic(hass, mqtt_mock):
    entry = await _setup(hass, _entry_data())
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_han_mqtt"
    other = "tibber"
    result = await _submit_while_publishing(
        hass, result["flow_id"], {"topic": other}, [PAYLOADS["hex"]]
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.unique_id == other
    assert entry.title == f"HAN MQTT {other}"
    assert (entry.data["port"], entry.data["payload_format"]) == (other, "hex")


async def test_reauth_takes_keys_that_open_the_topics_frames(hass, mqtt_mock):
    entry = await _setup(hass, {**_entry_data(), "transport": "mbus", "key": "00" * 16})
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await _submit_while_publishing(
        hass, result["flow_id"], {"key": "00" * 16}, [NETZ_NOE_BYTES]
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "wrong_key"}
    result = await _submit_while_publishing(
        hass, result["flow_id"], {"key": NETZ_NOE["key_hex"]}, [NETZ_NOE_BYTES]
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["key"] == NETZ_NOE["key_hex"]


@pytest.mark.parametrize(
    ("topic", "reason"),
    [
        ("a/\0/b", "NUL"),
        ("a" * 65536, "longer than MQTT allows"),  # MQTT 3.1.1 section 1.5.3: 65535 bytes
        ("tibber", None),
        ("/dev/ttyUSB0", None),  # odd, but a valid topic
    ],
)
def test_topics_mqtt_does_not_allow_are_refused(topic, reason):
    found = topic_error(topic)
    assert (found is None) if reason is None else (reason in str(found))


async def test_a_reader_that_falls_behind_drops_the_oldest_messages(hass):
    """The inbox is bounded: a stalled decoder costs old pushes, never memory."""
    source = MqttSource(TOPIC, PayloadFormat.RAW)
    for number in range(MAX_QUEUED_MESSAGES + 6):
        source._inbox.put(SimpleNamespace(retain=False, payload=bytes([number])))
    assert source.counters.dropped == 6
    assert await source.read() == bytes([6])  # the oldest kept


async def test_diagnostics_leave_the_meter_id_out_of_the_topic(hass, hass_client, mqtt_mock):
    """The bridge names a meter's topic by its ID; diagnostics are posted in public issues."""
    meter_id = KAIFA["expected"]["meter_id"]
    topic = f"mbus_han/{meter_id}/han_raw"
    entry = MockConfigEntry(domain=DOMAIN, data={**_entry_data(), "port": topic}, unique_id=topic)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    async_fire_mqtt_message(hass, topic, KAIFA_FRAME)
    await wait_until(hass, lambda: coordinator.stats.readings == 1)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["entry"]["data"]["port"] == "mbus_han/**REDACTED**/han_raw"
    assert meter_id not in json.dumps(diagnostics)


async def test_a_silent_topic_is_subscribed_again_without_a_growing_delay(hass, mqtt_mock):
    """A serial port is reopened after 1, 2, 5 ... s; a topic at once after each silence.

    Without this, a reader that comes back during a 30 s back-off has its pushes missed.
    """
    with (
        patch.object(han_coordinator, "SILENCE_TIMEOUT", 0.2),
        patch.object(han_coordinator, "RECONNECT_DELAYS", (0.05, 3600.0)),
    ):
        entry = await _setup(hass, _entry_data())
        coordinator = entry.runtime_data.coordinator
        # Subscribed again after each of three silences (a serial port would wait an hour)...
        await wait_until(hass, lambda: coordinator.stats.connects > 3 >= coordinator.stats.silences)
        # ... so a reader publishing again is heard (pushes while resubscribing are missed).

        async def publish() -> None:
            async_fire_mqtt_message(hass, TOPIC, KAIFA_FRAME)

        await push_until(hass, publish, lambda: coordinator.stats.readings > 0)


@pytest.mark.usefixtures("short_wait")
async def test_reconfigure_refuses_a_wildcard_and_a_silent_topic(hass, mqtt_mock):
    entry = await _setup(hass, _entry_data())
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"topic": "a/#"})
    assert result["errors"] == {"topic": "invalid_topic"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"topic": "quiet"})
    assert result["errors"] == {"base": "no_mqtt_data"}
    assert entry.data["port"] == TOPIC  # unchanged


async def test_a_subscription_the_mqtt_integration_refuses_is_said(hass, mqtt_mock):
    """E.g. the MQTT integration being reloaded between the form and its answer."""
    result = await _start(hass)
    with patch(
        "homeassistant.components.mqtt.async_subscribe",
        side_effect=HomeAssistantError("not connected"),
    ):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {"topic": TOPIC})
    assert result["errors"] == {"base": "mqtt_unavailable"}
    assert "not connected" in result["description_placeholders"]["error"]


async def test_a_subscription_already_gone_is_closed_quietly(hass):
    """After the MQTT integration reloads, our old subscription is no longer its to remove."""
    source = MqttSource(TOPIC, PayloadFormat.RAW)
    source._unsubscribe = Mock(side_effect=HomeAssistantError("cannot unsubscribe twice"))
    await source.close()
    await source.close()  # idempotent
