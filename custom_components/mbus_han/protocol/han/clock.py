"""The COSEM date-time (12 octets) a meter sends, kept as sent: no offset, no time zone added.

Meters disagree on the sign of the deviation and on whether their clock is local time, so the
reading reports the fields as they are and leaves interpretation to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DecodeError

DATE_TIME_LENGTH = 12
NOT_SPECIFIED = 0xFF
DEVIATION_NOT_SPECIFIED = -0x8000
STATUS_DAYLIGHT_SAVING = 0x80


@dataclass(frozen=True, slots=True)
class MeterClock:
    """Date and time fields as the meter sent them; ``None`` where it said "not specified"."""

    year: int | None
    month: int | None
    day: int | None
    day_of_week: int | None
    hour: int | None
    minute: int | None
    second: int | None
    hundredths: int | None
    deviation_min: int | None
    status: int

    @property
    def isoformat(self) -> str | None:
        """``YYYY-MM-DDTHH:MM:SS[.hh]`` when every field up to the second is given, else None."""
        fields = (self.year, self.month, self.day, self.hour, self.minute, self.second)
        if any(field is None for field in fields):
            return None
        text = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}".format(*fields)
        if self.hundredths:
            text += f".{self.hundredths:02d}"
        return text


def _field(value: int, low: int, high: int, name: str) -> int | None:
    if value == NOT_SPECIFIED:
        return None
    if not low <= value <= high:
        raise DecodeError(f"date-time {name} {value} out of range {low}..{high}")
    return value


def parse_clock(raw: bytes) -> MeterClock:
    """Parse a 12-octet COSEM date-time; out-of-range fields are a :class:`DecodeError`.

    The special month/day values for daylight-saving begin/end (0xFD, 0xFE) and "last day"
    belong in schedules, not in a clock reading, so they are rejected as well.
    """
    if len(raw) != DATE_TIME_LENGTH:
        raise DecodeError(f"date-time has {len(raw)} octets, not {DATE_TIME_LENGTH}")
    year = int.from_bytes(raw[0:2])
    deviation = int.from_bytes(raw[9:11], signed=True)
    if deviation != DEVIATION_NOT_SPECIFIED and not -720 <= deviation <= 840:
        raise DecodeError(f"date-time deviation {deviation} min out of range")
    return MeterClock(
        year=None if year == 0xFFFF else year,
        month=_field(raw[2], 1, 12, "month"),
        day=_field(raw[3], 1, 31, "day"),
        day_of_week=_field(raw[4], 0, 7, "day of week"),  # Norwegian Aidon sends 0
        hour=_field(raw[5], 0, 23, "hour"),
        minute=_field(raw[6], 0, 59, "minute"),
        second=_field(raw[7], 0, 59, "second"),
        hundredths=_field(raw[8], 0, 99, "hundredths"),
        deviation_min=None if deviation == DEVIATION_NOT_SPECIFIED else deviation,
        status=raw[11],  # 0xFF = not specified; kept as sent, bits are flags
    )
