"""Turn the A-XDR body of a data-notification into identity, clock and scaled values.

Three shapes occur: an array of structures ``{OBIS, value[, {scaler, unit}]}`` (Aidon, Swedish
Aidon); a flat structure of OBIS/value pairs, possibly with scaler-unit after the value and
with unnamed elements (Kamstrup's list version first, Austria's clock first and meter number
last) or null padding (1-phase Kamstrup); and Kaifa's Norwegian bare values, named by position.
All three are reduced to entries (code, value, scaler-unit) and then read the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DecodeError
from .axdr import AxdrValue
from .clock import DATE_TIME_LENGTH, MeterClock, parse_clock
from .lists import (
    CLOCK_CDE,
    IDENTITY_CODES,
    LIST_SPECS,
    LIST_VERSION,
    METER_ID,
    METER_TYPE,
    NEK_LIST1_BARE,
    SELF_DESCRIBING_LISTS,
    ListSpec,
)
from .obis import DLMS_UNITS, OBIS_LENGTH, measurement, obis_text, parse_obis
from .reading import HanValue, MeterIdentity

_SCALER_UNIT_LENGTH = 2


@dataclass(frozen=True, slots=True)
class _Entry:
    code: str | None  # None: the list sends this element without a code
    value: AxdrValue
    scaler_unit: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Interpretation:
    """What the body says, before the APDU header (notification time, security) is added."""

    meter: MeterIdentity
    clock: MeterClock | None
    values: dict[str, HanValue]
    not_present: frozenset[str]
    skipped: dict[str, str]


def _is_obis(value: AxdrValue) -> bool:
    return isinstance(value, bytes) and len(value) == OBIS_LENGTH


def _scaler_unit(value: AxdrValue) -> tuple[int, int] | None:
    if (
        isinstance(value, list)
        and len(value) == _SCALER_UNIT_LENGTH
        and type(value[0]) is int
        and type(value[1]) is int
    ):
        return value[0], value[1]
    return None


def _text(value: AxdrValue) -> str | None:
    """Identity strings: visible-string as is, octet-string when it is printable ASCII."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        text = value.decode("latin-1")
        return text if text.isascii() and text.isprintable() else value.hex().upper()
    return None


def _object_entries(body: list[AxdrValue]) -> list[_Entry]:
    """Aidon: every element is a structure {OBIS, value} or {OBIS, value, {scaler, unit}}."""
    entries = []
    for item in body:
        if not isinstance(item, list) or len(item) not in (2, 3) or not _is_obis(item[0]):
            raise DecodeError("list element is not a {OBIS code, value[, scaler-unit]} structure")
        scaler_unit = None
        if len(item) == 3:
            scaler_unit = _scaler_unit(item[2])
            if scaler_unit is None:
                raise DecodeError(f"{obis_text(item[0])}: third element is not a scaler-unit")
        entries.append(_Entry(obis_text(item[0]), item[1], scaler_unit))
    return entries


def _pair_entries(body: list[AxdrValue]) -> list[_Entry]:
    """Flat lists: OBIS code, value, optional scaler-unit; unnamed elements; null padding."""
    entries = []
    index, count = 0, len(body)
    while index < count:
        item = body[index]
        if item is None:  # 1-phase Kamstrup pads absent codes and values with null-data
            index += 1
        elif _is_obis(item) and index + 1 < count:
            scaler_unit = _scaler_unit(body[index + 2]) if index + 2 < count else None
            entries.append(_Entry(obis_text(item), body[index + 1], scaler_unit))
            index += 3 if scaler_unit else 2
        else:
            entries.append(_Entry(None, item))
            index += 1
    return entries


def _positional_entries(body: list[AxdrValue], spec: ListSpec) -> list[_Entry]:
    layout = spec.layouts.get(len(body))
    if layout is None:
        raise DecodeError(f"positional {spec.manufacturer} list of {len(body)} elements unknown")
    return [_Entry(code, value) for code, value in zip(layout, body, strict=True)]


