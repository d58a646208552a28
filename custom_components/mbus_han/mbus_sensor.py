"""How M-Bus data records become Home Assistant sensor descriptions (no I/O here).

A heat meter reports whatever records it has; each becomes a sensor only when we know what
it means for Home Assistant: a device class, a state class and a unit Home Assistant accepts.
Records whose meaning a VIFE changes (e.g. "per input pulse", "duration of limit exceed")
become plain, disabled-by-default sensors without a device class, so they can never end up in
the energy dashboard or long-term statistics as something they are not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from homeassistant.components.sensor import (
    DEVICE_CLASS_STATE_CLASSES,
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfApparentPower,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfMass,
    UnitOfPower,
    UnitOfPressure,
    UnitOfTemperature,
    UnitOfTime,
    UnitOfVolume,
    UnitOfVolumeFlowRate,
)
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .protocol.mbus.model import (
    Function,
    Medium,
    Modifier,
    PeriodicDate,
    Quantity,
    Record,
    ScaledValue,
)
from .protocol.mbus.vif import PRIMARY, VifSpec

# Home Assistant 2025.8+ has a device class for temperature differences; 2025.4 does not.
TEMPERATURE_DELTA: SensorDeviceClass | None = getattr(SensorDeviceClass, "TEMPERATURE_DELTA", None)

# Modifiers that leave a counter a counter: forward / backward flow energy of heat meters.
_COUNTER_MODIFIERS = frozenset({Modifier.ACCUMULATION_POSITIVE, Modifier.ACCUMULATION_NEGATIVE})
# Modifiers that leave the meaning as it is: those, and the scaling VIFEs (multiplicative
# correction, additive offset) that the decoder has already applied to the value.
_NEUTRAL_MODIFIERS = _COUNTER_MODIFIERS | {Modifier.MULTIPLIER, Modifier.OFFSET}
_WATER_MEDIA = frozenset(
    {Medium.WATER, Medium.WARM_WATER, Medium.HOT_WATER, Medium.COLD_WATER, Medium.DUAL_WATER}
)
_GAS_MEDIA = frozenset({Medium.GAS})

type SensorValue = StateType | Decimal | dt.date | dt.datetime


@dataclass(frozen=True, kw_only=True)
class MbusSensorEntityDescription(SensorEntityDescription):
    """A sensor for one M-Bus record, found by its stable record key."""

    record_key: str
    value_fn: Callable[[ScaledValue], SensorValue]


@dataclass(frozen=True, kw_only=True)
class _Kind:
    """How one (quantity, unit) pair shows in Home Assistant."""

    device_class: SensorDeviceClass | None
    state_class: SensorStateClass | None
    unit: str | None
    suggested_unit: str | None = None
    precision: int | None = None
    factor: Decimal | None = None  # converts the decoded unit to ``unit``
    category: EntityCategory | None = None
    enabled: bool = True


_MEASURE = SensorStateClass.MEASUREMENT
_TOTAL = SensorStateClass.TOTAL_INCREASING
_D = SensorDeviceClass

_KINDS: dict[tuple[Quantity, str], _Kind] = {
    (Quantity.ENERGY, "Wh"): _Kind(
        device_class=_D.ENERGY,
        state_class=_TOTAL,
        unit=UnitOfEnergy.WATT_HOUR,
        suggested_unit=UnitOfEnergy.KILO_WATT_HOUR,
        precision=1,
    ),
    (Quantity.ENERGY, "J"): _Kind(
        device_class=_D.ENERGY,
        state_class=_TOTAL,
        unit=UnitOfEnergy.JOULE,
        suggested_unit=UnitOfEnergy.GIGA_JOULE,
        precision=3,
    ),
    (Quantity.ENERGY, "cal"): _Kind(
        device_class=_D.ENERGY,
        state_class=_TOTAL,
        unit=UnitOfEnergy.CALORIE,
        suggested_unit=UnitOfEnergy.MEGA_CALORIE,
        precision=1,
    ),
    (Quantity.VOLUME, "m^3"): _Kind(
        device_class=_D.VOLUME, state_class=_TOTAL, unit=UnitOfVolume.CUBIC_METERS, precision=3
    ),
    (Quantity.VOLUME, "ft^3"): _Kind(
        device_class=_D.VOLUME, state_class=_TOTAL, unit=UnitOfVolume.CUBIC_FEET, precision=1
    ),
    (Quantity.VOLUME, "US gal"): _Kind(
        device_class=_D.VOLUME, state_class=_TOTAL, unit=UnitOfVolume.GALLONS, precision=1
    ),
    (Quantity.MASS, "kg"): _Kind(
        device_class=_D.WEIGHT, state_class=_TOTAL, unit=UnitOfMass.KILOGRAMS, precision=1
    ),
    (Quantity.POWER, "W"): _Kind(
        device_class=_D.POWER,
        state_class=_MEASURE,
        unit=UnitOfPower.WATT,
        suggested_unit=UnitOfPower.KILO_WATT,
        precision=2,
    ),
    (Quantity.POWER, "J/h"): _Kind(
        device_class=_D.POWER,
        state_class=_MEASURE,
        unit=UnitOfPower.WATT,
        suggested_unit=UnitOfPower.KILO_WATT,
        precision=2,
        factor=Decimal(1) / Decimal(3600),
    ),
    (Quantity.APPARENT_POWER, "VA"): _Kind(
        device_class=_D.APPARENT_POWER,
        state_class=_MEASURE,
        unit=UnitOfApparentPower.VOLT_AMPERE,
        precision=1,
    ),
    # Home Assistant has no apparent-energy device class or unit (2025.4 to 2026.10): a total
    # in VAh without a class, so it is never offered as (active) energy.
    (Quantity.APPARENT_ENERGY, "VAh"): _Kind(
        device_class=None, state_class=_TOTAL, unit="VAh", precision=1
    ),
    (Quantity.VOLUME_FLOW, "m^3/h"): _Kind(
        device_class=_D.VOLUME_FLOW_RATE,
        state_class=_MEASURE,
        unit=UnitOfVolumeFlowRate.CUBIC_METERS_PER_HOUR,
        precision=3,
    ),
    (Quantity.VOLUME_FLOW, "m^3/min"): _Kind(
        device_class=_D.VOLUME_FLOW_RATE,
        state_class=_MEASURE,
        unit=UnitOfVolumeFlowRate.CUBIC_METERS_PER_HOUR,
        precision=3,
        factor=Decimal(60),
    ),
    (Quantity.VOLUME_FLOW, "m^3/s"): _Kind(
        device_class=_D.VOLUME_FLOW_RATE,
        state_class=_MEASURE,
        unit=UnitOfVolumeFlowRate.CUBIC_METERS_PER_HOUR,
        precision=3,
        factor=Decimal(3600),
    ),
    (Quantity.VOLUME_FLOW, "US gal/min"): _Kind(
        device_class=_D.VOLUME_FLOW_RATE,
        state_class=_MEASURE,
        unit=UnitOfVolumeFlowRate.GALLONS_PER_MINUTE,
        precision=2,
    ),
    (Quantity.TEMPERATURE_DIFFERENCE, "K"): _Kind(
        device_class=TEMPERATURE_DELTA,
        state_class=_MEASURE,
        unit=UnitOfTemperature.KELVIN,
        precision=2,
    ),
    (Quantity.PRESSURE, "bar"): _Kind(
        device_class=_D.PRESSURE, state_class=_MEASURE, unit=UnitOfPressure.BAR, precision=2
    ),
    (Quantity.VOLTAGE, "V"): _Kind(
        device_class=_D.VOLTAGE,
        state_class=_MEASURE,
        unit=UnitOfElectricPotential.VOLT,
        precision=1,
    ),
    (Quantity.CURRENT, "A"): _Kind(
        device_class=_D.CURRENT,
        state_class=_MEASURE,
        unit=UnitOfElectricCurrent.AMPERE,
        precision=2,
    ),
    (Quantity.FREQUENCY, "Hz"): _Kind(
        device_class=_D.FREQUENCY, state_class=_MEASURE, unit=UnitOfFrequency.HERTZ, precision=2
    ),
    (Quantity.RELATIVE_HUMIDITY, "%"): _Kind(
        device_class=_D.HUMIDITY, state_class=_MEASURE, unit=PERCENTAGE, precision=1
    ),
    (Quantity.MASS_FLOW, "kg/h"): _Kind(
        device_class=None, state_class=_MEASURE, unit="kg/h", precision=1
    ),
    (Quantity.HCA_UNITS, ""): _Kind(device_class=None, state_class=_TOTAL, unit=None),
}
for _quantity in (
    Quantity.FLOW_TEMPERATURE,
    Quantity.RETURN_TEMPERATURE,
    Quantity.EXTERNAL_TEMPERATURE,
):
    _KINDS[(_quantity, "°C")] = _Kind(
        device_class=_D.TEMPERATURE,
        state_class=_MEASURE,
        unit=UnitOfTemperature.CELSIUS,
        precision=1,
    )
    _KINDS[(_quantity, "°F")] = _Kind(
        device_class=_D.TEMPERATURE,
        state_class=_MEASURE,
        unit=UnitOfTemperature.FAHRENHEIT,
        precision=1,
    )
for _quantity in (Quantity.ON_TIME, Quantity.OPERATING_TIME):
    _KINDS[(_quantity, "s")] = _Kind(
        device_class=_D.DURATION,
        state_class=_TOTAL,
        unit=UnitOfTime.SECONDS,
        suggested_unit=UnitOfTime.DAYS,
        precision=1,
        category=EntityCategory.DIAGNOSTIC,
    )
# A meter's clock writes a new state (and a logbook entry) with every poll: opt-in only.
_KINDS[(Quantity.DATE_TIME, "")] = _Kind(
    device_class=_D.TIMESTAMP,
    state_class=None,
    unit=None,
    category=EntityCategory.DIAGNOSTIC,
    enabled=False,
)
_KINDS[(Quantity.DATE, "")] = _Kind(
    device_class=_D.DATE, state_class=None, unit=None, category=EntityCategory.DIAGNOSTIC
)

# Records that describe the meter rather than measure: device info, or nothing.
IDENTITY_QUANTITIES = frozenset(
    {
        Quantity.FABRICATION_NUMBER,
        Quantity.ENHANCED_IDENTIFICATION,
        Quantity.BUS_ADDRESS,
        Quantity.MODEL_VERSION,
        Quantity.HARDWARE_VERSION,
        Quantity.FIRMWARE_VERSION,
        Quantity.SOFTWARE_VERSION,
        Quantity.MANUFACTURER,
        Quantity.MEDIUM,
        Quantity.ACCESS_NUMBER,
        Quantity.PARAMETER_SET_ID,
        Quantity.CUSTOMER,
        Quantity.CUSTOMER_LOCATION,
        Quantity.ACCESS_CODE_USER,
        Quantity.ACCESS_CODE_OPERATOR,
        Quantity.ACCESS_CODE_SYSTEM_OPERATOR,
        Quantity.ACCESS_CODE_DEVELOPER,
        Quantity.PASSWORD,
        Quantity.SECURITY_KEY,
        Quantity.MANUFACTURER_SPECIFIC,
        Quantity.ANY,
        Quantity.RESERVED,
        Quantity.ERROR_FLAGS,  # a binary sensor, see binary_sensor.py
        Quantity.ERROR_MASK,
    }
)

_FUNCTION_TOKENS = {
    Function.MAXIMUM: "max",
    Function.MINIMUM: "min",
    Function.ERROR_STATE: "err",
}


def record_detail(record: Record, *, storage: bool = True) -> str:
    """Language-neutral qualifiers of a record: ``max``, ``#1`` (storage), ``T2``, ``U1``."""
    parts = []
    if token := _FUNCTION_TOKENS.get(record.function):
        parts.append(token)
    if record.storage and storage:
        parts.append(f"#{record.storage}")
    if record.tariff:
        parts.append(f"T{record.tariff}")
    if record.subunit:
        parts.append(f"U{record.subunit}")
    parts.extend(m.value for m in record.modifiers if m not in _NEUTRAL_MODIFIERS)
    return " ".join(parts)


