"""A meter's month of settlement periods from its register and its power, against hand sums.

The expected numbers are worked out by hand from the rule each test names: a period's energy
is the difference of the import registers at its ends (the meter's own count); between them
the power samples, each held until the next, integrate to kW x h; a gap longer than 30 s
leaves a period missing unless registers span it. None comes from the code under test.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from custom_components.mbus_han.billing.capacity_cost import (
    CostLedger,
    Prices,
    parse_numbers,
    settled,
    valid_ladder,
)
from custom_components.mbus_han.billing.capacity_meter import CapacityMeter, hours_from_statistics

OSLO = ZoneInfo("Europe/Oslo")
UTC = dt.UTC


def at(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 1) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def feed(
    meter: CapacityMeter, start: dt.datetime, end: dt.datetime, kw: float, every: int = 10
) -> None:
    """Power samples of ``kw`` every ``every`` s from ``start`` up to (not including) ``end``."""
    moment = start
    while moment < end:
        meter.add_power(moment, kw)
        moment += dt.timedelta(seconds=every)


def test_the_register_gives_the_hour_not_the_integral() -> None:
    # 2 kW held for the hour integrates to 2.0 kWh; the registers say 1002.5 - 1000.0 = 2.5
    # (the meter's own count wins: it is what the grid company bills).
    meter = CapacityMeter(OSLO)
    feed(meter, at(5, 10), at(5, 11, 0, 20), 2.0)
    meter.add_register(at(5, 10, 0, 10), 1000.0)
    meter.add_register(at(5, 11, 0, 10), 1002.5)
    assert meter.periods[at(5, 10)] == pytest.approx(2.5)


def test_without_the_register_the_integral_stands() -> None:
    # A lost list 3: the hour is 2 kW x 1 h = 2.0 kWh from the samples.
    meter = CapacityMeter(OSLO)
    feed(meter, at(5, 10), at(5, 11, 0, 20), 2.0)
    assert meter.periods[at(5, 10)] == pytest.approx(2.0)


def test_running_hour_so_far_projection_and_headroom() -> None:
    # Other days this month: 6, 5 and 4 kWh hours. Today 3 kW from 10:00 to 10:20:00 UTC:
    # so far 3 x 20/60 = 1.0 kWh; projection 1.0 + 3 x 40/60 = 3.0 kWh; headroom to keep the
    # average: the third day's 4 kWh - 1.0 = 3.0 kWh; to stay below 10 kW: 30 - 6 - 5 - 1 = 18.
    meter = CapacityMeter(OSLO)
    for day, kwh in ((2, 6.0), (3, 5.0), (4, 4.0)):
        meter.periods[at(day, 17)] = kwh
    feed(meter, at(9, 10), at(9, 10, 20, 10), 3.0)
    now = at(9, 10, 20)
    assert meter.so_far_kwh(now) == pytest.approx(1.0)
    assert meter.projection_kwh(now) == pytest.approx(3.0)
    room = meter.headroom(now)
    assert room is not None
    assert room.keep_average_kwh == pytest.approx(3.0)
    assert room.keep_step_kwh == pytest.approx(18.0)
    assert meter.average_kw(now) == pytest.approx(5.0)  # (6 + 5 + 4) / 3
    assert meter.step(now) == 2  # 5-10 kW
    # Projected: the running hour's 3.0 does not reach the top three: still 5.0, step 2.
    assert meter.projected_step(now) == 2


def test_peak_hour_spanning_a_restart_comes_from_the_registers() -> None:
    # 6 kW from 10:00 to 10:20, Home Assistant restarts (no samples 10:20-10:22), 6 kW to 11:00.
    # The running hour is unknown after the gap (never a guess), and the registers at 10:00
    # and 11:00 (500.0 -> 506.0) give the hour exactly: 6.0 kWh, the day's peak.
    meter = CapacityMeter(OSLO)
    meter.add_register(at(7, 10, 0, 5), 500.0)
    feed(meter, at(7, 10), at(7, 10, 20), 6.0)
    stored = meter.to_dict()
    restarted = CapacityMeter(OSLO)
    assert restarted.load(stored)
    feed(restarted, at(7, 10, 22), at(7, 11, 0, 20), 6.0)
    assert restarted.so_far_kwh(at(7, 10, 30)) is None
    assert restarted.so_far_kwh(at(7, 11, 0, 20)) == pytest.approx(6.0 * 20 / 3600)
    assert restarted.periods[at(7, 10)] is None  # until the register comes
    restarted.add_register(at(7, 11, 0, 10), 506.0)
    assert restarted.periods[at(7, 10)] == pytest.approx(6.0)
    [peak] = restarted.peaks(at(7, 12))
    assert (peak.power_kw, peak.start, peak.incomplete) == (6.0, at(7, 10), False)


def test_outage_hours_are_missing_never_zero() -> None:
    # Samples stop at 13:00 and come back at 14:30: hours 13 and 14 are missing; the day's
    # peak is the 2 kWh of hour 12 and the day is marked incomplete.
    meter = CapacityMeter(OSLO)
    feed(meter, at(8, 12), at(8, 13), 2.0)
    meter.close_until(at(8, 14))  # the timer closes the silent hour
    feed(meter, at(8, 14, 30), at(8, 15, 0, 20), 1.0)
    assert meter.periods[at(8, 13)] is None
    assert meter.periods[at(8, 14)] is None
    assert meter.periods[at(8, 12)] == pytest.approx(2.0)
    assert meter.missing_periods(at(8, 16)) == [at(8, 13), at(8, 14)]
    peak = next(p for p in meter.peaks(at(8, 16)) if p.day == dt.date(2026, 1, 8))
    assert (peak.power_kw, peak.incomplete) == (pytest.approx(2.0), True)


def test_quarter_hours_are_scaled_to_the_hour_register() -> None:
    # 15-minute settlement. Quarters at 1, 2, 3 and 2 kW integrate to 0.25, 0.5, 0.75, 0.5
    # (sum 2.0); the registers say the hour was 2.4 kWh, so each is scaled by 1.2:
    # 0.3, 0.6, 0.9, 0.6 kWh. The day's peak is the third: 0.9 kWh in 15 min = 3.6 kW.
    meter = CapacityMeter(OSLO, minutes=15)
    meter.add_register(at(9, 18, 0, 10), 100.0)
    quarter = dt.timedelta(minutes=15)
    for index, kw in enumerate((1.0, 2.0, 3.0, 2.0)):
        feed(meter, at(9, 18) + index * quarter, at(9, 18) + (index + 1) * quarter, kw)
    feed(meter, at(9, 19), at(9, 19, 0, 20), 1.0)
    meter.add_register(at(9, 19, 0, 10), 102.4)
    quarters = [meter.periods[at(9, 18, 15 * index)] for index in range(4)]
    assert quarters == [pytest.approx(e) for e in (0.3, 0.6, 0.9, 0.6)]
    [peak] = meter.peaks(at(9, 20))
    assert peak.power_kw == pytest.approx(3.6)


def test_a_quarter_lost_in_a_restart_is_the_hour_minus_the_others() -> None:
    # Quarters 1 and 3 kW; the second quarter has a 2-minute gap; the last at 2 kW.
    # Integrals: 0.25, missing, 0.5 (hand: 2 kW x 15 min); the registers say 1.6 kWh:
    # the lost quarter is 1.6 - 0.25 - 0.75 - 0.5 = 0.1 kWh.
    meter = CapacityMeter(OSLO, minutes=15)
    meter.add_register(at(9, 18, 0, 10), 100.0)
    feed(meter, at(9, 18), at(9, 18, 15), 1.0)
    feed(meter, at(9, 18, 15), at(9, 18, 20), 0.4)
    feed(meter, at(9, 18, 22), at(9, 18, 30), 0.4)
    feed(meter, at(9, 18, 30), at(9, 18, 45), 3.0)
    feed(meter, at(9, 18, 45), at(9, 19, 0, 20), 2.0)
    meter.add_register(at(9, 19, 0, 10), 101.6)
    assert meter.periods[at(9, 18, 15)] == pytest.approx(0.1)
    assert meter.periods[at(9, 18, 30)] == pytest.approx(0.75)


def test_the_month_rolls_over_at_local_midnight() -> None:
    # 23:00 UTC on 31 January is 00:00 on 1 February in Oslo: February's first hour.
    meter = CapacityMeter(OSLO)
    meter.periods[at(31, 16)] = 9.0  # 17:00 in Oslo on the 31st: January
    feed(meter, at(31, 23), at(31, 23, 59, 59), 1.0, every=1)
    meter.add_power(at(31, 23, 59, 59) + dt.timedelta(seconds=2), 1.0)
    feb = at(31, 23, 30) + dt.timedelta(hours=1)
    assert [p.start for p in meter.month_periods(feb)] == [at(31, 23)]
    assert meter.average_kw(feb) == pytest.approx(1.0 / 3)  # (1 + 0 + 0) / 3
    assert meter.average_kw(at(31, 20)) == pytest.approx(3.0)  # January: (9 + 0 + 0) / 3


def test_fall_back_day_gives_25_hours_to_one_day_with_registers() -> None:
    # 2026-10-25 in Oslo: 25 hours from 22:00 UTC on the 24th. A register each hour, the hour
    # 01:00-02:00 UTC (the second 02:00 local, CET) uses 7 kWh, the others 1 kWh.
    meter = CapacityMeter(OSLO)
    start = dt.datetime(2026, 10, 24, 22, tzinfo=UTC)
    total = 0.0
    for index in range(26):
        boundary = start + dt.timedelta(hours=index)
        meter.add_power(boundary, 1.0)
        meter.add_register(boundary + dt.timedelta(seconds=10), total)
        total += 7.0 if index == 3 else 1.0
    october = [p for p in meter.month_periods(start + dt.timedelta(hours=2)) if p.energy_kwh]
    assert len([p for p in october if p.start.astimezone(OSLO).day == 25]) == 25
    [peak] = [p for p in meter.peaks(start + dt.timedelta(hours=2)) if p.day.day == 25]
    assert peak.power_kw == 7.0
    assert peak.start.astimezone(OSLO).strftime("%H:%M %Z") == "02:00 CET"


def test_state_round_trips_and_other_period_lengths_are_refused() -> None:
    meter = CapacityMeter(OSLO)
    feed(meter, at(5, 10), at(5, 10, 30), 2.0)
    meter.add_register(at(5, 10, 0, 10), 10.0)
    again = CapacityMeter(OSLO)
    assert again.load(meter.to_dict())
    assert again.to_dict() == meter.to_dict()
    assert not CapacityMeter(OSLO, minutes=15).load(meter.to_dict())


def test_statistics_fill_only_unknown_hours() -> None:
    meter = CapacityMeter(OSLO)
    meter.periods[at(3, 8)] = 2.0
    meter.add_hours({at(3, 8): 5.0, at(3, 9): 4.0, at(3, 10): None})
    assert (meter.periods[at(3, 8)], meter.periods[at(3, 9)]) == (2.0, 4.0)
    assert meter.periods[at(3, 10)] is None


def test_cost_of_periods_and_of_the_step() -> None:
    # Hour A: 2 kWh at 1.00 + grid 0.40 = 2.80. Hour B: no price: skipped (not guessed).
    # Hour C: energy missing: skipped. Step prices 100, 200, 300 per month: the month opens
    # at step 0 (+100) and rises to step 2 (+200): 100 + 200 + 2.80 = 302.80.
    prices = Prices(energy_entity=True, grid_energy=0.40, steps=(100.0, 200.0, 300.0))
    ledger = CostLedger()
    ledger.note_price(at(5, 10), 1.0)
    ledger.charge_step("2026-01", 0, prices)
    ledger.add_period(at(5, 10), 2.0, prices)
    ledger.add_period(at(5, 10), 2.0, prices)  # once only
    ledger.add_period(at(5, 11), 3.0, prices)
    ledger.add_period(at(5, 12), None, prices)
    ledger.charge_step("2026-01", 2, prices)
    ledger.charge_step("2026-01", 1, prices)  # steps never fall within a month
    assert ledger.total == pytest.approx(302.80)
    assert (ledger.skipped_no_price, ledger.skipped_no_energy) == (1, 1)
    assert CostLedger.from_dict(ledger.to_dict()) == ledger
    # The last step price covers steps beyond the list.
    assert prices.step_price(9) == 300.0


def test_a_period_settles_after_its_hours_register_window() -> None:
    assert not settled(at(5, 10, 45), at(5, 11, 4))
    assert settled(at(5, 10, 45), at(5, 11, 5))


@pytest.mark.parametrize(
    ("text", "ok"),
    [("2, 5, 10", True), ("2;5;10", True), ("5, 2", False), ("0, 2", False), ("", False)],
)
def test_ladder_validation(text: str, ok: bool) -> None:
    assert valid_ladder(parse_numbers(text)) is ok


def test_ladder_text_that_is_no_numbers() -> None:
    with pytest.raises(ValueError, match="five"):
        parse_numbers("2, five")
    with pytest.raises(ValueError, match="finite"):
        parse_numbers("2, nan")


def test_hours_from_the_recorders_hourly_rows() -> None:
    # Register rows (last state in each hour = the total at its start): 100.0 at 08, 102.0 at
    # 09, 102.0 at 10 (list 3 lost in hour 10: the row repeats 09's total), 106.0 at 11.
    # Power means: 2.0, 2.1, 1.9 kW for hours 08, 09, 10; 2.5 kW for 11 (no register at 12).
    # Hour 08: 102 - 100 = 2.0 agrees with 2.0 kW. Hour 09: 0.0 against 2.1 kW: missing, not
    # zero. Hour 10: 4.0 against 1.9 kW: missing. Hour 11: no pair: missing.
    registers = {at(3, 8): 100.0, at(3, 9): 102.0, at(3, 10): 102.0, at(3, 11): 106.0}
    means = {at(3, 8): 2.0, at(3, 9): 2.1, at(3, 10): 1.9, at(3, 11): 2.5}
    assert hours_from_statistics(registers, means) == {
        at(3, 8): 2.0,
        at(3, 9): None,
        at(3, 10): None,
        at(3, 11): None,
    }


def test_a_replaced_meter_keeps_the_month_but_not_the_old_registers() -> None:
    # The old meter's register read 5000.0 at 10:00; the new one starts at 12.0. The month's
    # 6 kWh day stays; the hour 10-11 is not 12 - 5000 (nor anything else from two meters):
    # with a gap at the change it is missing, and the new meter's registers count from 11:00.
    meter = CapacityMeter(OSLO)
    meter.periods[at(2, 17)] = 6.0
    meter.add_register(at(5, 10, 0, 10), 5000.0)
    feed(meter, at(5, 10), at(5, 10, 30), 2.0)
    meter.meter_replaced()
    feed(meter, at(5, 10, 30), at(5, 12, 0, 20), 2.0)
    meter.add_register(at(5, 11, 0, 10), 12.0)
    meter.add_register(at(5, 12, 0, 10), 14.5)
    assert meter.periods[at(2, 17)] == 6.0
    assert meter.periods[at(5, 10)] is None
    assert meter.periods[at(5, 11)] == pytest.approx(2.5)  # 14.5 - 12.0, the new meter's count
