"""Secrets in port URLs (issue 11, item 9) appear nowhere but in the entry's data.

ESPHome serial proxies take their API key in the URL; serialx names ``key``, ``password`` and
``noise_psk`` as the secret query parameters (serialx.common.SECRET_URI_PARAMS). Each test
gives a URL with secrets and searches everything a user can see or post for them: titles,
unique ids, device names, coordinator names (every "Error fetching ..." line), log lines,
form errors, repair issues and diagnostics.
"""

from __future__ import annotations

import asyncio
import logging

from ha_helpers import han_entry_data, mbus_entry_data, wait_until
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.issues import key_issue_id
from custom_components.mbus_han.protocol.han import SecurityKeys
from custom_components.mbus_han.protocol.han.simulator import HanSimulator, Maker
from custom_components.mbus_han.protocol.simio import serve_tcp

KEY = "c2VjcmV0LWtleS0xMjM0NQ=="  # base64, as ESPHome's noise keys are
PASSWORD = "hunter2-pw"
SECRETS = (KEY, PASSWORD, "c2VjcmV0LWtleS0xMjM0NQ%3D%3D")


def _url(port: int) -> str:
    return f"socket://127.0.0.1:{port}?key={KEY}&password={PASSWORD}"


def _assert_secret_free(*texts: object) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in str(text), f"{secret!r} in {text!r}"


def test_the_url_forms():
    from custom_components.mbus_han.redact import port_unique_id, redact_text, shown_port

    url = "esphome://10.0.0.5:6053/?port_name=HAN&key=abc%2Bdef%3D&noise_psk=x"
    assert (
        shown_port(url) == "esphome://10.0.0.5:6053/?port_name=HAN&key=REDACTED&noise_psk=REDACTED"
    )
    assert port_unique_id(url) == "esphome://10.0.0.5:6053/?port_name=HAN"
    assert port_unique_id("/dev/ttyUSB0") == "/dev/ttyUSB0"  # unchanged without secrets
    assert port_unique_id("socket://h:1?a=b c") == "socket://h:1?a=b c"
    # Both spellings of the key, as typed and decoded, are replaced in error texts.
    assert redact_text(f"{url}: lost abc+def=", url).count("REDACTED") == 3


async def test_an_mbus_port_with_a_secret_shows_it_nowhere(
    hass: HomeAssistant, hass_client, bus_factory, heat_meter, socket_enabled, caplog
):
    bus, _ = await bus_factory(heat_meter)
    server = await bus.start_tcp()
    url = _url(server.sockets[0].getsockname()[1])
    # An entry made before redaction: the URL in its title and unique id.
    entry = MockConfigEntry(
        domain=DOMAIN, data=mbus_entry_data(url, ["0"]), title=f"M-Bus {url}", unique_id=url
    )
    entry.add_to_hass(hass)
    caplog.set_level(logging.DEBUG, logger="custom_components.mbus_han")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    assert coordinator.last_update_success
    assert entry.title == f"M-Bus {url.replace(KEY, 'REDACTED').replace(PASSWORD, 'REDACTED')}"
    assert entry.unique_id == url.partition("?")[0]

    # The gateway goes away: every failure text names the port.
    await bus.close()
    await coordinator.async_refresh()
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert not coordinator.last_update_success
    assert any("Error fetching" in r.getMessage() for r in caplog.records)
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    _assert_secret_free(
        entry.title,
        entry.unique_id,
        coordinator.name,
        [device.name for device in devices],
        coordinator.last_exception,
        [r.getMessage() for r in caplog.records],
        diagnostics,
    )
    assert entry.data["port"] == url  # still there, to open the port


async def test_a_han_port_with_a_secret_shows_it_nowhere(
    hass: HomeAssistant, socket_enabled, caplog
):
    sim = HanSimulator(Maker.KAIFA, keys=SecurityKeys.from_hex("00" * 16), seed=5)
    pushes = sim.pushes()
    clients: list[asyncio.StreamWriter] = []

    async def serve(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        clients.append(writer)

    server = await serve_tcp("127.0.0.1", 0, serve)
    url = _url(server.sockets[0].getsockname()[1])
    entry = MockConfigEntry(
        domain=DOMAIN, data=han_entry_data(url, key="11" * 16), title=f"HAN {url}", unique_id=url
    )
    entry.add_to_hass(hass)
    caplog.set_level(logging.DEBUG, logger="custom_components.mbus_han")
    try:
        assert await hass.config_entries.async_setup(entry.entry_id)
        await wait_until(hass, lambda: bool(clients))
        issues = ir.async_get(hass)
        issue_id = key_issue_id(entry.entry_id)
        while issues.async_get_issue(DOMAIN, issue_id) is None:  # the wrong key: a repair
            clients[-1].write(next(pushes).data)
            await clients[-1].drain()
            await asyncio.sleep(0.02)
        issue = issues.async_get_issue(DOMAIN, issue_id)
        for client in clients:  # and the gateway drops the connection
            client.close()
        coordinator = entry.runtime_data.coordinator
        await wait_until(hass, lambda: coordinator.stats.port_errors >= 1)
        _assert_secret_free(
            entry.title,
            entry.unique_id,
            coordinator.name,
            issue.translation_placeholders,
            coordinator.last_exception,
            [r.getMessage() for r in caplog.records],
        )
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        server.close()
        await server.wait_closed()


async def test_the_config_flow_shows_no_secret(hass: HomeAssistant, socket_enabled):
    from test_ha_config_flow import _menu

    url = _url(1)  # nothing listens there: the connection is refused
    result = await _menu(hass, "han")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"port": url, "meter": "kaifa"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    _assert_secret_free(result["description_placeholders"])
    assert "REDACTED" in result["description_placeholders"]["error"]
