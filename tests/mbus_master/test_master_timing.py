"""Timeouts come from the baud rate and the answer window; paced answers at real timing."""

import os

import pytest

from custom_components.mbus_han.protocol.errors import CollisionError, NoAnswerError
from custom_components.mbus_han.protocol.mbus.encode import Identity
from custom_components.mbus_han.protocol.mbus.simulator import (
    Fault,
    HeatMeterModel,
    SimulatedMeter,
    SimulatorTiming,
)
from custom_components.mbus_han.protocol.mbus.timing import BusTiming
from custom_components.mbus_han.protocol.transport import SerialSettings, open_port


def test_answer_timeout_follows_the_standard_window():
    timing = BusTiming(2400, extra_margin=0.0)
    # SND_NKE: 5 characters out, 330 bit times of answer window, one character in.
    assert timing.answer_timeout(5) == pytest.approx((5 * 11 + 330 + 11) / 2400)
    assert BusTiming(300, extra_margin=0).answer_timeout(5) == pytest.approx(396 / 300)
    assert BusTiming(38400, extra_margin=0).answer_timeout(5) == pytest.approx(396 / 38400)
    assert BusTiming(2400, extra_margin=0.1).answer_timeout(5) == pytest.approx(396 / 2400 + 0.1)
    # A started frame must complete at line speed: remaining bytes plus two characters.
    assert timing.completion_timeout(100) == pytest.approx(102 * 11 / 2400)
    with pytest.raises(ValueError, match="baud"):
        BusTiming(0)
    with pytest.raises(ValueError, match="margin"):
        BusTiming(2400, extra_margin=-1)


def _meter(delay_bits, history=False):
    return SimulatedMeter(
        HeatMeterModel(Identity(12345678, "SLB", 0x1A, 4), history=history),
        0,
        answer_delay_bits=delay_bits,
    )


async def test_answer_at_the_end_of_the_window_is_accepted(connect):
    # Real timing at 9600 baud: the meter waits the full 330 bit times before each answer.
    _, master = await connect(
        [_meter(330, history=True)],
        timing=SimulatorTiming(9600, time_scale=1.0),
        baud=9600,
        margin=0.05,
        retries=0,
    )
    reading = await master.read(0)
    assert len(reading.telegrams) == 2  # bytes paced at 9600 baud, frames completed in time
    assert master.stats.retries == 0


async def test_answer_after_the_window_is_no_answer(connect):
    meter = _meter(330)
    _, master = await connect(
        [meter],
        timing=SimulatorTiming(9600, time_scale=1.0, late_delay=0.25),
        baud=9600,
        margin=0.05,
        retries=0,
    )
    meter.inject(Fault.LATE_ANSWER)
    with pytest.raises(NoAnswerError, match="SND_NKE"):
        await master.read(0)


async def test_frame_that_stops_midway_times_out_as_garbled(connect):
    meter = _meter(20)
    _, master = await connect(
        [meter], timing=SimulatorTiming(9600, time_scale=1.0), baud=9600, retries=0
    )
    meter.inject(Fault.TRUNCATED, after=1)  # the E5 is fine, the RSP_UD stops midway
    with pytest.raises(CollisionError, match="garbled"):
        await master.read(0)


async def test_close_releases_the_port(connect):
    bus, master = await connect([_meter(20)])
    pty_path = bus._ptys[0].path
    fds_before = len(os.listdir("/proc/self/fd"))
    await master.close()
    assert len(os.listdir("/proc/self/fd")) < fds_before
    # The exclusive lock is gone: the port opens again and the meter still answers.
    port = await open_port(pty_path, SerialSettings(38400))
    await port.close()
