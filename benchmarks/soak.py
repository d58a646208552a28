"""Fault-injection soak and load test of the whole integration in a real Home Assistant.

Run: ``python benchmarks/soak.py --minutes N`` (N >= 4.2 runs every fault round and the
load scenario; CI runs ``--minutes 4.5``). Needs Debian's ``ser2net`` for the gateway faults.

Soak (about three quarters of the time): Home Assistant (recorder on SQLite) polls two M-Bus
ports every 10 s, a USB adapter (pty behind a by-id style symlink) and a ser2net gateway,
while rounds of faults run: the adapter vanishing and returning, the gateway down (refusing)
and restarting, line-noise bursts, bit errors, truncated and late answers, a meter going
silent, Home Assistant restarting. Meter time runs fast enough to cover a week. Afterwards
the recorder database and the log are judged against the simulators' ground truth.

Load (the rest, at least 70 s): 16 ports, 250 meters on one, instant simulators: every meter
read each cycle, entity counts, the event loop's worst delay and its CPU time per meter read.

The last line is machine-readable::

    RESULT wrong_values=0 backwards_counters=0 tracebacks=0 max_outage_s=22.3
    worst_loop_delay_ms=69.5  (one line)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.soaklib.scenario import (
    INTERVAL,
    LoadReport,
    SoakReport,
    run_load,
    run_soak,
)

MIN_SOAK_S = 180.0  # warm-up, one round of each kind (40 + 60 + 40 s), time to recover
MIN_LOAD_S = 70.0  # start-up, two cycles to settle, then at least 3 measured cycles
MAX_LOAD_S = 300.0


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def print_soak(report: SoakReport) -> None:
    findings = report.findings
    rows = [
        ("run", f"{report.seconds:.0f} s wall, {report.meter_days:.1f} days of meter time"),
        ("M-Bus telegrams and HAN pushes built", report.telegrams),
        ("HAN pushes sent / with a frame fault", f"{report.han_pushes} / {report.han_damaged}"),
        ("entities", ", ".join(f"{k} {v}" for k, v in sorted(findings.entities.items()))),
        ("faults injected", len(report.faults)),
        ("recorded states checked against the meters", findings.states_checked),
        ("recorded states not comparable (text, dates)", findings.states_unchecked),
        ("restored values after a restart", findings.restored_values),
        ("wrong values", len(findings.wrong_values)),
        ("stale values (written > 60 s after sent)", len(findings.stale_values)),
        ("counters going backwards", len(findings.backwards_counters)),
        (
            "statistics rows checked / spikes",
            f"{findings.statistics_rows} / {len(findings.statistics_spikes)}",
        ),
        ("entity outages (unavailable periods)", len(findings.outages)),
        ("outages without a fault causing them", len(report.unexplained_outages)),
        ("not unavailable within 3 intervals", len(report.late_unavailable)),
        ("not back within one interval after the fault", len(report.late_recovery)),
        ("longest outage", f"{report.max_outage_s:.1f} s"),
        ("longest recovery after a fault ended", f"{report.max_recovery_s:.1f} s"),
        (
            "Home Assistant restarts (stop to started)",
            ", ".join(f"{g:.1f} s" for g in report.restart_gaps) or "-",
        ),
        ("port outages without 1 error + 1 recovery line", len(report.log_mismatches)),
        ("meter outages without 1 warning + 1 recovery line", len(report.meter_log_mismatches)),
        ("tracebacks in the log", len(findings.tracebacks)),
        (
            "worst event-loop delay (steady / start-up)",
            f"{report.worst_loop_delay_ms:.0f} ms / {report.startup_loop_delay_ms:.0f} ms",
        ),
        ("RSS growth after warm-up", f"{report.rss_growth_mb:+.1f} MB"),
        ("open fd growth after warm-up", f"{report.fd_growth:+d}"),
    ]
    if report.samples:
        rss = [s.rss / 2**20 for s in report.samples]
        fds = [s.fds for s in report.samples]
        rows.append(("RSS min / max", f"{min(rss):.0f} / {max(rss):.0f} MB"))
        rows.append(("open fds min / max", f"{min(fds)} / {max(fds)}"))
    print_table("Soak", rows)
    details = [
        ("wrong value", findings.wrong_values),
        ("stale value", findings.stale_values),
        ("backwards", findings.backwards_counters),
        ("statistics spike", findings.statistics_spikes),
        ("unexplained outage", report.unexplained_outages),
        ("late unavailable", report.late_unavailable),
        ("late recovery", report.late_recovery),
        ("log", report.log_mismatches),
        ("meter log", report.meter_log_mismatches),
        ("traceback", findings.tracebacks),
        ("fd open at the end, not after warm-up", report.fds_added if report.fd_growth > 0 else []),
    ]
    for label, items in details:
        for item in items[:10]:
            print(f"  {label}: {item}")
        if len(items) > 10:
            print(f"  {label}: ... {len(items) - 10} more")
    print()
    print("Faults (seconds from the first):")
    base = min((f.start for f in report.faults), default=0.0)
    for fault in sorted(report.faults, key=lambda f: f.start):
        span = f"-{fault.end - base:6.1f}" if fault.end else "       "
        print(
            f"  {fault.start - base:6.1f}{span}  {fault.name}  ({', '.join(sorted(fault.meters))})"
        )


def print_load(report: LoadReport) -> None:
    rows = [
        ("ports / M-Bus meters", f"{report.ports} (one HAN) / {report.meters}"),
        ("Home Assistant start-up", f"{report.startup_s:.1f} s"),
        (
            "measured window",
            f"{report.seconds:.0f} s = {report.cycles_expected} cycles of {INTERVAL:.0f} s",
        ),
        ("reads per meter in the window (min / max)", f"{report.reads_min} / {report.reads_max}"),
        ("meters recorded every cycle", f"{report.meters_recorded_every_cycle} / {report.meters}"),
        ("one cycle of the 250-meter port", f"{report.big_cycle_s:.2f} s"),
        ("M-Bus entities (registry) / expected", f"{report.entities} / {report.entities_expected}"),
        ("entities per meter", ", ".join(map(str, sorted(report.entities_per_meter)))),
        ("entities recorded", report.states_recorded),
        ("worst event-loop delay", f"{report.worst_loop_delay_ms:.0f} ms"),
        ("longest garbage-collector pause (whole process)", f"{report.gc_worst_pause_ms:.0f} ms"),
        (
            "... its CPU time; garbage objects it freed",
            f"{report.gc_worst_pause_cpu_ms:.0f} ms; {report.gc_worst_collected:,}",
        ),
        ("full collections in the window", report.gc_full_collections),
        (
            "one full collection timed after start-up (outside the window)",
            f"{report.full_collection_at_start_ms:.0f} ms",
        ),
        ("gc.freeze() after start-up (experiment)", "yes" if report.gc_frozen else "no"),
        (
            "objects the collector tracks after start-up / at the end",
            f"{report.tracked_objects:,} / {report.tracked_objects_at_stop:,}",
        ),
        ("... their references after start-up", f"{report.references_at_start:,}"),
        ("... of this integration's classes after start-up", f"{report.own_objects:,}"),
        ("longest loop step of this integration", f"{report.own_worst_step_ms:.1f} ms"),
        (
            "most CPU one loop step of this integration took",
            f"{report.own_worst_step_cpu_ms:.1f} ms"
            if report.own_worst_step_cpu_ms
            else "not measured (--step-cpu)",
        ),
        (
            "its loop time per M-Bus read (HAN frames in it)",
            f"{report.own_loop_ms_per_read:.2f} ms",
        ),
        ("its loop time during start-up", f"{report.own_startup_loop_s:.2f} s"),
        ("event-loop CPU per meter read", f"{report.loop_ms_per_read:.2f} ms"),
        ("HAN frames a second (pushing window)", f"{report.han_frames_per_s:.0f}"),
        ("event-loop CPU per HAN frame", f"{report.loop_ms_per_han_frame:.2f} ms"),
        ("HAN entities", report.han_entities),
        ("tracebacks in the log", len(report.tracebacks)),
    ]
    print_table("Load", rows)
    for item in report.heap_growth:
        print(f"  objects grown by: {item}")
    for item in report.cyclic_garbage:
        print(f"  cyclic garbage at the end: {item}")
    for item in report.tracebacks[:10]:
        print(f"  traceback: {item}")


def print_table(title: str, rows: list[tuple[str, object]]) -> None:
    width = max(len(name) for name, _ in rows)
    print()
    print(f"{title}")
    print(f"{'-' * width}  {'-' * 30}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


async def run(args: argparse.Namespace, work: Path) -> dict[str, object]:
    total = args.minutes * 60
    load_s = min(max(total * 0.25, MIN_LOAD_S), MAX_LOAD_S)
    soak_s = max(total - load_s, MIN_SOAK_S)
    soak: SoakReport | None = None
    load: LoadReport | None = None
    if args.only in (None, "soak"):
        log(f"soak: {soak_s:.0f} s in {work / 'soak'}")
        soak = await run_soak(soak_s, work / "soak", log=log, seed=args.seed)
    if args.only in (None, "load"):
        log(f"load: {load_s:.0f} s in {work / 'load'}")
        load = await run_load(
            load_s, work / "load", log=log, gc_freeze=args.gc_freeze, step_cpu=args.step_cpu
        )
    if soak is not None:
        print_soak(soak)
    if load is not None:
        print_load(load)
    findings = soak.findings if soak else None
    result: dict[str, object] = {
        "wrong_values": len(findings.wrong_values) if findings else 0,
        "backwards_counters": len(findings.backwards_counters) if findings else 0,
        "tracebacks": (len(findings.tracebacks) if findings else 0)
        + (len(load.tracebacks) if load else 0),
        "max_outage_s": round(soak.max_outage_s, 1) if soak else 0.0,
        "worst_loop_delay_ms": round(
            max(
                soak.worst_loop_delay_ms if soak else 0.0, load.worst_loop_delay_ms if load else 0.0
            ),
            1,
        ),
    }
    if args.json:
        detail = {
            "result": result,
            "soak": _plain(asdict(soak)) if soak else None,
            "load": _plain(asdict(load)) if load else None,
        }
        Path(args.json).write_text(json.dumps(detail, indent=1, default=str), encoding="utf-8")
    print()
    print("RESULT " + " ".join(f"{key}={value}" for key, value in result.items()), flush=True)
    return result


def _plain(data: dict[str, object]) -> dict[str, object]:
    data.pop("samples", None)  # thousands of rows: the summary figures are enough
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="total run time")
    parser.add_argument("--only", choices=("soak", "load"), help="run one scenario")
    parser.add_argument("--json", help="also write every figure and finding to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--seed", type=int, default=8, help="noise and fault randomness")
    parser.add_argument(
        "--step-cpu",
        action="store_true",
        help="load: also the CPU time of this integration's longest loop step (costs each"
        " loop step about 1.5 us)",
    )
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="load: gc.freeze() once Home Assistant has started (what Home Assistant doing so"
        " would change; this integration never does)",
    )
    args = parser.parse_args()
    for dependency in ("sqlite3",):
        __import__(dependency)
    work = Path(tempfile.mkdtemp(prefix="mbus-han-soak-"))
    (work / "soak").mkdir()
    (work / "load").mkdir()
    try:
        asyncio.run(run(args, work))
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