# Decimal places between a meter's unit and the unit shown (Wh -> kWh: 3, J -> GJ: 9).
_SHOWN_UNIT_SHIFT: dict[str | None, int] = {
    UnitOfEnergy.KILO_WATT_HOUR: 3,
    UnitOfEnergy.GIGA_JOULE: 9,
}


def plain_vif_spec(record: Record) -> VifSpec | None:
    """The record's VIF when it alone gives the meter's step (VIF 0x06: 10^3 Wh = 1 kWh).

    Only a plain primary VIF (one byte, no extension) says it; extensions and VIFE corrections
    may change the step, so they give None.
    """
    vif = record.layout.vif
    if len(vif) != 1 or vif[0] & 0x80:
        return None
    spec = PRIMARY.get(vif[0] & 0x7F)
    return spec if spec is not None and spec.unit == record.unit else None


def _resolution_decimals(
    record: Record, shown_unit: str | None, fallback: int | None
) -> int | None:
    """As many decimals as the meter resolves: 36294 kWh, not 36294.0, from a kWh counter.

    The VIF's power of ten is the meter's step; where the VIF does not say it plainly
    (:func:`plain_vif_spec`), the kind's default stands.
    """
    spec = None if fallback is None else plain_vif_spec(record)
    if spec is None or spec.multiplier != 1:
        return fallback
    return min(3, max(0, _SHOWN_UNIT_SHIFT.get(shown_unit, 0) - spec.exponent))


