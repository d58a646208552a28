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


def meter_elsewhere_issue_id(entry_id: str, meter_id: str) -> str:
    """Repair issue id for a meter this port hears but another port reads."""
    return f"meter_on_two_ports_{entry_id}_{meter_id}"


@callback
def _raise(
    hass: HomeAssistant,
    issue_id: str,
    key: str,
    placeholders: dict[str, str],
    severity: ir.IssueSeverity = ir.IssueSeverity.ERROR,
) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=severity,
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


@callback
def report_meter_elsewhere(
    hass: HomeAssistant, entry_id: str, meter_id: str, port: str, other: str
) -> bool:
    """A port hears a meter that ``other`` reads; True when that is news (not yet raised)."""
    issue_id = meter_elsewhere_issue_id(entry_id, meter_id)
    new = ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    placeholders = {"meter": meter_id, "port": port, "other": other}
    _raise(hass, issue_id, "meter_on_two_ports", placeholders, ir.IssueSeverity.WARNING)
    return new


@callback
def clear_meter_elsewhere(hass: HomeAssistant, entry_id: str, meter_id: str) -> None:
    """The port reads the meter now (the other port was deleted)."""
    ir.async_delete_issue(hass, DOMAIN, meter_elsewhere_issue_id(entry_id, meter_id))


@callback
def clear_meters_elsewhere(hass: HomeAssistant, entry_id: str) -> None:
    """A port stopped (unloaded or deleted): its issues come back with its next readings."""
    prefix = meter_elsewhere_issue_id(entry_id, "")
    for domain, issue_id in list(ir.async_get(hass).issues):
        if domain == DOMAIN and issue_id.startswith(prefix):
            ir.async_delete_issue(hass, DOMAIN, issue_id)
