"""The capacity tariff of a HAN meter in Home Assistant (issue 17): options, sensors, store.

The meter is the HAN simulator (Kaifa) writing real frames into a pty, with a steady load of
3.6 kW so that every expected number can be worked out by hand (written next to each
assertion): 3.6 kW for 20 minutes is 1.2 kWh, and the simulator's register, counting from
12 345 678 Wh at 10:59:40, reads 12 345 708 Wh at 11:00:10 (30 s x 3.6 kW = 30 Wh).
Once the entry is set up, Home Assistant's clock is frozen (freezegun, as the ``freezer``
fixture uses it) and moved to the meter's time of each push.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import freezegun
import pytest
from ha_helpers import han_entry_data
from homeassistant.components.sensor import ATTR_STATE_CLASS, SensorDeviceClass
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.mbus_han.const import (
    CONF_CAPACITY,
    CONF_CAPACITY_LADDER,
    CONF_GRID_ENERGY_PRICE,
    CONF_PRICE_ENTITY,
    CONF_SETTLEMENT_MINUTES,
    CONF_STEP_PRICES,
    DOMAIN,
)
from custom_components.mbus_han.diagnostics import async_get_config_entry_diagnostics
from custom_components.mbus_han.protocol.han import HanStreamDecoder, Transport
from custom_components.mbus_han.protocol.han.simulator import (
    HanSimulator,
    Maker,
    MeterPhysics,
    Push,
)
from custom_components.mbus_han.protocol.simio import PtyEndpoint, open_pty

OSLO = ZoneInfo("Europe/Oslo")
METER = "HAN-6970631402614476"
ENTRY_ID = "capacity0entry"
STORE_KEY = f"{DOMAIN}.capacity.{ENTRY_ID}"
POWER_W = 3600
LADDER = [2.0, 5.0, 10.0, 15.0, 20.0, 25.0, 50.0, 75.0, 100.0]
STEP_PRICES = [100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 900.0, 1000.0]


def utc(text: str) -> str:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC).isoformat()


@pytest.fixture(autouse=True)
def steady_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulated load holds still at 3.6 kW (its register integrates it exactly)."""

    def advance(self: MeterPhysics, seconds: float) -> None:
        self.energy_import_wh += self.active_import * seconds / 3600

    monkeypatch.setattr(MeterPhysics, "advance", advance)


class SteadyMeter:
    """A Kaifa whose pushes reach the port's coordinator at Home Assistant's (frozen) time.

    The frames are decoded as the listener decodes them and handed to the coordinator as
    the listener does (``_on_result``): the pty's reading needs a running loop clock, which
    a frozen clock stops; the bytes-to-reading path is tested in test_ha_han.py.
    """

    def __init__(self, hass: HomeAssistant, start: dt.datetime) -> None:
        self.hass = hass
        self.start = start
        self.sim = HanSimulator(Maker.KAIFA, start=start, seed=3)
        self.sim.physics.phase_power = [POWER_W / 3] * 3
        self.decoder = HanStreamDecoder(Transport.HDLC)
        self._pushes: Iterator[Push] = self.sim.pushes()
        self._next = next(self._pushes)
        self._frozen: Any = None
        self.freezer: Any = None

    def freeze(self, at: dt.datetime | None = None) -> None:
        """Freeze the clock at the meter's time (after the set-up: it waits on real timers)."""
        self._frozen = freezegun.freeze_time((at or self.start).replace(tzinfo=OSLO))
        self.freezer = self._frozen.start()

    def thaw(self) -> None:
        """Let the clock run again."""
        if self._frozen is not None:
            self._frozen.stop()
            self._frozen = None

    async def play(self, until: dt.datetime, *, write: bool = True) -> None:
        """Push up to ``until`` (meter time); ``write=False``: the line is dead (an outage).

        List 1 (every 2 s, power only) is left out: list 2 brings the same power every 10 s.
        """
        coordinator = self.entry.runtime_data.coordinator
        while self._next.moment <= until:
            push, self._next = self._next, next(self._pushes)
            self.freezer.move_to(push.moment.replace(tzinfo=OSLO))
            if not write or push.list_number == 1:
                continue
            for result in self.decoder.feed(push.data):
                coordinator._on_result(result)  # as the listener does
        self.freezer.move_to(until.replace(tzinfo=OSLO))
        async_fire_time_changed(self.hass)
        await self.hass.async_block_till_done()

    entry: MockConfigEntry
    endpoint: PtyEndpoint


