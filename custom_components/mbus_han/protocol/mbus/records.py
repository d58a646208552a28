"""Data records of the variable data structure (EN 13757-3:2013 clause 6).

A record is DIF, up to ten DIFEs, VIF, up to ten VIFEs, then the data field. The DIF gives
the data coding, function and lowest storage bit; DIFEs add storage, tariff and subunit bits;
the VIF (from the primary, FB or FD table, plain text or manufacturer specific) gives the
quantity and scale; combinable VIFEs modify it. Special DIFs: 0x0F / 0x1F start
manufacturer-specific data to the end of the telegram (0x1F: more records follow in the next
telegram), 0x2F is an idle filler.
"""

from __future__ import annotations

from decimal import Decimal
from typing import overload

from ..errors import DecodeError
from .coding import (
    DATE_DECODERS,
    InvalidValue,
    decode_bcd,
    decode_int,
    decode_lvar,
    decode_real32,
    lvar_length,
)
from .model import Function, Modifier, Quantity, RawValue, Record, RecordLayout, ScaledValue
from .vif import (
    COMBINABLE,
    DURATION_UNITS,
    EXTENSION_FB,
    EXTENSION_FD,
    MANUFACTURER_SPEC,
    PER_UNIT_SUFFIX,
    PLAIN_TEXT_SPEC,
    PRIMARY,
    RECORD_ERRORS,
    RESERVED_SPEC,
    VIF_EXTENSION_FB,
    VIF_EXTENSION_FD,
    VIF_MANUFACTURER,
    VIF_PLAIN_TEXT,
    VifSpec,
)

MAX_DIFES = 10
MAX_VIFES = 10
MAX_RECORDS = 256  # a long frame holds at most 252 bytes of user data: a safe upper bound

DIF_MANUFACTURER_DATA = 0x0F
DIF_MORE_RECORDS_FOLLOW = 0x1F
DIF_IDLE_FILLER = 0x2F
DATA_VARIABLE_LENGTH = 0x0D

# Data field length by the DIF's data coding nibble (0x0D variable, 0x0F special function).
_DATA_LENGTHS = {
    0x0: 0,
    0x1: 1,
    0x2: 2,
    0x3: 3,
    0x4: 4,
    0x5: 4,
    0x6: 6,
    0x7: 8,
    0x8: 0,
    0x9: 1,
    0xA: 2,
    0xB: 3,
    0xC: 4,
    0xE: 6,
}
_INTEGER_CODINGS = frozenset((0x1, 0x2, 0x3, 0x4, 0x6, 0x7))
_BCD_CODINGS = frozenset((0x9, 0xA, 0xB, 0xC, 0xE))
_FUNCTIONS = (Function.INSTANTANEOUS, Function.MAXIMUM, Function.MINIMUM, Function.ERROR_STATE)

# Identifiers and bit fields: binary data of these is unsigned (types C and D), not type B.
_UNSIGNED = frozenset(
    {
        Quantity.FABRICATION_NUMBER,
        Quantity.ENHANCED_IDENTIFICATION,
        Quantity.BUS_ADDRESS,
        Quantity.ACCESS_NUMBER,
        Quantity.MEDIUM,
        Quantity.MANUFACTURER,
        Quantity.PARAMETER_SET_ID,
        Quantity.MODEL_VERSION,
        Quantity.HARDWARE_VERSION,
        Quantity.FIRMWARE_VERSION,
        Quantity.SOFTWARE_VERSION,
        Quantity.CUSTOMER_LOCATION,
        Quantity.CUSTOMER,
        Quantity.ACCESS_CODE_USER,
        Quantity.ACCESS_CODE_OPERATOR,
        Quantity.ACCESS_CODE_SYSTEM_OPERATOR,
        Quantity.ACCESS_CODE_DEVELOPER,
        Quantity.PASSWORD,
        Quantity.ERROR_FLAGS,
        Quantity.ERROR_MASK,
        Quantity.DIGITAL_INPUT,
        Quantity.DIGITAL_OUTPUT,
        Quantity.BAUD_RATE,
    }
)
# VIFEs after which the value is a date/time of the quantity rather than the quantity.
_DATE_MODIFIERS = frozenset(
    {Modifier.DATE_TIME_OF, Modifier.START_DATE_TIME_OF, Modifier.LIMIT_EXCEED_DATE_TIME}
)
# VIFEs after which the value is a duration (unit given by the VIFE's nn bits).
_DURATION_MODIFIERS = frozenset({Modifier.DURATION_OF, Modifier.LIMIT_EXCEED_DURATION})
# VIFEs after which the value counts events (E100 u001: number of limit exceeds): a plain
# number, neither scaled by the VIF nor in its unit.
_COUNT_MODIFIERS = frozenset({Modifier.LOWER_LIMIT_EXCEEDS, Modifier.UPPER_LIMIT_EXCEEDS})
# VIFEs that only rescale: they do not change what the record means.
_SCALING_MODIFIERS = frozenset({Modifier.MULTIPLIER, Modifier.OFFSET})


