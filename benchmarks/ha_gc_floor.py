"""Benchmark: Home Assistant's own full garbage collection, with no meter at all (issue 15).

Run from the repository root: ``.venv/bin/python benchmarks/ha_gc_floor.py`` (or with
``.venv-py314``). Starts the load scenario's Home Assistant (same configuration: recorder on
SQLite, the soak probe) without any ``mbus_han`` entry, lets it settle, and has the probe time
one full collection (``gc.collect()``) after start-up and again at the stop.

Why: the load scenario's worst event-loop delays are Python's full (generation 2) collections
of the whole process. CPython 3.13 and 3.14 collect the old generation in one pause that walks
every tracked object, and Home Assistant triggers such collections itself with every state
write's garbage. The pause of a Home Assistant that reads no meter at all is therefore a floor
under the worst delay any integration can show in that process; this measures it on the
machine at hand. The last line is
``RESULT bare_full_gc_ms=<median> bare_full_gc_max_ms=<max> tracked_objects=<n> references=<n>``.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.soaklib.harness import HomeAssistantProcess, read_probe

STARTS = 3
SETTLE_S = 10.0  # after "started": the recorder's first commits, start-up tasks done


async def measure_once(work: Path) -> list[dict[str, float]]:
    """One start and stop of a Home Assistant without meters; the probe's heap records."""
    ha = HomeAssistantProcess(work / "config", [], coverage_traced=False)
    (ha.config_dir / "soak_probe_heap").touch()
    try:
        await ha.start()
        await ha.wait_started()
        await asyncio.sleep(SETTLE_S)
    finally:
        await ha.stop()
    return [r for r in read_probe(ha.probe_path) if "full_collect_ms" in r]


async def main() -> None:
    records: list[dict[str, float]] = []
    for number in range(STARTS):
        with tempfile.TemporaryDirectory(prefix="mbus-han-gc-floor-") as work:
            records += await measure_once(Path(work))
        print(f"start {number + 1} of {STARTS} done", flush=True)
    if not records:
        raise SystemExit("the probe wrote no heap record: did Home Assistant start?")
    pauses = [r["full_collect_ms"] for r in records]
    print()
    print(f"Home Assistant without meters, Python {sys.version.split()[0]}")
    print(f"{'when':<10}  {'full collection':>15}  {'tracked objects':>15}  {'references':>12}")
    for record in records:
        print(
            f"{record.get('event', '?'):<10}  {record['full_collect_ms']:>12.0f} ms"
            f"  {record['tracked_objects']:>15,}  {record['references']:>12,}"
        )
    print()
    print(
        f"RESULT bare_full_gc_ms={statistics.median(pauses):.0f}"
        f" bare_full_gc_max_ms={max(pauses):.0f}"
        f" tracked_objects={int(statistics.median(r['tracked_objects'] for r in records))}"
        f" references={int(statistics.median(r['references'] for r in records))}"
    )


if __name__ == "__main__":
    asyncio.run(main())