_FROZEN: list[SteadyMeter] = []  # meters that may hold the clock when a test ends


@pytest.fixture(autouse=True)
def thawed_at_the_end(hass: HomeAssistant) -> Iterator[None]:
    """Let the clock run before Home Assistant's teardown, which waits on real timers.

    Without it a test failing with the clock frozen hangs until the suite's timeout instead of
    failing (it needs ``hass`` so that its teardown comes first).
    """
    yield
    while _FROZEN:
        _FROZEN.pop().thaw()


async def _meter(hass: HomeAssistant, start: dt.datetime, options: dict[str, Any]) -> SteadyMeter:
    await hass.config.async_set_time_zone("Europe/Oslo")
    hass.config.currency = "NOK"
    meter = SteadyMeter(hass, start)
    _FROZEN.append(meter)
    meter.endpoint = endpoint = await open_pty()  # opened by the set-up, silent
    meter.entry = MockConfigEntry(
        domain=DOMAIN,
        data=han_entry_data(endpoint.path),
        options=options,
        unique_id=endpoint.path,
        entry_id=ENTRY_ID,
    )
    meter.entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(meter.entry.entry_id)
    await hass.async_block_till_done()
    meter.freeze()
    return meter


def _options(**extra: Any) -> dict[str, Any]:
    return {
        CONF_CAPACITY: True,
        CONF_SETTLEMENT_MINUTES: 60,
        CONF_CAPACITY_LADDER: LADDER,
        CONF_PRICE_ENTITY: None,
        CONF_GRID_ENERGY_PRICE: None,
        CONF_STEP_PRICES: [],
        **extra,
    }


def _state(hass: HomeAssistant, key: str) -> State:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{METER}-{key}")
    assert entity_id is not None, key
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


def _value(hass: HomeAssistant, key: str) -> float:
    return float(_state(hass, key).state)


def _store(
    periods: dict[str, float | None],
    registers: list[list[Any]],
    live: dict[str, Any] | None,
    last_sample: list[Any] | None,
    ledger: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "version": 1,
        "minor_version": 1,
        "key": STORE_KEY,
        "data": {
            "meter_id": METER,
            "meter": {
                "version": 1,
                "minutes": 60,
                "periods": {utc(k): v for k, v in periods.items()},
                "live": live,
                "last_sample": last_sample,
                "registers": registers,
            },
            "ledger": ledger or {},
        },
    }


# The month before the test's day (local times): three days whose best hours were 6, 5, 4 kWh.
DECEMBER_DAYS = {
    "2026-12-05T17:00+01:00": 6.0,
    "2026-12-05T18:00+01:00": 2.0,  # a second hour on the 5th: only the 6.0 counts
    "2026-12-06T17:00+01:00": 5.0,
    "2026-12-07T08:00+01:00": 4.0,
}
# Before the restart: the hour from 10:00 local had run with full coverage; the register at
# 10:00 read 12 342.678 kWh.
DECEMBER_STORE = _store(
    DECEMBER_DAYS,
    [[utc("2026-12-09T10:00+01:00"), 12342.678, 10.0]],
    {"start": utc("2026-12-09T10:00+01:00"), "energy_kwh": 3.0, "complete": True},
    [utc("2026-12-09T10:59:35+01:00"), 3.6],
    {
        "total": 100.0,
        "priced_until": utc("2026-12-09T10:00+01:00"),
        "step_charged": {"2026-12": 2},
        "prices": {utc("2026-12-09T10:00+01:00"): 1.5},
    },
)


