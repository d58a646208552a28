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


# (low, high) of month, day, day of week, hour, minute, second, hundredths; 0xFF = not given
_LIMITS = ((1, 12), (1, 31), (0, 7), (0, 23), (0, 59), (0, 59), (0, 99))
_NAMES = ("month", "day", "day of week", "hour", "minute", "second", "hundredths")
_FF = NOT_SPECIFIED


def _out_of_range(fields: bytes) -> DecodeError:
    for name, value, (low, high) in zip(_NAMES, fields, _LIMITS, strict=True):
        if value != NOT_SPECIFIED and not low <= value <= high:
            return DecodeError(f"date-time {name} {value} out of range {low}..{high}")
    return DecodeError("date-time field out of range")  # pragma: no cover - caller checked


def parse_clock(raw: bytes) -> MeterClock:
    """Parse a 12-octet COSEM date-time; out-of-range fields are a :class:`DecodeError`.

    The special month/day values for daylight-saving begin/end (0xFD, 0xFE) and "last day"
    belong in schedules, not in a clock reading, so they are rejected as well. Norwegian Aidon
    sends day of week 0, which is accepted. Every push carries one or two of these, so the
    range check is written out rather than looped.
    """
    if len(raw) != DATE_TIME_LENGTH:
        raise DecodeError(f"date-time has {len(raw)} octets, not {DATE_TIME_LENGTH}")
    month, day, weekday, hour, minute, second, hundredths = raw[2:9]
    if not (
        (1 <= month <= 12 or month == _FF)
        and (1 <= day <= 31 or day == _FF)
        and (weekday <= 7 or weekday == _FF)
        and (hour <= 23 or hour == _FF)
        and (minute <= 59 or minute == _FF)
        and (second <= 59 or second == _FF)
        and (hundredths <= 99 or hundredths == _FF)
    ):
        raise _out_of_range(raw[2:9])
    year = (raw[0] << 8) | raw[1]
    deviation = int.from_bytes(raw[9:11], signed=True)
    if deviation == DEVIATION_NOT_SPECIFIED:
        deviation_min = None
    elif -720 <= deviation <= 840:
        deviation_min = deviation
    else:
        raise DecodeError(f"date-time deviation {deviation} min out of range")
    return MeterClock(
        None if year == 0xFFFF else year,
        None if month == _FF else month,
        None if day == _FF else day,
        None if weekday == _FF else weekday,
        None if hour == _FF else hour,
        None if minute == _FF else minute,
        None if second == _FF else second,
        None if hundredths == _FF else hundredths,
        deviation_min,
        raw[11],  # status: 0xFF = not specified; kept as sent, its bits are flags
    )
