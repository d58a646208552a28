"""A replaced meter keeps its history: end to end with the recorder (issue 18, part 2).

The recorder compiles the statistics the energy dashboard draws; each test writes readings in
known 5-minute periods (Home Assistant's clock for states is set by hand, the event loop's runs
on), compiles them, and compares the rows with sums worked out by hand from the readings.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from ha_helpers import SLB_ID, entry_device, han_entry_data, mbus_entry_data, push_until, wait_until
from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers import restore_state
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.protocol.mbus.encode import Identity
from custom_components.mbus_han.protocol.mbus.simulator import HeatMeterModel, SimulatedMeter
from custom_components.mbus_han.replacement import replaced_issue_id

OLD_ID = "SLB-12345678"
NEW_ID = "SLB-87654321"
T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # the start of the first statistics period


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_db_url: str, enable_custom_integrations: None) -> None:
    """The folder's own fixture, with the recorder's database prepared before ``hass``."""


class StateClock:
    """The wall clock Home Assistant stamps states with (``time.time``), set by the test.

    The event loop's clock (``time.monotonic``) is left alone: the bus master's answer
    windows and the HAN listener run on it.
    """

    def __init__(self) -> None:
        self.now = T0

    def at(self, minutes: float) -> None:
        self.now = T0 + timedelta(minutes=minutes)

    def time(self) -> float:
        return self.now.timestamp()


@pytest.fixture
def state_clock() -> Iterator[StateClock]:
    clock = StateClock()
    with (
        patch("time.time", side_effect=clock.time),
        patch("homeassistant.helpers.entity.timer", side_effect=clock.time),  # bound at import
    ):
        yield clock


async def _compile(hass: HomeAssistant, *periods: int) -> None:
    """Compile the 5-minute statistics of the periods starting ``periods`` minutes after T0."""
    await async_wait_recording_done(hass)
    for minutes in periods:
        do_adhoc_statistics(hass, start=T0 + timedelta(minutes=minutes))
        await async_wait_recording_done(hass)


async def _rows(hass: HomeAssistant, entity_id: str) -> list[tuple[int, float, float]]:
    """(minutes after T0, state, sum) of every 5-minute statistics row of ``entity_id``."""
    stats: dict[str, list[Any]] = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        T0 - timedelta(hours=1),
        None,
        {entity_id},
        "5minute",
        None,
        {"state", "sum"},
    )
    rows = []
    for row in stats.get(entity_id, []):
        start = row["start"]
        start = start if isinstance(start, float) else start.timestamp()
        minutes = round((start - T0.timestamp()) / 60)
        rows.append((minutes, round(row["state"], 6), round(row["sum"], 6)))
    return rows


async def _fix(hass: HomeAssistant, hass_client: Any, issue_id: str, choice: str) -> dict:
    """Answer the repair issue's fix flow as the user does in Settings > Repairs."""
    client = await hass_client()
    started = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert started.status == 200, await started.text()
    menu = await started.json()
    assert menu["type"] == "menu"
    assert menu["menu_options"] == ["carry_over", "keep_both"]
    answered = await client.post(
        f"/api/repairs/issues/fix/{menu['flow_id']}", json={"next_step_id": choice}
    )
    assert answered.status == 200, await answered.text()
    result = await answered.json()
    await hass.async_block_till_done()
    return result


def _heat_meter(serial: int, energy_kwh: float, clock: list[float]) -> SimulatedMeter:
    identity = Identity(serial, "SLB", 0x1A, 0x04)
    model = HeatMeterModel(identity, clock=lambda: clock[0], seed=1, energy_kwh=energy_kwh)
    return SimulatedMeter(model, 0)


async def _poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """One poll; once more if the bus missed an answer the test's own loop held up.

    The simulated meter answers on the test's event loop, within the ~30 ms window of 38400
    baud: a step of the recorder or a garbage collection holding that loop longer loses
    the answer (seen once in a full run: "no answer, unexpected AckFrame, no answer"), which
    a real meter on its own wire would not. A meter that never answers still fails.
    """
    coordinator = entry.runtime_data.coordinator
    await coordinator.async_refresh()
    if not coordinator.last_update_success:
        await coordinator.async_refresh()
    await hass.async_block_till_done()


def _energy_entity(hass: HomeAssistant, meter: str) -> str | None:
    return er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{meter}-energy")


