"""The legacy fixed data structure (CI 0x73, mode 2: 0x77), EN 13757-3:2013 annex G.

Sixteen bytes: identification (BCD), access number, status, two medium/unit bytes and two
32-bit counters. Status bit 7 says the counters are binary instead of BCD; bit 6 that they
are historic (stored at a fixed date) values. Still sent by some water and heat meters (e.g.
Sensus PolluSonic).
"""

from __future__ import annotations

from ..errors import DecodeError
from .coding import InvalidValue, decode_bcd, decode_int
from .model import (
    Function,
    Header,
    Medium,
    Quantity,
    RawValue,
    Record,
    RecordLayout,
    ScaledValue,
)
from .records import scale_value

FIXED_LENGTH = 16
STATUS_BINARY_COUNTERS = 0x80
STATUS_HISTORIC_COUNTERS = 0x40
UNIT_SAME_BUT_HISTORIC = 0x3E


def _fixed_units() -> dict[int, tuple[Quantity, str, int]]:
    """The 6-bit unit codes of the fixed structure: quantity, base unit, exponent."""
    table: dict[int, tuple[Quantity, str, int]] = {}
    series = (
        (0x02, 9, Quantity.ENERGY, "Wh", 0),  # Wh ... 100 MWh
        (0x0B, 9, Quantity.ENERGY, "J", 3),  # kJ ... 100 GJ
        (0x14, 9, Quantity.POWER, "W", 0),  # W ... 100 MW
        (0x1D, 9, Quantity.POWER, "J/h", 3),  # kJ/h ... 100 GJ/h
        (0x26, 9, Quantity.VOLUME, "m^3", -6),  # ml ... 100 m^3
        (0x2F, 9, Quantity.VOLUME_FLOW, "m^3/h", -6),  # ml/h ... 100 m^3/h
    )
    for first, count, quantity, unit, exp0 in series:
        for n in range(count):
            table[first + n] = (quantity, unit, exp0 + n)
    table[0x38] = (Quantity.EXTERNAL_TEMPERATURE, "°C", -3)
    table[0x39] = (Quantity.HCA_UNITS, "", 0)
    table[0x3F] = (Quantity.DIMENSIONLESS, "", 0)
    return table


FIXED_UNITS = _fixed_units()


def decode_fixed_structure(data: bytes, *, big_endian: bool) -> tuple[Header, tuple[Record, ...]]:
    """Decode the 16-byte fixed structure into a header and two counter records."""
    if len(data) != FIXED_LENGTH:
        raise DecodeError(f"fixed data structure is {len(data)} bytes, not {FIXED_LENGTH}")

    def field(start: int, length: int) -> bytes:
        chunk = data[start : start + length]
        return chunk[::-1] if big_endian else chunk

    id_bytes = field(0, 4)
    identification = decode_bcd(id_bytes)
    status = data[5]
    unit_bytes = (data[6], data[7])
    medium_code = (unit_bytes[0] >> 6) | ((unit_bytes[1] >> 6) << 2)
    header = Header(
        id=None if isinstance(identification, InvalidValue) else identification,
        id_text=id_bytes[::-1].hex().upper(),
        manufacturer=None,
        version=None,
        medium=Medium.from_code(medium_code),
        medium_code=medium_code,
        access_number=data[4],
        status=status,
        signature=0,
    )
    historic = 1 if status & STATUS_HISTORIC_COUNTERS else 0
    unit_codes = [b & 0x3F for b in unit_bytes]
    records: list[Record] = []
    for index, (sent_unit_code, counter) in enumerate(
        zip(unit_codes, (field(8, 4), field(12, 4)), strict=True)
    ):
        unit_code, storage = sent_unit_code, historic
        if sent_unit_code == UNIT_SAME_BUT_HISTORIC and index == 1:
            unit_code, storage = unit_codes[0], 1
        raw = (
            decode_int(counter, signed=False)
            if status & STATUS_BINARY_COUNTERS
            else decode_bcd(counter)
        )
        spec = FIXED_UNITS.get(unit_code)
        error = None
        value: ScaledValue
        raw_value: RawValue
        if spec is None:
            quantity, unit, exponent = Quantity.RESERVED, "", 0
            error = f"fixed-structure unit code 0x{unit_code:02X} is reserved or a time point"
            value = None
        else:
            quantity, unit, exponent = spec
            value = None
        if isinstance(raw, InvalidValue):
            error, raw_value = raw.reason, raw.shown
        else:
            raw_value = raw
            if spec is not None:
                value = scale_value(raw, 1, exponent)
        records.append(
            Record(
                key=f"counter_{index + 1}",
                layout=RecordLayout(
                    base_key=f"counter_{index + 1}",
                    quantity=quantity,
                    unit=unit,
                    function=Function.INSTANTANEOUS,
                    storage=storage,
                    tariff=0,
                    subunit=0,
                    dif=b"",
                    vif=bytes((unit_bytes[index],)),
                ),
                value=value,
                raw_value=raw_value,
                error=error,
            )
        )
    return header, tuple(records)