async def test_options_flow_turns_the_tariff_on_and_checks_the_ladder(hass):
    entry = MockConfigEntry(domain=DOMAIN, data=han_entry_data("/dev/ttyUSB9"))
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "han"
    # Steps must rise: 5 then 2 is refused with a translated error.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_CAPACITY: True, CONF_SETTLEMENT_MINUTES: "15", CONF_CAPACITY_LADDER: "5, 2"},
    )
    assert result["errors"] == {CONF_CAPACITY_LADDER: "ladder_invalid"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_CAPACITY: True, CONF_SETTLEMENT_MINUTES: "15", CONF_CAPACITY_LADDER: "2, 5; 10"},
    )
    assert result["step_id"] == "han_prices"
    assert result["description_placeholders"] == {"steps": "4"}  # 0-2, 2-5, 5-10, 10+
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_STEP_PRICES: "1, 2, 3"}
    )
    assert result["errors"] == {CONF_STEP_PRICES: "step_prices_invalid"}  # 3 prices, 4 steps
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_PRICE_ENTITY: "sensor.spot",
            CONF_GRID_ENERGY_PRICE: 0.35,
            CONF_STEP_PRICES: "100, 200, 300, 400",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(entry.options) == {
        CONF_CAPACITY: True,
        CONF_SETTLEMENT_MINUTES: 15,
        CONF_CAPACITY_LADDER: [2.0, 5.0, 10.0],
        CONF_PRICE_ENTITY: "sensor.spot",
        CONF_GRID_ENERGY_PRICE: 0.35,
        CONF_STEP_PRICES: [100.0, 200.0, 300.0, 400.0],
    }


async def test_options_flow_default_ladder_and_tariff_off(hass):
    entry = MockConfigEntry(domain=DOMAIN, data=han_entry_data("/dev/ttyUSB9"))
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    schema = {str(key): key.default() for key in result["data_schema"].schema}
    assert schema == {
        CONF_CAPACITY: False,
        CONF_SETTLEMENT_MINUTES: "60",
        CONF_CAPACITY_LADDER: "2, 5, 10, 15, 20, 25, 50, 75, 100",
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], schema)
    assert result["type"] is FlowResultType.CREATE_ENTRY  # no prices asked when off
    assert entry.options[CONF_CAPACITY] is False