class _Vib:
    """The decoded value information block of one record (internal, mutable while parsed)."""

    __slots__ = (
        "duration_multiplier",
        "error",
        "exponent",
        "modifiers",
        "offset_exponent",
        "plain_text",
        "spec",
    )

    def __init__(self) -> None:
        self.spec: VifSpec = RESERVED_SPEC
        self.exponent = 0  # multiplicative corrections from VIFEs, added to the spec's
        self.offset_exponent: int | None = None  # additive correction 10^n of the base unit
        self.modifiers: list[Modifier] = []
        self.error: str | None = None
        self.plain_text: str | None = None
        self.duration_multiplier = 1


def _parse_vib(vib_bytes: bytes) -> _Vib:
    """Interpret a whole VIB (VIF, plain-text unit, VIFEs) already bounded by :func:`_vib_end`."""
    vib = _Vib()
    vif = vib_bytes[0]
    pos = 1
    code = vif & 0x7F
    extended = vif & 0x80
    manufacturer_vifes = False
    if code in (VIF_EXTENSION_FB, VIF_EXTENSION_FD) and extended:
        table = EXTENSION_FB if code == VIF_EXTENSION_FB else EXTENSION_FD
        vib.spec = table.get(vib_bytes[1] & 0x7F, RESERVED_SPEC)
        pos = 2
    elif code == VIF_PLAIN_TEXT:
        end = 2 + vib_bytes[1]
        vib.plain_text = vib_bytes[2:end][::-1].decode("latin-1")
        vib.spec = PLAIN_TEXT_SPEC
        pos = end
    elif code == VIF_MANUFACTURER:
        vib.spec = MANUFACTURER_SPEC
        manufacturer_vifes = True
    else:
        vib.spec = PRIMARY.get(code, RESERVED_SPEC)
    for vife in vib_bytes[pos:]:
        if manufacturer_vifes:
            break
        _apply_vife(vib, vife & 0x7F)
        if vib.modifiers and vib.modifiers[-1] is Modifier.MANUFACTURER_SPECIFIC:
            manufacturer_vifes = True  # the rest belongs to the manufacturer
    return vib


def _apply_vife(vib: _Vib, code: int) -> None:
    """Interpret one combinable VIFE (or record error code) into ``vib``."""
    if code < 0x20:
        message = RECORD_ERRORS.get(code, f"record error code 0x{code:02X}")
        if message:
            vib.error = message
        return
    modifier = COMBINABLE.get(code, Modifier.RESERVED)
    vib.modifiers.append(modifier)
    if modifier is Modifier.MULTIPLIER:
        vib.exponent += 3 if code == 0x7D else (code & 0x07) - 6
    elif modifier is Modifier.OFFSET:
        vib.offset_exponent = (code & 0x03) - 3
    elif modifier in _DURATION_MODIFIERS:
        vib.duration_multiplier = DURATION_UNITS[code & 0x03]


@overload
def scale_value(raw: int, multiplier: int, exponent: int) -> int | Decimal: ...
@overload
def scale_value(raw: float, multiplier: int, exponent: int) -> float: ...
def scale_value(raw: int | float, multiplier: int, exponent: int) -> int | float | Decimal:
    """``raw x multiplier x 10^exponent``, exact for integers (Decimal below 1)."""
    if isinstance(raw, float):
        return raw * multiplier * 10.0**exponent
    value = raw * multiplier
    if exponent >= 0:
        power: int = 10**exponent  # int ** int is typed Any: a negative exponent gives a float
        return value * power
    return Decimal(value).scaleb(exponent)


