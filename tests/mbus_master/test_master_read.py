"""The master against the simulator: reads, FCB, multi-telegram, secondary addressing."""

import pytest

from custom_components.mbus_han.protocol.errors import (
    CollisionError,
    NoAnswerError,
)
from custom_components.mbus_han.protocol.mbus.frames import (
    C_FCB,
    C_REQ_UD2,
    C_SND_NKE,
    LongFrame,
    ShortFrame,
)
from custom_components.mbus_han.protocol.mbus.master import (
    Presence,
    parse_address,
    parse_address_list,
)
from custom_components.mbus_han.protocol.mbus.model import Quantity
from custom_components.mbus_han.protocol.mbus.requests import RequestError, SecondaryAddress
from custom_components.mbus_han.protocol.mbus.simulator import BusFaults, Fault


def _link_trace(bus):
    """The requests the meters heard, as (control, address)."""
    return [(f.control, f.address) for f in bus.requests_seen if isinstance(f, ShortFrame)]


@pytest.mark.parametrize("transport", ["pty", "tcp"])
async def test_single_telegram_read(connect, heat_meter, transport, request):
    if transport == "tcp":
        request.getfixturevalue("socket_enabled")
    meter = heat_meter(12345678, 5)
    bus, master = await connect([meter], tcp=transport == "tcp")
    reading = await master.read(5)
    assert reading.complete
    assert len(reading.telegrams) == 1
    telegram = reading.telegram
    assert telegram.header.id == 12345678
    assert telegram.header.manufacturer == "SLB"
    assert telegram.source_address == 5
    energy = next(r for r in telegram.records if r.key == "energy")
    model = meter.source
    assert energy.value == int(model.energy_kwh) * 1000  # Wh
    # The session: SND_NKE resets the FCB, then REQ_UD2 with FCB=1.
    assert _link_trace(bus) == [(C_SND_NKE, 5), (C_REQ_UD2 | C_FCB, 5)]


@pytest.mark.parametrize("transport", ["pty", "tcp"])
async def test_multi_telegram_read_toggles_fcb_and_merges(connect, heat_meter, transport, request):
    if transport == "tcp":
        request.getfixturevalue("socket_enabled")
    bus, master = await connect([heat_meter(history=True)], tcp=transport == "tcp")
    reading = await master.read(0)
    assert len(reading.telegrams) == 2
    assert reading.telegrams[0].more_records_follow
    assert not reading.telegrams[1].more_records_follow
    assert _link_trace(bus) == [(C_SND_NKE, 0), (C_REQ_UD2 | C_FCB, 0), (C_REQ_UD2, 0)]
    merged = reading.telegram
    keys = [r.key for r in merged.records]
    assert len(keys) == len(set(keys))
    assert len(merged.records) == sum(len(t.records) for t in reading.telegrams)
    assert "energy_storage_13" in keys  # from the second telegram
    # A second read starts over with SND_NKE and gets fresh data, not a stale repeat.
    again = await master.read(0)
    assert again.telegrams[0].header.access_number != reading.telegrams[0].header.access_number


async def test_multi_telegram_bound(connect, heat_meter):
    _, master = await connect([heat_meter(history=True)])
    master.max_telegrams = 1
    reading = await master.read(0)
    assert not reading.complete
    assert len(reading.telegrams) == 1


async def test_lost_answer_is_retried_with_the_same_fcb(connect, heat_meter):
    # Garble the second telegram on the line: the meter has advanced, the master retries
    # with the same FCB and the meter repeats telegram 2 instead of skipping back to 1.
    meter = heat_meter(history=True)
    bus, master = await connect([meter])
    meter.inject(Fault.BIT_ERROR, after=2)  # E5 and telegram 1 fine, telegram 2 garbled
    reading = await master.read(0)
    assert len(reading.telegrams) == 2
    assert reading.telegrams[1].records[0].storage == 2  # really the history telegram
    trace = _link_trace(bus)
    assert trace == [
        (C_SND_NKE, 0),
        (C_REQ_UD2 | C_FCB, 0),
        (C_REQ_UD2, 0),
        (C_REQ_UD2, 0),  # the retry keeps FCB=0
    ]
    assert meter.telegrams_sent == 2  # the retry got telegram 2 again, not telegram 3
    assert master.stats.retries == 1