async def test_sensors_over_pushed_frames_restart_outage_and_cost(hass, hass_storage):
    hass_storage[STORE_KEY] = DECEMBER_STORE
    hass.states.async_set("sensor.spot", "1.5")
    options = _options(
        **{
            CONF_PRICE_ENTITY: "sensor.spot",
            CONF_GRID_ENERGY_PRICE: 0.5,
            CONF_STEP_PRICES: STEP_PRICES,
        }
    )
    meter = await _meter(hass, dt.datetime(2026, 12, 9, 10, 59, 40), options)
    await meter.play(dt.datetime(2026, 12, 9, 11, 20))

    # The hour 10-11 is the registers' difference: 12 345.708 - 12 342.678 = 3.030 kWh.
    assert meter.entry.runtime_data.coordinator is not None
    # This hour so far: 3.6 kW x 20 min = 1.2 kWh; projected: 1.2 + 3.6 x 40/60 = 3.6 kWh.
    assert _value(hass, "capacity_period_energy") == pytest.approx(1.2)
    assert _value(hass, "capacity_period_projection") == pytest.approx(3.6)
    period = _state(hass, "capacity_period_energy").attributes
    assert period["minutes_left"] == 40
    assert period["period_end"] == "2026-12-09T12:00:00+01:00"
    # Top three days 6, 5, 4 (the 5th's second hour and today's 3.03 do not count): 5.0 kW.
    average = _state(hass, "capacity_peak_average")
    assert float(average.state) == pytest.approx(5.0)
    assert [(p["start"], p["kwh"]) for p in average.attributes["peaks"]] == [
        ("2026-12-05T17:00:00+01:00", 6.0),
        ("2026-12-06T17:00:00+01:00", 5.0),
        ("2026-12-07T08:00:00+01:00", 4.0),
    ]
    assert average.attributes["missing_periods"] == 0
    assert average.attributes["source"] == "store"
    assert [_value(hass, f"capacity_peak_{rank}") for rank in (1, 2, 3)] == [6.0, 5.0, 4.0]
    # Step 3 of the ladder is 5-10 kW; the projected 3.6 stays below the third day's 4.
    assert _value(hass, "capacity_step") == 3
    step = _state(hass, "capacity_step").attributes
    assert (step["lower_kw"], step["upper_kw"]) == (5.0, 10.0)
    assert _value(hass, "capacity_projected_step") == 3
    # Headroom: up to the third day's 4 kWh: 4 - 1.2 = 2.8; below 10 kW: 30 - 6 - 5 - 1.2 = 17.8.
    assert _value(hass, "capacity_headroom") == pytest.approx(2.8)
    assert _value(hass, "capacity_step_headroom") == pytest.approx(17.8)
    # Cost: the stored 100 + the settled hour 10-11 at its noted price: 3.03 x (1.5 + 0.5).
    cost = _state(hass, "capacity_cost")
    assert float(cost.state) == pytest.approx(106.06)
    assert cost.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.MONETARY
    assert cost.attributes[ATTR_STATE_CLASS] == "total"
    assert cost.attributes[ATTR_UNIT_OF_MEASUREMENT] == "NOK"
    # Without a price the cost is unavailable rather than guessed.
    hass.states.async_set("sensor.spot", STATE_UNAVAILABLE)
    await meter.play(dt.datetime(2026, 12, 9, 11, 20, 10))
    assert _state(hass, "capacity_cost").state == STATE_UNAVAILABLE

    # An outage from 11:20 to 12:10: the hour 11-12 has no register at 12:00 and a gap, so it
    # is missing (marked, never 0); the running hour from 12:00 is unknown after its gap.
    await meter.play(dt.datetime(2026, 12, 9, 12, 10), write=False)
    await meter.play(dt.datetime(2026, 12, 9, 12, 20))
    average = _state(hass, "capacity_peak_average")
    assert average.attributes["missing_periods"] == 1
    assert average.attributes["missing_period_starts"] == ["2026-12-09T11:00:00+01:00"]
    assert float(average.state) == pytest.approx(5.0)
    assert _state(hass, "capacity_period_energy").state == STATE_UNKNOWN
    assert _state(hass, "capacity_headroom").state == STATE_UNKNOWN
    # The diagnostics summarise the same month (the figures above, not re-derived).
    capacity = (await async_get_config_entry_diagnostics(hass, meter.entry))["capacity_tariff"]
    assert (capacity["period_minutes"], capacity["ladder_kw"]) == (60, LADDER)
    assert (capacity["priced"], capacity["source"], capacity["step"]) == (True, "store", 3)
    assert [dt.datetime.fromisoformat(s) for s in capacity["missing_periods"]] == [
        dt.datetime(2026, 12, 9, 11, tzinfo=OSLO)
    ]
    assert [peak["kw"] for peak in capacity["top_peaks"]] == [6.0, 5.0, 4.0]
    assert capacity["cost_total"] == pytest.approx(106.06)
    assert METER.removeprefix("HAN-") not in str(capacity)  # no meter ID

    # A restart: the month comes back from the store as it was.
    meter.thaw()  # unloading and setting up wait on real timers
    assert await hass.config_entries.async_unload(meter.entry.entry_id)
    stored = hass_storage[STORE_KEY]["data"]["meter"]["periods"]
    assert stored[utc("2026-12-09T10:00+01:00")] == pytest.approx(3.03)
    assert stored[utc("2026-12-09T11:00+01:00")] is None
    assert await hass.config_entries.async_setup(meter.entry.entry_id)
    await hass.async_block_till_done()
    meter.freeze(dt.datetime(2026, 12, 9, 12, 20))
    await meter.play(dt.datetime(2026, 12, 9, 12, 21))
    average = _state(hass, "capacity_peak_average")
    assert float(average.state) == pytest.approx(5.0)
    assert average.attributes["missing_periods"] == 1
    meter.thaw()
    await hass.config_entries.async_unload(meter.entry.entry_id)
    await meter.endpoint.close()


async def test_the_month_rolls_over_at_local_midnight(hass, hass_storage):
    # November: 6, 5, 4 kWh days. The hour 23-24 on 30 November runs across the midnight
    # into December; December then starts with nothing: no average yet, step 1, and the
    # headroom to step 2 (2 kW) is 3 x 2 - 0 - 0 = 6 kWh minus the 10 minutes so far
    # (3.6 kW x 10/60 = 0.6 kWh): 5.4 kWh.
    hass_storage[STORE_KEY] = _store(
        {
            "2026-11-10T17:00+01:00": 6.0,
            "2026-11-11T17:00+01:00": 5.0,
            "2026-11-12T17:00+01:00": 4.0,
        },
        [],
        None,
        None,
    )
    meter = await _meter(hass, dt.datetime(2026, 11, 30, 23, 50), _options())
    await meter.play(dt.datetime(2026, 11, 30, 23, 55))
    assert _value(hass, "capacity_peak_average") == pytest.approx(5.0)
    await meter.play(dt.datetime(2026, 12, 1, 0, 10))
    assert _state(hass, "capacity_peak_average").state == STATE_UNKNOWN
    assert _state(hass, "capacity_peak_average").attributes["peaks"] == []
    assert _value(hass, "capacity_step") == 1
    assert _value(hass, "capacity_period_energy") == pytest.approx(0.6)
    assert _value(hass, "capacity_step_headroom") == pytest.approx(5.4)
    meter.thaw()
    await hass.config_entries.async_unload(meter.entry.entry_id)
    await meter.endpoint.close()


