"""A new user's first minutes in the config flow: abandoned set-ups, bad ports, which port.

What a user hit in a real browser (issue 20): a set-up whose page was left kept the port
locked until Home Assistant restarted; a missing device or a typo went straight into a
minute-long search; a motherboard UART was pre-selected.
"""

from __future__ import annotations

import asyncio
from unittest.mock import patch

import pytest
from ha_helpers import TEST_BAUD
from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, UnknownFlow

from custom_components.mbus_han import config_flow
from custom_components.mbus_han.const import (
    CONF_BAUDRATE,
    CONF_KEY,
    CONF_METER,
    CONF_METERS,
    CONF_PORT,
    CONF_SETUP_METHOD,
    DOMAIN,
    METER_AUTO,
)
from custom_components.mbus_han.protocol.ports import (
    likely_adapter,
    port_syntax_error,
    ports_by_likelihood,
)
from custom_components.mbus_han.protocol.transport import PortInfo


async def _menu(hass: HomeAssistant, kind: str) -> dict:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    return await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": kind})


async def _mbus(hass: HomeAssistant, port: str, method: str = "scan") -> dict:
    result = await _menu(hass, "mbus")
    return await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_PORT: port, CONF_BAUDRATE: str(TEST_BAUD), CONF_SETUP_METHOD: method},
    )


class _EndlessScan:
    """A search that never ends on its own (a big bus), recording whether it was stopped."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled = False

    async def __call__(self, master: object) -> object:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        raise AssertionError("unreachable")


async def test_a_new_set_up_takes_over_an_abandoned_one(hass, bus_factory, heat_meter):
    _, port = await bus_factory(heat_meter)
    scan = _EndlessScan()
    with patch.object(config_flow, "scan_secondary", scan):
        abandoned = await _mbus(hass, port)
        assert abandoned["type"] is FlowResultType.SHOW_PROGRESS
        await asyncio.wait_for(scan.started.wait(), 10)
        # The user left the page; later they start again on the same port.
        again = await _mbus(hass, port)
    assert again["type"] is FlowResultType.SHOW_PROGRESS  # not "already in progress"
    assert scan.cancelled  # the old search stopped, so it no longer holds the port
    with pytest.raises(UnknownFlow):
        hass.config_entries.flow.async_get(abandoned["flow_id"])
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(again["flow_id"])
    assert result["step_id"] == "select"
    assert len(result["data_schema"].schema[CONF_METERS].config["options"]) == 1


async def test_a_han_set_up_takes_over_an_abandoned_bus_search(hass, bus_factory, heat_meter):
    _, port = await bus_factory(heat_meter)
    scan = _EndlessScan()
    with patch.object(config_flow, "scan_secondary", scan):
        abandoned = await _mbus(hass, port)
        await asyncio.wait_for(scan.started.wait(), 10)
        han = await _menu(hass, "han")
        with patch.object(
            config_flow, "_han_test", return_value=config_flow._HanTestResult(error="no_data")
        ):
            result = await hass.config_entries.flow.async_configure(
                han["flow_id"], {CONF_PORT: port, CONF_METER: METER_AUTO, CONF_KEY: ""}
            )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_data"}
    assert scan.cancelled
    with pytest.raises(UnknownFlow):
        hass.config_entries.flow.async_get(abandoned["flow_id"])


async def test_a_removed_flow_stops_its_search(hass, bus_factory, heat_meter):
    _, port = await bus_factory(heat_meter)
    scan = _EndlessScan()
    with patch.object(config_flow, "scan_secondary", scan):
        result = await _mbus(hass, port)
        await asyncio.wait_for(scan.started.wait(), 10)
        hass.config_entries.flow.async_abort(result["flow_id"])
        await hass.async_block_till_done()
    assert scan.cancelled


@pytest.mark.parametrize(
    ("port", "error", "detail"),
    [
        ("/dev/ttyUSB9", "port_not_found", "no such device"),
        ("socket://127.0.0.1:1", "cannot_connect", "cannot connect"),
        ("hello world!!", "invalid_port", "not a device path"),
        ("socket://gateway", "invalid_port", "socket://host:port"),
    ],
)
async def test_a_bad_port_is_refused_before_any_search(hass, socket_enabled, port, error, detail):
    with patch.object(config_flow, "scan_secondary") as scan:
        result = await _mbus(hass, port)
    scan.assert_not_called()
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "mbus"
    assert result["errors"] == {"base": error}
    assert detail in result["description_placeholders"]["error"]


async def test_after_a_bad_port_the_user_can_carry_on(hass, bus_factory, heat_meter):
    _, port = await bus_factory(heat_meter)
    result = await _mbus(hass, "/dev/ttyUSB9", "manual")
    assert result["errors"] == {"base": "port_not_found"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_PORT: port, CONF_BAUDRATE: str(TEST_BAUD), CONF_SETUP_METHOD: "manual"},
    )
    assert result["step_id"] == "manual"


async def test_han_port_typo_is_refused_at_once(hass):
    result = await _menu(hass, "han")
    with patch.object(config_flow, "_han_test") as listen:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PORT: "hello world!!", CONF_METER: METER_AUTO}
        )
    listen.assert_not_called()
    assert result["errors"] == {"base": "invalid_port"}


UART = PortInfo("/dev/ttyS0", "ttyS0")
FTDI = PortInfo("/dev/serial/by-id/usb-FTDI_FT232R-if00-port0", "FT232R USB UART", 0x0403, 0x6001)
MBUS = PortInfo("/dev/ttyACM0", "USB M-Bus Master", 0x2341, 0x0043)
PHONE = PortInfo("/dev/ttyACM1", "Phone modem", 0x1234, 0x0001)


def test_adapters_first_then_usb_then_built_in_uarts():
    assert ports_by_likelihood([UART, PHONE, FTDI]) == [FTDI, PHONE, UART]
    assert ports_by_likelihood([UART, MBUS]) == [MBUS, UART]


def test_only_a_single_likely_adapter_is_pre_selected():
    assert likely_adapter([UART, FTDI]) == FTDI.device
    assert likely_adapter([UART, PHONE]) is None  # never a UART or an unknown device
    assert likely_adapter([FTDI, MBUS]) is None  # two candidates: the user chooses


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("/dev/serial/by-id/usb-FTDI-if00", True),
        ("socket://192.168.1.50:10001", True),
        ("rfc2217://[fe80::1]:2217", True),
        ("socket://proxy.local:6638?key=abc", True),
        ("esphome://proxy.local:6053", True),  # left to serialx
        ("", False),
        ("ttyUSB0", False),
        ("socket://host", False),
        ("socket://host:99999", False),
    ],
)
def test_port_syntax(text, ok):
    assert (port_syntax_error(text) is None) is ok


async def test_the_form_pre_selects_the_adapter_not_the_uart(hass):
    if config_flow.SerialPortSelector is not None:
        pytest.skip("Home Assistant 2026.x lists the ports in its own selector")
    with patch.object(config_flow, "async_list_ports", return_value=[UART, FTDI]):
        result = await _menu(hass, "mbus")
    field = next(key for key in result["data_schema"].schema if key == CONF_PORT)
    assert field.default() == FTDI.device
    options = result["data_schema"].schema[field].config["options"]
    assert [option["value"] for option in options] == [FTDI.device, UART.device]
