"""Hour attribution of HAN energy: a plain register sensor's statistics next to ours.

Run: ``python benchmarks/energy_hours.py`` (with the test venv's Python: ``.venv/bin/python``
or ``.venv-py314/bin/python``; about a minute and a half).

It replays one simulated day of a Kaifa meter (the HAN simulator, a varying load, a reload of
the integration across 09:00 and a 20-minute port outage across 16:00) through Home Assistant with
its recorder, in the test harness (pytest-homeassistant-custom-component: a real
``HomeAssistant`` core and recorder on an in-memory SQLite database; states are stamped in
simulated time, see ``tests/ha/energy_day.py``). Two hourly series are read back from the
recorder:

- **plain**: the statistics the recorder compiles itself from the *Energy import* register
  sensor's states (5-minute and hourly compilation, as it runs live);
- **ours**: the external statistic ``mbus_han:han_<meter>_energy_import``.

Each is compared with the simulator's model: what the meter counted in each hour. The error of
a series is the sum over the day's 24 hours of ``|booked - truth|`` over the sum of the truth,
in percent (0 = every hour right; 200 would be every hour's energy in another hour).

The last line is machine-readable::

    RESULT plain_hour_error_pct=... ours_hour_error_pct=... ours_max_hour_error_pct=...
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/ha/test_ha_energy_hours.py::test_benchmark_plain_sensor_next_to_ours"


def _error_pct(booked: list[float | None], truth: list[float]) -> float:
    missing_as_zero = [0.0 if value is None else value for value in booked]
    wrong = sum(abs(b - t) for b, t in zip(missing_as_zero, truth, strict=True))
    return 100 * wrong / sum(truth)


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "energy_hours.json"
        env = {**os.environ, "ENERGY_HOURS_REPORT": str(report)}
        command = [sys.executable, "-m", "pytest", TEST, "-q", "-p", "no:cacheprovider"]
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0 or not report.exists():
            print(done.stdout[-4000:], done.stderr[-4000:], sep="\n")
            print("RESULT failed=1")
            return 1
        data = json.loads(report.read_text())
    rows = data["rows"]
    truth = [row["truth_kwh"] for row in rows]
    plain = [row["plain_kwh"] for row in rows]
    ours = [row["ours_kwh"] for row in rows]

    def cell(value: float | None) -> str:
        return "   -  " if value is None else f"{value:6.3f}"

    def err(value: float | None, real: float) -> str:
        return "   -  " if value is None else f"{100 * (value - real) / real:+6.1f}"

    print(f"One simulated day, {data['pushes']} pushes; energy import per local hour (kWh)")
    print("hour   truth   plain  err %    ours  err %")
    for row in rows:
        real = row["truth_kwh"]
        mark = "  estimated (gap)" if row["estimated"] else ""
        print(
            f"{row['hour'][11:16]}  {cell(real)}  {cell(row['plain_kwh'])} "
            f"{err(row['plain_kwh'], real)}  {cell(row['ours_kwh'])} "
            f"{err(row['ours_kwh'], real)}{mark}"
        )
    plain_pct = _error_pct(plain, truth)
    ours_pct = _error_pct(ours, truth)
    worst = max(abs(o - t) / t for o, t in zip(ours, truth, strict=True) if o is not None)
    print(f"day total: truth {sum(truth):.3f}, ours {sum(o or 0 for o in ours):.3f} kWh")
    print(
        f"RESULT plain_hour_error_pct={plain_pct:.2f} ours_hour_error_pct={ours_pct:.2f} "
        f"ours_max_hour_error_pct={100 * worst:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