def _record_key(
    quantity: Quantity, vib: _Vib, function: Function, dib: tuple[int, int, int]
) -> str:
    """A readable key that stays the same from one poll to the next."""
    parts = [quantity.value]
    if vib.plain_text is not None:
        parts.append("".join(c if c.isalnum() else "_" for c in vib.plain_text.lower()))
    for modifier in vib.modifiers:
        if modifier not in _SCALING_MODIFIERS:
            parts.append(modifier.value)
    if vib.spec is not PLAIN_TEXT_SPEC and quantity is not vib.spec.quantity:
        parts.append(vib.spec.quantity.value)  # e.g. date_time ... of flow_temperature
    if function is not Function.INSTANTANEOUS:
        parts.append(function.value)
    storage, tariff, subunit = dib
    if storage:
        parts.append(f"storage_{storage}")
    if tariff:
        parts.append(f"tariff_{tariff}")
    if subunit:
        parts.append(f"subunit_{subunit}")
    return "_".join(parts)


def _decode_value(
    coding: int, field: bytes, lvar: int | None, signed: bool, as_date: bool
) -> RawValue | InvalidValue:
    if coding in _INTEGER_CODINGS:
        if as_date:
            decoder = DATE_DECODERS.get(len(field))
            if decoder is None:
                return InvalidValue(f"no date/time type is {len(field)} bytes long", field.hex())
            return decoder(field)
        return decode_int(field, signed=signed)
    if coding in _BCD_CODINGS:
        return decode_bcd(field)
    if coding == 0x5:
        return decode_real32(field)
    if coding == DATA_VARIABLE_LENGTH:
        assert lvar is not None
        return decode_lvar(lvar, field)
    return None  # no data, or selection for readout


