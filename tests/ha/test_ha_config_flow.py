"""The config flow against a simulated bus on a real pty: every path and every error."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import patch

import pytest
from ha_helpers import TEST_BAUD, mbus_entry_data
from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.mbus_han import config_flow
from custom_components.mbus_han.const import (
    CONF_ADDRESSES,
    CONF_BAUDRATE,
    CONF_METERS,
    CONF_PORT,
    CONF_SCAN_INTERVAL,
    CONF_SETUP_METHOD,
    DOMAIN,
)


async def _menu(hass: HomeAssistant, kind: str) -> dict:
    """Start the flow and pick what is on the port."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["mbus", "han", "han_mqtt"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": kind}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == kind
    return result


async def _start(hass: HomeAssistant, port: str, method: str) -> dict:
    result = await _menu(hass, "mbus")
    return await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_PORT: port, CONF_BAUDRATE: str(TEST_BAUD), CONF_SETUP_METHOD: method},
    )


async def test_manual_addresses_create_an_entry(hass, bus_factory, heat_meter, kamstrup_meter):
    _, port = await bus_factory(heat_meter, kamstrup_meter)
    result = await _start(hass, port, "manual")
    assert result["step_id"] == "manual"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ADDRESSES: "0, 5"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == mbus_entry_data(port, ["0", "5"])
    assert result["result"].unique_id == port
    await hass.async_block_till_done()


async def test_invalid_address_is_refused_with_the_reason(hass, bus_factory, heat_meter):
    _, port = await bus_factory(heat_meter)
    result = await _start(hass, port, "manual")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ADDRESSES: "0, 251"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_ADDRESSES: "invalid_address"}
    assert "251" in result["description_placeholders"]["error"]


async def test_no_answer_from_an_absent_meter(hass, bus_factory, heat_meter):
    _, port = await bus_factory(heat_meter)
    result = await _start(hass, port, "manual")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ADDRESSES: "7"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_answer"}
    # The user corrects the address and the flow finishes.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ADDRESSES: "0"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def test_missing_port(hass, tmp_path):
    # Refused on the port form, before any address is asked for.
    result = await _start(hass, str(tmp_path / "ttyUSB7"), "manual")
    assert result["step_id"] == "mbus"
    assert result["errors"] == {"base": "port_not_found"}


async def test_permission_denied(hass, tmp_path):
    device = tmp_path / "ttyUSB0"
    device.write_bytes(b"")
    device.chmod(0)
    result = await _start(hass, str(device), "manual")
    assert result["step_id"] == "mbus"
    # As root the file opens but is no tty; as a normal user permission is denied.
    assert result["errors"]["base"] in {"permission_denied", "cannot_open_port"}


async def test_scan_finds_every_meter_and_the_user_picks(
    hass, bus_factory, heat_meter, kamstrup_meter
):
    _, port = await bus_factory(heat_meter, kamstrup_meter)
    result = await _start(hass, port, "scan")
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "select"
    options = {o["value"] for o in result["data_schema"].schema[CONF_METERS].config["options"]}
    assert {o[:8] for o in options} == {"12345678", "06855817"}
    kamstrup = next(o for o in options if o.startswith("06855817"))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_METERS: [kamstrup]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_METERS] == [kamstrup]
    await hass.async_block_till_done()


