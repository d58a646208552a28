"""Feeds every heat meter's polls to its period tracker and keeps the trackers across restarts.

The arithmetic is in :mod:`.billing.heat` and :mod:`.billing.heat_periods` (pure Python);
this glue picks the counters out of each new telegram, stamps them with the time they were
read, stores the boundary counters per config entry (Home Assistant's Store, written a few
seconds after a change and at shutdown) and tells the KPI entities.

A meter qualifies when it reports an energy and a volume counter (M-Bus medium heat,
heat/cooling, or anything else with both); a cooling-only meter does not (its "cooling"
would be the opposite sign).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .billing.heat import HeatReading, PeriodKind, band_check
from .billing.heat_periods import HeatPeriods, PeriodKpi
from .const import (
    CONF_BILLING_START,
    CONF_TARGET,
    CONF_TARGET_HIGH,
    CONF_TARGET_LOW,
    CONF_TARGET_PERIOD,
    DEFAULT_TARGET_PERIOD,
    DOMAIN,
    TARGET_COOLING,
    TARGET_NONE,
    TARGET_RETURN,
)
from .mbus_sensor import is_primary_record, plain_vif_spec
from .meter_ids import meter_identifier
from .protocol.mbus.model import Medium, Modifier, Quantity, Record, Telegram
from .protocol.mbus.vendor_registers import volume_temperature_registers

if TYPE_CHECKING:
    from . import MbusHanConfigEntry
    from .mbus_coordinator import MbusCoordinator

_LOGGER = logging.getLogger(__name__)
STORAGE_VERSION = 1
SAVE_DELAY = 30  # seconds: a crash loses at most this; the next poll interpolates across it
_NOT_HEAT = frozenset({Medium.COOLING_OUTLET, Medium.COOLING_INLET})
_KWH_PER_UNIT = {"Wh": 0.001, "J": 1 / 3.6e6}


def heat_reading(telegram: Telegram, at: dt.datetime) -> HeatReading | None:
    """The counters of a heat meter's telegram, or None if it is no heat meter (or no value).

    Takes the meter's current totals: storage 0, tariff 0, the meter itself (subunit 0),
    heat rather than cooling energy (no "backward flow" modifier), and the meter's own
    volume x temperature registers where we know its make's (Kamstrup's E8/E9).
    """
    header = telegram.header
    if header is not None and header.medium in _NOT_HEAT:
        return None
    energy = volume = flow = back = None
    energy_step = volume_step = None
    for record in telegram.records:
        if not is_primary_record(record) or Modifier.ACCUMULATION_NEGATIVE in record.modifiers:
            continue
        value = record.value
        if not isinstance(value, int | float | Decimal) or isinstance(value, bool):
            continue
        number = float(value)
        if record.quantity is Quantity.ENERGY and energy is None:
            if (factor := _KWH_PER_UNIT.get(record.unit)) is not None:
                energy = number * factor
                energy_step = _step(record, factor)
        elif record.quantity is Quantity.VOLUME and volume is None and record.unit == "m^3":
            volume = number
            volume_step = _step(record, 1.0)
        elif record.quantity is Quantity.FLOW_TEMPERATURE and flow is None:
            flow = number if record.unit == "°C" else None
        elif record.quantity is Quantity.RETURN_TEMPERATURE and back is None:
            back = number if record.unit == "°C" else None
    if energy is None or volume is None:
        return None
    registers = volume_temperature_registers(telegram, volume_step)
    return HeatReading(
        at,
        energy,
        volume,
        volume_flow_temperature=None if registers is None else registers.flow,
        volume_return_temperature=None if registers is None else registers.back,
        flow_temperature_c=flow,
        return_temperature_c=back,
        energy_step_kwh=energy_step,
        volume_step_m3=volume_step,
        volume_temperature_step=None if registers is None else registers.step,
    )


def _step(record: Record, factor: float) -> float | None:
    """One step of the register in kWh or m3 (VIF 0x06: 1 kWh).

    None where the VIF does not say it plainly: then no resolution limit applies.
    """
    spec = plain_vif_spec(record)
    return None if spec is None else spec.multiplier * 10.0**spec.exponent * factor


@dataclass(frozen=True, slots=True)
class HeatKpiSettings:
    """The options that shape the KPIs: the billing year and the target band."""

    billing_start: dt.date | None
    target: str
    low: float | None
    high: float | None
    target_period: PeriodKind

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> HeatKpiSettings:
        """Read the entry's options (absent ones: no billing year, no target)."""
        start = options.get(CONF_BILLING_START)
        try:
            billing_start = dt.date.fromisoformat(start) if start else None
        except ValueError:
            billing_start = None
        target = options.get(CONF_TARGET, TARGET_NONE)
        low, high = options.get(CONF_TARGET_LOW), options.get(CONF_TARGET_HIGH)
        period = PeriodKind(options.get(CONF_TARGET_PERIOD, DEFAULT_TARGET_PERIOD))
        if period is PeriodKind.BILLING and billing_start is None:
            period = PeriodKind.MONTH
        if target not in (TARGET_COOLING, TARGET_RETURN) or (low is None and high is None):
            target = TARGET_NONE
        return cls(
            billing_start,
            target,
            None if low is None else float(low),
            None if high is None else float(high),
            period,
        )

    @property
    def has_target(self) -> bool:
        """A target band is set."""
        return self.target != TARGET_NONE


