"""Turn the A-XDR body of a data-notification into identity, clock and scaled values.

Four shapes occur: an array of structures ``{OBIS, value[, {scaler, unit}]}`` (Aidon, Swedish
Aidon); a flat structure of OBIS/value pairs, possibly with scaler-unit after the value, with
unnamed elements (Kamstrup's list version first, Netz NOE's clock first and meter number last),
null padding (1-phase Kamstrup) or ``{OBIS, value[, {scaler, unit}]}`` structures among the
pairs (Kaifa MA309: the clock as a loose pair, then one structure per value); Landis+Gyr's
list of capture-object descriptors first, then the values in that order; and Kaifa's Norwegian
bare values, named by position. All are reduced to entries (OBIS octets, value, scaler-unit)
and then read the same way. A body that yields no value at all is a :class:`NoKnownValuesError`.
This runs for every push, so what an OBIS code means is worked out once per code and cached.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from math import isfinite
from types import MappingProxyType

from ..errors import DecodeError, NoKnownValuesError
from .axdr import AxdrValue
from .clock import DATE_TIME_LENGTH, MeterClock, parse_clock
from .lists import (
    CLOCK_CDE,
    FLAG_MANUFACTURERS,
    IDENTITY_CODES,
    IDENTITY_ONLY_WITH_A,
    LIST_SPECS,
    LIST_VERSION,
    LOGICAL_DEVICE_NAME,
    METER_ID,
    METER_TYPE,
    NEK_LIST1_BARE,
    SELF_DESCRIBING_LISTS,
    ListSpec,
)
from .obis import DLMS_UNITS, OBIS_LENGTH, Quantity, Unit, measurement, obis_text, parse_obis
from .reading import HanReading, HanValue, MeterIdentity, SecurityInfo

_CLOCK_ROLE = "clock"
_MAX_CACHED_CODES = 1024  # a meter uses a few dozen; a stream of garbage must not grow this

# (OBIS octets or None for an unnamed element, value, (scaler, unit) or None)
type _Entry = tuple[bytes | None, AxdrValue, tuple[int, int] | None]
# code text, identity/clock role or None, (quantity, unit) or None
type _CodeInfo = tuple[str, str | None, tuple[Quantity, Unit] | None]

_code_infos: dict[bytes, _CodeInfo] = {}


def _code_info(raw: bytes) -> _CodeInfo:
    info = _code_infos.get(raw)
    if info is None:
        code = obis_text(raw)
        a, _, c, d, e, _ = raw
        role = IDENTITY_CODES.get((c, d, e))
        if IDENTITY_ONLY_WITH_A.get((c, d, e), a) != a:
            role = None
        if role is None and (c, d, e) == CLOCK_CDE and a == 0:
            role = _CLOCK_ROLE
        info = (code, role, measurement(code))
        if len(_code_infos) >= _MAX_CACHED_CODES:
            _code_infos.clear()
        _code_infos[raw] = info
    return info


@cache
def _layout_octets(layout: tuple[str, ...]) -> tuple[bytes, ...]:
    return tuple(bytes(parse_obis(code)) for code in layout)


# HanValue is built inline in the value loop (about 30 per push), through its slots. The
# descriptors are taken from the class namespace: the same member descriptor objects as
# ``HanValue.value``, which mypy types as the field (int | float), not as its slot.
_new = object.__new__
_set_value: Callable[[HanValue, int | float], None] = vars(HanValue)["value"].__set__
_set_unit: Callable[[HanValue, Unit], None] = vars(HanValue)["unit"].__set__
_set_quantity: Callable[[HanValue, Quantity], None] = vars(HanValue)["quantity"].__set__
# Scalers are int8 (IEC 62056-6-2 scal_unit_type); meters also send them as long or unsigned,
# which is fine while the value is in the int8 range. Anything beyond is no scaler.
_MIN_SCALER, _MAX_SCALER = -128, 127
_POWERS_OF_TEN = {exponent: 10**exponent for exponent in range(-_MIN_SCALER + 1)}


def _is_obis(value: AxdrValue) -> bool:
    return type(value) is bytes and len(value) == OBIS_LENGTH


def _scaler_unit(value: AxdrValue) -> tuple[int, int] | None:
    if type(value) is list and len(value) == 2:
        scaler, unit = value
        if type(scaler) is int and type(unit) is int:
            return scaler, unit
    return None


_texts: dict[bytes, str] = {}


def _text(value: AxdrValue) -> str | None:
    """Identity strings: visible-string as is, octet-string when it is printable ASCII."""
    if type(value) is str:
        return value
    if type(value) is bytes:
        text = _texts.get(value)  # the same few identity strings arrive with every push
        if text is None:
            text = value.decode("latin-1")
            if not (text.isascii() and text.isprintable()):
                text = value.hex().upper()
            if len(_texts) >= _MAX_CACHED_CODES:
                _texts.clear()
            _texts[value] = text
        return text
    return None


def _object_entry(item: list[AxdrValue]) -> _Entry:
    """One structure {OBIS, value} or {OBIS, value, {scaler, unit}}."""
    size = len(item)
    if size == 3:
        code, value, scaler_unit_data = item
        scaler_unit = _scaler_unit(scaler_unit_data)
        if scaler_unit is None:
            raise DecodeError("list element's third field is not a scaler-unit")
    elif size == 2:
        code, value = item
        scaler_unit = None
    else:
        raise DecodeError(f"list element is a structure of {size}, not {{OBIS, value}}")
    if not _is_obis(code):
        raise DecodeError("list element does not start with an OBIS code")
    return code, value, scaler_unit


def _object_entries(body: list[AxdrValue]) -> list[_Entry]:
    """Aidon: every element is a structure {OBIS, value} or {OBIS, value, {scaler, unit}}."""
    entries: list[_Entry] = []
    for item in body:
        if type(item) is not list:
            raise DecodeError("list mixes structures and bare values")
        entries.append(_object_entry(item))
    return entries


# Capture-object descriptors {class id, OBIS, attribute, data index} (Blue Book, push setup):
# the attributes that carry a value, and those that carry the scaler-unit of a register.
_VALUE_ATTRIBUTES = frozenset({(1, 2), (3, 2), (4, 2), (8, 2)})  # data, register, ext., clock
_SCALER_UNIT_ATTRIBUTES = frozenset({(3, 3), (4, 3)})
_DESCRIPTOR_SIZE = 4


def _is_descriptor(item: AxdrValue) -> bool:
    return (
        type(item) is list
        and len(item) == _DESCRIPTOR_SIZE
        and type(item[0]) is int
        and _is_obis(item[1])
        and type(item[2]) is int
        and type(item[3]) is int
    )


def _is_capture_list(first: AxdrValue, count: int) -> bool:
    """Landis+Gyr: the body's first element lists what every element of the body is."""
    return type(first) is list and len(first) == count and all(map(_is_descriptor, first))