def _name(record: Record, detail: str) -> tuple[str, dict[str, str] | None]:
    """Translation key and placeholders: "Energy, stored value 1 (T2)" rather than "(#1 T2)".

    A stored value (storage number > 0) is what the meter kept, usually at a billing date; the
    translated name says so, with the storage number, instead of a bare "#1".
    """
    quantity = record.quantity.value
    if record.storage and not record.plain_text_unit:
        rest = record_detail(record, storage=False)
        key = f"{quantity}_stored_detail" if rest else f"{quantity}_stored"
        return key, {"storage": str(record.storage), "detail": rest}
    placeholders = {"detail": detail, "unit": record.plain_text_unit or ""}
    return (
        f"{quantity}_detail" if detail else quantity,
        placeholders if detail or record.plain_text_unit else None,
    )


def is_primary_record(record: Record) -> bool:
    """True for the records a user wants on the dashboard by default.

    The current (storage 0), total (tariff 0), instantaneous value of the meter itself
    (subunit 0), not modified by a VIFE other than forward/backward accumulation or scaling.
    """
    return (
        record.function is Function.INSTANTANEOUS
        and record.storage == 0
        and record.tariff == 0
        and record.subunit == 0
        and record.error is None
        and all(m in _NEUTRAL_MODIFIERS for m in record.modifiers)
    )


