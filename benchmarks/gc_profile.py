"""Benchmark: what this integration gives Python's garbage collector to do (issue 15).

Run from the repository root: ``.venv/bin/python benchmarks/gc_profile.py``. The load
scenario's worst event-loop delays are full (generation 2) collections of the whole Home
Assistant process. Their pause grows with every object the process keeps (Home Assistant's
and every integration's); how often they come grows with the container objects that live
long enough to reach the old generation. This counts both for this integration's own data,
in-process and without timing, so a loaded machine does not change the figures:

- objects the garbage collector tracks that one poll of a 250-meter bus keeps until the next
  poll (the coordinator's per-meter data: telegram, header, records, index), per meter, and
  the Python memory they hold (tracemalloc);
- young collections (generation 0) a poll and a HAN push set off;
- for comparison, what Home Assistant keeps for one state write (``State``, its attributes
  and context) when Home Assistant is installed, times the writes per poll.

And, timed, a pause of a full collection in a heap of Home Assistant's size (the one figure
that depends on the machine). The last line is
``RESULT kept_objects_per_meter=<n> kib_per_meter=<f> han_kept_objects_per_push=<n>
ha_objects_per_state_write=<n> full_gc_ms_per_million_objects=<f>``.
"""

from __future__ import annotations

import gc
import itertools
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_components.mbus_han.mbus_coordinator import MbusData
from custom_components.mbus_han.protocol.han.decoder import HanStreamDecoder
from custom_components.mbus_han.protocol.han.simulator import HanSimulator, Maker
from custom_components.mbus_han.protocol.mbus.encode import Identity
from custom_components.mbus_han.protocol.mbus.simulator import HeatMeterModel
from custom_components.mbus_han.protocol.mbus.telegram import decode_user_data

METERS = 250
STATE_WRITES_PER_METER = 11  # the load scenario's 2,750 writes per poll of 250 meters


class _Clock:
    """Meter time that advances 10 s per poll, as Home Assistant polls."""

    now = 1000.0

    def __call__(self) -> float:
        return self.now


def _meters(clock: _Clock) -> list[HeatMeterModel]:
    return [
        HeatMeterModel(Identity(40000000 + n, "SLB", 0x1A, 0x04), clock=clock, seed=n)
        for n in range(METERS)
    ]


def _poll(models: list[HeatMeterModel], number: int) -> MbusData:
    """What the coordinator keeps from one poll: each meter's decoded telegram, indexed."""
    data = MbusData()
    for index, model in enumerate(models):
        payload = model.telegram(0, number & 0xFF)
        data.add(str(index + 1), decode_user_data(payload.ci, payload.data))
    return data


def _tracked() -> int:
    return len(gc.get_objects())


def _young_collections() -> int:
    return gc.get_stats()[0]["collections"]


def mbus_figures() -> dict[str, float]:
    """Kept objects and memory per meter, young collections per poll."""
    clock = _Clock()
    models = _meters(clock)
    _poll(models, 0)  # the layouts are decoded once and shared: warm them
    gc.collect()
    gc.disable()
    try:
        base = _tracked()
        clock.now += 10
        data = _poll(models, 1)
        gc.collect()  # free anything left behind, so only what the data holds counts
        kept = _tracked() - base
    finally:
        gc.enable()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    clock.now += 10
    fresh = _poll(models, 2)
    size = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del fresh
    records = sum(len(telegram.records) for telegram in data.telegrams.values())
    young = _young_collections()
    for number in range(3, 13):
        clock.now += 10
        data = _poll(models, number)
    per_poll = (_young_collections() - young) / 10
    return {
        "kept": kept,
        "kept_per_meter": kept / METERS,
        "records_per_meter": records / METERS,
        "kib_per_meter": size / METERS / 1024,
        "young_per_poll": per_poll,
    }


