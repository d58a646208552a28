"""Pure decisions about replaced meters and restarting counters (issue 18, part 2).

Expected values are worked out by hand from the thresholds the module documents: a glitch is a
step back of at most 1 % of the total, a restart a fall to at most 5 % of it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from custom_components.mbus_han.protocol.meter_change import (
    Step,
    carried_unique_id,
    carry_offset,
    confirms_restart,
    counter_step,
    is_new_meter,
    with_offset,
)


@pytest.mark.parametrize(
    ("last", "new", "step"),
    [
        (45678.0, 45680.0, Step.RISE),
        (45678.0, 45678.0, Step.RISE),  # unchanged
        (None, 3.0, Step.RISE),  # nothing to compare with
        (45678.0, "unknown", Step.RISE),
        (10000, 9900, Step.GLITCH),  # exactly 1 % back
        (10000, 9899, Step.DROP),  # 1.01 % back, far from zero
        (10000, 500, Step.RESTART),  # exactly 5 % of the total
        (10000, 501, Step.DROP),
        (45678.0, 2.0, Step.RESTART),  # a new heat meter at 2 kWh
        (Decimal("45678000"), Decimal(0), Step.RESTART),
        (True, False, Step.RISE),  # a flag is not a counter
        (float("nan"), 1.0, Step.RISE),
    ],
)
def test_counter_steps(last, new, step):
    assert counter_step(last, new) is step


def test_a_restart_is_confirmed_by_the_next_reading_at_or_above_it():
    assert confirms_restart(2.0, 2.0)
    assert confirms_restart(2.0, 2.5)
    assert not confirms_restart(None, 2.0)  # the first reading near zero: wait
    assert not confirms_restart(2.0, 1.0)  # down again: still not a counter going on


def test_a_new_meter_is_another_identifier_at_a_remembered_place():
    assert is_new_meter("SLB-12345678", "SLB-87654321")
    assert not is_new_meter("SLB-12345678", "SLB-12345678")
    assert not is_new_meter(None, "SLB-12345678")  # first sight: nothing was there


@pytest.mark.parametrize(
    ("unique_id", "expected"),
    [
        ("SLB-12345678-energy", "SLB-87654321-energy"),
        ("SLB-12345678-04_06_energy-stored-1", "SLB-87654321-04_06_energy-stored-1"),
        ("SLB-123456789-energy", None),  # another meter whose ID starts the same
        ("SLB-12345678-", None),
        ("KAM-06855817-energy", None),
    ],
)
def test_unique_ids_carried_over(unique_id, expected):
    assert carried_unique_id(unique_id, "SLB-12345678", "SLB-87654321") == expected


def test_the_offset_continues_the_old_total():
    # Old meter's final 45,680 kWh; new meter's first 2 kWh: add 45,678 to every reading.
    offset = carry_offset(45680.0, 2.0)
    assert offset == Decimal(45678)
    assert with_offset(2.0, offset) == 45680.0
    assert with_offset(5.0, offset) == 45683.0
    # A refurbished meter above the old total: the offset is negative, the total still goes on.
    assert with_offset(60000, carry_offset(45680, 50000)) == 55680
    assert carry_offset(None, 2.0) is None
    # Exact in decimals (no binary rounding): 0.1 + 0.2 is 0.3 here.
    assert with_offset(Decimal("0.1"), Decimal("0.2")) == Decimal("0.3")
    assert with_offset(0.1, Decimal("0.2")) == 0.3
    assert with_offset(3, Decimal("0.5")) == Decimal("3.5")  # an int cannot hold it
