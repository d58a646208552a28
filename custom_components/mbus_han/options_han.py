"""Options of a HAN port: the settlement period, the capacity tariff and its prices (issue 17).

Everything here is optional and off by default. Two steps: first what is metered (period
length, whether to follow the capacity tariff, its step ladder), then, when the tariff is
followed, the prices that make a cost sensor (all optional). A change reloads the entry, so the
sensors and their stored month follow the new settings at once.
"""

from __future__ import annotations

from typing import Any

try:  # Home Assistant 2026.x validates with probatio (and aliases voluptuous to it)
    import probatio as vol  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # 2025.4
    import voluptuous as vol  # type: ignore[no-redef,unused-ignore]
from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from .billing.capacity import DEFAULT_LADDER
from .billing.capacity_cost import parse_numbers, valid_ladder
from .const import (
    CONF_CAPACITY,
    CONF_CAPACITY_LADDER,
    CONF_GRID_ENERGY_PRICE,
    CONF_PRICE_ENTITY,
    CONF_SETTLEMENT_MINUTES,
    CONF_STEP_PRICES,
    DEFAULT_SETTLEMENT_MINUTES,
    SETTLEMENT_MINUTES,
)
from .options_reload import reload_once_saved


def numbers_text(numbers: list[float] | tuple[float, ...]) -> str:
    """``(2.0, 5.0, 7.5)`` -> ``"2, 5, 7.5"``: how a list of numbers is shown in a form."""
    return ", ".join(f"{number:g}" for number in numbers)


def han_options(options: dict[str, Any] | Any) -> dict[str, Any]:
    """A HAN entry's options with the defaults filled in."""
    return {
        CONF_CAPACITY: bool(options.get(CONF_CAPACITY, False)),
        CONF_SETTLEMENT_MINUTES: int(
            options.get(CONF_SETTLEMENT_MINUTES, DEFAULT_SETTLEMENT_MINUTES)
        ),
        CONF_CAPACITY_LADDER: [float(b) for b in options.get(CONF_CAPACITY_LADDER, DEFAULT_LADDER)],
        CONF_PRICE_ENTITY: options.get(CONF_PRICE_ENTITY),
        CONF_GRID_ENERGY_PRICE: options.get(CONF_GRID_ENERGY_PRICE),
        CONF_STEP_PRICES: [float(p) for p in options.get(CONF_STEP_PRICES, [])],
    }


class HanOptionsMixin(OptionsFlow):
    """The HAN steps of the options flow (``MbusHanOptionsFlow`` sends HAN entries here)."""

    _han_pending: dict[str, Any]

    async def async_step_han(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Settlement period, capacity tariff on or off, and its step ladder."""
        current = han_options(self.config_entry.options)
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                ladder = parse_numbers(user_input[CONF_CAPACITY_LADDER])
            except ValueError:
                ladder = ()
            if not valid_ladder(ladder):
                errors[CONF_CAPACITY_LADDER] = "ladder_invalid"
            else:
                self._han_pending = {
                    **current,
                    CONF_CAPACITY: bool(user_input[CONF_CAPACITY]),
                    CONF_SETTLEMENT_MINUTES: int(user_input[CONF_SETTLEMENT_MINUTES]),
                    CONF_CAPACITY_LADDER: list(ladder),
                }
                if self._han_pending[CONF_CAPACITY]:
                    return await self.async_step_han_prices()
                return self._han_save()
            current = {**current, **user_input}
        ladder_text = current[CONF_CAPACITY_LADDER]
        if not isinstance(ladder_text, str):
            ladder_text = numbers_text(ladder_text)
        schema = vol.Schema(
            {
                vol.Required(CONF_CAPACITY, default=current[CONF_CAPACITY]): BooleanSelector(),
                vol.Required(
                    CONF_SETTLEMENT_MINUTES, default=str(current[CONF_SETTLEMENT_MINUTES])
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=[str(minutes) for minutes in SETTLEMENT_MINUTES],
                        mode=SelectSelectorMode.LIST,
                        translation_key=CONF_SETTLEMENT_MINUTES,
                    )
                ),
                vol.Required(CONF_CAPACITY_LADDER, default=ladder_text): TextSelector(),
            }
        )
        return self.async_show_form(step_id="han", data_schema=schema, errors=errors)

    async def async_step_han_prices(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Optional prices: energy price sensor, the grid's energy part, the step prices."""
        pending = self._han_pending
        steps = len(pending[CONF_CAPACITY_LADDER]) + 1
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                step_prices = parse_numbers(user_input.get(CONF_STEP_PRICES, ""))
            except ValueError:
                step_prices = (-1.0,)
            if step_prices and (len(step_prices) != steps or min(step_prices) < 0):
                errors[CONF_STEP_PRICES] = "step_prices_invalid"
            else:
                pending[CONF_PRICE_ENTITY] = user_input.get(CONF_PRICE_ENTITY) or None
                grid = user_input.get(CONF_GRID_ENERGY_PRICE)
                pending[CONF_GRID_ENERGY_PRICE] = None if grid is None else float(grid)
                pending[CONF_STEP_PRICES] = list(step_prices)
                return self._han_save()

        # Suggested, not default, values: a field the user empties is then really empty.
        def suggested(key: str, value: Any) -> vol.Optional:
            return vol.Optional(key, description={"suggested_value": value})

        fields: dict[Any, Any] = {
            suggested(CONF_PRICE_ENTITY, pending[CONF_PRICE_ENTITY]): EntitySelector(
                EntitySelectorConfig(domain="sensor")
            ),
            suggested(CONF_GRID_ENERGY_PRICE, pending[CONF_GRID_ENERGY_PRICE]): NumberSelector(
                NumberSelectorConfig(min=0, step="any", mode=NumberSelectorMode.BOX)
            ),
            suggested(CONF_STEP_PRICES, numbers_text(pending[CONF_STEP_PRICES])): TextSelector(),
        }
        return self.async_show_form(
            step_id="han_prices",
            data_schema=vol.Schema(fields),
            errors=errors,
            description_placeholders={"steps": str(steps)},
        )

    def _han_save(self) -> ConfigFlowResult:
        """Store the options; the entry reloads when they changed, so its sensors follow them."""
        if dict(self.config_entry.options) != self._han_pending:
            reload_once_saved(self.hass, self.config_entry)
        return self.async_create_entry(data=self._han_pending)
