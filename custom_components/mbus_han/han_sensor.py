"""How HAN values become Home Assistant sensor descriptions (no I/O here).

A HAN push names each value by its OBIS code; the protocol package tells what the code
measures (quantity and base unit) and the phase is in the code itself. Only what a meter
actually sends becomes a sensor, so a 1-phase meter gets no L2/L3 entities and a 3-wire IT
meter no L2 voltage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    EntityCategory,
    UnitOfApparentPower,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfReactivePower,
    UnitOfTime,
)
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .protocol.han import MeterClock, MeterIdentity, Quantity
from .protocol.han.obis import measurement, parse_obis

# Home Assistant 2025.x+ releases after 2025.4 have a device class for reactive energy.
REACTIVE_ENERGY: SensorDeviceClass | None = getattr(SensorDeviceClass, "REACTIVE_ENERGY", None)
_PHASE_STEP = 20  # OBIS C of L1 values is the total's C + 20, L2 + 40, L3 + 60
_PHASES = ("L1", "L2", "L3")

type HanSensorValue = StateType | dt.datetime


@dataclass(frozen=True, kw_only=True)
class HanSensorEntityDescription(SensorEntityDescription):
    """A sensor for one OBIS code of a HAN meter."""

    obis: str


@dataclass(frozen=True, kw_only=True)
class _Kind:
    device_class: SensorDeviceClass | None
    state_class: SensorStateClass
    unit: str | None
    suggested_unit: str | None = None
    precision: int | None = None
    enabled: bool = True


_MEASURE = SensorStateClass.MEASUREMENT
_TOTAL = SensorStateClass.TOTAL_INCREASING
_D = SensorDeviceClass
_W = UnitOfPower.WATT
_VAR = UnitOfReactivePower.VOLT_AMPERE_REACTIVE
_VA = UnitOfApparentPower.VOLT_AMPERE

_KINDS: dict[Quantity, _Kind] = {
    Quantity.ACTIVE_POWER_IMPORT: _Kind(device_class=_D.POWER, state_class=_MEASURE, unit=_W),
    Quantity.ACTIVE_POWER_EXPORT: _Kind(device_class=_D.POWER, state_class=_MEASURE, unit=_W),
    Quantity.REACTIVE_POWER_IMPORT: _Kind(
        device_class=_D.REACTIVE_POWER, state_class=_MEASURE, unit=_VAR
    ),
    Quantity.REACTIVE_POWER_EXPORT: _Kind(
        device_class=_D.REACTIVE_POWER, state_class=_MEASURE, unit=_VAR
    ),
    Quantity.APPARENT_POWER_IMPORT: _Kind(
        device_class=_D.APPARENT_POWER, state_class=_MEASURE, unit=_VA, enabled=False
    ),
    Quantity.APPARENT_POWER_EXPORT: _Kind(
        device_class=_D.APPARENT_POWER, state_class=_MEASURE, unit=_VA, enabled=False
    ),
    Quantity.CURRENT: _Kind(
        device_class=_D.CURRENT,
        state_class=_MEASURE,
        unit=UnitOfElectricCurrent.AMPERE,
        precision=2,
    ),
    Quantity.VOLTAGE: _Kind(
        device_class=_D.VOLTAGE,
        state_class=_MEASURE,
        unit=UnitOfElectricPotential.VOLT,
        precision=1,
    ),
    Quantity.POWER_FACTOR: _Kind(
        device_class=_D.POWER_FACTOR, state_class=_MEASURE, unit=None, precision=2
    ),
    Quantity.FREQUENCY: _Kind(
        device_class=_D.FREQUENCY, state_class=_MEASURE, unit=UnitOfFrequency.HERTZ, precision=2
    ),
    Quantity.ACTIVE_ENERGY_IMPORT: _Kind(
        device_class=_D.ENERGY,
        state_class=_TOTAL,
        unit=UnitOfEnergy.WATT_HOUR,
        suggested_unit=UnitOfEnergy.KILO_WATT_HOUR,
        precision=2,
    ),
    Quantity.ACTIVE_ENERGY_EXPORT: _Kind(
        device_class=_D.ENERGY,
        state_class=_TOTAL,
        unit=UnitOfEnergy.WATT_HOUR,
        suggested_unit=UnitOfEnergy.KILO_WATT_HOUR,
        precision=2,
    ),
    Quantity.REACTIVE_ENERGY_IMPORT: _Kind(
        device_class=REACTIVE_ENERGY,
        state_class=_TOTAL,
        unit="varh",
        suggested_unit="kvarh" if REACTIVE_ENERGY else None,
        precision=2 if REACTIVE_ENERGY else 0,
    ),
    Quantity.REACTIVE_ENERGY_EXPORT: _Kind(
        device_class=REACTIVE_ENERGY,
        state_class=_TOTAL,
        unit="varh",
        suggested_unit="kvarh" if REACTIVE_ENERGY else None,
        precision=2 if REACTIVE_ENERGY else 0,
    ),
}


def phase_of(code: str) -> str | None:
    """``L1``/``L2``/``L3`` for a per-phase OBIS code (C 21-80), None for a total."""
    c = parse_obis(code)[2]
    if _PHASE_STEP < c <= 4 * _PHASE_STEP:
        return _PHASES[(c - 1) // _PHASE_STEP - 1]
    return None


def describe_value(code: str, quantity: Quantity) -> HanSensorEntityDescription | None:
    """The sensor description for the value named ``code``, or None when it is no sensor."""
    kind = _KINDS.get(quantity)
    if kind is None:
        return None
    phase = phase_of(code)
    name = f"han_{quantity.value}"
    return HanSensorEntityDescription(
        key=code,
        obis=code,
        translation_key=f"{name}_phase" if phase else name,
        translation_placeholders={"phase": phase} if phase else None,
        device_class=kind.device_class,
        state_class=kind.state_class,
        native_unit_of_measurement=kind.unit,
        suggested_unit_of_measurement=kind.suggested_unit,
        suggested_display_precision=kind.precision,
        # per-phase powers are detail most users do not chart
        entity_registry_enabled_default=kind.enabled
        and not (phase and quantity not in (Quantity.CURRENT, Quantity.VOLTAGE)),
    )


@dataclass(frozen=True, kw_only=True)
class HanIdentitySensorEntityDescription(SensorEntityDescription):
    """A diagnostic sensor of who the meter is or what its clock says."""

    value_fn: Callable[[MeterIdentity, MeterClock | None], HanSensorValue]
    has_fn: Callable[[MeterIdentity, MeterClock | None], bool]


def meter_clock_datetime(clock: MeterClock | None) -> dt.datetime | None:
    """The meter's clock as an aware datetime in Home Assistant's time zone.

    The meters send local wall-clock time and disagree on the sign of the deviation field,
    so the fields are read as local time where Home Assistant runs (next to the meter).
    """
    if clock is None or clock.isoformat is None:
        return None
    try:
        naive = dt.datetime.fromisoformat(clock.isoformat.split(".")[0])
    except ValueError:
        return None  # e.g. 31 February: a clock that cannot be right is no value
    return naive.replace(tzinfo=dt_util.get_default_time_zone())


IDENTITY_SENSORS: tuple[HanIdentitySensorEntityDescription, ...] = (
    HanIdentitySensorEntityDescription(
        key="meter_id",
        translation_key="han_meter_id",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda meter, _clock: meter.meter_id,
        has_fn=lambda meter, _clock: meter.meter_id is not None,
    ),
    HanIdentitySensorEntityDescription(
        key="meter_type",
        translation_key="han_meter_type",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda meter, _clock: meter.meter_type,
        has_fn=lambda meter, _clock: meter.meter_type is not None,
    ),
    HanIdentitySensorEntityDescription(
        key="list_version",
        translation_key="han_list_version",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda meter, _clock: meter.list_version,
        has_fn=lambda meter, _clock: meter.list_version is not None,
    ),
    HanIdentitySensorEntityDescription(
        key="meter_clock",
        translation_key="han_meter_clock",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        # A new state every 2 s fills the logbook and the recorder; the clock offset is what
        # a user watches, so the raw clock is there only for those who enable it.
        entity_registry_enabled_default=False,
        value_fn=lambda _meter, clock: meter_clock_datetime(clock),
        has_fn=lambda _meter, clock: clock is not None,
    ),
)


# The clock offset moves only when it changes by this much: the push's own time on the line
# (about a second at 2400 baud) makes the offset jitter by a second from push to push.
CLOCK_OFFSET_STEP = 2

CLOCK_OFFSET_SENSOR = SensorEntityDescription(
    key="clock_offset",
    translation_key="han_clock_offset",
    device_class=SensorDeviceClass.DURATION,
    native_unit_of_measurement=UnitOfTime.SECONDS,
    entity_category=EntityCategory.DIAGNOSTIC,
    suggested_display_precision=0,
)


def clock_offset_seconds(clock: MeterClock | None, received: dt.datetime) -> int | None:
    """How far the meter's clock is ahead of Home Assistant's (negative: behind), in seconds."""
    meter_time = meter_clock_datetime(clock)
    if meter_time is None:
        return None
    return round((meter_time - received).total_seconds())


def expected_counters(codes: Iterable[str]) -> list[str]:
    """The energy registers a meter will send, known from the powers it sends now.

    Meters send their energy registers only once an hour (list 3). Every meter that pushes a
    total power (active or reactive, import or export: C = 1-4, D = 7) counts its energy in
    the register with D = 8 in the same group, so the energy sensors can exist, unknown, from
    the first minute and the energy dashboard can be set up at once.
    """
    counters = []
    for code in codes:
        a, b, c, d, e, f = parse_obis(code)
        if a == 1 and 1 <= c <= 4 and d == 7 and e == 0:
            counters.append(f"{a}-{b}:{c}.8.0.{f}")
    return counters


def describe_code(code: str) -> HanSensorEntityDescription | None:
    """The description of a sensor known only by its OBIS code (re-created after a restart)."""
    try:
        known = measurement(code)
    except ValueError:
        return None
    return None if known is None else describe_value(code, known[0])
