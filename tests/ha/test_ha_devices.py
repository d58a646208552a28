"""Which devices a user may delete, and the pure helpers of the config flow."""

from __future__ import annotations

import os

import pytest
from ha_helpers import entry_device, han_entry_data, mbus_entry_data, wait_until
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mbus_han import async_remove_config_entry_device
from custom_components.mbus_han.config_flow import _error_key, _stable_device_path, parse_addresses
from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.protocol import errors
from custom_components.mbus_han.protocol.mbus.requests import RequestError


async def test_only_devices_of_meters_gone_may_be_deleted(hass, bus_factory, heat_meter):
    _, port = await bus_factory(heat_meter)
    entry = MockConfigEntry(domain=DOMAIN, data=mbus_entry_data(port, ["0"]), unique_id=port)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    registry = dr.async_get(hass)
    bus = entry_device(hass, entry.entry_id, entry.entry_id)
    meter = entry_device(hass, entry.entry_id, "SLB-12345678")
    old = registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "KAM-00000001")}
    )
    assert not await async_remove_config_entry_device(hass, entry, bus)
    assert not await async_remove_config_entry_device(hass, entry, meter)
    assert await async_remove_config_entry_device(hass, entry, old)


async def test_han_meter_device_stays_while_it_pushes(hass, han_factory):
    line = await han_factory()
    entry = MockConfigEntry(domain=DOMAIN, data=han_entry_data(line.path), unique_id=line.path)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await line.send_until(2)
    registry = dr.async_get(hass)
    identifier = f"HAN-{line.sim.meter_id}"
    await wait_until(hass, lambda: entry_device(hass, entry.entry_id, identifier) is not None)
    meter = entry_device(hass, entry.entry_id, identifier)
    replaced = registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "HAN-1234")}
    )
    port = entry_device(hass, entry.entry_id, entry.entry_id)
    assert not await async_remove_config_entry_device(hass, entry, meter)
    assert not await async_remove_config_entry_device(hass, entry, port)
    assert await async_remove_config_entry_device(hass, entry, replaced)
    assert er.async_entries_for_device(er.async_get(hass), meter.id)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", ["0"]),
        (" 5; 12345678 ,1 ", ["5", "12345678", "1"]),
        ("1234567fffffffff", ["1234567FFFFFFFFF"]),
        ("007", ["7"]),  # a primary address in one form
    ],
)
def test_addresses_typed_by_hand(text, expected):
    assert parse_addresses(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "", " , ", "251", "5, 5", "12345678, 12345678", "abc",
        "²", "\u0661",  # digits to str.isdigit, no addresses (issue 11, item 12)
        "0, 00", "5, 005",  # one primary address written twice: read twice per poll
    ],
)  # fmt: skip
def test_bad_addresses_are_refused(text):
    with pytest.raises(RequestError):
        parse_addresses(text)


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (errors.PortPermissionError("x"), "permission_denied"),
        (errors.PortNotFoundError("x"), "port_not_found"),
        (errors.PortBusyError("x"), "cannot_open_port"),
        (errors.ConnectionLostError("x"), "cannot_open_port"),
        (errors.NoAnswerError("x"), "no_answer"),
        (errors.CollisionError("x"), "no_answer"),
        (errors.FrameError("x"), "invalid_answer"),
        (errors.EncryptionKeyRequiredError("x"), "key_required"),
        (errors.AuthenticationTagError("x"), "wrong_auth_key"),
        (errors.DecryptionError("x"), "wrong_key"),
        (errors.ProtocolError("x"), "unknown_protocol_error"),
    ],
)
def test_each_failure_has_its_own_message(error, key):
    assert _error_key(error) == key


def test_a_device_is_named_by_its_stable_link(tmp_path):
    device = tmp_path / "ttyUSB0"
    device.touch()
    by_id = tmp_path / "by-id"
    by_id.mkdir()
    link = by_id / "usb-FTDI_M-Bus_Master_A10KZP45-if00-port0"
    os.symlink(device, link)
    assert _stable_device_path(str(device), by_id) == str(link)
    assert _stable_device_path(str(tmp_path / "ttyUSB1"), by_id) == str(tmp_path / "ttyUSB1")
    assert _stable_device_path(str(device), tmp_path / "missing") == str(device)


async def test_meter_device_model_names_the_product(hass, bus_factory, heat_meter, kamstrup_meter):
    """libmbus names KAM version 8 "Kamstrup Multical 601"; SLB 0x1A is in no table."""
    _, port = await bus_factory(heat_meter, kamstrup_meter)
    entry = MockConfigEntry(domain=DOMAIN, data=mbus_entry_data(port, ["0", "5"]), unique_id=port)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    models = {
        device.serial_number: device.model
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        if device.serial_number
    }
    assert models["12345678"] == "Heat meter (version 26)"
    assert "Kamstrup Multical 601" in models.values()
