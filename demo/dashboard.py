"""The heat-station dashboard and the energy dashboard preferences of the demo.

The dashboard is the YAML users paste (``dashboards/heat_station.yaml``); the demo stores it
as a storage-mode dashboard through the same websocket commands the dashboard editor uses.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .client import HaApiError, HaClient

_LOGGER = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
DASHBOARD_FILE = REPO_ROOT / "dashboards" / "heat_station.yaml"
DASHBOARD_URL_PATH = "heat-station"
DASHBOARD_TITLE = "Heat station"


def load_dashboard(path: Path = DASHBOARD_FILE) -> dict[str, Any]:
    """The dashboard config as the frontend stores it (the YAML parsed)."""
    with path.open(encoding="utf-8") as file:
        return yaml.safe_load(file)


def with_history_window(config: Any, hours: float) -> Any:
    """A copy of ``config`` whose history-graph cards show the last ``hours``.

    The YAML's windows suit real meters read every 15 minutes; the demo's meters change
    every few seconds, so it shows minutes to make the charts visibly move.
    """
    if isinstance(config, dict):
        copy = {key: with_history_window(value, hours) for key, value in config.items()}
        if copy.get("type") == "history-graph":
            copy["hours_to_show"] = hours
        return copy
    if isinstance(config, list):
        return [with_history_window(item, hours) for item in config]
    return config


def referenced_entities(node: Any) -> Iterator[str]:
    """Every entity id a dashboard config mentions (``entity:``, ``entities:`` lists)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "entity" and isinstance(value, str):
                yield value
            elif key == "entities" and isinstance(value, list):
                for item in value:
                    if isinstance(item, str):
                        yield item
                    else:
                        yield from referenced_entities(item)
            else:
                yield from referenced_entities(value)
    elif isinstance(node, list):
        for item in node:
            yield from referenced_entities(item)


async def install_dashboard(client: HaClient, config: dict[str, Any]) -> str:
    """Create the dashboard once, then (re)store its config; return its URL path."""
    dashboards = await client.ws("lovelace/dashboards/list")
    if not any(board["url_path"] == DASHBOARD_URL_PATH for board in dashboards):
        await client.ws(
            "lovelace/dashboards/create",
            url_path=DASHBOARD_URL_PATH,
            title=DASHBOARD_TITLE,
            icon="mdi:radiator",
            mode="storage",
            require_admin=False,
            show_in_sidebar=True,
        )
    await client.ws("lovelace/config/save", url_path=DASHBOARD_URL_PATH, config=config)
    return DASHBOARD_URL_PATH


async def install_energy_prefs(
    client: HaClient,
    *,
    heat_energy: str | None,
    grid_import: str | None,
    grid_export: str | None,
) -> None:
    """Put the electricity meter on the grid and the heat meter among the devices.

    Home Assistant's energy dashboard has no district-heating source; the heat meter's energy
    is an "individual device" there, which shows its consumption per hour and day.
    """
    devices = []
    if heat_energy is not None:
        devices.append({"stat_consumption": heat_energy, "name": "Heat station (district heating)"})
    sources: list[dict[str, Any]] = []
    if grid_import is not None:
        # Home Assistant 2026.x: one grid connection with its import and export meter.
        sources.append(
            {
                "type": "grid",
                "stat_energy_from": grid_import,
                "stat_energy_to": grid_export,
                "cost_adjustment_day": 0,
            }
        )
    try:
        await client.ws("energy/save_prefs", energy_sources=sources, device_consumption=devices)
    except HaApiError:
        if not sources:
            raise
        # 2025.4 knows only the older form: lists of import and export flows.
        await client.ws(
            "energy/save_prefs",
            energy_sources=[_legacy_grid_source(grid_import, grid_export)],
            device_consumption=devices,
        )


def _legacy_grid_source(grid_import: str | None, grid_export: str | None) -> dict[str, Any]:
    """The grid source as Home Assistant before the unified grid connection takes it."""
    return {
        "type": "grid",
        "flow_from": [
            {
                "stat_energy_from": grid_import,
                "stat_cost": None,
                "entity_energy_price": None,
                "number_energy_price": None,
            }
        ],
        "flow_to": [
            {
                "stat_energy_to": grid_export,
                "stat_compensation": None,
                "entity_energy_price": None,
                "number_energy_price": None,
            }
        ]
        if grid_export is not None
        else [],
        "cost_adjustment_day": 0,
    }
