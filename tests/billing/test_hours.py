"""Booking registers into hours: hand-computed cases (the register differences, worked out here).

Every expected number below is worked out by hand in the comment next to it from the inputs
of the test, not from the code under test.
"""

from __future__ import annotations

import datetime as dt

import pytest

from custom_components.mbus_han.billing.hours import (
    MAX_SAMPLE_GAP_S,
    HourBooker,
    meter_offset,
    register_boundary,
)

UTC = dt.UTC
T0 = dt.datetime(2026, 11, 10, 10, 0, tzinfo=UTC)


def at(hours: float = 0, minutes: float = 0, seconds: float = 0) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)


def feed_power(booker: HourBooker, start: dt.datetime, end: dt.datetime, watts: float) -> None:
    """Constant power pushes every 10 s over [start, end]."""
    moment = start
    while moment <= end:
        booker.add_power(moment, watts)
        moment += dt.timedelta(seconds=10)


def test_register_at_10_seconds_past_belongs_to_the_hour_boundary() -> None:
    # Kaifa: stamped XX:00:00 (offset 0), received 10 s later
    assert register_boundary(at(1, 0, 10), 0.0, 60) == at(1)
    # Aidon: stamped with its push time XX:00:10 (offset 10), received at once
    assert register_boundary(at(1, 0, 10), 10.0, 60) == at(1)
    # the receiving clock 3 minutes behind the meter: still the same boundary
    assert register_boundary(at(0, 57, 10), 10.0, 60) == at(1)
    # no clock in the list: the receive time's own offset
    assert register_boundary(at(1, 0, 5), None, 60) == at(1)
    # a register sent mid-period (Swedish meters, every 10 s) is no boundary reading
    assert register_boundary(at(1, 20, 0), meter_offset(20, 0, 60), 60) is None
    # 15-minute settlement: XX:15:10 is a boundary, XX:20:00 is not
    assert register_boundary(at(1, 15, 10), meter_offset(15, 10, 15), 15) == at(1, 15)
    assert register_boundary(at(1, 20, 0), meter_offset(20, 0, 15), 15) is None


def test_each_hour_gets_the_difference_of_its_boundary_registers() -> None:
    booker = HourBooker()
    assert booker.add_register(at(0), 1000.0).hours == ()  # the first register only anchors
    first = booker.add_register(at(1), 2500.0)
    second = booker.add_register(at(2), 2800.0)
    # hour 10:00-11:00: 2500 - 1000 = 1500 Wh; 11:00-12:00: 2800 - 2500 = 300 Wh
    assert [(h.start, h.energy, h.register, h.estimated) for h in first.hours] == [
        (at(0), 1500.0, 2500.0, False)
    ]
    assert [(h.start, h.energy, h.estimated) for h in second.hours] == [(at(1), 300.0, False)]


def test_a_repeated_or_backwards_register_books_nothing() -> None:
    booker = HourBooker()
    booker.add_register(at(0), 1000.0)
    booker.add_register(at(1), 2000.0)
    assert booker.add_register(at(1), 2000.0).hours == ()  # the same list twice
    assert booker.add_register(at(2), 1500.0).rejected == "backwards"
    # the anchor stays at 11:00 = 2000 Wh: 12:00-13:00 gets 2600 - 2000 = 600 Wh? No: the
    # hour 11-12 and 12-13 form a gap with no power seen, shared evenly: 300 Wh each
    booked = booker.add_register(at(3), 2600.0)
    assert [(h.start, h.energy, h.estimated) for h in booked.hours] == [
        (at(1), 300.0, True),
        (at(2), 300.0, True),
    ]


def test_a_missing_register_splits_the_gap_by_what_the_power_showed() -> None:
    booker = HourBooker()
    booker.add_register(at(0), 10_000.0)
    # 10:00-10:50 at 1200 W is seen (1000 Wh), 10:50-11:10 nothing (port outage),
    # 11:10-12:00 at 600 W is seen (500 Wh); the 11:00 register is lost.
    feed_power(booker, at(0), at(0, 50), 1200.0)
    feed_power(booker, at(1, 10), at(2), 600.0)
    # the meter counted 10:00-12:00: 1000 + 500 + the 20 unseen minutes; say at 900 W = 300 Wh
    booked = booker.add_register(at(2), 10_000.0 + 1800.0)
    # unseen 1200 s share 1800 - 1500 = 300 Wh evenly: 150 Wh to each hour's 600 s
    assert [(h.start, round(h.energy, 6), h.estimated) for h in booked.hours] == [
        (at(0), 1150.0, True),
        (at(1), 650.0, True),
    ]
    assert booked.hours[-1].register == 11_800.0  # the gap's total is exact
    assert round(booked.hours[0].register, 6) == 11_150.0


