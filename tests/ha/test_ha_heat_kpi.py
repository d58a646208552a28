"""Heat-meter KPI sensors in Home Assistant: against the simulator's truth and by hand.

The simulated heat meter (with a household's daily load and EN 1434's heat coefficient from
the water's properties) is stepped on a fake clock and read over a real pty through the
integration's coordinator; Home Assistant's clock is moved with it (freezer). The truth is
the model's own exact integral of its instantaneous state (``true_*`` totals), independent
of the counters, the interpolation and the tracker the sensors use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from ha_helpers import SLB_ID, mbus_entry_data
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.mbus_han.billing.heat import heat_coefficient
from custom_components.mbus_han.const import (
    CONF_BILLING_START,
    CONF_SCAN_INTERVAL,
    CONF_TARGET,
    CONF_TARGET_HIGH,
    CONF_TARGET_LOW,
    CONF_TARGET_PERIOD,
    DOMAIN,
)
from custom_components.mbus_han.protocol.mbus.encode import Identity
from custom_components.mbus_han.protocol.mbus.simulator import HeatMeterModel, SimulatedMeter

BERLIN = ZoneInfo("Europe/Berlin")
PREFIX = "schlumberger_allmess_12345678"
STEP = dt.timedelta(minutes=1)  # the model integrates its state this often
# Home Assistant's clock is frozen and moved by the tests; the event loop keeps real time,
# so the serial I/O to the simulated bus (timeouts, inter-frame silence) works as usual.
pytestmark = pytest.mark.freeze_time("2026-01-01", real_asyncio=True, ignore=["serialx"])


ALLMESS = Identity(SLB_ID, "SLB", 0x1A, 0x04)


def sensor(name: str, prefix: str = PREFIX) -> str:
    return f"sensor.{prefix}_{name}"


class Rig:
    """A heat meter on a fake clock, the entry reading it, and the truth since a moment."""

    def __init__(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        start: dt.datetime,
        identity: Identity = ALLMESS,
        *,
        registers: bool = False,
    ) -> None:
        self.hass = hass
        self.freezer = freezer
        self.start = start
        self.now = start
        freezer.move_to(start)
        self.clock = [0.0]
        self.model = HeatMeterModel(
            identity,
            clock=lambda: self.clock[0],
            wall_clock=lambda: self.now.astimezone(BERLIN).replace(tzinfo=None),
            seed=18,
            energy_kwh=20000.0,
            volume_m3=500.0,
            daily_load=True,
            heat_coefficient=heat_coefficient,
            volume_temperature_registers=registers,
        )
        self.model_start_energy_kwh = self.model.energy_kwh
        self.meter = SimulatedMeter(self.model, 0)
        self.entry: MockConfigEntry | None = None
        self.marks: dict[str, tuple[float, float, float]] = {}

    async def set_up(self, bus_factory: Callable[..., object], **options: object) -> None:
        _, port = await bus_factory(self.meter)  # type: ignore[misc]
        self.entry = MockConfigEntry(
            domain=DOMAIN, data=mbus_entry_data(port, ["0"]), unique_id=port, options=options
        )
        self.entry.add_to_hass(self.hass)
        assert await self.hass.config_entries.async_setup(self.entry.entry_id)
        await self.hass.async_block_till_done()

    def advance(self, until: dt.datetime) -> None:
        """Let the meter integrate its state minute by minute up to ``until``."""
        while self.now < until:
            self.now = min(self.now + STEP, until)
            self.clock[0] = (self.now - self.start).total_seconds()
            self.model.advance()
        self.freezer.move_to(self.now)

    async def poll(self) -> None:
        assert self.entry is not None
        await self.entry.runtime_data.coordinator.async_refresh()
        await self.hass.async_block_till_done()

    async def restart(self) -> None:
        """Unload and set up again: the trackers come back from the Store."""
        assert self.entry is not None
        assert await self.hass.config_entries.async_reload(self.entry.entry_id)
        await self.hass.async_block_till_done()

    def mark(self, name: str) -> None:
        """Remember the model's exact integrals now."""
        model = self.model
        self.marks[name] = (
            model.true_volume_m3,
            model.true_volume_flow_temperature,
            model.true_volume_return_temperature,
        )

    def truth(self, since: str, until: str) -> tuple[float, float]:
        """Volume-weighted cooling and return temperature between two marks."""
        v0, f0, r0 = self.marks[since]
        v1, f1, r1 = self.marks[until]
        volume = v1 - v0
        return ((f1 - f0) - (r1 - r0)) / volume, (r1 - r0) / volume

    def state(self, entity_id: str) -> float | None:
        state = self.hass.states.get(entity_id)
        assert state is not None, entity_id
        return None if state.state == STATE_UNKNOWN else float(state.state)


@pytest.fixture
async def berlin(hass: HomeAssistant) -> None:
    await hass.config.async_set_time_zone("Europe/Berlin")