def han_figures() -> dict[str, float]:
    """Objects a decoded HAN push keeps (the coordinator holds the last one) and its churn."""
    sim = HanSimulator(Maker.KAMSTRUP, seed=1)
    frames = [push.data for push in itertools.islice(sim.pushes(), 400) if push.list_number == 3]
    frames += [push.data for push in itertools.islice(sim.pushes(), 40)]
    decoder = HanStreamDecoder()
    decoder.feed(frames[0])
    gc.collect()
    gc.disable()
    try:
        base = _tracked()
        (reading,) = decoder.feed(frames[0])
        kept = _tracked() - base
    finally:
        gc.enable()
    del reading
    young = _young_collections()
    pushes = 0
    for _ in range(25):
        for frame in frames:
            decoder.feed(frame)
            pushes += 1
    return {
        "kept_per_push": kept,
        "young_per_1000_pushes": (_young_collections() - young) * 1000 / pushes,
    }


def ha_state_figures() -> dict[str, float] | None:
    """Objects Home Assistant keeps per state it writes (None without Home Assistant)."""
    try:
        from homeassistant.core import Context, State
    except ImportError:
        return None
    attributes = {
        "state_class": "total_increasing",
        "unit_of_measurement": "kWh",
        "device_class": "energy",
        "friendly_name": "Heat meter 40000001 Energy",
    }
    gc.collect()
    gc.disable()
    try:
        base = _tracked()
        states = [
            State(f"sensor.meter_{n}_energy", str(n), dict(attributes), context=Context())
            for n in range(1000)
        ]
        for state in states:  # what the recorder and the websocket API build from each
            state.as_dict_json  # noqa: B018 - cached on the state, kept with it
            state.as_compressed_state_json  # noqa: B018
        gc.collect()
        kept = (_tracked() - base) / len(states)
    finally:
        gc.enable()
    return {"kept_per_write": kept}


def full_collection_ms(objects: int = 1_000_000) -> float:
    """The pause of one full collection of a heap of ``objects`` tracked objects (timed)."""
    heap = [[n] for n in range(objects)]
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        gc.collect(2)
        best = min(best, time.perf_counter() - start)
    del heap
    return best * 1000


def main() -> int:
    mbus = mbus_figures()
    han = han_figures()
    ha = ha_state_figures()
    full_ms = full_collection_ms()
    rows = [
        (
            "M-Bus meters polled",
            f"{METERS} heat meters, {mbus['records_per_meter']:.0f} records each",
        ),
        ("tracked objects one poll keeps, per meter", f"{mbus['kept_per_meter']:.1f}"),
        ("... for the 250-meter bus", f"{mbus['kept']:.0f}"),
        ("Python memory of one poll's data, per meter", f"{mbus['kib_per_meter']:.2f} KiB"),
        ("young collections set off per poll of 250 meters", f"{mbus['young_per_poll']:.1f}"),
        ("tracked objects a HAN push keeps (the last is kept)", f"{han['kept_per_push']:.0f}"),
        ("young collections per 1000 HAN pushes", f"{han['young_per_1000_pushes']:.1f}"),
    ]
    if ha is not None:
        writes = METERS * STATE_WRITES_PER_METER
        rows += [
            ("Home Assistant: tracked objects kept per state write", f"{ha['kept_per_write']:.1f}"),
            (
                f"... for the {writes} writes of one poll",
                f"{ha['kept_per_write'] * writes:.0f} (this integration: {mbus['kept']:.0f})",
            ),
        ]
    rows.append(("one full collection of 1 million tracked objects (timed)", f"{full_ms:.0f} ms"))
    width = max(len(name) for name, _ in rows)
    print(f"{'figure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 30}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(
        f"RESULT kept_objects_per_meter={mbus['kept_per_meter']:.1f} "
        f"kib_per_meter={mbus['kib_per_meter']:.2f} "
        f"han_kept_objects_per_push={han['kept_per_push']:.0f} "
        f"ha_objects_per_state_write={ha['kept_per_write'] if ha else float('nan'):.1f} "
        f"full_gc_ms_per_million_objects={full_ms:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
