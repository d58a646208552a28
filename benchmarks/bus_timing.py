"""Bus timing of the M-Bus master against the simulator, compared with what the wire allows.

Run: ``python benchmarks/bus_timing.py`` (about a minute: the primary scan runs in real time).

- read: one full heat-meter read (SND_NKE, E5, REQ_UD2, RSP_UD) at 2400 baud with real timing,
  against the wire time: bytes x 11 bits / baud plus the meter's answer delays.
- primary scan: SND_NKE to 0-250 with one meter present, against the standard's minimum: each
  silent address costs its request plus the 330 bit answer window.
- secondary scan: probes (selections) to find 1, 5 and 20 meters with random IDs. Probe counts
  do not depend on timing, so these run with the simulator in instant mode at 38400 baud.

Targets: read_ratio <= 1.1, scan_ratio <= 1.2, probes growing linearly with the meters.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_components.mbus_han.protocol.mbus.encode import Identity
from custom_components.mbus_han.protocol.mbus.frames import encode_frame
from custom_components.mbus_han.protocol.mbus.master import MbusMaster
from custom_components.mbus_han.protocol.mbus.requests import req_ud2, snd_nke
from custom_components.mbus_han.protocol.mbus.scan import scan_primary, scan_secondary
from custom_components.mbus_han.protocol.mbus.simulator import (
    HeatMeterModel,
    SimulatedBus,
    SimulatedMeter,
    SimulatorTiming,
)
from custom_components.mbus_han.protocol.mbus.timing import ANSWER_WINDOW_BITS, BusTiming
from custom_components.mbus_han.protocol.transport import SerialSettings

BAUD = 2400
READS = 5


async def _connect(
    meters: list[SimulatedMeter], timing: SimulatorTiming, baud: int
) -> tuple[SimulatedBus, MbusMaster]:
    bus = SimulatedBus(meters, timing)
    pty = await bus.start_pty()
    master = await MbusMaster.open(pty.path, SerialSettings(baud))
    return bus, master


async def bench_read() -> float:
    meter = SimulatedMeter(HeatMeterModel(), 0)
    bus, master = await _connect([meter], SimulatorTiming(BAUD, time_scale=1.0), BAUD)
    wire = BusTiming(BAUD)
    try:
        ratios = []
        for _ in range(READS):
            start = time.perf_counter()
            reading = await master.read(0)
            elapsed = time.perf_counter() - start
            answer = len(encode_frame(reading.frames[0]))
            request_bytes = len(encode_frame(snd_nke(0))) + len(encode_frame(req_ud2(0, fcb=True)))
            wire_time = wire.wire_time(request_bytes + 1 + answer)
            wire_time += 2 * meter.answer_delay_bits / BAUD
            ratios.append(elapsed / wire_time)
        best = min(ratios)
        print(
            f"read: {request_bytes + 1 + answer} bytes, wire time {wire_time * 1000:.1f} ms, "
            f"measured {best * wire_time * 1000:.1f} ms (best of {READS}), ratio {best:.3f}"
        )
        return best
    finally:
        await master.close()
        await bus.close()


async def bench_primary_scan() -> float:
    meter = SimulatedMeter(HeatMeterModel(), 0)
    bus, master = await _connect([meter], SimulatorTiming(BAUD, time_scale=1.0), BAUD)
    try:
        start = time.perf_counter()
        hits = await scan_primary(master)
        elapsed = time.perf_counter() - start
    finally:
        await master.close()
        await bus.close()
    assert [h.address for h in hits] == [0], hits
    request_bits = len(encode_frame(snd_nke(0))) * 11
    minimum = 250 * (request_bits + ANSWER_WINDOW_BITS) / BAUD
    minimum += (request_bits + meter.answer_delay_bits + 11) / BAUD
    ratio = elapsed / minimum
    print(
        f"primary scan 0-250: {elapsed:.2f} s, standard minimum {minimum:.2f} s, "
        f"ratio {ratio:.3f} (margin {master.timing.extra_margin * 1000:.0f} ms per window)"
    )
    return ratio


async def bench_secondary_probes(count: int) -> int:
    ids = random.Random(count).sample(range(10**8), count)
    meters = [SimulatedMeter(HeatMeterModel(Identity(i, "SLB", 0x1A, 4)), 0) for i in ids]
    bus = SimulatedBus(meters, SimulatorTiming.instant(38400))
    pty = await bus.start_pty()
    master = await MbusMaster.open(pty.path, SerialSettings(38400), extra_margin=0.01)
    try:
        result = await scan_secondary(master)
    finally:
        await master.close()
        await bus.close()
    found = sorted(int(m.identification) for m in result.meters)
    assert found == sorted(ids), (found, sorted(ids))
    print(f"secondary scan: {count} meters found with {result.probes} probes")
    return result.probes


async def main() -> None:
    read_ratio = await bench_read()
    scan_ratio = await bench_primary_scan()
    probes = {n: await bench_secondary_probes(n) for n in (1, 5, 20)}
    print(
        f"RESULT read_ratio={read_ratio:.3f} scan_ratio={scan_ratio:.3f} "
        f"probes_1={probes[1]} probes_5={probes[5]} probes_20={probes[20]}"
    )


if __name__ == "__main__":
    asyncio.run(main())