class _RecordDecoder:
    """A record layout plus how to turn its data field into a value; cached per DIB + VIB."""

    __slots__ = (
        "as_date",
        "coding",
        "duration_multiplier",
        "exponent",
        "factor",
        "fast_bcd",
        "fast_integer",
        "layout",
        "length",
        "multiplier",
        "numeric",
        "offset",
        "signed",
    )

    def __init__(self, dib_vib: bytes, vif_offset: int) -> None:
        dif = dib_vib[0]
        storage = (dif >> 6) & 0x01
        tariff = subunit = 0
        for index, dife in enumerate(dib_vib[1:vif_offset]):
            storage |= (dife & 0x0F) << (1 + 4 * index)
            tariff |= ((dife >> 4) & 0x03) << (2 * index)
            subunit |= ((dife >> 6) & 0x01) << index
        vib = _parse_vib(dib_vib[vif_offset:])
        spec = vib.spec
        modifiers = tuple(vib.modifiers)
        self.coding = dif & 0x0F
        self.length = None if self.coding == DATA_VARIABLE_LENGTH else _DATA_LENGTHS[self.coding]
        self.as_date = spec.date_like or any(m in _DATE_MODIFIERS for m in modifiers)
        self.signed = spec.quantity not in _UNSIGNED
        is_count = any(m in _COUNT_MODIFIERS for m in modifiers)
        # A reserved VIF has no unit to scale: its number stays as sent, whatever VIFEs say,
        # so it can never pass for a measurement (0.0165 "of something").
        unscaled = is_count or spec.quantity is Quantity.RESERVED
        self.multiplier = 1 if unscaled else spec.multiplier
        self.exponent = 0 if unscaled else spec.exponent + vib.exponent
        self.offset = (
            None
            if vib.offset_exponent is None or unscaled
            else scale_value(1, spec.multiplier, vib.offset_exponent)
        )
        is_duration = any(m in _DURATION_MODIFIERS for m in modifiers)
        self.duration_multiplier = vib.duration_multiplier if is_duration else None
        self.numeric = not self.as_date
        # raw x factor is the scaled value: exact (int or Decimal) for integer raw values.
        self.factor = scale_value(1, self.multiplier, self.exponent)

        quantity = spec.quantity
        unit = vib.plain_text if vib.plain_text is not None else spec.unit
        if self.as_date and not spec.date_like:
            quantity = Quantity.DATE if self.length == 2 else Quantity.DATE_TIME
            unit = ""
        elif is_duration:
            unit = "s"
        elif is_count:
            unit = ""
        else:
            unit += "".join(PER_UNIT_SUFFIX.get(m, "") for m in modifiers)
        function = _FUNCTIONS[(dif >> 4) & 0x03]
        self.layout = RecordLayout(
            base_key=_record_key(quantity, vib, function, (storage, tariff, subunit)),
            quantity=quantity,
            unit=unit,
            function=function,
            storage=storage,
            tariff=tariff,
            subunit=subunit,
            dif=dib_vib[:vif_offset],
            vif=dib_vib[vif_offset:],
            modifiers=modifiers,
            plain_text_unit=vib.plain_text,
            error=vib.error,
        )
        # The common cases: a binary or BCD integer with plain scaling, decoded directly.
        plain = (
            self.numeric
            and not vib.error
            and self.offset is None
            and self.duration_multiplier is None
        )
        self.fast_integer = plain and self.coding in _INTEGER_CODINGS
        self.fast_bcd = plain and self.coding in _BCD_CODINGS

    def convert(self, field: bytes, lvar: int | None) -> tuple[RawValue, ScaledValue, str | None]:
        """Raw value, scaled value and error text for one data field."""
        if self.fast_integer:
            integer = int.from_bytes(field, "little", signed=self.signed)
            return integer, integer * self.factor, None
        if self.fast_bcd:
            digits = field[::-1].hex()
            if digits.isdigit():  # no sign nibble, no error digits
                integer = int(digits)
                return integer, integer * self.factor, None
        raw = _decode_value(self.coding, field, lvar, self.signed, self.as_date)
        if type(raw) is InvalidValue:  # InvalidValue is final: mypy narrows both branches
            return raw.shown, None, self.layout.error or raw.reason
        if self.layout.error:
            return raw, None, self.layout.error
        if not self.numeric or not isinstance(raw, int | float):
            return raw, raw, None
        if self.duration_multiplier is not None:
            return raw, scale_value(raw, self.duration_multiplier, 0), None
        if isinstance(raw, int):  # exact: factor and offset are int or Decimal
            exact = raw * self.factor
            if self.offset is not None:
                exact = exact + self.offset
            return raw, exact, None
        # real32: float throughout (float + Decimal offset would be a TypeError)
        approx = raw * float(self.factor)
        if self.offset is not None:
            approx = approx + float(self.offset)
        return raw, approx, None


# Layouts repeat on every poll of a meter, so each distinct DIB + VIB is decoded once.
_DECODERS: dict[bytes, _RecordDecoder] = {}
_MAX_CACHED_DECODERS = 4096


def _decoder_for(dib_vib: bytes, vif_offset: int) -> _RecordDecoder:
    decoder = _DECODERS.get(dib_vib)
    if decoder is None:
        if len(_DECODERS) >= _MAX_CACHED_DECODERS:
            _DECODERS.clear()
        decoder = _DECODERS[dib_vib] = _RecordDecoder(dib_vib, vif_offset)
    return decoder


def _vib_end(data: bytes, pos: int, record_no: int) -> int:
    """Find where the VIB starting at ``pos`` ends, checking bounds and the VIFE limit."""
    n = len(data)
    vif = data[pos]
    pos += 1
    code = vif & 0x7F
    extended = vif & 0x80
    if code in (VIF_EXTENSION_FB, VIF_EXTENSION_FD) and extended:
        if pos >= n:
            raise DecodeError(f"record {record_no}: telegram ends inside the VIF extension")
        extended = data[pos] & 0x80
        pos += 1
    elif code == VIF_PLAIN_TEXT:
        if pos >= n:
            raise DecodeError(f"record {record_no}: telegram ends before the plain-text unit")
        end = pos + 1 + data[pos]
        if end > n:
            raise DecodeError(
                f"record {record_no}: plain-text unit of {data[pos]} bytes runs past the telegram"
            )
        pos = end
    count = 0
    while extended:
        if pos >= n:
            raise DecodeError(f"record {record_no}: telegram ends inside the VIFEs")
        count += 1
        if count > MAX_VIFES:
            raise DecodeError(f"record {record_no}: more than {MAX_VIFES} VIFEs")
        extended = data[pos] & 0x80
        pos += 1
    return pos


