"""HAN keys are typed, never shown back, and an entry holds only keys that were tested.

Issue 11, item 10: the reconfigure form pre-filled GUEK and GAK in plain text, the key fields
were plain text fields, and reauth saved the typed keys merged with the old entry data, so a
blank field kept an old key that was never tested. The choice made: blank means no key.
"""

from __future__ import annotations

from ha_helpers import han_entry_data, wait_until
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.protocol.han import SecurityKeys
from custom_components.mbus_han.protocol.han.simulator import Maker

KEY = "000102030405060708090A0B0C0D0E0F"
OLD_AUTH_KEY = "EE" * 16


def _key_fields(result) -> dict[str, object]:
    return {
        str(marker): marker
        for marker in result["data_schema"].schema
        if marker in ("key", "auth_key")
    }


async def test_the_reconfigure_form_shows_no_key(hass, han_factory):
    line = await han_factory(Maker.KAIFA, keys=SecurityKeys.from_hex(KEY))
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=han_entry_data(line.path, key=KEY, auth_key=OLD_AUTH_KEY),
        unique_id=line.path,
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_han"
    schema = result["data_schema"].schema
    fields = _key_fields(result)
    assert set(fields) == {"key", "auth_key"}
    for name, marker in fields.items():
        assert not (marker.description or {}).get("suggested_value"), name  # not pre-filled
        assert schema[marker].config["type"] == "password", name  # typed as a password
    assert KEY not in str(result)
    assert OLD_AUTH_KEY not in str(result)


async def test_reauth_saves_exactly_the_keys_it_tested(hass, han_factory):
    """The meter now sends without authentication: a blank GAK must not keep the old one."""
    line = await han_factory(Maker.KAIFA, keys=SecurityKeys.from_hex(KEY))
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=han_entry_data(line.path, key="AB" * 16, auth_key=OLD_AUTH_KEY),
        unique_id=line.path,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await line.send(3)  # three pushes the old key cannot open: reauth
    await wait_until(hass, lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)))
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)

    line.stream(time_scale=0.01)
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {"key": KEY})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["key"] == KEY
    assert "auth_key" not in entry.data  # blank = no key: the old, untested one is gone
    await hass.async_block_till_done()
