"""A replaced meter keeps its history: notice the new meter, ask the user, carry over (issue 18).

Heat meters are exchanged every 6 to 12 years (calibration law), smart meters on a fault. The
new meter answers at the old one's primary address, or pushes on the old one's HAN port, with
another identification number, so it gets a device and entities of its own, and the energy
dashboard would go on counting the old, now silent ones. Here the glue notices the change
(``note_meter``), keeps the old device while the user decides (a fixable repair issue, see
``repairs.py``), and on "carry over" moves the old meter's entity registry entries onto the new
meter's unique ids: entity ids, names, areas and the energy dashboard stay; the new meter's own
entities made in the meantime go. Counters are then shown as one continuous total for the
metering point: the first reading of the new meter is offset to the old meter's final one
(``carried_value``), so the statistics' sum goes on without a step. The decisions themselves
are pure (``protocol/meter_change.py``).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import SensorExtraStoredData, SensorStateClass
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers import restore_state

from .const import DOMAIN
from .protocol.meter_change import (
    carried_unique_id,
    carry_offset,
    decimal,
    is_new_meter,
    with_offset,
)

if TYPE_CHECKING:
    from . import MbusHanConfigEntry
    from .han_coordinator import HanCoordinator
    from .mbus_sensor import SensorValue

_LOGGER = logging.getLogger(__name__)

# Entry data: replacements noticed and not yet decided, old meter -> {"new": ..., "place": ...}.
CONF_REPLACEMENTS = "replacements"
# Entry data: old meters the user said are other meters than the new ones (devices kept).
CONF_KEPT_METERS = "kept_meters"
# Entry data: counters carried over, unique id -> offset (text); until the new meter's first
# reading fixes the offset, PENDING (the old total is the restored state) or TOTAL + the old
# meter's final total as noticed.
CONF_CARRIED = "carried"
PENDING = ""
TOTAL = "="
# Entry data: the final totals of replaced meters' counters as noticed, by unique id. Kept in
# the entry because a restored state is gone a week after its entity was last seen, and the
# user may answer the repair issue later than that.
CONF_FINAL_TOTALS = "final_totals"
# Entry data: the first reading of each counter of a new meter awaiting the user's decision, by
# unique id: what it counts from then on belongs to the carried-over total as well.
CONF_FIRST_READINGS = "first_readings"
# Entry data of a HAN port: the device identifier of the meter last heard on it.
CONF_HAN_METER = "han_meter"
PLACE_HAN = "han"

ISSUE_REPLACED = "meter_replaced"
ISSUE_RESTARTED = "counter_restarted"


def replaced_issue_id(entry_id: str, old: str) -> str:
    """Repair issue id for the meter ``old`` of entry ``entry_id`` replaced by another one."""
    return f"{ISSUE_REPLACED}_{entry_id}_{old}"


def restarted_issue_id(entity_id: str) -> str:
    """Repair issue id for a counter that restarted near zero."""
    return f"{ISSUE_RESTARTED}_{entity_id}"


def meter_device(hass: HomeAssistant, entry_id: str, identifier: str) -> dr.DeviceEntry | None:
    """The device of entry ``entry_id`` that carries our identifier ``identifier``.

    Searched among the entry's devices: since 2026.x identifiers are unique per config entry.
    """
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry_id):
        if (DOMAIN, identifier) in device.identifiers:
            return device
    return None


def pending_replacements(entry: MbusHanConfigEntry) -> dict[str, dict[str, str]]:
    """Replacements waiting for the user's decision, by old meter."""
    pending: dict[str, dict[str, str]] = entry.data.get(CONF_REPLACEMENTS, {})
    return pending


def kept_identifiers(entry: MbusHanConfigEntry) -> set[str]:
    """Old meters whose devices stay: waiting for a decision, or declared another meter."""
    return set(pending_replacements(entry)) | set(entry.data.get(CONF_KEPT_METERS, ()))


