"""The HAN branch of the config flow against a simulated meter on a real pty."""

from __future__ import annotations

from unittest.mock import patch

import pytest
from ha_helpers import han_entry_data, wait_until
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry
from test_ha_config_flow import _menu

from custom_components.mbus_han import config_flow
from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.issues import key_issue_id
from custom_components.mbus_han.protocol.han import SecurityKeys, Transport
from custom_components.mbus_han.protocol.han.simulator import Maker

KEY = "000102030405060708090A0B0C0D0E0F"
AUTH_KEY = "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"


@pytest.fixture
def short_wait():
    """Give up listening after 0.4 s instead of 30 s where nothing will come."""
    with patch.object(config_flow, "HAN_TEST_TIMEOUT", 0.4):
        yield


async def _submit(hass: HomeAssistant, port: str, meter: str = "auto", **keys: str) -> dict:
    result = await _menu(hass, "han")
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"port": port, "meter": meter, **keys}
    )


async def test_a_pushing_meter_is_added_with_the_parity_found(hass, han_factory):
    line = await han_factory(Maker.KAIFA)
    line.stream(time_scale=0.01)
    result = await _submit(hass, line.path)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == han_entry_data(line.path, "auto")  # parity E: tried first
    assert result["result"].unique_id == line.path
    await hass.async_block_till_done()


async def test_kamstrup_listens_without_parity(hass, han_factory):
    line = await han_factory(Maker.KAMSTRUP)
    line.stream(time_scale=0.01)
    result = await _submit(hass, line.path, "kamstrup")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["parity"] == "N"
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("keys", "errors"),
    [
        ({"key": "0011"}, {"key": "invalid_key"}),
        ({"key": "G" * 32}, {"key": "invalid_key"}),
        ({"key": KEY, "auth_key": KEY + "00"}, {"auth_key": "invalid_key"}),
        ({"auth_key": AUTH_KEY}, {"key": "key_required_with_auth_key"}),
    ],
)
async def test_malformed_keys_are_refused_before_listening(hass, keys, errors, tmp_path):
    result = await _submit(hass, str(tmp_path / "never-opened"), **keys)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors


@pytest.mark.parametrize(
    ("keys", "error"),
    [
        ({}, "key_required"),
        ({"key": "FF" * 16}, "wrong_key"),
        ({"key": KEY, "auth_key": "EE" * 16}, "wrong_auth_key"),
    ],
)
async def test_an_encrypted_meter_needs_its_keys(hass, han_factory, keys, error):
    line = await han_factory(Maker.KAIFA, keys=SecurityKeys.from_hex(KEY, AUTH_KEY))
    line.stream(time_scale=0.01)
    result = await _submit(hass, line.path, "kaifa", **keys)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    # With the right keys (spaces and lower case as people paste them) the flow finishes.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "port": line.path,
            "meter": "kaifa",
            "key": KEY.lower(),
            "auth_key": AUTH_KEY[:8] + " " + AUTH_KEY[8:],
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["key"] == KEY
    assert result["data"]["auth_key"] == AUTH_KEY
    await hass.async_block_till_done()


async def test_a_silent_port_says_no_data(hass, han_factory, short_wait):
    line = await han_factory(Maker.AIDON)  # nothing is pushed
    result = await _submit(hass, line.path)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_data"}


async def test_a_missing_port(hass, tmp_path):
    result = await _submit(hass, str(tmp_path / "ttyUSB3"), "aidon")
    assert result["errors"] == {"base": "port_not_found"}


