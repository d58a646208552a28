"""Drive a config flow through HA's REST API, following whatever steps the flow returns.

The integration's flow is still changing (a menu to pick M-Bus or HAN is on its way), so the
driver does not hard-code a sequence: it reads each answer (``type``, ``step_id``,
``menu_options``, ``data_schema``) and answers from a plan keyed by step id. Fields the form
does not declare are left out, so a plan can carry values for both flow shapes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .client import HaApiError, HaClient

_LOGGER = logging.getLogger(__name__)

DOMAIN = "mbus_han"
# A flow never needs more steps than this; more means it is going round in circles.
MAX_STEPS = 12


class FlowError(RuntimeError):
    """The flow aborted, asked for something the plan has no answer to, or showed errors."""


@dataclass(slots=True)
class FlowPlan:
    """What to answer: the menu option to pick, and field values per form step.

    ``kind`` is the menu option (``mbus`` or ``han``); ``forms`` maps a step id to its
    values. ``forms[kind]`` also answers a form at step ``user`` (the flow before the menu
    existed asked the M-Bus questions right at ``user``).
    """

    kind: str
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)
    progress_timeout: float = 180.0

    def answer(self, step_id: str) -> dict[str, Any] | None:
        """The values for form ``step_id``, or None when the plan has none."""
        if step_id in self.forms:
            return self.forms[step_id]
        if step_id == "user":
            return self.forms.get(self.kind)
        return None


def _schema_fields(result: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """The names of all fields and of the required ones without a default."""
    names: set[str] = set()
    required: set[str] = set()
    for item in result.get("data_schema") or []:
        names.add(item["name"])
        if item.get("required") and "default" not in item:
            required.add(item["name"])
    return names, required


def _menu_options(result: Mapping[str, Any]) -> list[str]:
    options = result.get("menu_options") or []
    return list(options) if not isinstance(options, dict) else list(options.keys())


async def _wait_progress(client: HaClient, flow_id: str, timeout: float) -> dict[str, Any]:
    """Wait for a progress step to finish (HA announces it with an event), then fetch it."""
    events = await client.subscribe("subscribe_events", event_type="data_entry_flow_progressed")
    path = f"/api/config/config_entries/flow/{flow_id}"
    async with asyncio.timeout(timeout):
        while True:
            # The task may have finished before the subscription started: look first.
            result = await client.rest("get", path)
            if result.get("type") != "progress":
                return result
            while (await events.get()).get("data", {}).get("flow_id") != flow_id:
                pass


def _payload(result: Mapping[str, Any], plan: FlowPlan) -> dict[str, Any]:
    """What to send for a menu or form answer; :class:`FlowError` when the plan cannot say."""
    kind = result.get("type")
    step_id = result.get("step_id", "")
    if kind == "menu":
        options = _menu_options(result)
        if plan.kind not in options:
            raise FlowError(f"menu {step_id!r} offers {options}, not {plan.kind!r}")
        return {"next_step_id": plan.kind}
    if kind != "form":
        raise FlowError(f"unexpected flow answer {dict(result)}")
    if result.get("errors"):
        raise FlowError(f"step {step_id!r} shows errors {result['errors']}")
    answer = plan.answer(step_id)
    names, required = _schema_fields(result)
    if answer is None and names:
        raise FlowError(f"no answer planned for step {step_id!r} ({sorted(names)})")
    payload = {key: value for key, value in (answer or {}).items() if key in names}
    if missing := required - payload.keys():
        raise FlowError(f"step {step_id!r} also asks for {sorted(missing)}")
    return payload


async def _drive(
    client: HaClient, flow_id: str, result: dict[str, Any], plan: FlowPlan
) -> dict[str, Any]:
    path = f"/api/config/config_entries/flow/{flow_id}"
    for _ in range(MAX_STEPS):
        _LOGGER.debug("flow %s: %s %s", flow_id, result.get("type"), result.get("step_id"))
        if result.get("type") == "create_entry":
            return result
        if result.get("type") == "abort":
            raise FlowError(f"the flow aborted: {result.get('reason')}")
        if result.get("type") == "progress":
            result = await _wait_progress(client, flow_id, plan.progress_timeout)
        else:
            result = await client.rest("post", path, _payload(result, plan))
    raise FlowError(f"the flow did not finish within {MAX_STEPS} steps")


async def run_config_flow(client: HaClient, plan: FlowPlan) -> dict[str, Any]:
    """Start a flow of our integration and answer each step until an entry is created.

    Returns the ``create_entry`` answer (its ``result`` is the new config entry).
    Raises :class:`FlowError` with the step and HA's reason when it cannot go on; the
    flow is then removed so it does not linger in the UI's "discovered" list.
    """
    result = await client.rest(
        "post",
        "/api/config/config_entries/flow",
        {"handler": DOMAIN, "show_advanced_options": False},
    )
    try:
        return await _drive(client, result.get("flow_id", ""), result, plan)
    except BaseException:
        if result.get("flow_id"):
            with contextlib.suppress(HaApiError):  # already gone (finished or aborted)
                await client.rest("delete", f"/api/config/config_entries/flow/{result['flow_id']}")
        raise


async def run_options_flow(
    client: HaClient, entry_id: str, values: dict[str, Any], menu: str | None = None
) -> None:
    """Answer an entry's options flow with ``values``, choosing ``menu`` where it asks."""
    result = await client.rest(
        "post", "/api/config/config_entries/options/flow", {"handler": entry_id}
    )
    for _ in range(MAX_STEPS):
        if result.get("type") == "create_entry":
            return
        path = f"/api/config/config_entries/options/flow/{result.get('flow_id')}"
        if result.get("type") == "menu":
            options = _menu_options(result)
            if menu not in options:
                raise FlowError(f"options menu offers {options}, not {menu!r}")
            result = await client.rest("post", path, {"next_step_id": menu})
            continue
        if result.get("type") != "form":
            raise FlowError(f"options flow: unexpected answer {result}")
        if result.get("errors"):
            raise FlowError(f"options flow: errors {result['errors']}")
        names, _ = _schema_fields(result)
        payload = {key: value for key, value in values.items() if key in names}
        result = await client.rest("post", path, payload)
    raise FlowError("the options flow did not finish")