def _entries(body: AxdrValue) -> tuple[list[_Entry], ListSpec | None]:
    if not isinstance(body, list) or not body:
        raise DecodeError("notification body is not a non-empty array or structure")
    first = body[0]
    if all(isinstance(item, list) for item in body):
        return _object_entries(body), None
    if len(body) == 1 and type(first) is int:
        return _positional_entries(body, NEK_LIST1_BARE), NEK_LIST1_BARE
    version = _text(first) if isinstance(first, (bytes, str)) else None
    spec = LIST_SPECS.get(version) if version else None
    if spec is not None and spec.layouts and not any(_is_obis(item) for item in body):
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


def _scale(raw: int | float, scaler: int) -> int | float:
    if scaler >= 0:
        return raw * 10**scaler
    return raw / 10**-scaler  # one correctly rounded division: 93 -> 9.3, not 9.300000000000001


def interpret(body: AxdrValue, manufacturer_hint: str | None = None) -> Interpretation:
    """Read the body of a data-notification; raise :class:`DecodeError` if it makes no sense."""
    entries, spec = _entries(body)
    identity: dict[str, str] = {}
    clock: MeterClock | None = None
    clock_seen = False
    measures: list[_Entry] = []
    for entry in entries:
        code, value = entry.code, entry.value
        if code is None:
            if isinstance(value, bytes) and len(value) == DATE_TIME_LENGTH and not clock_seen:
                clock_seen = True  # Austria: the clock comes first, without a code
                clock = _clock("unnamed clock", value)
                continue
            text = _text(value)
            if text is None:
                continue
            if text in LIST_SPECS or text in SELF_DESCRIBING_LISTS:
                identity.setdefault(LIST_VERSION, text)
            else:  # Austrian Kaifa: the meter number, last and unnamed
                identity.setdefault(METER_ID, text)
            continue
        a, _, c, d, e, _ = parse_obis(code)
        role = IDENTITY_CODES.get((c, d, e))
        if role is not None:
            identity[role] = _value_to_text(code, value)
        elif (c, d, e) == CLOCK_CDE and a == 0:
            clock_seen = True
            clock = _clock(code, value)
        else:
            measures.append(entry)

    version = identity.get(LIST_VERSION)
    if spec is None and version is not None:
        spec = LIST_SPECS.get(version)
    meter_type = identity.get(METER_TYPE)
    manufacturer = (
        (spec.manufacturer if spec else None)
        or SELF_DESCRIBING_LISTS.get(version or "")
        or manufacturer_hint
    )
    values: dict[str, HanValue] = {}
    skipped: dict[str, str] = {}
    not_present: set[str] = set()
    zero_rule = spec.absent_when_zero if spec else None
    for entry in measures:
        code = entry.code
        assert code is not None  # measures are named
        kind = measurement(code)
        if kind is None:
            skipped[code] = "not an electricity value this integration knows"
            continue
        quantity, unit = kind
        raw = entry.value
        if raw is None:
            continue  # null-data: not sent
        if type(raw) not in (int, float):
            raise DecodeError(f"{code}: value of type {type(raw).__name__} is not a number")
        if entry.scaler_unit is not None:
            scaler, unit_code = entry.scaler_unit
            if DLMS_UNITS.get(unit_code) is not unit:
                skipped[code] = f"unit {unit_code} does not fit {quantity.value}"
                continue
        else:
            found = spec.scaler(quantity, meter_type) if spec else None
            if found is None:
                skipped[code] = "the list gives no scaling for it"
                continue
            scaler = found
        if (
            raw == 0
            and zero_rule is not None
            and code in zero_rule[1]
            and meter_type is not None
            and zero_rule[0].search(meter_type)
        ):
            not_present.add(code)
            continue
        values[code] = HanValue(_scale(raw, scaler), unit, quantity)
    return Interpretation(
        meter=MeterIdentity(
            manufacturer=manufacturer,
            meter_id=identity.get(METER_ID),
            meter_type=meter_type,
            list_version=version,
        ),
        clock=clock,
        values=values,
        not_present=frozenset(not_present),
        skipped=skipped,
    )
