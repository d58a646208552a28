"""Has the meter behind an address or a HAN port been replaced? Pure decisions (issue 18, part 2).

Two signs tell a new meter: another identification number at the same place (an M-Bus primary
address, a HAN port), or a counter that restarts near zero. A counter that steps back a little
is neither: that is a glitch of the meter (a rounding register, a bad read), and the last total
stands. The glue (``replacement.py``) asks these functions and acts; nothing here knows Home
Assistant.

Carrying a counter over to a new meter keeps one continuous total for the metering point: the
new meter's readings are shown offset by ``old final - new first``, so the energy statistics
go on from the old meter's final value without a step, whatever the new meter's own register
started at (a factory-new meter at 0.3 kWh, a refurbished one at 5,000 kWh, or a higher one).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import Enum

# A counter that drops by at most this fraction of its total is a meter glitch, not a reset.
GLITCH_FRACTION = Decimal("0.01")
# A counter that falls to at most this fraction of its total restarted near zero: a new meter
# with the same number, or a register reset. Home Assistant's recorder sees any drop below
# 90 % as a new cycle (sensor/recorder.py ``reset_detected``); this is far below that.
RESTART_FRACTION = Decimal("0.05")

type Number = int | float | Decimal


class Step(Enum):
    """How a counter moved from one reading to the next."""

    RISE = "rise"  # up, or unchanged
    GLITCH = "glitch"  # a small step back: keep the last total
    RESTART = "restart"  # down to near zero: a new meter or a register reset
    DROP = "drop"  # down by more than a glitch, not to near zero: taken as the meter says


def decimal(value: object) -> Decimal | None:
    """``value`` as an exact decimal, or None for anything that is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def counter_step(last: object, new: object) -> Step:
    """Classify the step of a total-increasing counter from ``last`` to ``new``.

    Non-numbers (unknown, not yet read) are a rise: there is nothing to compare.
    """
    before, after = decimal(last), decimal(new)
    if before is None or after is None or after >= before:
        return Step.RISE
    if before - after <= abs(before) * GLITCH_FRACTION:
        return Step.GLITCH
    if after <= abs(before) * RESTART_FRACTION:
        return Step.RESTART
    return Step.DROP


def confirms_restart(held: object, new: object) -> bool:
    """True when ``new`` confirms the restart reading ``held`` (a counter goes on from it).

    One reading near zero may be a glitch (a meter answering 0 once); the next one, at or
    above it, says the register really restarted.
    """
    first, then = decimal(held), decimal(new)
    return first is not None and then is not None and then >= first


def is_new_meter(remembered: str | None, seen: str) -> bool:
    """True when the meter now seen is not the one remembered at the same place."""
    return remembered is not None and remembered != seen


def carried_unique_id(unique_id: str, old: str, new: str) -> str | None:
    """The unique id ``unique_id`` of the old meter ``old`` has for the new meter ``new``.

    Unique ids are ``<meter identifier>-<value key>``; one of another meter gives None.
    """
    prefix = f"{old}-"
    if not unique_id.startswith(prefix) or len(unique_id) == len(prefix):
        return None
    return f"{new}-{unique_id[len(prefix) :]}"


def carry_offset(old_final: object, new_first: object) -> Decimal | None:
    """What to add to the new meter's readings so the total goes on from ``old_final``.

    None when either is not a number (nothing known to go on from).
    """
    old, new = decimal(old_final), decimal(new_first)
    if old is None or new is None:
        return None
    return old - new


def with_offset(value: Number, offset: Decimal) -> Number:
    """``value + offset``, exact, in ``value``'s own type where that type can hold it."""
    total = Decimal(str(value)) + offset
    if isinstance(value, float):
        return float(total)
    if isinstance(value, int) and total == total.to_integral_value():
        return int(total)
    return total