async def _replaced_mbus_meter(
    hass: HomeAssistant, bus_factory: Any, clock: list[float], state_clock: StateClock
) -> tuple[MockConfigEntry, Any, str]:
    """An old heat meter read twice, then a new one answering at its primary address 0."""
    assert await async_setup_component(hass, "repairs", {})
    old = _heat_meter(SLB_ID, 45678.0, clock)
    bus, port = await bus_factory(old)
    state_clock.at(1)
    entry = MockConfigEntry(domain=DOMAIN, data=mbus_entry_data(port, ["0"]), unique_id=port)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    energy = _energy_entity(hass, OLD_ID)
    assert energy is not None
    assert float(hass.states.get(energy).state) == 45678.0
    state_clock.at(2)
    old.source.energy_kwh = 45680.0  # the old meter's final reading
    await _poll(hass, entry)
    # The heat meter is exchanged: a new one, 2 kWh on its register (the meter writes whole
    # kWh), at the same address.
    bus.meters[0] = _heat_meter(87654321, 2.0, clock)
    state_clock.at(6)
    await _poll(hass, entry)
    return entry, bus, energy


async def test_replaced_heat_meter_carries_its_history_over(
    recorder_mock, hass, hass_client, bus_factory, clock, state_clock
):
    entry, bus, energy = await _replaced_mbus_meter(hass, bus_factory, clock, state_clock)
    # Noticed: the question is asked, both devices exist, the old entity is not fed the new
    # meter's 2 kWh (it would step the total back), the new meter has its own entity.
    issue_id = replaced_issue_id(entry.entry_id, OLD_ID)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_key == "meter_replaced"
    assert hass.states.get(energy).state == STATE_UNAVAILABLE
    new_own = _energy_entity(hass, NEW_ID)
    assert new_own is not None
    assert new_own != energy
    assert float(hass.states.get(new_own).state) == 2.0
    # The user answers a little later; the new meter has counted 1 kWh meanwhile.
    state_clock.at(7)
    bus.meters[0].source.energy_kwh = 3.0
    await _poll(hass, entry)
    assert float(hass.states.get(new_own).state) == 3.0

    state_clock.at(8)
    result = await _fix(hass, hass_client, issue_id, "carry_over")
    assert result["type"] == "create_entry"
    # The entity id stays, now fed by the new meter; the new meter's own entity is gone and so
    # is the old device; the question is answered.
    assert _energy_entity(hass, NEW_ID) == energy
    assert er.async_get(hass).async_get(new_own) is None
    assert entry_device(hass, entry.entry_id, OLD_ID) is None
    assert entry_device(hass, entry.entry_id, NEW_ID) is not None
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    # Hand calculation: the total goes on from the old meter's final 45680.0 kWh, plus what
    # the new meter counted from its first reading (2 kWh) on, the wait included.
    assert float(hass.states.get(energy).state) == 45681.0  # 45680.0 + (3.0 - 2.0)
    state_clock.at(11)
    bus.meters[0].source.energy_kwh = 5.0
    await _poll(hass, entry)
    assert float(hass.states.get(energy).state) == 45683.0  # 45680.0 + (5.0 - 2.0)

    await _compile(hass, 0, 5, 10)
    # Rows before and after the exchange; the sum is 2 kWh from the old meter (45678 ->
    # 45680) and then 3 kWh from the new one (2 -> 5): no step back, no jump of 45680.
    assert await _rows(hass, energy) == [
        (0, 45680.0, 2.0),
        (5, 45681.0, 3.0),
        (10, 45683.0, 5.0),
    ]
    # After a restart the offset holds (it is kept in the entry), and the total with it.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert float(hass.states.get(energy).state) == 45683.0


async def test_the_final_total_outlives_the_restored_state(
    recorder_mock, hass, hass_client, bus_factory, clock, state_clock
):
    """A user may answer weeks later: restored states are gone after a week, the total not."""
    entry, bus, energy = await _replaced_mbus_meter(hass, bus_factory, clock, state_clock)
    issue_id = replaced_issue_id(entry.entry_id, OLD_ID)
    assert await hass.config_entries.async_unload(entry.entry_id)
    restore_state.async_get(hass).last_states.clear()  # what a week without the entity does

    result = await _fix(hass, hass_client, issue_id, "carry_over")
    assert result["type"] == "create_entry"
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    # The old meter's final 45680 kWh, noticed at the exchange, plus 0 so far.
    assert float(hass.states.get(energy).state) == 45680.0
    bus.meters[0].source.energy_kwh = 5.0
    await _poll(hass, entry)
    assert float(hass.states.get(energy).state) == 45683.0  # 45680.0 + (5.0 - 2.0)


