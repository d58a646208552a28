"""Each meter's reading is shown when that meter has been read, not at the end of the poll.

On a real bus at 2400 baud a poll of many meters takes minutes; and writing every entity of a
250-meter bus in one step held Home Assistant's event loop for ~380 ms (issue 15). Order is
checked against the simulated meters' own count of telegrams sent.
"""

from __future__ import annotations

from ha_helpers import mbus_entry_data
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mbus_han.const import DOMAIN


async def _setup(hass: HomeAssistant, port: str, meters: list[str]) -> MockConfigEntry:
    entry = MockConfigEntry(domain=DOMAIN, data=mbus_entry_data(port, meters), unique_id=port)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_first_meter_is_shown_before_the_second_is_read(
    hass, bus_factory, heat_meter, kamstrup_meter, clock
):
    _, port = await bus_factory(heat_meter, kamstrup_meter)
    entry = await _setup(hass, port, ["0", "5"])  # polled in this order
    energy = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, "SLB-12345678-energy")
    clock[0] += 3600  # an hour of heat: the heat meter's energy is higher at the next read
    kamstrup_reads_when_shown: list[int] = []

    @callback
    def on_state_changed(event: Event) -> None:
        if event.data["entity_id"] == energy:
            kamstrup_reads_when_shown.append(kamstrup_meter.telegrams_sent)

    hass.bus.async_listen(EVENT_STATE_CHANGED, on_state_changed)
    kamstrup_reads = kamstrup_meter.telegrams_sent
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    # shown once, while the Kamstrup meter had not yet been asked in this poll
    assert kamstrup_reads_when_shown == [kamstrup_reads]
    assert kamstrup_meter.telegrams_sent == kamstrup_reads + 1
