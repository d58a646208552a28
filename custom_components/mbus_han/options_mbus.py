"""The options of an M-Bus port: how often to poll, and the heat meters' bill figures.

A menu leads to two small forms instead of one long one: the poll interval (taken by a
running bus at once) and the heat KPIs (billing year's start, an optional target band for
cooling or return temperature, checked over a chosen period). Every form keeps the other
form's options: each saves the whole options dict.
"""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from typing import TYPE_CHECKING, Any

try:  # Home Assistant 2026.x validates with probatio (and aliases voluptuous to it)
    import probatio as vol  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # 2025.4
    import voluptuous as vol  # type: ignore[no-redef,unused-ignore]
from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.helpers.selector import (
    DateSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from .const import (
    CONF_BILLING_START,
    CONF_SCAN_INTERVAL,
    CONF_TARGET,
    CONF_TARGET_HIGH,
    CONF_TARGET_LOW,
    CONF_TARGET_PERIOD,
    DEFAULT_SCAN_INTERVAL,
    DEFAULT_TARGET_PERIOD,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
    TARGET_COOLING,
    TARGET_NONE,
    TARGET_PERIODS,
    TARGET_RETURN,
)
from .mbus_coordinator import MbusCoordinator
from .options_reload import options_changed, reload_once_saved

if TYPE_CHECKING:
    from . import MbusHanConfigEntry

MBUS_OPTION_STEPS = ["poll_interval", "heat_kpi"]
_HEAT_KEYS = (
    CONF_BILLING_START,
    CONF_TARGET,
    CONF_TARGET_LOW,
    CONF_TARGET_HIGH,
    CONF_TARGET_PERIOD,
)
# Degrees: a band for cooling (K) or return temperature (degC); both fit in 0-150.
_DEGREES = NumberSelector(
    NumberSelectorConfig(
        min=0, max=150, step=0.1, unit_of_measurement="°C / K", mode=NumberSelectorMode.BOX
    )
)


def _optional(key: str, current: dict[str, Any]) -> vol.Optional:
    """An optional field that shows its current value (and may be cleared)."""
    if current.get(key) is None:
        return vol.Optional(key)
    return vol.Optional(key, description={"suggested_value": current[key]})


class MbusOptionsMixin(OptionsFlow):
    """The M-Bus steps of the options flow (the flow's ``init`` shows :meth:`async_step_mbus`)."""

    config_entry: MbusHanConfigEntry

    async def async_step_mbus(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """What to change: the poll interval or the heat meters' bill figures."""
        return self.async_show_menu(step_id="mbus", menu_options=MBUS_OPTION_STEPS)

    async def async_step_poll_interval(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the poll interval in seconds; a running bus takes it at once."""
        if user_input is not None:
            seconds = int(user_input[CONF_SCAN_INTERVAL])
            if self.config_entry.state is ConfigEntryState.LOADED:
                # No reload needed: the coordinator just polls at the new interval.
                coordinator = self.config_entry.runtime_data.coordinator
                if isinstance(coordinator, MbusCoordinator):
                    coordinator.set_poll_interval(timedelta(seconds=seconds))
            return self.async_create_entry(
                data={**self.config_entry.options, CONF_SCAN_INTERVAL: seconds}
            )
        current = self.config_entry.options.get(
            CONF_SCAN_INTERVAL, int(DEFAULT_SCAN_INTERVAL.total_seconds())
        )
        schema = vol.Schema(
            {
                vol.Required(CONF_SCAN_INTERVAL, default=current): NumberSelector(
                    NumberSelectorConfig(
                        min=MIN_SCAN_INTERVAL.total_seconds(),
                        max=MAX_SCAN_INTERVAL.total_seconds(),
                        step=1,
                        unit_of_measurement="s",
                        mode=NumberSelectorMode.BOX,
                    )
                )
            }
        )
        return self.async_show_form(step_id="poll_interval", data_schema=schema)

    async def async_step_heat_kpi(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Billing year's start and the target band; the entry reloads to add or drop sensors.

        Changed heat options reload the entry once saved (sensors come and go with them); a
        new poll interval alone is taken by the running bus without a reload.
        """
        errors: dict[str, str] = {}
        current = {key: self.config_entry.options.get(key) for key in _HEAT_KEYS}
        if user_input is not None:
            errors = _heat_errors(user_input)
            if not errors:
                options = {
                    key: value
                    for key, value in self.config_entry.options.items()
                    if key not in _HEAT_KEYS
                }
                options.update(
                    {key: user_input[key] for key in _HEAT_KEYS if user_input.get(key) is not None}
                )
                if options_changed(self, options, _HEAT_KEYS):
                    reload_once_saved(self.hass, self.config_entry)
                return self.async_create_entry(data=options)
            current = {key: user_input.get(key) for key in _HEAT_KEYS}
        schema = vol.Schema(
            {
                _optional(CONF_BILLING_START, current): DateSelector(),
                vol.Required(CONF_TARGET, default=current[CONF_TARGET] or TARGET_NONE): (
                    SelectSelector(
                        SelectSelectorConfig(
                            options=[TARGET_NONE, TARGET_COOLING, TARGET_RETURN],
                            translation_key=CONF_TARGET,
                            mode=SelectSelectorMode.DROPDOWN,
                        )
                    )
                ),
                _optional(CONF_TARGET_LOW, current): _DEGREES,
                _optional(CONF_TARGET_HIGH, current): _DEGREES,
                vol.Required(
                    CONF_TARGET_PERIOD, default=current[CONF_TARGET_PERIOD] or DEFAULT_TARGET_PERIOD
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=list(TARGET_PERIODS),
                        translation_key=CONF_TARGET_PERIOD,
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
            }
        )
        return self.async_show_form(step_id="heat_kpi", data_schema=schema, errors=errors)


def _heat_errors(user_input: dict[str, Any]) -> dict[str, str]:
    """What is wrong with a heat-KPI answer, by field."""
    errors: dict[str, str] = {}
    start = user_input.get(CONF_BILLING_START)
    if start:
        try:
            dt.date.fromisoformat(start)
        except ValueError:
            errors[CONF_BILLING_START] = "invalid_date"
    low, high = user_input.get(CONF_TARGET_LOW), user_input.get(CONF_TARGET_HIGH)
    target = user_input.get(CONF_TARGET, TARGET_NONE)
    if target != TARGET_NONE and low is None and high is None:
        errors["base"] = "target_band_empty"
    elif low is not None and high is not None and low > high:
        errors[CONF_TARGET_HIGH] = "target_band_order"
    if user_input.get(CONF_TARGET_PERIOD) == "billing" and not start and target != TARGET_NONE:
        errors[CONF_TARGET_PERIOD] = "billing_start_missing"
    return errors
