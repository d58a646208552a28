"""Feeds a HAN meter's pushes to the capacity-tariff core and keeps its month across restarts.

Which values: the total import power (OBIS 1-0:1.7.0, list 1/2, every 2-10 s) for the running
period, and the import energy register (1-0:1.8.0, list 3, once an hour) for the completed
hours; the times are Home Assistant's clock when each push arrived. The month (periods,
registers, the running period, the cost so far) is kept in a ``Store`` per entry, saved a
little after every change and when Home Assistant stops. Without a store (first start, or a
lost file) the month so far is rebuilt from the recorder's hourly statistics of the meter's
register and power sensors. All computing is in ``billing/``; this only schedules and stores.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .billing.capacity import DEFAULT_LADDER
from .billing.capacity_cost import CostLedger, Prices, settled
from .billing.capacity_meter import HOUR, CapacityMeter, hours_from_statistics
from .const import (
    CONF_CAPACITY_LADDER,
    CONF_GRID_ENERGY_PRICE,
    CONF_PRICE_ENTITY,
    CONF_SETTLEMENT_MINUTES,
    CONF_STEP_PRICES,
    DEFAULT_SETTLEMENT_MINUTES,
    DOMAIN,
)
from .han_coordinator import HanCoordinator
from .han_sensor import phase_of
from .protocol.han import HanValue, Quantity
from .protocol.han.obis import measurement

_LOGGER = logging.getLogger(__name__)

STORE_VERSION = 1
SAVE_DELAY = 30  # seconds: a restart loses at most this much of the running period's sum
TICK = dt.timedelta(seconds=10)  # closes a silent meter's periods and moves the clock on


@dataclass(frozen=True, slots=True)
class CapacitySettings:
    """The options that shape the tracker."""

    minutes: int
    ladder: tuple[float, ...]
    price_entity: str | None
    prices: Prices

    @classmethod
    def from_options(cls, options: Any) -> CapacitySettings:
        """From a HAN entry's options (defaults where not given)."""
        price_entity = options.get(CONF_PRICE_ENTITY) or None
        grid = options.get(CONF_GRID_ENERGY_PRICE)
        return cls(
            minutes=int(options.get(CONF_SETTLEMENT_MINUTES, DEFAULT_SETTLEMENT_MINUTES)),
            ladder=tuple(float(b) for b in options.get(CONF_CAPACITY_LADDER, DEFAULT_LADDER)),
            price_entity=price_entity,
            prices=Prices(
                energy_entity=price_entity is not None,
                grid_energy=None if grid is None else float(grid),
                steps=tuple(float(p) for p in options.get(CONF_STEP_PRICES, ())),
            ),
        )

    @property
    def priced(self) -> bool:
        """True when the user gave any price: then there is a cost sensor."""
        prices = self.prices
        return prices.energy_entity or prices.grid_energy is not None or bool(prices.steps)


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    return Store(hass, STORE_VERSION, f"{DOMAIN}.capacity.{entry_id}")


async def async_remove_capacity_store(hass: HomeAssistant, entry_id: str) -> None:
    """A removed entry's capacity month goes with it."""
    await _store(hass, entry_id).async_remove()


def _is_total(code: str, quantity: Quantity, value: HanValue) -> bool:
    return value.quantity is quantity and phase_of(code) is None