def _described_entries(body: list[AxdrValue]) -> list[_Entry]:
    """Pair each capture-object descriptor with the value in the same place.

    The first descriptor names the push setup's object list, i.e. the descriptors themselves.
    A register's scaler-unit is used where the meter pushes attribute 3 as well; a value whose
    descriptor selects one element of an array (data index other than 0) is not understood.
    """
    described = list(zip(body[0], body, strict=True))
    scaler_units: dict[bytes, tuple[int, int]] = {}
    for (class_id, code, attribute, _index), value in described:
        if (class_id, attribute) in _SCALER_UNIT_ATTRIBUTES:
            scaler_unit = _scaler_unit(value)
            if scaler_unit is None:
                raise DecodeError(f"{obis_text(code)}: pushed scaler-unit is not {{int, enum}}")
            scaler_units[code] = scaler_unit
    return [
        (code, value, scaler_units.get(code))
        for (class_id, code, attribute, index), value in described
        if (class_id, attribute) in _VALUE_ATTRIBUTES and index == 0
    ]


def _pair_entries(body: list[AxdrValue]) -> list[_Entry]:
    """Flat lists: OBIS code, value, optional scaler-unit; unnamed elements; null padding."""
    entries: list[_Entry] = []
    index, count = 0, len(body)
    while index < count:
        item = body[index]
        if item is None:  # 1-phase Kamstrup pads absent codes and values with null-data
            index += 1
        elif type(item) is bytes and len(item) == OBIS_LENGTH and index + 1 < count:
            following = body[index + 2] if index + 2 < count else None
            scaler_unit = _scaler_unit(following) if type(following) is list else None
            entries.append((item, body[index + 1], scaler_unit))
            index += 3 if scaler_unit else 2
        elif type(item) is list and item and _is_obis(item[0]):  # Kaifa MA309: a structure
            entries.append(_object_entry(item))
            index += 1
        else:
            entries.append((None, item, None))
            index += 1
    return entries


