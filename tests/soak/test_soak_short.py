"""The short soak CI runs: ``benchmarks/soak.py --minutes 4`` must record nothing wrong.

The script runs as a child process: it starts its own Home Assistant, ser2net and simulators
and opens TCP sockets, which the Home Assistant pytest plugin forbids inside test processes.
One round of every fault kind runs (USB adapter vanishing, gateway down and restarting, noise,
bit errors, truncated and late answers, a silent meter, a Home Assistant restart), then the
load scenario (16 ports, 250 meters on one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "soak.py"
MINUTES = 4.5  # one round of each fault kind needs 180 s; the load scenario 70 s
# An outage may last the longest fault (the HAN meter's 40 s silence) plus the HAN
# listener's longest reconnect delay (30 s), plus scheduling slack on a shared machine.
MAX_OUTAGE_S = 40.0 + 30.0 + 6.0


def _ser2net_missing() -> bool:
    return not any(Path(d, "ser2net").exists() for d in ("/usr/sbin", "/usr/bin", "/sbin"))


@pytest.fixture(scope="module")
def soak(tmp_path_factory: pytest.TempPathFactory) -> dict:
    if _ser2net_missing():
        if os.environ.get("CI"):
            pytest.fail("ser2net is not installed (.ci/apt-packages.txt lists it)")
        pytest.skip("ser2net is not installed (apt-get install ser2net)")
    out = tmp_path_factory.mktemp("soak") / "soak.json"
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--minutes", str(MINUTES), "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=MINUTES * 60 + 240,
        check=False,
    )
    print(run.stdout[-6000:])
    print(run.stderr[-3000:], file=sys.stderr)
    assert run.returncode == 0, run.stderr[-3000:]
    last = run.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT wrong_values="), last
    return json.loads(out.read_text(encoding="utf-8"))


def _wrong(soak: dict, prefix: str) -> list[str]:
    findings = soak["soak"]["findings"]
    meters = {m for m, n in findings["wrong_by_meter"].items() if n and m.startswith(prefix)}
    return [w for w in findings["wrong_values"] if any(m.split("-")[1] in w for m in meters)] or [
        f"{m}: {findings['wrong_by_meter'][m]}" for m in meters
    ]


def test_values_were_checked(soak):
    findings = soak["soak"]["findings"]
    checked = findings["checked_by_meter"]
    assert sum(n for meter, n in checked.items() if meter.startswith("HAN-")) > 50, checked
    assert sum(n for meter, n in checked.items() if meter.startswith("SLB-")) > 50, checked
    assert not findings["stale_values"], findings["stale_values"][:10]


def test_mbus_values_are_what_the_meters_sent(soak):
    assert not _wrong(soak, "SLB-"), _wrong(soak, "SLB-")[:10]


def test_han_values_are_what_the_meter_sent(soak):
    assert not _wrong(soak, "HAN-"), _wrong(soak, "HAN-")[:10]


def test_counters_and_statistics_never_go_backwards(soak):
    findings = soak["soak"]["findings"]
    assert soak["result"]["backwards_counters"] == 0, findings["backwards_counters"][:10]
    assert not findings["statistics_spikes"], findings["statistics_spikes"][:10]


def test_no_tracebacks(soak):
    assert soak["result"]["tracebacks"] == 0, (
        soak["soak"]["findings"]["tracebacks"][:5] + soak["load"]["tracebacks"][:5]
    )


def test_every_fault_kind_ran(soak):
    names = {fault["name"] for fault in soak["soak"]["faults"]}
    for kind in (
        "usb unplugged",
        "gateway down",
        "gateway restart",
        "meter silent",
        "HA restart",
        "bit_error",
        "truncated",
        "late_answer",
        "HAN unplugged",
        "HAN silent",
    ):
        assert kind in names
    assert any(name.startswith("noise") for name in names)


def test_outages_are_caused_bounded_and_logged(soak):
    report = soak["soak"]
    assert report["findings"]["outages"], "the faults made nothing unavailable"
    assert not report["unexplained_outages"], report["unexplained_outages"][:10]
    assert not report["late_unavailable"], report["late_unavailable"][:10]
    assert not report["late_recovery"], report["late_recovery"][:10]
    assert soak["result"]["max_outage_s"] <= MAX_OUTAGE_S
    assert not report["log_mismatches"], report["log_mismatches"]


def test_meter_outage_is_logged(soak):
    assert not soak["soak"]["meter_log_mismatches"], soak["soak"]["meter_log_mismatches"]


def test_memory_and_file_descriptors_stay_flat(soak):
    report = soak["soak"]
    assert report["fd_growth"] <= 2
    assert report["rss_growth_mb"] < 20


def test_load_reads_every_meter_each_cycle(soak):
    load = soak["load"]
    assert load["meters"] == 278  # 250 + 14 ports x 2; the 16th port is a HAN meter
    assert load["reads_min"] >= load["cycles_expected"] - 1
    assert load["han_frames_per_s"] > 10
    assert load["han_entities"] > 5
    assert load["meters_recorded_every_cycle"] == load["meters"]
    assert load["entities"] == load["entities_expected"]
    assert len(load["entities_per_meter"]) == 1


def test_load_reports_the_heap_a_full_collection_walks(soak):
    """The figures behind issue 15's finding: one timed full collection of the whole process.

    Plausibility only (times depend on the machine): a tracked object has references, and a
    collection of hundreds of thousands of objects takes measurable time.
    """
    load = soak["load"]
    assert load["tracked_objects"] > 100_000
    assert load["references_at_start"] > load["tracked_objects"]
    assert load["full_collection_at_start_ms"] > 0
    assert load["gc_frozen"] is False