def _update(hass: HomeAssistant, entry: MbusHanConfigEntry, **changes: Any) -> None:
    hass.config_entries.async_update_entry(entry, data={**entry.data, **changes})


@callback
def note_meter(
    hass: HomeAssistant, entry: MbusHanConfigEntry, place: str, remembered: str | None, seen: str
) -> None:
    """The meter ``seen`` answers at ``place``, where ``remembered`` answered before.

    A different meter there, whose old device still exists, is a replacement to ask about.
    The old meter back at its place (a swap undone) withdraws the question.
    """
    if remembered is None or not is_new_meter(remembered, seen):
        return
    if seen == f"{entry.entry_id}-{remembered}":
        return  # the same meter, its identifier scoped to the port (issue 11, item 5)
    pending = dict(pending_replacements(entry))
    if seen in pending:
        del pending[seen]
        ir.async_delete_issue(hass, DOMAIN, replaced_issue_id(entry.entry_id, seen))
        _update(hass, entry, **{CONF_REPLACEMENTS: pending})
        return
    if (old_device := meter_device(hass, entry.entry_id, remembered)) is None:
        return  # nothing left of the old meter to carry over
    pending[remembered] = {"new": seen, "place": place}
    totals = {**entry.data.get(CONF_FINAL_TOTALS, {}), **_final_totals(hass, old_device)}
    _update(hass, entry, **{CONF_REPLACEMENTS: pending, CONF_FINAL_TOTALS: totals})
    _LOGGER.warning(
        "%s: meter %s answers where %s did; Settings > Repairs asks whether it replaced it",
        entry.title,
        seen,
        remembered,
    )
    _raise_replaced(hass, entry, remembered, seen)


def _is_counter(entity: er.RegistryEntry) -> bool:
    capabilities = entity.capabilities or {}
    return capabilities.get("state_class") == SensorStateClass.TOTAL_INCREASING


def _final_totals(hass: HomeAssistant, device: dr.DeviceEntry) -> dict[str, str]:
    """The last total of each counter of ``device``, as its entity would restore it.

    The old meter no longer answers, so what its entities hold (live, or stored from the
    previous run) is its final reading, in the entities' native units.
    """
    counters = {
        entity.entity_id: entity.unique_id
        for entity in er.async_entries_for_device(er.async_get(hass), device.id)
        if entity.platform == DOMAIN and _is_counter(entity)
    }
    totals: dict[str, str] = {}
    for stored in restore_state.async_get(hass).async_get_stored_states():
        unique_id = counters.get(stored.state.entity_id)
        if unique_id is None or stored.extra_data is None:
            continue
        restored = SensorExtraStoredData.from_dict(stored.extra_data.as_dict())
        if restored is not None and (total := decimal(restored.native_value)) is not None:
            totals[unique_id] = str(total)
    return totals


def _shown_name(hass: HomeAssistant, entry_id: str, identifier: str) -> str:
    device = meter_device(hass, entry_id, identifier)
    if device is None:
        return identifier
    return device.name_by_user or device.name or identifier


@callback
def _raise_replaced(hass: HomeAssistant, entry: MbusHanConfigEntry, old: str, new: str) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        replaced_issue_id(entry.entry_id, old),
        is_fixable=True,
        is_persistent=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_REPLACED,
        translation_placeholders={
            "old": _shown_name(hass, entry.entry_id, old),
            "new": _shown_name(hass, entry.entry_id, new),
            "port": entry.title,
        },
        data={"entry_id": entry.entry_id, "old": old},
    )


@callback
def start(
    hass: HomeAssistant, entry: MbusHanConfigEntry, coordinator: HanCoordinator | None
) -> None:
    """At set-up: ask again about undecided replacements; on a HAN port, watch the meter ID."""
    for old, replacement in pending_replacements(entry).items():
        _raise_replaced(hass, entry, old, replacement["new"])
    if coordinator is not None:
        entry.async_on_unload(_track_han_meter(hass, entry, coordinator))


