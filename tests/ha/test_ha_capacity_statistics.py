"""Without its store, a HAN meter's capacity month is rebuilt from the recorder (issue 17).

The hourly statistics rows are written by hand (``async_import_statistics``) with values chosen
so the expected month can be worked out on paper (see the test's docstring).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from ha_helpers import han_entry_data
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from test_ha_capacity import ENTRY_ID, METER, _options, _state

from custom_components.mbus_han.const import DOMAIN
from custom_components.mbus_han.protocol.han import HanStreamDecoder, Transport
from custom_components.mbus_han.protocol.han.simulator import HanSimulator, Maker
from custom_components.mbus_han.protocol.simio import open_pty


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_db_url: str, enable_custom_integrations: None) -> None:
    """The folder's own fixture, with the recorder's database prepared before ``hass``."""


def _metadata(entity_id: str, unit: str, *, mean: bool) -> dict[str, Any]:
    """Statistics metadata of a sensor, in the form of the release under test."""
    from homeassistant.components.recorder.models import (
        StatisticMeanType,
        StatisticMetaData,
    )

    metadata: dict[str, Any] = {
        "mean_type": StatisticMeanType.ARITHMETIC if mean else StatisticMeanType.NONE,
        "has_sum": not mean,
        "name": None,
        "source": "recorder",
        "statistic_id": entity_id,
        "unit_of_measurement": unit,
    }
    if "unit_class" in StatisticMetaData.__annotations__:  # 2026.x
        metadata["unit_class"] = "energy" if unit == "kWh" else "power"
    return metadata


async def test_without_a_store_the_month_is_rebuilt_from_statistics(recorder_mock, hass):
    """The recorder's hourly rows of the register and the power give the month back.

    Register rows (the last state in each hour is the total at its start, list 3 coming just
    after the hour): 5 Dec 17:00 100.0, 18:00 106.0 (hour 17 = 6.0 kWh, power mean 6.0 kW);
    6 Dec 17:00 200.0, 18:00 205.0 (5.0 kWh, mean 5.1 kW: within 10 %); 7 Dec 17:00 300.0,
    18:00 300.0 (list 3 lost: 0 against a mean of 4.0 kW: missing, not 0); 7 Dec 08:00
    290.0, 09:00 293.0 (3.0 kWh, mean 3.0 kW). Top three: 6, 5, 3: average 14/3 kW.
    """
    from homeassistant.components.recorder.statistics import (
        async_import_statistics,
    )
    from pytest_homeassistant_custom_component.components.recorder.common import (
        async_wait_recording_done,
    )

    await hass.config.async_set_time_zone("Europe/Oslo")
    registry = er.async_get(hass)
    endpoint = await open_pty()
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=han_entry_data(endpoint.path),
        options=_options(),
        unique_id=endpoint.path,
        entry_id=ENTRY_ID,
    )
    entry.add_to_hass(hass)
    energy = registry.async_get_or_create(
        "sensor", DOMAIN, f"{METER}-1-0:1.8.0.255", config_entry=entry, suggested_object_id="imp"
    ).entity_id
    power = registry.async_get_or_create(
        "sensor", DOMAIN, f"{METER}-1-0:1.7.0.255", config_entry=entry, suggested_object_id="pwr"
    ).entity_id
    rows = {  # UTC start: (register state, power mean in W)
        "2026-12-05T16:00+00:00": (100.0, 6000.0),
        "2026-12-05T17:00+00:00": (106.0, None),
        "2026-12-06T16:00+00:00": (200.0, 5100.0),
        "2026-12-06T17:00+00:00": (205.0, None),
        "2026-12-07T07:00+00:00": (290.0, 3000.0),
        "2026-12-07T08:00+00:00": (293.0, None),
        "2026-12-07T16:00+00:00": (300.0, 4000.0),
        "2026-12-07T17:00+00:00": (300.0, None),
    }
    starts = {dt.datetime.fromisoformat(k): v for k, v in rows.items()}
    async_import_statistics(
        hass,
        _metadata(energy, "kWh", mean=False),  # type: ignore[arg-type]
        [{"start": s, "state": v[0], "sum": v[0]} for s, v in starts.items()],
    )
    async_import_statistics(
        hass,
        _metadata(power, "W", mean=True),  # type: ignore[arg-type]
        [
            {"start": s, "mean": v[1], "min": v[1], "max": v[1]}
            for s, v in starts.items()
            if v[1] is not None
        ],
    )
    await async_wait_recording_done(hass)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    decoder = HanStreamDecoder(Transport.HDLC)
    sim = HanSimulator(Maker.KAIFA, start=dt.datetime(2026, 12, 9, 10, 59, 40), seed=3)
    for push in sim.pushes():
        for result in decoder.feed(push.data):
            coordinator._on_result(result)  # as the listener does
        if push.list_number == 2:
            break  # the meter has said who it is: the tracker looks up its statistics
    await hass.async_block_till_done()
    tracker_source = ""
    for _ in range(100):
        await async_wait_recording_done(hass)
        await hass.async_block_till_done()
        tracker_source = _state(hass, "capacity_peak_average").attributes["source"]
        if tracker_source == "statistics":
            break
    average = _state(hass, "capacity_peak_average")
    assert tracker_source == "statistics"
    assert float(average.state) == pytest.approx(14 / 3, abs=0.0005)  # shown to 3 decimals
    assert [(p["start"], p["kwh"], p["day_incomplete"]) for p in average.attributes["peaks"]] == [
        ("2026-12-05T17:00:00+01:00", 6.0, False),
        ("2026-12-06T17:00:00+01:00", 5.0, False),
        ("2026-12-07T08:00:00+01:00", 3.0, True),  # the 7th lost its 17:00 hour
    ]
    assert average.attributes["missing_period_starts"] == ["2026-12-07T17:00:00+01:00"]
    await hass.config_entries.async_unload(entry.entry_id)
    await endpoint.close()
