"""The JSON form of a decoded telegram, shared by ``mbus decode`` and ``mbus read --json``.

Schema (documented in the README)::

    {"header": {"id", "manufacturer", "version", "medium", "access_number", "status",
                "signature"},
     "records": [{"key", "quantity", "unit", "value", "raw_value", "function", "storage",
                  "tariff", "subunit", "dif", "vif", "modifiers", "error"}],
     "manufacturer_data": hex or null, "more_records_follow": bool}

or ``{"application_error": {"code", "reason"}}`` for a CI 0x70 answer.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from .model import ApplicationError, Header, PeriodicDate, Record, Telegram


def json_value(value: object) -> Any:
    """A JSON-safe form of a decoded value: numbers stay numbers, dates become ISO text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, PeriodicDate):
        return periodic_date_to_json(value)
    if isinstance(value, bytes):
        return value.hex().upper()
    return str(value)


def periodic_date_to_json(date: PeriodicDate) -> dict[str, Any]:
    """``{"periodic": "yearly", "month": 1, "day": 1}``: what recurs, without the open fields."""
    shown: dict[str, Any] = {"periodic": date.period}
    if date.month is not None:
        shown["month"] = date.month
    if date.day is not None:
        shown["day"] = date.day
    if date.hour is not None:
        shown["time"] = f"{date.hour:02d}:{date.minute or 0:02d}"
        if date.second is not None:
            shown["time"] += f":{date.second:02d}"
    return shown


def header_to_json(header: Header | None) -> dict[str, Any] | None:
    """The header object of the schema."""
    if header is None:
        return None
    return {
        "id": header.id_text,
        "manufacturer": header.manufacturer,
        "version": header.version,
        "medium": header.medium.name.lower() if header.medium is not None else None,
        "access_number": header.access_number,
        "status": header.status,
        "signature": header.signature,
    }


def record_to_json(record: Record) -> dict[str, Any]:
    """One record object of the schema."""
    return {
        "key": record.key,
        "quantity": record.quantity.value,
        "unit": record.unit,
        "value": json_value(record.value),
        "raw_value": json_value(record.raw_value),
        "function": record.function.value,
        "storage": record.storage,
        "tariff": record.tariff,
        "subunit": record.subunit,
        "dif": record.dif.hex().upper(),
        "vif": record.vif.hex().upper(),
        "modifiers": [m.value for m in record.modifiers],
        "error": record.error,
    }


def telegram_to_json(result: Telegram | ApplicationError) -> dict[str, Any]:
    """The whole JSON object for one decoded telegram or application error."""
    if isinstance(result, ApplicationError):
        return {"application_error": {"code": result.code, "reason": result.reason}}
    data = result.manufacturer_data
    return {
        "header": header_to_json(result.header),
        "records": [record_to_json(r) for r in result.records],
        "manufacturer_data": data.hex().upper() if data is not None else None,
        "more_records_follow": result.more_records_follow,
    }