@dataclass(frozen=True, slots=True)
class TargetCheck:
    """A period's cooling or return temperature against the target band."""

    value: float
    outside: bool
    deviation: float  # 0 inside; signed distance to the nearest bound outside
    period: PeriodKpi


class HeatKpiManager:
    """The period trackers of one M-Bus port's heat meters, and who wants to hear of them."""

    def __init__(
        self, hass: HomeAssistant, entry: MbusHanConfigEntry, coordinator: MbusCoordinator
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.coordinator = coordinator
        self.settings = HeatKpiSettings.from_options(dict(entry.options))
        self.trackers: dict[str, HeatPeriods] = {}  # by meter (device) identifier
        self.addresses: dict[str, str] = {}  # meter identifier -> address
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.heat_kpi.{entry.entry_id}"
        )
        self._stored: dict[str, Any] = {}
        self._seen: dict[str, Telegram] = {}  # the telegram last taken per address
        self._meter_listeners: dict[str, list[CALLBACK_TYPE]] = {}
        self._new_meter_listeners: list[Callable[[str, str, Telegram], None]] = []

    @property
    def zone(self) -> ZoneInfo:
        """Home Assistant's time zone: periods roll over at its local midnight."""
        return ZoneInfo(self.hass.config.time_zone)

    async def async_load(self) -> None:
        """Read the stored boundaries, then take the poll the set-up already made."""
        self._stored = (await self._store.async_load()) or {}
        self.entry.async_on_unload(self._async_save_now)
        for address in self.coordinator.addresses:
            self.entry.async_on_unload(
                self.coordinator.async_add_listener(partial(self._on_meter, address), address)
            )
        for address in self.coordinator.addresses:
            self._on_meter(address)

    @callback
    def _on_meter(self, address: str) -> None:
        """A meter was read (or the bus failed): take its telegram once, if it is new."""
        data = self.coordinator.data
        telegram = data.telegrams.get(address) if data is not None else None
        if telegram is None or self._seen.get(address) is telegram:
            return
        self._seen[address] = telegram
        reading = heat_reading(telegram, dt_util.utcnow())
        if reading is None:
            return
        meter_id = meter_identifier(self.entry.entry_id, address, telegram)
        tracker = self.trackers.get(meter_id)
        if tracker is None:
            tracker = HeatPeriods.from_dict(self._stored.get(meter_id, {}), self.zone)
            self.trackers[meter_id] = tracker
            self.addresses[meter_id] = address
            tracker.zone = self.zone
            tracker.add(reading)
            for listener in self._new_meter_listeners:
                listener(meter_id, address, telegram)
        else:
            tracker.zone = self.zone
            if not tracker.add(reading):
                return
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY)
        for update in list(self._meter_listeners.get(meter_id, [])):
            update()

    async def _async_save_now(self) -> None:
        """At unload (a reload, say): write now, so the next set-up reads today's state."""
        if self.trackers:
            await self._store.async_save(self._data_to_save())

    def _data_to_save(self) -> dict[str, Any]:
        return self._stored | {meter: t.to_dict() for meter, t in self.trackers.items()}

    @callback
    def async_add_new_meter_listener(
        self, listener: Callable[[str, str, Telegram], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener(meter_id, address, telegram)`` for every heat meter, now and later."""
        self._new_meter_listeners.append(listener)
        data = self.coordinator.data
        for meter_id, address in self.addresses.items():
            telegram = self._seen.get(address) or (data.telegrams.get(address) if data else None)
            if telegram is not None:
                listener(meter_id, address, telegram)
        return lambda: self._new_meter_listeners.remove(listener)

    @callback
    def async_add_meter_listener(self, meter_id: str, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``update()`` after each new reading of ``meter_id``."""
        self._meter_listeners.setdefault(meter_id, []).append(update)
        return lambda: self._meter_listeners[meter_id].remove(update)

    def kpi(self, meter_id: str, kind: PeriodKind, now: dt.datetime) -> PeriodKpi | None:
        """The running period ``kind`` of ``meter_id`` at ``now``; None when unknown."""
        tracker = self.trackers.get(meter_id)
        if tracker is None:
            return None
        if kind is PeriodKind.BILLING and self.settings.billing_start is None:
            return None
        return tracker.kpi(kind, now, billing_start=self.settings.billing_start)

    def target_check(self, meter_id: str, now: dt.datetime) -> TargetCheck | None:
        """The target period's value against the band; None without a target or a value."""
        settings = self.settings
        if not settings.has_target:
            return None
        period = self.kpi(meter_id, settings.target_period, now)
        if period is None:
            return None
        if settings.target == TARGET_COOLING:
            value = period.kpi.cooling_k
        else:
            value = period.kpi.return_temperature_c
        if value is None:
            return None
        low = -float("inf") if settings.low is None else settings.low
        high = float("inf") if settings.high is None else settings.high
        check = band_check(value, low, high)
        return TargetCheck(value, check.outside, check.deviation, period)


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Forget a removed entry's boundaries."""
    store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, f"{DOMAIN}.heat_kpi.{entry_id}")
    await store.async_remove()
