"""Austrian pushes (M-Bus frames, encryption without a tag): one push alone creates nothing.

Issue 11, item 11. The frame is the corpus push ``kaifa_netz_noe_mbus_two_frames`` (a Kaifa
MA309 of Netz NÖ, security control 0x20, from esphome-libs/dlms_parser with its published
key). Every error that flips the same bit position in two bytes of one frame's checksummed
part, one bit up and one down, keeps the M-Bus 8-bit sum (EN 13757-2 5.5) intact: those are
the errors the transport cannot see. The rule (docs/han.md) is judged on all of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from ha_helpers import CORPUS, han_entry_data, wait_until
from homeassistant.helpers import entity_registry as er

from custom_components.mbus_han.protocol.errors import DecodeError
from custom_components.mbus_han.protocol.han import SecurityKeys
from custom_components.mbus_han.protocol.han.decoder import decode_message
from custom_components.mbus_han.protocol.simio import open_pty
from custom_components.mbus_han.weak_check import COUNTERS, MAX_POWER_W, WeakCheckFilter

CASE = next(
    c
    for c in json.loads((CORPUS / "han" / "encrypted.json").read_text())
    if c["name"] == "kaifa_netz_noe_mbus_two_frames"
)
PUSH = bytes.fromhex(CASE["hex"])
KEYS = SecurityKeys.from_hex(CASE["key_hex"])
PUSH_INTERVAL = 5.0  # the MA309 pushes every 5 s


def _checksummed_spans(raw: bytes) -> list[tuple[int, int]]:
    """(start, end) of each long frame's C field to end of user data (what CS sums)."""
    spans, start = [], 0
    while start < len(raw):
        length = raw[start + 1]
        spans.append((start + 4, start + 4 + length))
        start += length + 6
    return spans


def sum_preserving_errors(raw: bytes) -> Iterator[bytes]:
    """Every two-bit error, same bit up in one byte and down in another, within one frame."""
    for first, end in _checksummed_spans(raw):
        for i in range(first, end):
            for j in range(first, end):
                for bit in range(8):
                    mask = 1 << bit
                    if i != j and not raw[i] & mask and raw[j] & mask:
                        damaged = bytearray(raw)
                        damaged[i] |= mask
                        damaged[j] &= ~mask
                        yield bytes(damaged)


def _decoded_errors() -> list:
    readings = []
    for damaged in sum_preserving_errors(PUSH):
        try:
            readings.append(decode_message(damaged, KEYS))
        except DecodeError:
            continue
    return readings


def test_the_corpus_push_and_its_errors():
    original = decode_message(PUSH, KEYS)
    assert original.meter.meter_id == "181220000009"  # the corpus's cross-checked value
    assert sum(1 for _ in sum_preserving_errors(PUSH)) > 20_000  # as the review counted


def test_no_phantom_code_meter_or_counter_step_from_a_single_damaged_push():
    original = decode_message(PUSH, KEYS)
    damaged = _decoded_errors()
    # Without the rule, many damaged pushes would add a code or change a counter.
    new_codes = [r for r in damaged if set(r.values) - set(original.values)]
    changed_counters = [
        r
        for r in damaged
        if any(
            v.quantity in COUNTERS and code in original.values and v != original.values[code]
            for code, v in r.values.items()
        )
    ]
    assert new_codes
    assert changed_counters
    most = MAX_POWER_W * PUSH_INTERVAL / 3600
    for reading in damaged:
        check = WeakCheckFilter()
        check.confirm(original, 0.0)
        taken = check.confirm(reading, PUSH_INTERVAL)
        assert set(taken.values) <= set(original.values)  # no phantom code
        assert taken.meter in (original.meter, type(original.meter)())  # no phantom meter
        for code, value in taken.values.items():
            if value.quantity in COUNTERS:  # never back, never faster than a meter counts
                assert 0 <= value.value - original.values[code].value <= most, code


def test_a_confirmed_push_passes_whole():
    original = decode_message(PUSH, KEYS)
    check = WeakCheckFilter()
    assert check.confirm(original, 0.0).values == {}  # the first push alone: nothing
    assert check.confirm(original, PUSH_INTERVAL).values == original.values


@pytest.mark.usefixtures("socket_enabled")
async def test_a_damaged_austrian_push_makes_no_phantom_entity(hass):
    """On today's main, one such push created a permanent entity for a code never sent."""
    from test_ha_han import _setup

    original = decode_message(PUSH, KEYS)
    damaged_push = next(d for d in sum_preserving_errors(PUSH) if _new_codes(d, original))
    endpoint = await open_pty()
    try:
        entry = await _setup(
            hass, han_entry_data(endpoint.path, "kaifa", "mbus", key=CASE["key_hex"])
        )
        coordinator = entry.runtime_data.coordinator
        for frame in (PUSH, PUSH, damaged_push, PUSH):
            readings = coordinator.stats.readings
            endpoint.writer.write(frame)
            await endpoint.writer.drain()
            await wait_until(hass, lambda before=readings: coordinator.stats.readings > before)
        unique_ids = {
            e.unique_id
            for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        }
        assert unique_ids  # the two good pushes made the meter's entities
        for code in _new_codes(damaged_push, original):
            assert f"HAN-{original.meter.meter_id}-{code}" not in unique_ids
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await endpoint.close()


def _new_codes(raw: bytes, original) -> set[str]:
    try:
        reading = decode_message(raw, KEYS)
    except DecodeError:
        return set()
    if reading.meter != original.meter:
        return set()
    return set(reading.values) - set(original.values)
