"""Pushes whose only check is the M-Bus 8-bit sum: nothing new is believed from one push alone.

Austrian meters (Kaifa MA309 and others) wrap DLMS in M-Bus long frames and encrypt without
an authentication tag (security control 0x20): the frame's 8-bit sum is the only check, and
two bit errors in the same bit position of two bytes leave it intact. Of the 20,417 such
errors in one corpus push, 400 changed an energy counter and 1,452 made a new OBIS code, a
permanent phantom entity (issue 11, item 11).

The rule chosen (docs/han.md, "Pushes without a strong check"): such a push is compared with
the push before it, and only what the two agree on is taken:

- an OBIS code, and the meter's identity, only once two consecutive pushes carry them alike
  (a phantom code or meter needs the same error twice in a row);
- an energy counter only when it has not gone back since the previous push and has not risen
  by more than a meter can count in the time between them (:data:`MAX_POWER_W`);
- other values (power, current, voltage) of a code so confirmed, as sent: an error there shows
  for one push, and nothing accumulates it.

Pure Python: the headless bridge (protocol/bridge) applies it as the integration does.
A push with a strong check (an HDLC frame's CRC-16, or an authentication tag) is taken as is.
"""

from __future__ import annotations

from dataclasses import replace

from .obis import Quantity
from .reading import HanReading, HanValue, MeterIdentity

# What no household or small-business connection draws: 3 x 250 A x 400 V is 173 kW. A
# counter rising faster than this since the previous push is a bit error.
MAX_POWER_W = 250_000.0
# Quantities that count up: their last value stays known through an outage, and a push
# checked only by the 8-bit sum must not make them go back or leap.
COUNTERS = frozenset(
    {
        Quantity.ACTIVE_ENERGY_IMPORT,
        Quantity.ACTIVE_ENERGY_EXPORT,
        Quantity.REACTIVE_ENERGY_IMPORT,
        Quantity.REACTIVE_ENERGY_EXPORT,
    }
)


class WeakCheckFilter:
    """Passes on the part of each weakly checked push that the push before it confirms."""

    def __init__(self) -> None:
        self._previous: HanReading | None = None
        self._previous_time = 0.0
        self.rejected = 0  # values and identities held back, for diagnostics

    def reset(self) -> None:
        """After an outage, the next push has nothing to be compared with."""
        self._previous = None

    def confirm(self, reading: HanReading, now: float) -> HanReading:
        """The values of ``reading`` (received at ``now``, seconds) that its predecessor backs."""
        previous, self._previous = self._previous, reading
        elapsed, self._previous_time = now - self._previous_time, now
        if previous is None:
            self.rejected += len(reading.values) + 1
            return HanReading(meter=MeterIdentity(), clock=None, values={})
        if reading.meter != previous.meter:
            # Whose values these are is in doubt (a phantom meter would get a device): none.
            self.rejected += len(reading.values) + 1
            return HanReading(meter=MeterIdentity(), clock=None, values={})
        values = {
            code: value
            for code, value in reading.values.items()
            if _agrees(value, previous.values.get(code), elapsed)
        }
        self.rejected += len(reading.values) - len(values)
        return replace(
            reading, values=values, not_present=reading.not_present & previous.not_present
        )


def _agrees(value: HanValue, before: HanValue | None, elapsed: float) -> bool:
    if before is None or before.quantity is not value.quantity or before.unit is not value.unit:
        return False  # a code new in this push, or sent as something else before
    if value.quantity not in COUNTERS:
        return True
    most = MAX_POWER_W * max(elapsed, 0.0) / 3600.0  # Wh (or varh) in the time between
    return 0 <= value.value - before.value <= most