async def test_a_configured_port_is_refused(hass, han_factory):
    line = await han_factory()
    MockConfigEntry(domain=DOMAIN, data=han_entry_data(line.path), unique_id=line.path).add_to_hass(
        hass
    )
    result = await _submit(hass, line.path)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_takes_new_keys(hass, han_factory):
    line = await han_factory(Maker.KAIFA, keys=SecurityKeys.from_hex(KEY))
    entry = MockConfigEntry(
        domain=DOMAIN, data=han_entry_data(line.path, key="AB" * 16), unique_id=line.path
    )
    entry.add_to_hass(hass)
    line.stream(time_scale=0.01)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_han"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"port": line.path, "meter": "kaifa", "key": "CD" * 16}
    )
    assert result["errors"] == {"base": "wrong_key"}
    assert entry.data["key"] == "AB" * 16  # nothing changed
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"port": line.path, "meter": "kaifa", "key": KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["key"] == KEY
    await hass.async_block_till_done()


async def test_a_han_port_has_no_poll_options(hass):
    """A HAN meter pushes at its own pace: its options are the capacity tariff's (issue 17)."""
    entry = MockConfigEntry(domain=DOMAIN, data=han_entry_data("/dev/ttyUSB0"))
    entry.add_to_hass(hass)
    assert entry.supports_options
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "han"
    assert "scan_interval" not in result["data_schema"].schema


async def test_keys_that_stop_working_ask_for_new_ones(hass, han_factory):
    """The grid company changed the keys: a reauth flow asks for them and the meter is back."""
    line = await han_factory(Maker.KAIFA, keys=SecurityKeys.from_hex(KEY))
    entry = MockConfigEntry(
        domain=DOMAIN, data=han_entry_data(line.path, key="AB" * 16), unique_id=line.path
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await line.send(3)  # three pushes the old key cannot open
    await wait_until(hass, lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)))
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"
    assert flow["step_id"] == "reauth_confirm"

    line.stream(time_scale=0.01)
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {"key": "CD" * 16})
    assert result.get("errors") == {"base": "wrong_key"}, result
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {"key": KEY})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["key"] == KEY
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    issues = ir.async_get(hass)
    assert issues.async_get_issue(DOMAIN, key_issue_id(entry.entry_id)) is None


async def test_reconfigure_while_loaded_releases_the_port(hass, han_factory):
    """Serial ports open exclusively: the running listener must let go for the test."""
    line = await han_factory(Maker.KAIFA)
    entry = MockConfigEntry(domain=DOMAIN, data=han_entry_data(line.path), unique_id=line.path)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    line.stream(time_scale=0.01)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"port": line.path, "meter": "kaifa"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["meter"] == "kaifa"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_an_abandoned_reconfigure_sets_the_entry_up_again(hass, han_factory, tmp_path):
    line = await han_factory(Maker.KAIFA)
    entry = MockConfigEntry(domain=DOMAIN, data=han_entry_data(line.path), unique_id=line.path)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"port": line.path, "meter": "kaifa", "key": "0"}
    )
    assert result["errors"] == {"key": "invalid_key"}  # refused before the port is touched
    assert entry.state is ConfigEntryState.LOADED
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"port": str(tmp_path / "ttyUSB4"), "meter": "kaifa"}
    )
    assert result["errors"] == {"base": "port_not_found"}
    assert entry.state is ConfigEntryState.NOT_LOADED  # released for the test
    hass.config_entries.flow.async_abort(result["flow_id"])  # the user closes the dialog
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data == han_entry_data(line.path)


async def test_an_austrian_meter_in_m_bus_frames_is_recognised(hass, han_factory):
    """Kaifa MA309 wraps its encrypted pushes in M-Bus long frames: the flow finds that."""
    line = await han_factory(Maker.KAIFA, keys=SecurityKeys.from_hex(KEY), transport=Transport.MBUS)
    line.stream(time_scale=0.01)
    result = await _submit(hass, line.path, "kaifa", key=KEY)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["transport"] == "mbus"
    await hass.async_block_till_done()
    entry = result["result"]
    await wait_until(hass, lambda: entry.runtime_data.coordinator.stats.readings > 0)
    assert entry.runtime_data.coordinator.decoder.stats.bad_frames == 0
