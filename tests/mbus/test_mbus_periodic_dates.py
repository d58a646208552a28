"""Dates that recur every year (EN 13757-3 annex A, types G and F: year 127).

Expected values by hand from the type G bit layout (day = bits 0-4 of the first byte, month
= bits 0-3 of the second, year = bits 5-7 of the first and 4-7 of the second) and from
Exmbus, an independent decoder whose regression test "Type G from a DME telegram" reads
``E1 F1`` (0b111_00001, 0b1111_0001) as year "every", month 1, day 1.
"""

import json

import pytest

from custom_components.mbus_han.protocol.cli.mbus_bus import format_table
from custom_components.mbus_han.protocol.mbus.jsonout import json_value, record_to_json
from custom_components.mbus_han.protocol.mbus.model import PeriodicDate, Quantity
from custom_components.mbus_han.protocol.mbus.records import parse_records
from custom_components.mbus_han.protocol.mbus.telegram import decode_user_data


def one(hex_bytes: str):
    (record,), _, _ = parse_records(bytes.fromhex(hex_bytes))
    return record


def test_type_g_every_year_on_1_january():
    # E1 = 111 00001: day 1, year bits 111; F1 = 1111 0001: month 1, year bits 1111 -> 127.
    record = one("02 6C E1 F1")
    assert record.quantity is Quantity.DATE
    assert record.value == PeriodicDate(month=1, day=1)
    assert record.error is None
    assert str(record.value) == "YYYY-01-01"
    assert record_to_json(record)["value"] == {"periodic": "yearly", "month": 1, "day": 1}


def test_type_g_every_year_on_31_december():
    # day 31 = 11111, year 127 = 1111 111: first byte 111 11111 = FF, second 1111 1100 = FC.
    assert one("02 6C FF FC").value == PeriodicDate(month=12, day=31)


def test_type_g_every_month_of_every_year():
    # Month 15 with year 127: every month on the 15th (0F | E0 = EF; F0 | 0F = FF).
    date = one("02 6C EF FF").value
    assert date == PeriodicDate(month=None, day=15)
    assert date.period == "monthly"
    assert json_value(date) == {"periodic": "monthly", "day": 15}


def test_type_f_every_year_at_a_time():
    # Type F: minute 30 (1E), hour 6 (06), then the type G date bytes E1 F1.
    record = one("04 6D 1E 06 E1 F1")
    assert record.value == PeriodicDate(month=1, day=1, hour=6, minute=30)
    assert json.loads(json.dumps(json_value(record.value))) == {
        "periodic": "yearly",
        "month": 1,
        "day": 1,
        "time": "06:30",
    }


@pytest.mark.parametrize(
    "raw",
    [
        "02 6C FF FF",  # all bits set: what meters send for "no date"
        "02 6C E1 F0",  # year 127, month 0: no month
        "02 6C E1 FD",  # year 127, month 13
        "04 6D 00 18 E1 F1",  # hour 24 is no time of day
        "04 6D 80 00 E1 F1",  # the invalid bit of type F
    ],
)
def test_what_is_no_recurring_date_stays_invalid(raw):
    record = one(raw)
    assert record.value is None
    assert record.error


def test_the_table_says_it_recurs():
    telegram = decode_user_data(0x78, bytes.fromhex("02 6C E1 F1"))
    assert "YYYY-01-01 (yearly)" in format_table(telegram)


def test_type_i_every_year_to_the_second():
    # Type I (48 bit): second 30 (1E), minute 45 (2D), hour 13 with no day of week (0D), then
    # the type G date bytes E1 F1 (year 127, month 1, day 1), then the week byte. Its date
    # bits are those of types G and F, so year 127 recurs as there.
    record = one("06 6D 1E 2D 0D E1 F1 00")
    assert record.value == PeriodicDate(month=1, day=1, hour=13, minute=45, second=30)
    assert str(record.value) == "YYYY-01-01T13:45:30"
    assert record_to_json(record)["value"] == {
        "periodic": "yearly",
        "month": 1,
        "day": 1,
        "time": "13:45:30",
    }


@pytest.mark.parametrize(
    "raw",
    [
        "06 6D 1E AD 0D E1 F1 00",  # the invalid bit of type I (byte 1 bit 7)
        "06 6D 3C 2D 0D E1 F1 00",  # second 60 is no time of day
        "06 6D 1E 2D 0D E1 F0 00",  # year 127, month 0: no month
    ],
)
def test_type_i_without_a_recurring_date_stays_invalid(raw):
    record = one(raw)
    assert record.value is None
    assert record.error