class _Shape(Enum):
    """The Python type a sensor shows, decided once from the record's decoded value."""

    NUMBER = "number"
    TIMESTAMP = "timestamp"
    DATE = "date"
    TEXT = "text"


def _is_number(value: ScaledValue) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _shape_of(value: ScaledValue) -> _Shape | None:
    """What ``value`` can be shown as; None for what is no sensor value (bytes, nothing)."""
    if _is_number(value):
        return _Shape.NUMBER
    if isinstance(value, dt.datetime):
        return _Shape.TIMESTAMP
    if isinstance(value, dt.date):
        return _Shape.DATE
    if isinstance(value, str | dt.time | PeriodicDate):
        # A time of day or a date that recurs every year is no point in time: HA has no
        # class for it, so it is text ("YYYY-12-31"), never a timestamp or date.
        return _Shape.TEXT
    return None


_SHAPE_CLASSES = {
    _Shape.TIMESTAMP: SensorDeviceClass.TIMESTAMP,
    _Shape.DATE: SensorDeviceClass.DATE,
}


def _kind_shape(kind: _Kind) -> _Shape:
    if kind.device_class is SensorDeviceClass.TIMESTAMP:
        return _Shape.TIMESTAMP
    if kind.device_class is SensorDeviceClass.DATE:
        return _Shape.DATE
    return _Shape.NUMBER