async def test_repeated_telegram_is_detected_and_recovered(connect, heat_meter):
    meter = heat_meter(history=True)
    _, master = await connect([meter])
    meter.inject(Fault.REPEAT, after=2)  # out of step when asked for telegram 2
    reading = await master.read(0)
    assert reading.repeats_detected == 1
    assert len(reading.telegrams) == 2
    assert reading.telegrams[0] != reading.telegrams[1]
    assert reading.telegrams[1].records[0].storage == 2


async def test_meter_stuck_on_one_telegram_keeps_what_it_sent(connect, heat_meter):
    # Issue 11: the telegram read before the meter got stuck is kept, marked incomplete.
    meter = heat_meter(history=True)
    _, master = await connect([meter])
    meter.inject(Fault.REPEAT, 10, after=2)
    reading = await master.read(0)
    assert not reading.complete
    assert len(reading.telegrams) == 1
    assert reading.telegrams[0].more_records_follow  # the history telegram never came
    assert reading.repeats_detected == master.retries + 1


async def test_echo_from_level_converter_is_skipped(connect, heat_meter):
    _bus, master = await connect([heat_meter(history=True)], faults=BusFaults(echo=True))
    reading = await master.read(0)
    assert len(reading.telegrams) == 2
    assert master.link.stats.echoes == 3  # SND_NKE and two REQ_UD2 came back
    assert master.stats.retries == 0


async def test_no_meter_gives_no_answer_error_after_bounded_retries(connect, heat_meter):
    bus, master = await connect([heat_meter(primary=1)], retries=2)
    with pytest.raises(NoAnswerError, match="3 attempts"):
        await master.read(7)
    assert _link_trace(bus) == [(C_SND_NKE, 7)] * 3


@pytest.mark.parametrize("fault", [Fault.NO_ANSWER, Fault.LATE_ANSWER, Fault.BIT_ERROR])
async def test_one_fault_is_recovered_by_a_retry(connect, heat_meter, fault):
    meter = heat_meter()
    _bus, master = await connect([meter], retries=3)
    meter.inject(fault)
    reading = await master.read(0)
    assert reading.telegrams[0].header.id == 12345678
    assert master.stats.retries >= 1


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.NO_ANSWER, NoAnswerError),
        (Fault.LATE_ANSWER, NoAnswerError),
        (Fault.BIT_ERROR, CollisionError),
    ],
)
async def test_persistent_fault_is_a_clear_error(connect, heat_meter, fault, error):
    meter = heat_meter()
    # No retry: a late answer would otherwise land in the retry's window and be accepted.
    _, master = await connect([meter], retries=0)
    meter.inject(fault, 10)
    with pytest.raises(error, match="SND_NKE to 0"):
        await master.read(0)


async def test_two_meters_on_one_address_collide(connect, heat_meter):
    _, master = await connect([heat_meter(11111111, 3), heat_meter(22222222, 3)])
    assert await master.ping(3) is Presence.SEVERAL
    with pytest.raises(CollisionError):
        await master.read(3)


async def test_broadcast_254_reads_the_only_meter(connect, heat_meter):
    _, master = await connect([heat_meter(12345678, 17)])
    reading = await master.read(254)
    assert reading.telegram.source_address == 17