# The meter without V x T registers (energy path) and a Kamstrup MULTICAL 603 with its E8/E9
# registers (records FF 07 / FF 08 in 1 m3 degC: 100 degC x its 0.01 m3 volume step).
METERS = {
    "energy": (ALLMESS, False, PREFIX),
    "registers": (Identity(SLB_ID, "KAM", 0x35, 0x04), True, "kamstrup_12345678"),
}


@pytest.mark.usefixtures("berlin")
@pytest.mark.parametrize("method", list(METERS))
async def test_the_month_against_the_simulators_truth(
    hass: HomeAssistant, bus_factory, freezer: FrozenDateTimeFactory, method: str
) -> None:
    """March 2026 (with the DST change), read every 30 minutes, with gaps and restarts.

    No poll from 22:50 on 28 February to 01:35 on 1 March (the month's start is interpolated
    across the gap), none for six hours on the 10th, none over the DST night; Home Assistant
    restarts (the entry reloads, its trackers from the Store) on the 5th, 16th and 29th.
    Measured when written: cooling 15.1235 K against the exact 15.1181 K, return temperature
    49.8852 degC against 49.8826 degC; with the Kamstrup registers 15.1179 K and 49.8824 degC.
    """
    identity, registers, prefix = METERS[method]
    rig = Rig(
        hass, freezer, dt.datetime(2026, 2, 28, 20, 7, tzinfo=BERLIN), identity, registers=registers
    )
    await rig.set_up(bus_factory)
    month_start = dt.datetime(2026, 3, 1, tzinfo=BERLIN)
    month_end = dt.datetime(2026, 4, 1, tzinfo=BERLIN)
    gaps = [
        (
            dt.datetime(2026, 2, 28, 22, 50, tzinfo=BERLIN),
            dt.datetime(2026, 3, 1, 1, 35, tzinfo=BERLIN),
        ),
        (dt.datetime(2026, 3, 10, 9, tzinfo=BERLIN), dt.datetime(2026, 3, 10, 15, tzinfo=BERLIN)),
        (
            dt.datetime(2026, 3, 29, 0, 30, tzinfo=BERLIN),
            dt.datetime(2026, 3, 29, 4, tzinfo=BERLIN),
        ),
    ]
    restarts = {dt.date(2026, 3, 5), dt.date(2026, 3, 16), dt.date(2026, 3, 29)}
    poll_at = rig.now
    last_poll = rig.now
    while poll_at < month_end - dt.timedelta(minutes=30):
        poll_at += dt.timedelta(minutes=30)
        if month_start <= poll_at and "start" not in rig.marks:
            rig.advance(month_start)
            rig.mark("start")
        rig.advance(poll_at)
        if any(low <= poll_at < high for low, high in gaps):
            continue
        local = poll_at.astimezone(BERLIN)
        if local.date() in restarts and local.hour == 12 and local.minute < 30:
            await rig.restart()  # the set-up reads the meter: that is this poll
        else:
            await rig.poll()
        last_poll = poll_at
    rig.advance(last_poll)
    rig.mark("last")
    cooling, return_c = rig.truth("start", "last")

    measured = rig.state(sensor("cooling_this_month", prefix))
    assert measured is not None
    assert abs(measured - cooling) < 0.1
    measured_return = rig.state(sensor("average_return_temperature_this_month", prefix))
    assert measured_return is not None
    assert abs(measured_return - return_c) < 0.1
    attributes = hass.states.get(sensor("cooling_this_month", prefix)).attributes
    assert attributes["complete_period"] is True
    assert attributes["start_interpolated"] is True
    assert attributes["method"] == method
    assert attributes["registers_disagree"] is False
    # The polls around the month's start: 22:37 on 28 February and 01:37 on 1 March.
    assert attributes["interpolation_gap_minutes"] == pytest.approx(180.0)


