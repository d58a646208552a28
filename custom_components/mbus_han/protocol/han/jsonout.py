"""The JSON form of a reading (``han decode``, ``han listen --json``); schema in docs/han.md."""

from __future__ import annotations

from typing import Any

from ..errors import DecodeError
from .reading import HanReading


def reading_to_json(reading: HanReading) -> dict[str, Any]:
    """``{"meter": {...}, "clock": ..., "values": {code: {value, unit, quantity}}, ...}``."""
    meter = reading.meter
    result: dict[str, Any] = {
        "meter": {
            "manufacturer": meter.manufacturer,
            "meter_id": meter.meter_id,
            "meter_type": meter.meter_type,
            "list_version": meter.list_version,
        },
        "clock": reading.clock.isoformat if reading.clock else None,
        "values": {
            code: {"value": value.value, "unit": value.unit.value, "quantity": value.quantity.value}
            for code, value in reading.values.items()
        },
    }
    if reading.not_present:
        result["not_present"] = sorted(reading.not_present)
    if reading.security is not None:
        result["security"] = {
            "system_title": reading.security.system_title.hex().upper(),
            "invocation_counter": reading.security.invocation_counter,
            "authenticated": reading.security.authenticated,
        }
    return result


def error_to_json(error: DecodeError | str) -> dict[str, Any]:
    """``{"error": "..."}``, with the error class where it tells more (e.g. a wrong tag).

    ``hex`` holds the bytes that failed, where the decoder knows them.
    """
    if isinstance(error, str):
        return {"error": error}
    result: dict[str, Any] = {"error": str(error)}
    if type(error) is not DecodeError:
        result["kind"] = type(error).__name__
    if error.raw is not None:
        result["hex"] = error.raw.hex().upper()
    return result