async def test_scan_of_an_empty_bus_offers_manual_entry(hass, bus_factory):
    _, port = await bus_factory()
    result = await _start(hass, port, "scan")
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["step_id"] == "scan_failed"
    assert result["errors"] == {"base": "no_meter_found"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "manual"


async def test_a_configured_port_is_refused(hass, bus_factory, heat_meter):
    _, port = await bus_factory(heat_meter)
    MockConfigEntry(domain=DOMAIN, data=mbus_entry_data(port, ["0"]), unique_id=port).add_to_hass(
        hass
    )
    result = await _start(hass, port, "manual")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.skipif(
    config_flow.SerialPortSelector is None, reason="2025.4 has no serial-port selector of its own"
)
async def test_port_field_is_home_assistants_serial_port_selector(hass):
    """2026.x lists the ports itself (by-id names, serial proxies), not our dropdown."""
    with patch("custom_components.mbus_han.config_flow.async_list_ports", return_value=[]):
        result = await _menu(hass, "mbus")
    assert result["data_schema"].schema[CONF_PORT].serialize() == {"selector": {"serial_port": {}}}


@pytest.mark.skipif(
    config_flow.SerialPortSelector is not None, reason="Home Assistant lists the ports itself"
)
async def test_port_list_offers_detected_ports(hass):
    from custom_components.mbus_han.protocol.transport import PortInfo

    ports = [PortInfo("/dev/serial/by-id/usb-FTDI_M-Bus-if00", "FT232R M-Bus master")]
    with patch("custom_components.mbus_han.config_flow.async_list_ports", return_value=ports):
        result = await _menu(hass, "mbus")
    options = result["data_schema"].schema[CONF_PORT].config["options"]
    assert options == [
        {
            "value": "/dev/serial/by-id/usb-FTDI_M-Bus-if00",
            "label": "/dev/serial/by-id/usb-FTDI_M-Bus-if00 (FT232R M-Bus master)",
        }
    ]


async def test_options_set_the_poll_interval(hass, bus_factory, heat_meter):
    _, port = await bus_factory(heat_meter)
    entry = MockConfigEntry(domain=DOMAIN, data=mbus_entry_data(port, ["0"]), unique_id=port)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    running = entry.runtime_data.coordinator
    result = await hass.config_entries.options.async_init(entry.entry_id)
    # An M-Bus port's options open on a menu: the poll interval, or the heat KPIs.
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["poll_interval", "heat_kpi"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "poll_interval"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "poll_interval"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 60}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {CONF_SCAN_INTERVAL: 60}
    coordinator = entry.runtime_data.coordinator
    assert coordinator is running  # taken by the running bus, no reload
    assert coordinator.update_interval.total_seconds() == 60
    # The next poll comes within the new interval, not after the old 15 minutes.
    polls = coordinator.stats.polls
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await hass.async_block_till_done()
    assert coordinator.stats.polls == polls + 1


async def test_reconfigure_moves_the_bus_to_a_new_port(hass, bus_factory, heat_meter):
    _, old_port = await bus_factory(heat_meter)
    entry = MockConfigEntry(
        domain=DOMAIN, data=mbus_entry_data(old_port, ["0"]), unique_id=old_port
    )
    entry.add_to_hass(hass)
    await bus_factory()  # another bus, empty
    from custom_components.mbus_han.protocol.mbus.simulator import SimulatedMeter

    _, new_port = await bus_factory(SimulatedMeter(heat_meter.source, 0))
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PORT: new_port, CONF_BAUDRATE: str(TEST_BAUD)}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_PORT] == new_port
    assert entry.unique_id == new_port
    await hass.async_block_till_done()


async def test_a_plugged_in_m_bus_master_is_offered(hass, bus_factory, heat_meter):
    from homeassistant.helpers.service_info.usb import UsbServiceInfo

    _, port = await bus_factory(heat_meter)
    discovery = UsbServiceInfo(
        device=port,
        vid="0403",
        pid="6001",
        serial_number="A10KZP45",
        manufacturer="FTDI",
        description="USB M-Bus Master",
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USB}, data=discovery
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "mbus"
    schema_defaults = {
        str(key): key.default() for key in result["data_schema"].schema if callable(key.default)
    }
    assert schema_defaults[CONF_PORT] == port  # no by-id link for a pty: the path itself
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_PORT: port, CONF_BAUDRATE: str(TEST_BAUD), CONF_SETUP_METHOD: "manual"},
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ADDRESSES: "0"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    # Plugged in again later: already configured, not offered twice.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USB}, data=discovery
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