class CapacityTracker:
    """One HAN entry's capacity tariff: what the sensors read, kept up to date and stored."""

    def __init__(
        self, hass: HomeAssistant, coordinator: HanCoordinator, settings: CapacitySettings
    ) -> None:
        self.hass = hass
        self.coordinator = coordinator
        self.settings = settings
        entry_id = coordinator.config_entry.entry_id
        self.meter = CapacityMeter(
            ZoneInfo(hass.config.time_zone), settings.minutes, settings.ladder
        )
        self.ledger = CostLedger()
        self.meter_id: str | None = None
        self.source = "new"  # where the month came from: store, statistics or new
        self._store = _store(hass, entry_id)
        self._seen: dict[str, HanValue] = {}  # the last value object taken per code
        self._listeners: list[CALLBACK_TYPE] = []
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._rebuild_wanted = False

    # --- life cycle -------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Load the stored month, then follow the meter's pushes and the clock."""
        stored = await self._store.async_load()
        if stored and self.meter.load(stored.get("meter", {})):
            self.meter_id = stored.get("meter_id")
            self.ledger = CostLedger.from_dict(stored.get("ledger", {}))
            self.source = "store"
        else:
            self._rebuild_wanted = True
            self.ledger.priced_until = dt_util.utcnow()  # a new ledger starts now
        self._unsubscribe.append(self.coordinator.async_add_listener(self._on_push))
        self._unsubscribe.append(async_track_time_interval(self.hass, self._on_tick, TICK))
        self._on_push()

    async def async_stop(self) -> None:
        """Stop following and write the month now."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        await self._store.async_save(self._stored())

    def _stored(self) -> dict[str, Any]:
        return {
            "meter_id": self.meter_id,
            "meter": self.meter.to_dict(),
            "ledger": self.ledger.to_dict(),
        }

    def diagnostics(self, now: dt.datetime) -> dict[str, Any]:
        """What the capacity numbers stand on: the settings, the month's source and gaps.

        A summary, not the month's periods (up to 2,976 at 15 minutes); no meter ID.
        """
        meter = self.meter
        return {
            "period_minutes": meter.minutes,
            "ladder_kw": list(self.settings.ladder),
            "priced": self.settings.priced,
            "price_entity": self.settings.price_entity,
            "source": self.source,
            "periods_this_month": len(meter.month_periods(now)),
            "missing_periods": [start.isoformat() for start in meter.missing_periods(now)],
            "top_peaks": [
                {
                    "start": peak.start.isoformat(),
                    "kw": round(peak.power_kw, 3),
                    "incomplete": peak.incomplete,
                }
                for peak in meter.top(now)
            ],
            "step": meter.step(now) + 1,  # as the step sensor and every bill count: from 1
            "cost_total": round(self.ledger.total, 4),
            "periods_without_price": self.ledger.skipped_no_price,
            "periods_without_energy": self.ledger.skipped_no_energy,
        }

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> Callable[[], None]:
        """Call ``update`` whenever the numbers may have changed."""
        self._listeners.append(update)
        return lambda: self._listeners.remove(update)

    # --- input ------------------------------------------------------------------------------

    @callback
    def _on_push(self) -> None:
        meter_id = self.coordinator.device_identifier
        if meter_id is None:
            return  # list 1 names no meter: wait for list 2
        if meter_id != self.meter_id:
            if self.meter_id is not None:  # a replaced meter: the installation's month goes on
                _LOGGER.info(
                    "HAN meter %s replaces %s: the capacity month goes on", meter_id, self.meter_id
                )
                self.meter.meter_replaced()
            self.meter_id = meter_id
        if self._rebuild_wanted:
            self._rebuild_wanted = False
            self.coordinator.config_entry.async_create_background_task(
                self.hass, self._rebuild(meter_id), f"{DOMAIN} capacity rebuild"
            )
        now = dt_util.utcnow()
        for code, value in self.coordinator.data.values.items():
            if self._seen.get(code) is value:
                continue  # merged from an earlier push: not a new sample
            self._seen[code] = value
            if _is_total(code, Quantity.ACTIVE_POWER_IMPORT, value):
                self.meter.add_power(now, float(value.value) / 1000)
            elif _is_total(code, Quantity.ACTIVE_ENERGY_IMPORT, value):
                self.meter.add_register(now, float(value.value) / 1000)
        self._changed(now)

    @callback
    def _on_tick(self, _now: dt.datetime) -> None:
        now = dt_util.utcnow()
        self.meter.close_until(now)
        self._changed(now)

    @callback
    def _changed(self, now: dt.datetime) -> None:
        self._note_price(now)
        self._settle(now)
        self._store.async_delay_save(self._stored, SAVE_DELAY)
        for update in list(self._listeners):
            update()

    # --- prices -----------------------------------------------------------------------------

    def price(self) -> float | None:
        """The energy price sensor's value now; None when it has none (or none is set)."""
        entity = self.settings.price_entity
        state = None if entity is None else self.hass.states.get(entity)
        if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            return None
        try:
            return float(state.state)
        except ValueError:
            return None

    def _note_price(self, now: dt.datetime) -> None:
        """Take the price in the middle of the running period: the one it is billed at."""
        live = self.meter.live
        if live is None or self.settings.price_entity is None:
            return
        if now >= live.start + self.meter.length / 2:
            self.ledger.note_price(live.start, self.price())

    def _settle(self, now: dt.datetime) -> None:
        """Put every settled period into the cost, and the month's step as it is."""
        if not self.settings.priced:
            return
        until = self.ledger.priced_until
        waiting = [s for s in self.meter.periods if until is None or s >= until]
        for start in sorted(waiting):
            if not settled(start, now):
                break
            self.ledger.add_period(start, self.meter.periods[start], self.settings.prices)
            month = start.astimezone(self.meter.zone).strftime("%Y-%m")
            self.ledger.charge_step(month, self.meter.step(start), self.settings.prices)
        self.ledger.forget_prices_before(now - 2 * HOUR)

    # --- rebuild ----------------------------------------------------------------------------

    def _entity_of(self, meter_id: str, quantity: Quantity) -> str | None:
        """The entity id of the meter's total ``quantity`` sensor, from the registry."""
        registry = er.async_get(self.hass)
        prefix = f"{meter_id}-"
        for entity in er.async_entries_for_config_entry(
            registry, self.coordinator.config_entry.entry_id
        ):
            if entity.domain != "sensor" or not entity.unique_id.startswith(prefix):
                continue
            code = entity.unique_id.removeprefix(prefix)
            try:
                known = measurement(code)
            except ValueError:
                continue
            if known is not None and known[0] is quantity and phase_of(code) is None:
                return entity.entity_id
        return None

    async def _rebuild(self, meter_id: str) -> None:
        """The month so far from the recorder's hourly statistics (no store to start from)."""
        if self.meter.minutes != 60 or "recorder" not in self.hass.config.components:
            return  # hourly rows say nothing of quarter-hour peaks
        energy = self._entity_of(meter_id, Quantity.ACTIVE_ENERGY_IMPORT)
        power = self._entity_of(meter_id, Quantity.ACTIVE_POWER_IMPORT)
        if energy is None or power is None:
            return
        # Imported here: the recorder is only an after-dependency.
        from homeassistant.components.recorder.statistics import (  # noqa: PLC0415
            statistics_during_period,
        )

        now = dt_util.now()
        month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        rows = await get_instance(self.hass).async_add_executor_job(
            statistics_during_period,
            self.hass,
            dt_util.as_utc(month_start),
            None,
            {energy, power},
            "hour",
            {"energy": "kWh", "power": "kW"},  # by unit class
            {"state", "mean"},
        )
        registers = {
            dt_util.utc_from_timestamp(row["start"]): state
            for row in rows.get(energy, [])
            if (state := row.get("state")) is not None
        }
        means = {
            dt_util.utc_from_timestamp(row["start"]): mean
            for row in rows.get(power, [])
            if (mean := row.get("mean")) is not None
        }
        hours = hours_from_statistics(registers, means)
        if self.meter_id != meter_id:
            return  # the meter changed meanwhile
        self.meter.add_hours(hours)
        self.source = "statistics"
        _LOGGER.debug("Capacity month of %s rebuilt from %d statistics hours", meter_id, len(hours))
        self._changed(dt_util.utcnow())