def _positional_entries(body: list[AxdrValue], spec: ListSpec) -> list[_Entry]:
    layout = spec.layouts.get(len(body))
    if layout is None:
        raise DecodeError(f"positional {spec.manufacturer} list of {len(body)} elements unknown")
    return [(code, value, None) for code, value in zip(_layout_octets(layout), body, strict=True)]


def _entries(body: AxdrValue) -> tuple[list[_Entry], ListSpec | None]:
    if type(body) is not list or not body:
        raise DecodeError("notification body is not a non-empty array or structure")
    first = body[0]
    if _is_capture_list(first, len(body)):
        return _described_entries(body), None
    if type(first) is list:  # _object_entries checks that every element is a structure
        return _object_entries(body), None
    if len(body) == 1 and type(first) is int:
        return _positional_entries(body, NEK_LIST1_BARE), NEK_LIST1_BARE
    version = _text(first) if isinstance(first, (bytes, str)) else None
    spec = LIST_SPECS.get(version) if version else None
    if spec is not None and spec.layouts:  # a bare list version first: Kaifa's Norwegian lists
        return _positional_entries(body, spec), spec
    return _pair_entries(body), None


def _value_to_text(code: str, value: AxdrValue) -> str:
    text = _text(value)
    if text is None:
        raise DecodeError(f"{code}: identity is not a string")
    return text


def _clock(code: str, value: AxdrValue) -> MeterClock | None:
    if not isinstance(value, bytes):
        raise DecodeError(f"{code}: clock is not an octet-string")
    try:
        return parse_clock(value)
    except DecodeError:
        return None  # a clock the meter marks invalid is absent; the values still hold


def _nothing_known(skipped: dict[str, str], unnamed_unknown: int) -> str:
    reasons = [f"{code} ({why})" for code, why in list(skipped.items())[:4]]
    if len(skipped) > len(reasons):
        reasons.append(f"{len(skipped) - len(reasons)} more codes")
    if unnamed_unknown:
        reasons.append(f"{unnamed_unknown} elements without OBIS code")
    detail = "; ".join(reasons) or "no element names a value"
    return f"the push holds no value this integration knows: {detail}"


