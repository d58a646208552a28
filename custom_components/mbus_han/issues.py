"""Repair issues: problems only the user can fix, raised while they last, cleared after."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN


def permission_issue_id(entry_id: str) -> str:
    """Repair issue id for a port the Home Assistant user may not open."""
    return f"port_permission_{entry_id}"


def key_issue_id(entry_id: str) -> str:
    """Repair issue id for a key that no longer decrypts the meter's pushes."""
    return f"han_key_{entry_id}"


@callback
def _raise(hass: HomeAssistant, issue_id: str, key: str, placeholders: dict[str, str]) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=key,
        translation_placeholders=placeholders,
    )


@callback
def report_port_permission(hass: HomeAssistant, entry_id: str, port: str) -> None:
    """The port exists but Home Assistant may not open it (not in the dialout group)."""
    _raise(hass, permission_issue_id(entry_id), "port_permission", {"port": port})


@callback
def clear_port_permission(hass: HomeAssistant, entry_id: str) -> None:
    """The port opened: the permission problem is solved."""
    ir.async_delete_issue(hass, DOMAIN, permission_issue_id(entry_id))


@callback
def report_key_problem(hass: HomeAssistant, entry_id: str, port: str, error: str) -> None:
    """The configured keys do not open the meter's pushes (new keys from the grid company?)."""
    _raise(hass, key_issue_id(entry_id), "han_key", {"port": port, "error": error})


@callback
def clear_key_problem(hass: HomeAssistant, entry_id: str) -> None:
    """A push decrypted again."""
    ir.async_delete_issue(hass, DOMAIN, key_issue_id(entry_id))
