"""Fix flows of repair issues: a replaced meter, carried over or kept apart (issue 18).

Only the user knows whether a new meter at an old meter's place replaced it (the history
should go on) or is another meter (two histories): the flow asks once and acts.
"""

from __future__ import annotations

from typing import cast

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant

try:  # Home Assistant 2026.x types a repair flow's results apart
    from homeassistant.components.repairs import (  # type: ignore[attr-defined,unused-ignore]
        RepairsFlowResult,
    )
except ImportError:  # 2025.4: a plain flow result
    from homeassistant.data_entry_flow import (  # type: ignore[assignment,unused-ignore]
        FlowResult as RepairsFlowResult,
    )

from .replacement import (
    ISSUE_REPLACED,
    async_carry_over,
    keep_both,
    meter_device,
    pending_replacements,
)

CARRY_OVER = "carry_over"
KEEP_BOTH = "keep_both"


class MeterReplacedFlow(RepairsFlow):
    """Carry the old meter's entities and history over to the new meter, or keep both."""

    def __init__(self, entry_id: str, old: str) -> None:
        self._entry_id = entry_id
        self._old = old

    def _pending(self) -> dict[str, str] | None:
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return None
        return pending_replacements(entry).get(self._old)

    def _name(self, identifier: str) -> str:
        device = meter_device(self.hass, self._entry_id, identifier)
        if device is None:
            return identifier
        return device.name_by_user or device.name or identifier

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Ask whether this is the same metering point with a new meter, or two meters."""
        pending = self._pending()
        if pending is None:
            return self.async_abort(reason="not_pending")
        return self.async_show_menu(
            step_id="init",
            menu_options=[CARRY_OVER, KEEP_BOTH],
            description_placeholders={
                "old": self._name(self._old),
                "new": self._name(pending["new"]),
            },
        )

    async def async_step_carry_over(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Move the entities, keep their ids and history, remove the old device."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or not await async_carry_over(self.hass, entry, self._old):
            return self.async_abort(reason="not_pending")
        return self.async_create_entry(data={})

    async def async_step_keep_both(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Two different meters: both devices and histories stay."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or not keep_both(self.hass, entry, self._old):
            return self.async_abort(reason="not_pending")
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The fix flow of ``issue_id``: a replaced meter's question, else a plain confirmation."""
    if issue_id.startswith(f"{ISSUE_REPLACED}_") and data is not None:
        return MeterReplacedFlow(cast(str, data["entry_id"]), cast(str, data["old"]))
    return ConfirmRepairFlow()