def interpret(
    body: AxdrValue,
    manufacturer_hint: str | None = None,
    notification_time: MeterClock | None = None,
    security: SecurityInfo | None = None,
) -> HanReading:
    """Read the body of a data-notification; raise :class:`DecodeError` if it makes no sense.

    A body that holds no value we know raises :class:`NoKnownValuesError`. The clock is the
    body's own clock object where it has one, else the notification's time.
    """
    entries, spec = _entries(body)
    identity: dict[str, str] = {}
    clock: MeterClock | None = None
    clock_seen = False
    measures: list[tuple[str, tuple[Quantity, Unit], AxdrValue, tuple[int, int] | None]] = []
    skipped: dict[str, str] = {}
    unnamed_unknown = 0
    code_infos = _code_infos
    for raw_code, value, scaler_unit in entries:
        if raw_code is None:
            if type(value) is bytes and len(value) == DATE_TIME_LENGTH and not clock_seen:
                clock_seen = True  # Austria: the clock comes first, without a code
                clock = _clock("unnamed clock", value)
                continue
            text = _text(value)
            if text is None:
                unnamed_unknown += 1
                continue
            if text in LIST_SPECS or text in SELF_DESCRIBING_LISTS:
                identity.setdefault(LIST_VERSION, text)
            else:  # Austrian Kaifa: the meter number, last and unnamed
                identity.setdefault(METER_ID, text)
            continue
        code, role, kind = code_infos.get(raw_code) or _code_info(raw_code)
        if role is _CLOCK_ROLE:
            clock_seen = True
            clock = _clock(code, value)
        elif role is not None:
            identity[role] = _value_to_text(code, value)
        elif kind is None:
            skipped[code] = "not an electricity value this integration knows"
        elif value is not None:  # null-data: not sent
            measures.append((code, kind, value, scaler_unit))

    version = identity.get(LIST_VERSION)
    if spec is None and version is not None:
        spec = LIST_SPECS.get(version)
    meter_type = identity.get(METER_TYPE)
    logical_name = identity.get(LOGICAL_DEVICE_NAME)
    manufacturer = (
        (spec.manufacturer if spec else None)
        or SELF_DESCRIBING_LISTS.get(version or "")
        or manufacturer_hint
        or (FLAG_MANUFACTURERS.get(logical_name[:3]) if logical_name else None)
    )
    values: dict[str, HanValue] = {}
    not_present: set[str] = set()
    zero_codes: frozenset[str] = frozenset()
    scalers: dict[Quantity, int] = {}
    if spec is not None:
        scalers = spec.scalers_for(meter_type)
        if spec.absent_when_zero is not None and meter_type is not None:
            pattern, codes = spec.absent_when_zero
            if pattern.search(meter_type):
                zero_codes = codes
    units = DLMS_UNITS
    for code, (quantity, unit), raw, scaler_unit in measures:
        raw_type = type(raw)
        if raw_type is not int:
            if raw_type is not float:
                raise DecodeError(f"{code}: value of type {raw_type.__name__} is not a number")
            if not isfinite(raw):
                skipped[code] = "not a finite number"
                continue
        if scaler_unit is not None:
            scaler, unit_code = scaler_unit
            if units.get(unit_code) is not unit:
                skipped[code] = f"unit {unit_code} does not fit {quantity.value}"
                continue
        else:
            found = scalers.get(quantity)
            if found is None:
                skipped[code] = "the list gives no scaling for it"
                continue
            scaler = found
        if raw == 0 and code in zero_codes:
            not_present.add(code)
            continue
        if scaler:
            if not _MIN_SCALER <= scaler <= _MAX_SCALER:
                raise DecodeError(f"{code}: scaler {scaler} is outside the int8 range")
            # one correctly rounded division: 93 -> 9.3, not 9.300000000000001
            scaled = raw * _POWERS_OF_TEN[scaler] if scaler > 0 else raw / _POWERS_OF_TEN[-scaler]
            if type(scaled) is float and not isfinite(scaled):
                skipped[code] = "not a finite number once scaled"
                continue
        else:
            scaled = raw
        value = _new(HanValue)
        _set_value(value, scaled)
        _set_unit(value, unit)
        _set_quantity(value, quantity)
        values[code] = value
    if not values and not not_present:
        raise NoKnownValuesError(_nothing_known(skipped, unnamed_unknown))
    return HanReading(
        MeterIdentity(manufacturer, identity.get(METER_ID) or logical_name, meter_type, version),
        clock if clock_seen else notification_time,
        MappingProxyType(values),  # read-only: the reading is shared with every listener
        frozenset(not_present),
        notification_time,
        security,
        MappingProxyType(skipped),
    )
