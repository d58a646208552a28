"""Each hour's energy in that hour of the recorder's statistics, against the simulator's truth.

A day of a Kaifa meter (HAN simulator, varying load) goes through the integration with the
recorder running; the integration is reloaded from 08:58:30 to 09:01:30 (as a restart: its
sums read back from the recorder, the power it saw stored, the 09:00 register missed) and the
port is lost for 20 minutes across 16:00. Every hourly
row of ``mbus_han:han_<meter>_energy_import`` must be within 1 % (or 0.01 kWh) of what the
simulated meter counted in that hour (its model's counter at the hour boundaries). The two
hours around each gap are split from the gap's exact total and marked estimated; they too must
be within 1 %.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from unittest.mock import patch

import pytest
from energy_day import (
    KAIFA_ID,
    Window,
    local,
    replay_day,
)
from ha_helpers import han_entry_data
from homeassistant.components.recorder.models import StatisticMeanType, StatisticMetaData
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.mbus_han import hour_statistics
from custom_components.mbus_han.billing.hours import HourBooker
from custom_components.mbus_han.const import CONF_SETTLEMENT_MINUTES, DOMAIN
from custom_components.mbus_han.protocol.han.simulator import Maker, Wiring

# Only the statistics matter here: recording every entity's states would only slow it down.
NO_STATES = {"exclude": {"domains": ["sensor", "binary_sensor"]}}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_mock, enable_custom_integrations) -> None:
    """The recorder must come before Home Assistant itself (conftest's would start it first)."""


@pytest.mark.parametrize("recorder_config", [NO_STATES])
async def test_every_hour_of_a_day_is_booked_in_its_own_hour(
    recorder_mock, hass: HomeAssistant, hass_client, hass_storage, han_factory
) -> None:
    await hass.config.async_set_time_zone("Europe/Oslo")  # where the meter's clock runs
    line = await han_factory(Maker.KAIFA, Wiring.THREE_PHASE)  # a port to open; we feed pushes
    entry = MockConfigEntry(domain=DOMAIN, data=han_entry_data(line.path), unique_id=line.path)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    windows = [
        Window(local(8, 58, 30), local(9, 1, 30), "restart"),  # the 09:00 register is missed
        Window(local(15, 50), local(16, 10), "outage"),  # the 16:00 register is lost
    ]
    result = await replay_day(hass, entry, windows)

    assert sorted(result.truth_kwh) == [local(hour) for hour in range(24)]
    assert sorted(result.ours_kwh) == sorted(result.truth_kwh)  # every hour has its row
    for hour, truth in result.truth_kwh.items():
        ours = result.ours_kwh[hour]
        assert abs(ours - truth) <= max(0.01 * truth, 0.01), (hour, ours, truth)
    # the two hours around each gap are the only ones split from a gap (UTC: local - 1 h)
    assert [h[11:16] for h in result.estimated] == ["07:00", "08:00", "14:00", "15:00"]

    # diagnostics name the registers and the estimated hours, but not the meter ID
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    hours = diagnostics["hour_statistics"]
    assert hours["statistics"] == [
        "energy_export",
        "energy_import",
        "reactive_energy_export",
        "reactive_energy_import",
    ]
    assert len(hours["estimated_hours"]) == 16  # 08, 09, 15 and 16 of each register
    assert KAIFA_ID not in str(hours)

    # the power seen since the last register is stored at unload; removing the entry forgets it
    key = f"{DOMAIN}.hours.{entry.entry_id}"
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert f"{DOMAIN}:han_{KAIFA_ID}_energy_import" in hass_storage[key]["data"]
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


@pytest.mark.parametrize("recorder_config", [NO_STATES])
@pytest.mark.parametrize(
    ("maker", "settlement"),
    [(Maker.AIDON, 60), (Maker.KAMSTRUP, 60), (Maker.KAIFA, 15)],
)
async def test_other_makers_and_quarter_hour_settlement(
    recorder_mock, hass: HomeAssistant, han_factory, maker: Maker, settlement: int
) -> None:
    """Aidon stamps list 3 with its push time (XX:00:10), Kamstrup pushes it at XX:00:05 in
    group B 1 and counts in 10 Wh steps (hence "or 0.01 kWh"); with 15-minute settlement an
    hourly list is still each hour's boundary: six hours of each."""
    await hass.config.async_set_time_zone("Europe/Oslo")
    line = await han_factory(maker, Wiring.THREE_PHASE)
    parity = {"parity": "N"} if maker is Maker.KAMSTRUP else {}
    data = {**han_entry_data(line.path, meter=maker.value), **parity}
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=data,
        unique_id=line.path,
        options={CONF_SETTLEMENT_MINUTES: settlement},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    result = await replay_day(hass, entry, [], maker=maker, hours=6)

    assert sorted(result.ours_kwh) == sorted(result.truth_kwh) == [local(h) for h in range(6)]
    for hour, truth in result.truth_kwh.items():
        ours = result.ours_kwh[hour]
        assert abs(ours - truth) <= max(0.01 * truth, 0.01), (hour, ours, truth)
    assert result.estimated == []


@pytest.mark.parametrize("recorder_config", [NO_STATES])
async def test_a_failed_read_back_waits_and_a_backwards_register_is_refused(
    recorder_mock, hass: HomeAssistant, han_factory, caplog
) -> None:
    """Sums never start anew after a recorder error (the whole history would land in one
    hour): the read is tried again and nothing is written meanwhile. A register lower than
    the last one is logged and not booked."""
    await hass.config.async_set_time_zone("Europe/Oslo")
    line = await han_factory(Maker.KAIFA, Wiring.THREE_PHASE)
    entry = MockConfigEntry(domain=DOMAIN, data=han_entry_data(line.path), unique_id=line.path)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    real = hour_statistics.get_last_statistics
    calls: list[str] = []

    def first_fails(*args: object) -> object:
        calls.append(str(args[2]))
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        return real(*args)  # type: ignore[arg-type]

    with (
        patch.object(hour_statistics, "get_last_statistics", first_fails),
        patch.object(hour_statistics, "READ_BACK_RETRY_S", 0.01),
    ):
        result = await replay_day(hass, entry, [], hours=2)
    assert "Reading back" in caplog.text
    assert calls.count(calls[0]) == 2  # the failed one was read again
    for hour, truth in result.truth_kwh.items():
        assert abs(result.ours_kwh[hour] - truth) <= max(0.01 * truth, 0.01)

    statistics = entry.runtime_data.coordinator.reading_listeners[0].__self__
    series = statistics.series[f"{DOMAIN}:han_{KAIFA_ID}_energy_import"]
    boundary, register = series.booker.anchor
    statistics._feed(series, "register", boundary + dt.timedelta(hours=1), register - 1000)
    assert statistics.rejected == 1
    assert "not booked (backwards)" in caplog.text
    assert series.booker.anchor == (boundary, register)


def test_statistics_metadata_names_mean_type_and_unit_class() -> None:
    """Newer releases report (and 2026.11 refuses) external statistics without these keys;
    the compatibility test (tests/ha_compat) relies on this test for them."""
    series = hour_statistics._Series(
        "mbus_han:han_1_energy_import", "energy_import", "x", "kWh", "energy", HourBooker()
    )
    metadata = hour_statistics.HourStatistics._metadata(series)
    assert metadata["mean_type"] == StatisticMeanType.NONE
    assert "has_mean" not in metadata
    if "unit_class" in StatisticMetaData.__annotations__:
        assert metadata["unit_class"] == "energy"  # type: ignore[typeddict-item]


# The energy-import entity's states are recorded so the recorder compiles its statistics.
ENERGY_STATES = {"include": {"entity_globs": ["sensor.*energy_import*"]}}
REPORT = os.environ.get("ENERGY_HOURS_REPORT")


@pytest.mark.skipif(REPORT is None, reason="run by benchmarks/energy_hours.py")
@pytest.mark.parametrize("recorder_config", [ENERGY_STATES])
async def test_benchmark_plain_sensor_next_to_ours(
    recorder_mock, hass: HomeAssistant, han_factory
) -> None:
    """The same day, with the plain register sensor's statistics compiled by the recorder."""
    await hass.config.async_set_time_zone("Europe/Oslo")
    line = await han_factory(Maker.KAIFA, Wiring.THREE_PHASE)
    entry = MockConfigEntry(domain=DOMAIN, data=han_entry_data(line.path), unique_id=line.path)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    windows = [
        Window(local(8, 58, 30), local(9, 1, 30), "restart"),
        Window(local(15, 50), local(16, 10), "outage"),
    ]
    result = await replay_day(hass, entry, windows, plain_statistics=True)
    rows = [
        {
            "hour": hour.isoformat(),
            "truth_kwh": truth,
            "plain_kwh": result.plain_kwh.get(hour),
            "ours_kwh": result.ours_kwh.get(hour),
            "estimated": any(hour.astimezone(dt.UTC).isoformat() == h for h in result.estimated),
        }
        for hour, truth in sorted(result.truth_kwh.items())
    ]
    assert REPORT is not None
    Path(REPORT).write_text(json.dumps({"rows": rows, "pushes": result.pushes}, indent=1))