async def test_two_different_meters_are_kept_apart(
    recorder_mock, hass, hass_client, bus_factory, clock, state_clock
):
    entry, _, energy = await _replaced_mbus_meter(hass, bus_factory, clock, state_clock)
    issue_id = replaced_issue_id(entry.entry_id, OLD_ID)
    new_own = _energy_entity(hass, NEW_ID)

    result = await _fix(hass, hass_client, issue_id, "keep_both")
    assert result["type"] == "create_entry"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    # Both meters keep their devices and entities, also after a restart (the old device is
    # no stale device: the user said it is another meter).
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry_device(hass, entry.entry_id, OLD_ID) is not None
    assert entry_device(hass, entry.entry_id, NEW_ID) is not None
    assert _energy_entity(hass, OLD_ID) == energy
    assert _energy_entity(hass, NEW_ID) == new_own
    assert float(hass.states.get(new_own).state) == 2.0
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None

    await _compile(hass, 0, 5)
    # The old meter's history ends at its final reading: 45678 -> 45680 is 2 kWh.
    assert await _rows(hass, energy) == [(0, 45680.0, 2.0), (5, 45680.0, 2.0)]
    # The new meter's history starts at its first reading: nothing counted yet.
    assert await _rows(hass, new_own) == [(5, 2.0, 0.0)]


async def test_the_recorder_takes_a_drop_as_a_new_cycle(recorder_mock, hass, state_clock):
    """What Home Assistant's recorder does with a counter that drops: why we offset.

    A total-increasing counter falling below 90 % of its last value starts a new cycle, which
    the recorder counts from zero (sensor/recorder.py): a new meter's first reading of 0.5 kWh
    would be counted as 0.5 kWh used, and one of 5,000 kWh (a refurbished meter) as 5,000.
    """
    assert await async_setup_component(hass, "sensor", {})
    attributes = {
        "state_class": "total_increasing",
        "device_class": "energy",
        "unit_of_measurement": "kWh",
    }
    for minutes, state in ((1, "45678.0"), (2, "45680.0"), (6, "0.5"), (11, "3.5")):
        state_clock.at(minutes)
        hass.states.async_set("sensor.meter", state, attributes)
    await _compile(hass, 0, 5, 10)
    # 45678 -> 45680: 2; the drop to 0.5 opens a cycle counted from 0: +0.5; then +3.
    assert await _rows(hass, "sensor.meter") == [
        (0, 45680.0, 2.0),
        (5, 0.5, 2.5),
        (10, 3.5, 5.5),
    ]


async def test_replaced_han_meter_carries_its_history_over(
    recorder_mock, hass, hass_client, han_factory, state_clock
):
    assert await async_setup_component(hass, "repairs", {})
    line = await han_factory()
    old_id = f"HAN-{line.sim.meter_id}"
    state_clock.at(1)
    entry = MockConfigEntry(domain=DOMAIN, data=han_entry_data(line.path), unique_id=line.path)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    registry = er.async_get(hass)

    def energy_of(meter: str) -> str | None:
        return registry.async_get_entity_id("sensor", DOMAIN, f"{meter}-1-0:1.8.0.255")

    def state_of(entity_id: str | None) -> str | None:
        state = hass.states.get(entity_id) if entity_id else None
        return None if state is None else state.state

    # The old meter's hourly energies (list 3, 11:00:10 on the meter's clock).
    await line.send_until(3)
    await wait_until(hass, lambda: state_of(energy_of(old_id)) not in (None, "unknown"))
    energy = energy_of(old_id)
    # The simulator's ground truth: Kaifa sends import energy in whole Wh.
    old_final_kwh = int(line.sim.physics.energy_import_wh) / 1000
    assert float(state_of(energy)) == old_final_kwh

    # The grid company exchanges the meter: another meter ID in list 2, its register at 1 MWh.
    line.sim.meter_id = "6970631499999999"
    line.sim.physics.energy_import_wh = 1_000_000.0
    new_id = f"HAN-{line.sim.meter_id}"
    state_clock.at(6)
    issue_id = replaced_issue_id(entry.entry_id, old_id)
    await push_until(
        hass,
        lambda: line.send_until(2),
        lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None,
    )
    assert state_of(energy) == STATE_UNAVAILABLE  # not the new meter's: it is another meter
    assert entry_device(hass, entry.entry_id, new_id) is not None

    state_clock.at(7)
    result = await _fix(hass, hass_client, issue_id, "carry_over")
    assert result["type"] == "create_entry"
    assert entry_device(hass, entry.entry_id, old_id) is None
    assert energy_of(new_id) == energy
    # Back with the new meter's first push, showing the old meter's final total (restored)
    # until the new meter's hourly list.
    await push_until(
        hass, lambda: line.send_until(2), lambda: state_of(energy) != STATE_UNAVAILABLE
    )
    assert float(state_of(energy)) == old_final_kwh

    # The new meter's first hourly energies fix the offset: the total does not move.
    state_clock.at(8)
    await line.send_next_of(3)
    first_wh = int(line.sim.physics.energy_import_wh)
    carried = f"{new_id}-1-0:1.8.0.255"
    await wait_until(hass, lambda: entry.data["carried"][carried][:1] not in ("", "="))
    assert float(state_of(energy)) == pytest.approx(old_final_kwh, abs=1e-9)
    # An hour later: the old total plus what the new meter counted (hand: its two registers).
    state_clock.at(11)
    await line.send_next_of(3)
    then_wh = int(line.sim.physics.energy_import_wh)
    expected_kwh = old_final_kwh + (then_wh - first_wh) / 1000
    await wait_until(hass, lambda: float(state_of(energy)) != old_final_kwh)
    assert float(state_of(energy)) == pytest.approx(expected_kwh, abs=1e-6)
    assert then_wh - first_wh > 0

    await _compile(hass, 0, 5, 10)
    rows = await _rows(hass, energy)
    assert [minutes for minutes, _, _ in rows] == [0, 5, 10]
    assert rows[0][2] == 0.0  # the first reading is the zero point
    assert rows[1][2] == 0.0  # the exchange: no step (neither -old total nor +1 MWh)
    assert rows[2][2] == pytest.approx((then_wh - first_wh) / 1000, abs=1e-6)