async def test_secondary_read_selects_the_right_meter(connect, heat_meter):
    meters = [heat_meter(12345601, 0), heat_meter(12345602, 0, manufacturer="KAM")]
    bus, master = await connect(meters)
    reading = await master.read(SecondaryAddress("12345602"))
    assert reading.telegram.header.id == 12345602
    assert meters[1].selected
    assert not meters[0].selected
    reading = await master.read(SecondaryAddress.parse("12345601FFFFFFFF"))
    assert reading.telegram.header.id == 12345601
    # Manufacturer, version and medium take part in the match.
    reading = await master.read(SecondaryAddress("1234560F", manufacturer="KAM"))
    assert reading.telegram.header.id == 12345602
    with pytest.raises(NoAnswerError):
        await master.read(SecondaryAddress("12345602", manufacturer="SLB"))
    with pytest.raises(NoAnswerError):
        await master.read(SecondaryAddress("12345602", medium=0x07))
    frames = [f for f in bus.requests_seen if isinstance(f, LongFrame)]
    assert frames
    assert all(f.address == 253 and f.ci == 0x52 for f in frames)


async def test_wildcard_select_matching_two_meters_is_a_collision(connect, heat_meter):
    _, master = await connect([heat_meter(12345601, 0), heat_meter(12345602, 0)])
    with pytest.raises(CollisionError):
        await master.read(SecondaryAddress("1234560F"))


async def test_set_primary_address(connect, heat_meter):
    meter = heat_meter(12345678, 0)
    _, master = await connect([meter], retries=0)
    await master.set_primary_address(0, 42)
    assert (await master.read(42)).telegram.source_address == 42
    with pytest.raises(NoAnswerError):
        await master.read(0)
    await master.set_primary_address(SecondaryAddress("12345678"), 7)
    assert meter.primary_address == 7
    with pytest.raises(RequestError):
        await master.set_primary_address(7, 251)


async def test_application_reset_and_baud_switch(connect, heat_meter):
    meter = heat_meter(history=True)
    _, master = await connect([meter])
    await master.application_reset(0)
    await master.switch_baud_rate(0, 9600)
    assert meter.baudrate == 9600
    assert master.timing.baudrate == 9600
    with pytest.raises(RequestError):
        await master.switch_baud_rate(0, 1234)


# "²", "٣" (Arabic-Indic three) and the fullwidth one pass str.isdigit but are no address.
@pytest.mark.parametrize(
    "text", ["251", "253", "-1", "1234", "12345678F", "xyz", "²", "1²", "٣", "\uff11", "", " "]
)
def test_bad_addresses_are_rejected(text):
    with pytest.raises(RequestError):
        parse_address(text)


def test_address_parsing():
    assert parse_address("0") == 0
    assert parse_address("254") == 254
    assert parse_address("12345678") == SecondaryAddress("12345678")
    assert parse_address("12345678FFFF1A04") == SecondaryAddress("12345678", version=0x1A, medium=4)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", ["0"]),
        (" 5; 12345678 ,1 ", ["5", "12345678", "1"]),
        ("007, 8", ["7", "8"]),
        ("1234567fffffffff", ["1234567FFFFFFFFF"]),
    ],
)
def test_address_lists(text, expected):
    assert parse_address_list(text) == expected


# The same meter typed twice in different ways would be read twice per poll (issue 11).
@pytest.mark.parametrize(
    "text", ["0, 00", "5,005", "12345678; 12345678FFFFFFFF", "1234567f, 1234567F", "", "²", "5,,x"]
)
def test_bad_address_lists_are_refused(text):
    with pytest.raises(RequestError):
        parse_address_list(text)


async def test_quantities_of_the_live_model(connect, heat_meter):
    _, master = await connect([heat_meter()])
    telegram = (await master.read(0)).telegram
    quantities = {r.quantity for r in telegram.records}
    assert {
        Quantity.ENERGY,
        Quantity.VOLUME,
        Quantity.POWER,
        Quantity.VOLUME_FLOW,
        Quantity.FLOW_TEMPERATURE,
        Quantity.RETURN_TEMPERATURE,
        Quantity.TEMPERATURE_DIFFERENCE,
    } <= quantities