def _to_state(shape: _Shape, factor: Decimal | None) -> Callable[[ScaledValue], SensorValue]:
    """The state of a value, or None (unknown) when a later telegram sends another type."""

    def convert(value: ScaledValue) -> SensorValue:
        if _shape_of(value) is not shape:
            return None
        if isinstance(value, dt.datetime):
            # Meters send local time without a zone: it is Home Assistant's local time.
            return value.replace(tzinfo=dt_util.get_default_time_zone())
        if isinstance(value, dt.time):
            return value.isoformat()
        if isinstance(value, PeriodicDate):
            return str(value)
        if factor is not None and _is_number(value):
            return Decimal(value) * factor  # type: ignore[arg-type]
        return value  # type: ignore[return-value]

    return convert


def _measurement_if_allowed(device_class: SensorDeviceClass | None) -> SensorStateClass | None:
    """MEASUREMENT where the device class allows it (not for volumes or energies, say)."""
    allowed = DEVICE_CLASS_STATE_CLASSES.get(device_class) if device_class else None
    return _MEASURE if allowed is None or _MEASURE in allowed else None


def describe_record(record: Record, medium: Medium | None) -> MbusSensorEntityDescription | None:
    """The sensor description for ``record``, or None when it is no sensor."""
    if record.quantity in IDENTITY_QUANTITIES or record.quantity is Quantity.RESERVED:
        return None
    if Modifier.RESERVED in record.modifiers:
        return None  # a reserved VIFE changes the meaning in a way the standard does not say
    primary = is_primary_record(record)
    shape = _shape_of(record.value)
    kind = _KINDS.get((record.quantity, record.unit))
    if kind is not None and record.value is not None and _kind_shape(kind) is not shape:
        kind = None  # e.g. a time of day (type J) where a date and time is usual
    plain = all(m in _NEUTRAL_MODIFIERS for m in record.modifiers)
    if kind is not None and plain:
        device_class = kind.device_class
        if device_class is SensorDeviceClass.VOLUME and medium in _WATER_MEDIA:
            device_class = SensorDeviceClass.WATER
        elif device_class is SensorDeviceClass.VOLUME and medium in _GAS_MEDIA:
            device_class = SensorDeviceClass.GAS
        state_class = kind.state_class
        if state_class is _TOTAL and (record.function is not Function.INSTANTANEOUS):
            state_class = _measurement_if_allowed(device_class)  # a counter's maximum
        if state_class is _TOTAL and record.storage:
            state_class = None  # a stored (historic) value is not a running total
        unit = kind.unit
        suggested_unit = kind.suggested_unit
        precision = _resolution_decimals(record, suggested_unit, kind.precision)
        category = kind.category
        shape = _kind_shape(kind)
    elif shape is not None:
        # A value we cannot classify: shown as is (a number with its unit), never in
        # statistics, never with a device class its type does not fit.
        device_class = _SHAPE_CLASSES.get(shape)  # a date and time is one, whatever its VIF
        state_class = suggested_unit = precision = None
        unit = (record.unit or None) if shape is _Shape.NUMBER else None
        category = EntityCategory.DIAGNOSTIC
        kind = None
    else:
        return None
    detail = record_detail(record)
    translation_key, placeholders = _name(record, detail)
    return MbusSensorEntityDescription(
        key=record.key,
        record_key=record.key,
        translation_key=translation_key,
        translation_placeholders=placeholders,
        device_class=device_class,
        state_class=state_class,
        native_unit_of_measurement=unit,
        suggested_unit_of_measurement=suggested_unit,
        suggested_display_precision=precision,
        entity_category=category,
        entity_registry_enabled_default=primary and kind is not None and kind.enabled,
        value_fn=_to_state(shape, kind.factor if kind is not None else None),
    )
