"""What each value becomes in Home Assistant when it arrives over MQTT: name, unit, classes.

The integration's own descriptions (``han_sensor.py``, ``mbus_sensor.py``) are built from Home
Assistant's enums, which the bridge cannot import: it runs on a small computer next to the
meters, without Home Assistant. This is the same rule set with the enums' string values, and
``tests/ha/test_ha_bridge_parity.py`` holds it against the integration's for every record and
value of the test corpora on both supported Home Assistant releases.

Two deliberate differences, both because MQTT discovery has fewer knobs than an integration:

- MQTT has no ``suggested_unit_of_measurement``, so a value whose unit the integration only
  *suggests* (kWh for a meter's Wh, GJ for J, kW for W, days for seconds) is sent already
  converted to that unit, with the same display precision: the user sees what the
  integration shows.
- Device classes younger than the oldest Home Assistant we support (``temperature_delta``,
  ``reactive_energy``) are left out: one bridge serves Home Assistant releases of any age,
  and an unknown class makes the whole entity fail validation there.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from functools import cache
from importlib import resources

from ..han.obis import Quantity as HanQuantity
from ..han.obis import parse_obis
from ..mbus.model import Function, Medium, Modifier, PeriodicDate, Record, ScaledValue
from ..mbus.model import Quantity as MbusQuantity
from ..mbus.vif import PRIMARY

type StateValue = int | float | str | Decimal | None

DIAGNOSTIC = "diagnostic"
MEASUREMENT = "measurement"
TOTAL_INCREASING = "total_increasing"


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """One sensor as MQTT discovery describes it (the unit is the one shown)."""

    key: str  # stable per meter: the OBIS code or the M-Bus record key
    name: str
    device_class: str | None
    state_class: str | None
    unit: str | None
    precision: int | None = None
    entity_category: str | None = None
    enabled: bool = True
    factor: Decimal | None = None  # from the meter's unit to ``unit``
    platform: str = "sensor"


@cache
def _names() -> dict[str, str]:
    """English entity names, a copy of ``translations/en.json`` (tests keep them equal)."""
    text = resources.files(__package__).joinpath("names.json").read_text(encoding="utf-8")
    names: dict[str, str] = json.loads(text)
    return names


def entity_name(translation_key: str, placeholders: dict[str, str] | None = None) -> str:
    """The English name Home Assistant would show for ``translation_key``."""
    name = _names()[translation_key]
    for placeholder, value in (placeholders or {}).items():
        name = name.replace("{" + placeholder + "}", value)
    return name


# --- HAN --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _HanKind:
    device_class: str | None
    state_class: str
    unit: str | None
    shown_unit: str | None = None  # the integration's suggested unit
    factor: Decimal | None = None
    precision: int | None = None
    enabled: bool = True


_KILO = Decimal("0.001")
_HAN_ENERGY = _HanKind("energy", TOTAL_INCREASING, "Wh", "kWh", _KILO, 2)
# reactive energy: no device class on 2025.4, so no suggested unit there either (as the
# integration does on that release)
_HAN_REACTIVE_ENERGY = _HanKind(None, TOTAL_INCREASING, "varh", None, None, 0)

_HAN_KINDS: dict[HanQuantity, _HanKind] = {
    HanQuantity.ACTIVE_POWER_IMPORT: _HanKind("power", MEASUREMENT, "W"),
    HanQuantity.ACTIVE_POWER_EXPORT: _HanKind("power", MEASUREMENT, "W"),
    HanQuantity.REACTIVE_POWER_IMPORT: _HanKind("reactive_power", MEASUREMENT, "var"),
    HanQuantity.REACTIVE_POWER_EXPORT: _HanKind("reactive_power", MEASUREMENT, "var"),
    HanQuantity.APPARENT_POWER_IMPORT: _HanKind("apparent_power", MEASUREMENT, "VA", enabled=False),
    HanQuantity.APPARENT_POWER_EXPORT: _HanKind("apparent_power", MEASUREMENT, "VA", enabled=False),
    HanQuantity.CURRENT: _HanKind("current", MEASUREMENT, "A", precision=2),
    HanQuantity.VOLTAGE: _HanKind("voltage", MEASUREMENT, "V", precision=1),
    HanQuantity.POWER_FACTOR: _HanKind("power_factor", MEASUREMENT, None, precision=2),
    HanQuantity.FREQUENCY: _HanKind("frequency", MEASUREMENT, "Hz", precision=2),
    HanQuantity.ACTIVE_ENERGY_IMPORT: _HAN_ENERGY,
    HanQuantity.ACTIVE_ENERGY_EXPORT: _HAN_ENERGY,
    HanQuantity.REACTIVE_ENERGY_IMPORT: _HAN_REACTIVE_ENERGY,
    HanQuantity.REACTIVE_ENERGY_EXPORT: _HAN_REACTIVE_ENERGY,
}
_PHASE_STEP = 20
_PHASES = ("L1", "L2", "L3")


def han_phase(code: str) -> str | None:
    """``L1``/``L2``/``L3`` for a per-phase OBIS code (C 21-80), None for a total."""
    c = parse_obis(code)[2]
    if _PHASE_STEP < c <= 4 * _PHASE_STEP:
        return _PHASES[(c - 1) // _PHASE_STEP - 1]
    return None


def describe_han_value(code: str, quantity: HanQuantity) -> EntitySpec | None:
    """The sensor for the HAN value named ``code``, or None when it is no sensor."""
    kind = _HAN_KINDS.get(quantity)
    if kind is None:
        return None
    phase = han_phase(code)
    key = f"han_{quantity.value}"
    return EntitySpec(
        key=code,
        name=entity_name(f"{key}_phase", {"phase": phase}) if phase else entity_name(key),
        device_class=kind.device_class,
        state_class=kind.state_class,
        unit=kind.shown_unit or kind.unit,
        factor=kind.factor,
        precision=kind.precision,
        # per-phase powers are detail most users do not chart
        enabled=kind.enabled
        and not (phase and quantity not in (HanQuantity.CURRENT, HanQuantity.VOLTAGE)),
    )


# Who the meter is: diagnostic text sensors, as the integration's identity sensors.
HAN_IDENTITY = (
    EntitySpec(
        key="meter_id",
        name=entity_name("han_meter_id"),
        device_class=None,
        state_class=None,
        unit=None,
        entity_category=DIAGNOSTIC,
    ),
    EntitySpec(
        key="meter_type",
        name=entity_name("han_meter_type"),
        device_class=None,
        state_class=None,
        unit=None,
        entity_category=DIAGNOSTIC,
    ),
    EntitySpec(
        key="list_version",
        name=entity_name("han_list_version"),
        device_class=None,
        state_class=None,
        unit=None,
        entity_category=DIAGNOSTIC,
    ),
)


def han_expected_counters(codes: list[str]) -> list[str]:
    """The energy registers a meter will send, known from the powers it sends now.

    As the integration: every meter that pushes a total power (C = 1-4, D = 7) counts its
    energy in D = 8 of the same group, so the energy sensors exist (unknown) from the start.
    """
    counters = []
    for code in codes:
        a, b, c, d, e, f = parse_obis(code)
        if a == 1 and 1 <= c <= 4 and d == 7 and e == 0:
            counters.append(f"{a}-{b}:{c}.8.0.{f}")
    return counters


# --- M-Bus ------------------------------------------------------------------------------------

# The meter's own problem reports, as the integration's binary sensors (binary_sensor.py):
# the error flags record (non-zero: a problem) and the status byte's error bits.
MBUS_PROBLEMS = (
    EntitySpec(
        key="error_flags",
        name=entity_name("binary_sensor.error_flags"),
        device_class="problem",
        state_class=None,
        unit=None,
        entity_category=DIAGNOSTIC,
        platform="binary_sensor",
    ),
    EntitySpec(
        key="status",
        name=entity_name("binary_sensor.status"),
        device_class="problem",
        state_class=None,
        unit=None,
        entity_category=DIAGNOSTIC,
        platform="binary_sensor",
    ),
)


@dataclass(frozen=True, slots=True)
class _MbusKind:
    device_class: str | None
    state_class: str | None
    unit: str | None
    shown_unit: str | None = None  # the integration's suggested unit
    precision: int | None = None
    factor: Decimal | None = None  # decoded unit -> ``unit`` (the integration's native unit)
    shown_factor: Decimal | None = None  # ``unit`` -> ``shown_unit``
    category: str | None = None
    enabled: bool = True


_TOTAL = TOTAL_INCREASING
_MEASURE = MEASUREMENT
_KINDS: dict[tuple[MbusQuantity, str], _MbusKind] = {
    (MbusQuantity.ENERGY, "Wh"): _MbusKind("energy", _TOTAL, "Wh", "kWh", 1, None, _KILO),
    (MbusQuantity.ENERGY, "J"): _MbusKind("energy", _TOTAL, "J", "GJ", 3, None, Decimal("1e-9")),
    (MbusQuantity.ENERGY, "cal"): _MbusKind(
        "energy", _TOTAL, "cal", "Mcal", 1, None, Decimal("1e-6")
    ),
    (MbusQuantity.VOLUME, "m^3"): _MbusKind("volume", _TOTAL, "m³", precision=3),
    (MbusQuantity.VOLUME, "ft^3"): _MbusKind("volume", _TOTAL, "ft³", precision=1),
    (MbusQuantity.VOLUME, "US gal"): _MbusKind("volume", _TOTAL, "gal", precision=1),
    (MbusQuantity.MASS, "kg"): _MbusKind("weight", _TOTAL, "kg", precision=1),
    (MbusQuantity.POWER, "W"): _MbusKind("power", _MEASURE, "W", "kW", 2, None, _KILO),
    (MbusQuantity.POWER, "J/h"): _MbusKind(
        "power", _MEASURE, "W", "kW", 2, Decimal(1) / Decimal(3600), _KILO
    ),
    (MbusQuantity.APPARENT_POWER, "VA"): _MbusKind("apparent_power", _MEASURE, "VA", precision=1),
    (MbusQuantity.APPARENT_ENERGY, "VAh"): _MbusKind(None, _TOTAL, "VAh", precision=1),
    (MbusQuantity.VOLUME_FLOW, "m^3/h"): _MbusKind(
        "volume_flow_rate", _MEASURE, "m³/h", precision=3
    ),
    (MbusQuantity.VOLUME_FLOW, "m^3/min"): _MbusKind(
        "volume_flow_rate", _MEASURE, "m³/h", precision=3, factor=Decimal(60)
    ),
    (MbusQuantity.VOLUME_FLOW, "m^3/s"): _MbusKind(
        "volume_flow_rate", _MEASURE, "m³/h", precision=3, factor=Decimal(3600)
    ),
    (MbusQuantity.VOLUME_FLOW, "US gal/min"): _MbusKind(
        "volume_flow_rate", _MEASURE, "gal/min", precision=2
    ),
    # temperature_delta came with Home Assistant 2025.8: left out (see the module's text)
    (MbusQuantity.TEMPERATURE_DIFFERENCE, "K"): _MbusKind(None, _MEASURE, "K", precision=2),
    (MbusQuantity.PRESSURE, "bar"): _MbusKind("pressure", _MEASURE, "bar", precision=2),
    (MbusQuantity.VOLTAGE, "V"): _MbusKind("voltage", _MEASURE, "V", precision=1),
    (MbusQuantity.CURRENT, "A"): _MbusKind("current", _MEASURE, "A", precision=2),
    (MbusQuantity.FREQUENCY, "Hz"): _MbusKind("frequency", _MEASURE, "Hz", precision=2),
    (MbusQuantity.RELATIVE_HUMIDITY, "%"): _MbusKind("humidity", _MEASURE, "%", precision=1),
    (MbusQuantity.MASS_FLOW, "kg/h"): _MbusKind(None, _MEASURE, "kg/h", precision=1),
    (MbusQuantity.HCA_UNITS, ""): _MbusKind(None, _TOTAL, None),
}
for _quantity in (
    MbusQuantity.FLOW_TEMPERATURE,
    MbusQuantity.RETURN_TEMPERATURE,
    MbusQuantity.EXTERNAL_TEMPERATURE,
):
    _KINDS[(_quantity, "°C")] = _MbusKind("temperature", _MEASURE, "°C", precision=1)
    _KINDS[(_quantity, "°F")] = _MbusKind("temperature", _MEASURE, "°F", precision=1)
for _quantity in (MbusQuantity.ON_TIME, MbusQuantity.OPERATING_TIME):
    _KINDS[(_quantity, "s")] = _MbusKind(
        "duration", _TOTAL, "s", "d", 1, None, Decimal(1) / Decimal(86400), DIAGNOSTIC
    )
_KINDS[(MbusQuantity.DATE_TIME, "")] = _MbusKind(
    "timestamp", None, None, category=DIAGNOSTIC, enabled=False
)
_KINDS[(MbusQuantity.DATE, "")] = _MbusKind("date", None, None, category=DIAGNOSTIC)

# Records that describe the meter rather than measure (as mbus_sensor.IDENTITY_QUANTITIES).
_IDENTITY = frozenset(
    {
        MbusQuantity.FABRICATION_NUMBER,
        MbusQuantity.ENHANCED_IDENTIFICATION,
        MbusQuantity.BUS_ADDRESS,
        MbusQuantity.MODEL_VERSION,
        MbusQuantity.HARDWARE_VERSION,
        MbusQuantity.FIRMWARE_VERSION,
        MbusQuantity.SOFTWARE_VERSION,
        MbusQuantity.MANUFACTURER,
        MbusQuantity.MEDIUM,
        MbusQuantity.ACCESS_NUMBER,
        MbusQuantity.PARAMETER_SET_ID,
        MbusQuantity.CUSTOMER,
        MbusQuantity.CUSTOMER_LOCATION,
        MbusQuantity.ACCESS_CODE_USER,
        MbusQuantity.ACCESS_CODE_OPERATOR,
        MbusQuantity.ACCESS_CODE_SYSTEM_OPERATOR,
        MbusQuantity.ACCESS_CODE_DEVELOPER,
        MbusQuantity.PASSWORD,
        MbusQuantity.SECURITY_KEY,
        MbusQuantity.MANUFACTURER_SPECIFIC,
        MbusQuantity.ANY,
        MbusQuantity.RESERVED,
        MbusQuantity.ERROR_FLAGS,
        MbusQuantity.ERROR_MASK,
    }
)
_COUNTER_MODIFIERS = frozenset({Modifier.ACCUMULATION_POSITIVE, Modifier.ACCUMULATION_NEGATIVE})
_NEUTRAL_MODIFIERS = _COUNTER_MODIFIERS | {Modifier.MULTIPLIER, Modifier.OFFSET}
_WATER_MEDIA = frozenset(
    {Medium.WATER, Medium.WARM_WATER, Medium.HOT_WATER, Medium.COLD_WATER, Medium.DUAL_WATER}
)
_FUNCTION_TOKENS = {Function.MAXIMUM: "max", Function.MINIMUM: "min", Function.ERROR_STATE: "err"}
# Device classes whose state class cannot be "measurement" on any release we support.
_NO_MEASUREMENT = frozenset({"energy", "gas", "volume", "water", "timestamp", "date"})
_SHOWN_UNIT_SHIFT = {"kWh": 3, "GJ": 9}


def _record_detail(record: Record, *, storage: bool = True) -> str:
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


def _resolution_decimals(record: Record, shown: str | None, fallback: int | None) -> int | None:
    if fallback is None or len(record.layout.vif) != 1 or record.layout.vif[0] & 0x80:
        return fallback
    spec = PRIMARY.get(record.layout.vif[0] & 0x7F)
    if spec is None or spec.multiplier != 1 or spec.unit != record.unit:
        return fallback
    shift = _SHOWN_UNIT_SHIFT.get(shown, 0) if shown else 0
    return min(3, max(0, shift - spec.exponent))


def _record_name(record: Record, detail: str) -> str:
    quantity = record.quantity.value
    if record.storage and not record.plain_text_unit:
        rest = _record_detail(record, storage=False)
        key = f"{quantity}_stored_detail" if rest else f"{quantity}_stored"
        return entity_name(key, {"storage": str(record.storage), "detail": rest})
    placeholders = {"detail": detail, "unit": record.plain_text_unit or ""}
    return entity_name(f"{quantity}_detail" if detail else quantity, placeholders)


def _is_primary(record: Record) -> bool:
    return (
        record.function is Function.INSTANTANEOUS
        and record.storage == 0
        and record.tariff == 0
        and record.subunit == 0
        and record.error is None
        and all(m in _NEUTRAL_MODIFIERS for m in record.modifiers)
    )


class Shape(Enum):
    """The kind of value a sensor shows, decided once from the record's decoded value."""

    NUMBER = "number"
    TIMESTAMP = "timestamp"
    DATE = "date"
    TEXT = "text"