async def test_quarter_hour_settlement(hass):
    # 15-minute periods, no store. The first samples come at 10:59:50, so the quarter from
    # 10:45 is missing. 11:00-11:15 at 3.6 kW: 0.9 kWh, i.e. 3.6 kW; the month's average is
    # (3.6 + 0 + 0) / 3 = 1.2 kW, step 1 (0-2 kW). At 11:20: 3.6 kW x 5 min = 0.3 kWh so far,
    # projected 0.3 + 3.6 x 10/60 = 0.9. Headroom to the day's 0.9 kWh quarter: 0.6 kWh; to
    # step 2 (2 kW): today may reach 3 x 2 = 6 kW, 1.5 kWh a quarter: 1.5 - 0.3 = 1.2 kWh.
    # Projected: one day so far, at 3.6 kW: step 2 (2-5 kW).
    meter = await _meter(
        hass, dt.datetime(2026, 12, 9, 10, 59, 40), _options(**{CONF_SETTLEMENT_MINUTES: 15})
    )
    await meter.play(dt.datetime(2026, 12, 9, 11, 20))
    assert _value(hass, "capacity_period_energy") == pytest.approx(0.3)
    assert _value(hass, "capacity_period_projection") == pytest.approx(0.9)
    period = _state(hass, "capacity_headroom").attributes
    assert (period["period_minutes"], period["minutes_left"]) == (15, 10)
    assert period["period_end"] == "2026-12-09T11:30:00+01:00"
    assert _value(hass, "capacity_peak_1") == pytest.approx(3.6)
    assert _value(hass, "capacity_peak_average") == pytest.approx(1.2)
    assert _state(hass, "capacity_peak_average").attributes["missing_period_starts"] == [
        "2026-12-09T10:45:00+01:00"
    ]
    assert _value(hass, "capacity_step") == 1
    assert _value(hass, "capacity_headroom") == pytest.approx(0.6)
    assert _value(hass, "capacity_step_headroom") == pytest.approx(1.2)
    assert _value(hass, "capacity_projected_step") == 2
    meter.thaw()
    await hass.config_entries.async_unload(meter.entry.entry_id)
    await meter.endpoint.close()


async def test_options_flow_prices_can_be_cleared(hass):
    """Prices given before are suggested, and an emptied field is stored as empty."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=han_entry_data("/dev/ttyUSB9"),
        options=_options(**{CONF_PRICE_ENTITY: "sensor.spot", CONF_GRID_ENERGY_PRICE: 0.4}),
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_CAPACITY: True, CONF_SETTLEMENT_MINUTES: "60", CONF_CAPACITY_LADDER: "2, 5"},
    )
    suggested = {
        str(key): key.description["suggested_value"] for key in result["data_schema"].schema
    }
    assert suggested == {
        CONF_PRICE_ENTITY: "sensor.spot",
        CONF_GRID_ENERGY_PRICE: 0.4,
        CONF_STEP_PRICES: "",
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_PRICE_ENTITY] is None
    assert entry.options[CONF_GRID_ENERGY_PRICE] is None
    assert entry.options[CONF_CAPACITY_LADDER] == [2.0, 5.0]


async def test_a_removed_entry_takes_its_capacity_month_along(hass, hass_storage):
    hass_storage[STORE_KEY] = _store(DECEMBER_DAYS, [], None, None)
    entry = MockConfigEntry(
        domain=DOMAIN, data=han_entry_data("/dev/ttyUSB9"), options=_options(), entry_id=ENTRY_ID
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert STORE_KEY not in hass_storage