@pytest.mark.usefixtures("berlin")
async def test_today_by_hand_rolls_over_at_local_midnight(
    hass: HomeAssistant, bus_factory, freezer: FrozenDateTimeFactory
) -> None:
    rig = Rig(hass, freezer, dt.datetime(2026, 10, 24, 23, 0, tzinfo=BERLIN))
    await rig.set_up(bus_factory)
    coordinator = rig.entry.runtime_data.coordinator  # type: ignore[union-attr]
    tracker = rig.entry.runtime_data.heat_kpi  # type: ignore[union-attr]
    assert tracker is not None
    # Polls at 23:30 and 00:30: midnight is interpolated half-way between them.
    rig.advance(dt.datetime(2026, 10, 24, 23, 30, tzinfo=BERLIN))
    await rig.poll()
    before = coordinator.data.records["0"]
    e0 = float(before["energy"].value) / 1000 if before["energy"].unit == "Wh" else None
    assert e0 is not None
    assert rig.state(sensor("average_power_today")) is not None  # since the first poll
    assert hass.states.get(sensor("average_power_today")).attributes["complete_period"] is False
    # Half an hour moves this whole-kWh counter by far fewer than 100 steps: a cooling from it
    # could be off by a kilowatt-hour in a few, so there is none yet (MIN_RESOLVED_STEPS).
    assert float(before["energy"].value) / 1000 - rig.model_start_energy_kwh < 100
    assert hass.states.get(sensor("cooling_today")).state == STATE_UNKNOWN
    assert hass.states.get(sensor("cooling_today")).attributes["resolution_limited"] is True
    # Midnight: a new day without a poll yet has no figures (not yesterday's).
    midnight = dt.datetime(2026, 10, 25, tzinfo=BERLIN)
    rig.advance(midnight)
    async_fire_time_changed(hass, midnight)
    await hass.async_block_till_done()
    assert hass.states.get(sensor("cooling_today")).state == STATE_UNKNOWN
    rig.advance(dt.datetime(2026, 10, 25, 0, 30, tzinfo=BERLIN))
    await rig.poll()
    after = coordinator.data.records["0"]
    e1 = float(after["energy"].value) / 1000
    state = hass.states.get(sensor("energy_this_hour"))
    # Hour from 00:00: the counter at 00:00 is e0 + (e1 - e0) / 2, so the hour has (e1 - e0) / 2.
    assert float(state.state) == pytest.approx((e1 - e0) / 2, abs=1e-3)
    today = hass.states.get(sensor("average_power_today"))
    assert today.attributes["complete_period"] is True
    assert today.attributes["start_interpolated"] is True
    assert today.attributes["period_start"] == "2026-10-25T00:00:00+02:00"
    # The DST day (25 October, clocks back at 03:00) lasts 25 hours: still one day.
    rig.advance(dt.datetime(2026, 10, 25, 23, 30, tzinfo=BERLIN))
    await rig.poll()
    today = hass.states.get(sensor("average_power_today"))
    hours = (
        dt.datetime(2026, 10, 25, 23, 30, tzinfo=BERLIN) - midnight.astimezone(dt.UTC)
    ).total_seconds() / 3600
    assert hours == 24.5  # 23.5 wall-clock hours plus the repeated one
    energy = today.attributes["energy_kwh"]
    assert float(today.state) == pytest.approx(energy / hours, abs=1e-3)


@pytest.mark.usefixtures("berlin")
async def test_outside_target_and_deviation(
    hass: HomeAssistant, bus_factory, freezer: FrozenDateTimeFactory
) -> None:
    rig = Rig(hass, freezer, dt.datetime(2026, 3, 2, 0, 0, tzinfo=BERLIN))
    await rig.set_up(
        bus_factory,
        **{
            CONF_TARGET: "return_temperature",
            CONF_TARGET_HIGH: 45.0,
            CONF_TARGET_PERIOD: "day",
        },
    )
    for hour in range(1, 13):
        rig.advance(dt.datetime(2026, 3, 2, hour, tzinfo=BERLIN))
        await rig.poll()
    return_today = rig.state(sensor("average_return_temperature_today"))
    assert return_today is not None
    outside = hass.states.get(f"binary_sensor.{PREFIX}_outside_target")
    deviation = rig.state(sensor("deviation_from_target"))
    assert deviation is not None
    # The model's return runs around 45-55 degC: above 45 by exactly the reported margin.
    assert return_today > 45
    assert outside.state == "on"
    assert deviation == pytest.approx(return_today - 45.0, abs=1e-3)
    assert outside.attributes["target_period"] == "day"


@pytest.mark.usefixtures("berlin")
async def test_the_options_menu_sets_the_billing_year_and_target(
    hass: HomeAssistant, bus_factory, freezer: FrozenDateTimeFactory
) -> None:
    rig = Rig(hass, freezer, dt.datetime(2026, 3, 2, 12, 0, tzinfo=BERLIN))
    await rig.set_up(bus_factory, **{CONF_SCAN_INTERVAL: 600})
    entry = rig.entry
    assert entry is not None
    assert hass.states.get(sensor("cooling_this_billing_period")) is None
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "heat_kpi"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "heat_kpi"
    # A target without limits, and limits the wrong way round, are refused.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_TARGET: "cooling", CONF_TARGET_PERIOD: "month"}
    )
    assert result["errors"] == {"base": "target_band_empty"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_TARGET: "cooling",
            CONF_TARGET_LOW: 41.0,
            CONF_TARGET_HIGH: 39.0,
            CONF_TARGET_PERIOD: "month",
        },
    )
    assert result["errors"] == {CONF_TARGET_HIGH: "target_band_order"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_BILLING_START: "2025-07-01",
            CONF_TARGET: "cooling",
            CONF_TARGET_LOW: 39.0,
            CONF_TARGET_HIGH: 41.0,
            CONF_TARGET_PERIOD: "billing",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()  # the entry reloads with the new sensors
    assert entry.options == {
        CONF_SCAN_INTERVAL: 600,  # the other form's option stays
        CONF_BILLING_START: "2025-07-01",
        CONF_TARGET: "cooling",
        CONF_TARGET_LOW: 39.0,
        CONF_TARGET_HIGH: 41.0,
        CONF_TARGET_PERIOD: "billing",
    }
    assert hass.states.get(sensor("cooling_this_billing_period")) is not None
    outside = hass.states.get(f"binary_sensor.{PREFIX}_outside_target")
    assert outside is not None
    assert outside.attributes["target_period"] == "billing"
    assert dt_util.utcnow() == rig.now