def _is_number(value: ScaledValue) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def shape_of(value: ScaledValue) -> Shape | None:
    """What ``value`` can be shown as; None for what is no sensor value."""
    if _is_number(value):
        return Shape.NUMBER
    if isinstance(value, dt.datetime):
        return Shape.TIMESTAMP
    if isinstance(value, dt.date):
        return Shape.DATE
    if isinstance(value, str | dt.time | PeriodicDate):
        return Shape.TEXT
    return None


_SHAPE_CLASSES = {Shape.TIMESTAMP: "timestamp", Shape.DATE: "date"}


def _kind_shape(kind: _MbusKind) -> Shape:
    if kind.device_class == "timestamp":
        return Shape.TIMESTAMP
    if kind.device_class == "date":
        return Shape.DATE
    return Shape.NUMBER


@dataclass(frozen=True, slots=True)
class MbusSpec:
    """An M-Bus record's sensor and how its decoded value becomes the state sent."""

    entity: EntitySpec
    value_fn: Callable[[ScaledValue], StateValue]


def _to_state(shape: Shape, factor: Decimal | None) -> Callable[[ScaledValue], StateValue]:
    def convert(value: ScaledValue) -> StateValue:
        if shape_of(value) is not shape:
            return None  # a later telegram sent another type: unknown, never a wrong value
        if isinstance(value, dt.datetime):
            # Meters send local time without a zone: the bridge's, which runs next to them.
            return value.astimezone().isoformat()
        if isinstance(value, dt.date | dt.time | PeriodicDate):
            return value.isoformat() if not isinstance(value, PeriodicDate) else str(value)
        if factor is not None and _is_number(value):
            # a float as shown (its repr), not its binary expansion
            exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)  # type: ignore[arg-type]
            return exact * factor
        return value  # type: ignore[return-value]

    return convert