def _track_han_meter(
    hass: HomeAssistant, entry: MbusHanConfigEntry, coordinator: HanCoordinator
) -> CALLBACK_TYPE:
    """Remember the HAN port's meter; another meter ID in list 2 is a replacement to ask about."""

    @callback
    def heard() -> None:
        seen = coordinator.device_identifier
        remembered: str | None = entry.data.get(CONF_HAN_METER)
        if seen is None or seen == remembered:
            return  # every push: one comparison
        note_meter(hass, entry, PLACE_HAN, remembered, seen)
        _update(hass, entry, **{CONF_HAN_METER: seen})

    return coordinator.async_add_listener(heard)


async def async_carry_over(hass: HomeAssistant, entry: MbusHanConfigEntry, old: str) -> bool:
    """Give the old meter's entities to the new meter and remove the old device.

    The entry is unloaded while the registries change (no entity lives under a unique id that
    moves), then set up again: each moved entity comes back under its old entity id, with its
    last state restored, and a counter's first reading fixes its offset.
    """
    replacement = pending_replacements(entry).get(old)
    if replacement is None:
        return False
    new = replacement["new"]
    loaded = entry.state is ConfigEntryState.LOADED
    if loaded:
        await hass.config_entries.async_unload(entry.entry_id)
    totals: dict[str, str] = dict(entry.data.get(CONF_FINAL_TOTALS, {}))
    firsts: dict[str, str] = dict(entry.data.get(CONF_FIRST_READINGS, {}))
    carried = _move_entities(hass, entry.entry_id, old, new, totals, firsts)
    pending = {name: item for name, item in pending_replacements(entry).items() if name != old}
    _update(
        hass,
        entry,
        **{
            CONF_REPLACEMENTS: pending,
            # the old meter's own offsets go with its unique ids (a meter replaced twice)
            CONF_CARRIED: {**_without_meter(entry.data.get(CONF_CARRIED, {}), old), **carried},
            CONF_FINAL_TOTALS: totals,
            CONF_FIRST_READINGS: firsts,
        },
    )
    ir.async_delete_issue(hass, DOMAIN, replaced_issue_id(entry.entry_id, old))
    _LOGGER.info("%s: the entities of meter %s now belong to meter %s", entry.title, old, new)
    if loaded:
        await hass.config_entries.async_setup(entry.entry_id)
    return True


def _move_entities(
    hass: HomeAssistant,
    entry_id: str,
    old: str,
    new: str,
    totals: dict[str, str],
    firsts: dict[str, str],
) -> dict[str, str]:
    """Re-point the old meter's registry entries at the new meter; the counters among them.

    The final totals and first readings noticed for the moved counters are taken out of
    ``totals`` and ``firsts``: with both, the offset is known at once, and what the new meter
    counted while the user decided is part of the carried-over total.
    """
    old_device = meter_device(hass, entry_id, old)
    if old_device is None:
        return {}
    new_device = meter_device(hass, entry_id, new)
    registry = er.async_get(hass)
    carried: dict[str, str] = {}
    for entity in er.async_entries_for_device(
        registry, old_device.id, include_disabled_entities=True
    ):
        if entity.config_entry_id != entry_id or entity.platform != DOMAIN:
            continue
        unique_id = carried_unique_id(entity.unique_id, old, new)
        if unique_id is None:
            continue
        if (twin := registry.async_get_entity_id(entity.domain, DOMAIN, unique_id)) is not None:
            registry.async_remove(twin)  # the new meter's own entity: its id goes, ours stays
        registry.async_update_entity(
            entity.entity_id,
            new_unique_id=unique_id,
            device_id=new_device.id if new_device is not None else None,
        )
        if _is_counter(entity):
            total = totals.pop(entity.unique_id, None)
            first = firsts.pop(unique_id, None)
            if total is not None and first is not None:
                carried[unique_id] = str(Decimal(total) - Decimal(first))
            else:
                carried[unique_id] = PENDING if total is None else TOTAL + total
    dr.async_get(hass).async_update_device(old_device.id, remove_config_entry_id=entry_id)
    return carried