async def test_an_undecided_replacement_survives_a_restart_and_an_undone_swap_withdraws_it(
    recorder_mock, hass, bus_factory, clock, state_clock
):
    entry, bus, energy = await _replaced_mbus_meter(hass, bus_factory, clock, state_clock)
    issue_id = replaced_issue_id(entry.entry_id, OLD_ID)
    # A restart while the user has not answered: the old device is no stale device, and the
    # question is asked again.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry_device(hass, entry.entry_id, OLD_ID) is not None
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    # The installer puts the old meter back: there is nothing to decide any more, and its
    # entity goes on with its own readings.
    bus.meters[0] = _heat_meter(SLB_ID, 45681.0, clock)
    await _poll(hass, entry)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert float(hass.states.get(energy).state) == 45681.0


async def test_a_han_meter_said_to_be_another_meter_is_kept_apart(
    recorder_mock, hass, hass_client, han_factory, state_clock
):
    assert await async_setup_component(hass, "repairs", {})
    line = await han_factory()
    old_id = f"HAN-{line.sim.meter_id}"
    entry = MockConfigEntry(domain=DOMAIN, data=han_entry_data(line.path), unique_id=line.path)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await line.send_until(3)
    registry = er.async_get(hass)
    await wait_until(
        hass,
        lambda: (
            registry.async_get_entity_id("sensor", DOMAIN, f"{old_id}-1-0:1.8.0.255") is not None
        ),
    )
    old_energy = registry.async_get_entity_id("sensor", DOMAIN, f"{old_id}-1-0:1.8.0.255")

    line.sim.meter_id = "6970631499999999"
    new_id = f"HAN-{line.sim.meter_id}"
    issue_id = replaced_issue_id(entry.entry_id, old_id)
    await push_until(
        hass,
        lambda: line.send_until(2),
        lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None,
    )
    result = await _fix(hass, hass_client, issue_id, "keep_both")
    assert result["type"] == "create_entry"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert entry_device(hass, entry.entry_id, old_id) is not None
    assert entry_device(hass, entry.entry_id, new_id) is not None
    # Each meter its own energy entity; the old one stays unavailable, not fed the new readings.
    new_energy = registry.async_get_entity_id("sensor", DOMAIN, f"{new_id}-1-0:1.8.0.255")
    assert new_energy is not None
    assert new_energy != old_energy
    assert hass.states.get(old_energy).state == STATE_UNAVAILABLE


async def test_a_meter_replaced_twice_goes_on_from_the_carried_total(
    recorder_mock, hass, hass_client, bus_factory, clock, state_clock
):
    entry, bus, energy = await _replaced_mbus_meter(hass, bus_factory, clock, state_clock)
    await _fix(hass, hass_client, replaced_issue_id(entry.entry_id, OLD_ID), "carry_over")
    bus.meters[0].source.energy_kwh = 5.0
    await _poll(hass, entry)
    assert float(hass.states.get(energy).state) == 45683.0  # 45680 + (5 - 2)
    # Years later the second meter is exchanged too: a third one at 1 kWh.
    bus.meters[0] = _heat_meter(11223344, 1.0, clock)
    await _poll(hass, entry)
    await _fix(hass, hass_client, replaced_issue_id(entry.entry_id, NEW_ID), "carry_over")
    assert float(hass.states.get(energy).state) == 45683.0  # the carried total, not 5 kWh
    bus.meters[0].source.energy_kwh = 4.0
    await _poll(hass, entry)
    assert float(hass.states.get(energy).state) == 45686.0  # 45683 + (4 - 1)
    assert _energy_entity(hass, "SLB-11223344") == energy
    assert not [key for key in entry.data["carried"] if key.startswith(f"{NEW_ID}-")]