def describe_mbus_record(record: Record, medium: Medium | None) -> MbusSpec | None:
    """The sensor for ``record``, or None when it is no sensor (as ``mbus_sensor``)."""
    if record.quantity in _IDENTITY:
        return None
    if Modifier.RESERVED in record.modifiers:
        return None
    primary = _is_primary(record)
    shape = shape_of(record.value)
    kind = _KINDS.get((record.quantity, record.unit))
    if kind is not None and record.value is not None and _kind_shape(kind) is not shape:
        kind = None
    plain = all(m in _NEUTRAL_MODIFIERS for m in record.modifiers)
    factor: Decimal | None
    if kind is not None and plain:
        device_class = kind.device_class
        if device_class == "volume" and medium in _WATER_MEDIA:
            device_class = "water"
        elif device_class == "volume" and medium is Medium.GAS:
            device_class = "gas"
        state_class = kind.state_class
        if state_class == _TOTAL and record.function is not Function.INSTANTANEOUS:
            state_class = None if device_class in _NO_MEASUREMENT else _MEASURE
        if state_class == _TOTAL and record.storage:
            state_class = None
        unit = kind.shown_unit or kind.unit
        precision = _resolution_decimals(record, kind.shown_unit, kind.precision)
        category = kind.category
        shape = _kind_shape(kind)
        factor = kind.factor
        if kind.shown_factor is not None:
            factor = kind.shown_factor if factor is None else factor * kind.shown_factor
    elif shape is not None:
        device_class = _SHAPE_CLASSES.get(shape)
        state_class = None
        precision = None
        unit = (record.unit or None) if shape is Shape.NUMBER else None
        category = DIAGNOSTIC
        factor = None
        kind = None
    else:
        return None
    entity = EntitySpec(
        key=record.key,
        name=_record_name(record, _record_detail(record)),
        device_class=device_class,
        state_class=state_class,
        unit=unit,
        precision=precision,
        entity_category=category,
        enabled=primary and kind is not None and kind.enabled,
    )
    return MbusSpec(entity, _to_state(shape, factor))