@callback
def keep_both(hass: HomeAssistant, entry: MbusHanConfigEntry, old: str) -> bool:
    """The user says the new meter is another meter: both devices stay, nothing moves."""
    pending = dict(pending_replacements(entry))
    if (replacement := pending.pop(old, None)) is None:
        return False
    new = replacement["new"]
    kept = sorted({*entry.data.get(CONF_KEPT_METERS, ()), old})
    _update(
        hass,
        entry,
        **{
            CONF_REPLACEMENTS: pending,
            CONF_KEPT_METERS: kept,
            CONF_FINAL_TOTALS: _without_meter(entry.data.get(CONF_FINAL_TOTALS, {}), old),
            CONF_FIRST_READINGS: _without_meter(entry.data.get(CONF_FIRST_READINGS, {}), new),
        },
    )
    ir.async_delete_issue(hass, DOMAIN, replaced_issue_id(entry.entry_id, old))
    return True


def _without_meter(numbers: dict[str, str], meter: str) -> dict[str, str]:
    return {key: value for key, value in numbers.items() if not key.startswith(f"{meter}-")}


@callback
def note_first_reading(
    hass: HomeAssistant, entry: MbusHanConfigEntry, unique_id: str | None, value: SensorValue
) -> None:
    """Keep the first reading of a counter of a new meter whose replacement is undecided."""
    pending = pending_replacements(entry)
    if not pending or unique_id is None or (number := decimal(value)) is None:
        return
    firsts: dict[str, str] = entry.data.get(CONF_FIRST_READINGS, {})
    if unique_id in firsts:
        return
    if any(unique_id.startswith(f"{item['new']}-") for item in pending.values()):
        _update(hass, entry, **{CONF_FIRST_READINGS: {**firsts, unique_id: str(number)}})


@callback
def carried_value(
    hass: HomeAssistant,
    entry: MbusHanConfigEntry,
    unique_id: str | None,
    last: SensorValue,
    value: SensorValue,
) -> SensorValue:
    """``value`` of a counter, offset when the counter was carried over from an old meter.

    The first reading after the carry-over fixes the offset: the old meter's final total
    (as noticed at the replacement, else ``last``, the restored state) minus that reading,
    so the total goes on without a step. Without either there is nothing to go on from: no
    offset, and the recorder takes the drop as a new cycle of the counter.
    """
    carried: dict[str, str] = entry.data.get(CONF_CARRIED, {})
    if unique_id is None or unique_id not in carried or decimal(value) is None:
        return value
    stored = carried[unique_id]
    if stored.startswith(TOTAL) or stored == PENDING:
        offset = carry_offset(Decimal(stored[len(TOTAL) :]) if stored else last, value)
        if offset is None:
            _LOGGER.warning(
                "%s: no last total of the old meter is known for %s; its history restarts",
                entry.title,
                unique_id,
            )
            offset = Decimal(0)
        _update(hass, entry, **{CONF_CARRIED: {**carried, unique_id: str(offset)}})
    else:
        offset = Decimal(stored)
    number = value if isinstance(value, int | float | Decimal) else None
    return value if number is None else with_offset(number, offset)


@callback
def report_counter_restart(
    hass: HomeAssistant, entity_id: str, before: SensorValue, after: SensorValue
) -> None:
    """A counter restarted near zero (confirmed by a second reading): tell the user once.

    The history goes on: Home Assistant's recorder counts the drop as a new cycle of a
    total-increasing counter, so the energy statistics keep rising from the old total.
    """
    ir.async_create_issue(
        hass,
        DOMAIN,
        restarted_issue_id(entity_id),
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_RESTARTED,
        translation_placeholders={"entity": entity_id, "before": str(before), "after": str(after)},
    )