def _slow_decoder(data: bytes, pos: int, record_no: int) -> tuple[_RecordDecoder, int]:
    """Find the record's DIB and VIB with all their extensions: its decoder and their end."""
    n = len(data)
    vif_pos = pos + 1
    extended = data[pos] & 0x80
    difes = 0
    while extended:
        if vif_pos >= n:
            raise DecodeError(f"record {record_no}: telegram ends inside the DIFEs")
        if difes == MAX_DIFES:
            raise DecodeError(f"record {record_no}: more than {MAX_DIFES} DIFEs")
        extended = data[vif_pos] & 0x80
        vif_pos += 1
        difes += 1
    if vif_pos >= n:
        raise DecodeError(f"record {record_no}: telegram ends before the VIF")
    end = _vib_end(data, vif_pos, record_no)
    return _decoder_for(data[pos:end], vif_pos - pos), end


def parse_records(
    data: bytes, pos: int = 0, *, big_endian: bool = False
) -> tuple[list[Record], bytes | None, bool]:
    """Parse every record from ``data[pos:]``.

    Returns the records, the manufacturer-specific data after DIF 0x0F/0x1F (None if
    there is no such DIF) and whether DIF 0x1F asked for the next telegram. ``big_endian``
    is for CI 0x76 (mode 2), where multi-byte data fields come most significant byte first.
    """
    data = bytes(data)
    records: list[Record] = []
    keys: dict[str, int] = {}
    n = len(data)
    while pos < n:
        dif = data[pos]
        if dif == DIF_IDLE_FILLER:
            pos += 1
            continue
        if dif in (DIF_MANUFACTURER_DATA, DIF_MORE_RECORDS_FOLLOW):
            return records, data[pos + 1 :], dif == DIF_MORE_RECORDS_FOLLOW
        record_no = len(records) + 1
        if dif & 0x0F == 0x0F:
            raise DecodeError(f"record {record_no}: DIF 0x{dif:02X} is a reserved special function")
        if record_no > MAX_RECORDS:
            raise DecodeError(f"more than {MAX_RECORDS} records")
        vif_pos = pos + 1
        if not dif & 0x80 and vif_pos < n and not data[vif_pos] & 0x80:
            # Fast path: one DIF and one VIF, no extensions (most records).
            end = vif_pos + 1
            if data[vif_pos] == VIF_PLAIN_TEXT:
                end = _vib_end(data, vif_pos, record_no)
            dib_vib = data[pos:end]
            decoder = _DECODERS.get(dib_vib) or _decoder_for(dib_vib, 1)
            pos = end
        else:
            decoder, pos = _slow_decoder(data, pos, record_no)

        lvar: int | None = None
        length = decoder.length
        if length is None:
            if pos >= n:
                raise DecodeError(f"record {record_no}: telegram ends before the LVAR byte")
            lvar = data[pos]
            pos += 1
            try:
                length = lvar_length(lvar)
            except DecodeError as err:
                raise DecodeError(f"record {record_no}: {err}") from None
        if pos + length > n:
            raise DecodeError(f"record {record_no}: needs {length} data bytes, only {n - pos} left")
        field = data[pos : pos + length]
        pos += length
        if big_endian and lvar is None:
            field = field[::-1]
        raw: RawValue
        value: ScaledValue
        error: str | None
        if decoder.fast_integer:  # inlined convert() for the most common record
            raw = int.from_bytes(field, "little", signed=decoder.signed)
            value, error = raw * decoder.factor, None
        else:
            try:
                raw, value, error = decoder.convert(field, lvar)
            except DecodeError as err:
                raise DecodeError(f"record {record_no}: {err}") from None

        layout = decoder.layout
        key = layout.base_key
        if key in keys:
            keys[key] += 1
            key = f"{key}_{keys[key]}"
        else:
            keys[key] = 1
        records.append(Record(key, layout, value, raw, error))
    return records, None, False