def test_pushes_further_apart_than_the_limit_are_not_integrated_across() -> None:
    booker = HourBooker()
    booker.add_register(at(0), 0.0)
    booker.add_power(at(0, 10), 3600.0)
    booker.add_power(at(0, 10, MAX_SAMPLE_GAP_S + 1), 3600.0)  # too far apart: unseen
    booker.add_power(at(1, 30), 3600.0)
    booked = booker.add_register(at(2), 2000.0)
    # nothing was seen: 2000 Wh over two hours, evenly
    assert [round(h.energy, 6) for h in booked.hours] == [1000.0, 1000.0]


def test_quarter_hour_registers_make_an_hour_of_four_periods() -> None:
    booker = HourBooker(period_minutes=15)
    booker.add_register(at(0), 0.0)
    assert booker.add_register(at(0, 15), 100.0).hours == ()
    assert booker.add_register(at(0, 30), 250.0).hours == ()
    assert booker.add_register(at(0, 45), 300.0).hours == ()
    booked = booker.add_register(at(1), 420.0)
    # periods 100, 150, 50, 120 Wh; the hour 420 Wh
    assert [p.energy for p in booked.periods] == [120.0]
    assert [(h.start, h.energy, h.estimated) for h in booked.hours] == [(at(0), 420.0, False)]


def test_quarter_hour_first_register_mid_hour_books_no_half_hour() -> None:
    booker = HourBooker(period_minutes=15)
    booker.add_register(at(0, 30), 0.0)
    booker.add_register(at(0, 45), 100.0)
    assert booker.add_register(at(1), 200.0).hours == ()  # 10:00-10:30 was never seen
    # 11:00-12:00 in one step is a gap of four quarters with nothing seen: the hour is whole,
    # 500 - 200 = 300 Wh, estimated per quarter (75 Wh each) but read as an hour
    booked = booker.add_register(at(2), 500.0)
    assert [round(p.energy, 6) for p in booked.periods] == [75.0] * 4
    assert [p.estimated for p in booked.periods] == [True] * 4
    assert [(h.start, h.energy, h.estimated) for h in booked.hours] == [(at(1), 300.0, False)]


def test_restore_continues_from_the_last_hour() -> None:
    booker = HourBooker()
    booker.restore(at(1), 5000.0)  # the recorder's last row ended at 11:00 with 5000 Wh
    assert [h.energy for h in booker.add_register(at(2), 5400.0).hours] == [400.0]


def test_implausible_step_and_bad_period() -> None:
    booker = HourBooker()
    booker.add_register(at(0), 0.0)
    assert booker.add_register(at(1), 5e9).rejected == "implausible"
    with pytest.raises(ValueError, match="only 60 or 15"):
        HourBooker(period_minutes=30)


def test_the_power_seen_before_a_restart_is_taken_back() -> None:
    before = HourBooker()
    before.add_register(at(0), 0.0)
    feed_power(before, at(0), at(0, 58), 1200.0)  # 10:00-10:58 at 1200 W: 1160 Wh seen
    saved = before.snapshot()
    after = HourBooker()
    after.restore(at(0), 0.0)  # the recorder's last row ended at 10:00
    after.resume(saved)
    feed_power(after, at(1, 2), at(2), 600.0)  # 11:02-12:00 at 600 W: 580 Wh seen
    booked = after.add_register(at(2), 1800.0)  # 11:00 was missed during the restart
    # unseen 10:58-11:02 (240 s) shares 1800 - 1740 = 60 Wh: 30 Wh to each hour
    assert [round(h.energy, 6) for h in booked.hours] == [1190.0, 610.0]
    # a snapshot that is not ours is ignored, the anchor stays
    after.resume({"anchor": "x", "seen": {"y": 1}})
    assert after.anchor == (at(2), 1800.0)
