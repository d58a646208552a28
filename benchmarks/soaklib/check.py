"""Reads Home Assistant's recorder database and log after a run and judges them.

Every recorded numeric state of an ``mbus_han`` sensor is compared with the simulator's ground
truth: the value of the latest telegram that meter built before the state was written (the
master reads, decodes and publishes after the meter built the telegram, never before). Units are
converted with a table of our own, not with the integration's code, so a wrong scale factor in
the integration shows up as a wrong value. A state is also accepted when it is the first one of
a Home Assistant run and equals the last value before the restart (a restored counter).
"""

from __future__ import annotations

import bisect
import json
import math
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .mbus_rig import Truth

UNAVAILABLE = ("unavailable", "unknown")
# Display unit conversions of the records the simulated meters send: (decoded, shown) -> factor.
FACTORS: dict[tuple[str, str], float] = {
    ("Wh", "kWh"): 1e-3,
    ("Wh", "Wh"): 1.0,
    ("W", "kW"): 1e-3,
    ("W", "W"): 1.0,
    ("m^3", "m³"): 1.0,
    ("m^3/h", "m³/h"): 1.0,
    ("°C", "°C"): 1.0,
    ("K", "K"): 1.0,
    ("s", "d"): 1 / 86400,
    ("s", "s"): 1.0,
    ("V", "V"): 1.0,
    ("A", "A"): 1.0,
    ("var", "var"): 1.0,
    ("VA", "VA"): 1.0,
    ("varh", "kvarh"): 1e-3,
    ("varh", "varh"): 1.0,
    ("Hz", "Hz"): 1.0,
    ("", ""): 1.0,  # power factor
}
# A state may show any value the meter sent within this long before it was written: Home
# Assistant may still be working through a fast HAN stream's previous push when the next
# one arrives (M-Bus telegrams are 10 s apart, so for them this is always the latest).
LATENCY = 2.0  # s
STALE_AFTER = 60.0  # s: a value older than this when written is reported as stale
TRACEBACK = "Traceback (most recent call last)"


@dataclass(slots=True)
class StateRow:
    """One row of the ``states`` table for one entity."""

    t: float
    state: str
    unit: str | None
    state_class: str | None


@dataclass(slots=True)
class Outage:
    """An entity unavailable from ``start`` to ``end`` (None: still at the end of the run)."""

    entity_id: str
    start: float
    end: float | None

    @property
    def duration(self) -> float:
        """Seconds unavailable (open outages count up to the end of the data)."""
        return (self.end or self.start) - self.start


@dataclass(slots=True)
class Findings:
    """What the recorder and the log show."""

    states_checked: int = 0
    checked_by_meter: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    states_unchecked: int = 0
    wrong_values: list[str] = field(default_factory=list)
    wrong_by_meter: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    stale_values: list[str] = field(default_factory=list)
    restored_values: int = 0
    backwards_counters: list[str] = field(default_factory=list)
    statistics_rows: int = 0
    statistics_spikes: list[str] = field(default_factory=list)
    outages: list[Outage] = field(default_factory=list)
    tracebacks: list[str] = field(default_factory=list)
    errors_logged: list[str] = field(default_factory=list)
    recoveries_logged: list[str] = field(default_factory=list)
    entities: dict[str, int] = field(default_factory=dict)


def load_registry(config_dir: Path) -> dict[str, dict[str, Any]]:
    """``entity_id`` -> entity registry entry, for ``mbus_han`` entities."""
    path = config_dir / ".storage" / "core.entity_registry"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise RuntimeError(
            f"{path} is missing: Home Assistant wrote no entity registry (it is written 10 s "
            "after the last change, or when Home Assistant stops; was it killed, see stderr?)"
        ) from err
    return {
        entity["entity_id"]: entity
        for entity in data["data"]["entities"]
        if entity["platform"] == "mbus_han"
    }


def load_states(db_path: Path, entity_ids: set[str]) -> dict[str, list[StateRow]]:
    """Every recorded state of ``entity_ids``, in time order."""
    rows: dict[str, list[StateRow]] = defaultdict(list)
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        query = db.execute(
            "SELECT m.entity_id, s.state, s.last_updated_ts, a.shared_attrs "
            "FROM states s JOIN states_meta m ON s.metadata_id = m.metadata_id "
            "LEFT JOIN state_attributes a ON s.attributes_id = a.attributes_id "
            "ORDER BY s.last_updated_ts"
        )
        for entity_id, state, t, attrs_text in query:
            if entity_id not in entity_ids:
                continue
            attrs = json.loads(attrs_text) if attrs_text else {}
            rows[entity_id].append(
                StateRow(t, state, attrs.get("unit_of_measurement"), attrs.get("state_class"))
            )
    return rows


def check_values(
    findings: Findings,
    registry: dict[str, dict[str, Any]],
    states: dict[str, list[StateRow]],
    truth: Truth,
    starts: list[float],
) -> None:
    """Compare every numeric state with the truth; counters must never go backwards."""
    for entity_id, rows in states.items():
        entry = registry.get(entity_id)
        if entry is None or not entity_id.startswith("sensor."):
            continue
        if is_port_entity(entry["unique_id"]):
            continue
        meter_id, key = split_unique_id(entry["unique_id"])
        history = truth.values.get((meter_id, key))
        unit = truth.units.get((meter_id, key))
        times = [t for t, _ in history] if history else []
        last_value: float | None = None
        last_good: float | None = None
        run_seen: set[int] = set()
        for row in rows:
            run = bisect.bisect_right(starts, row.t)
            first_of_run = run not in run_seen
            run_seen.add(run)
            if row.state in UNAVAILABLE:
                continue
            try:
                shown = float(row.state)
            except ValueError:
                findings.states_unchecked += 1
                continue
            if row.state_class == "total_increasing":
                if last_value is not None and shown < last_value:
                    findings.backwards_counters.append(
                        f"{entity_id} {last_value} -> {shown} at {row.t:.3f}"
                    )
                last_value = shown
            factor = FACTORS.get((unit or "", row.unit or ""))
            if not history or factor is None:
                findings.states_unchecked += 1
                continue
            findings.states_checked += 1
            findings.checked_by_meter[meter_id] += 1
            index = bisect.bisect_right(times, row.t) - 1
            expected = None if index < 0 else history[index][1]
            low = bisect.bisect_left(times, row.t - LATENCY)
            candidates = [v for _, v in history[min(low, max(index, 0)) : index + 1]]
            if any(isinstance(v, int | float) and _same(shown, v * factor) for v in candidates):
                # A counter shown again after an outage keeps the meter's last total (a HAN
                # meter sends its registers hourly): the same value, not a stale new one.
                reshown = (
                    row.state_class == "total_increasing"
                    and last_good is not None
                    and _same(shown, last_good)
                )
                if row.t - times[index] > STALE_AFTER and not reshown:
                    findings.stale_values.append(
                        f"{entity_id}={shown} written {row.t - times[index]:.1f} s after the "
                        "meter sent it"
                    )
                last_good = shown
                continue
            if first_of_run and last_good is not None and _same(shown, last_good):
                findings.restored_values += 1
                continue
            older = next(
                (
                    row.t - t
                    for t, v in reversed(history[: index + 1])
                    if isinstance(v, int | float) and _same(shown, v * factor)
                ),
                None,
            )
            findings.wrong_by_meter[meter_id] += 1
            findings.wrong_values.append(
                f"{entity_id}={shown} {row.unit} at {row.t:.3f}; the meter last sent "
                f"{expected} {unit}"
                + (f" {row.t - times[index]:.2f} s before" if index >= 0 else "")
                + (f"; it sent {shown} {older:.1f} s before" if older is not None else "")
            )


def is_port_entity(unique_id: str) -> bool:
    """The port's own entities (connection, readings, errors): no meter's values.

    Their counters count since Home Assistant started, so a restart sets them back by design.
    """
    return "-port_" in unique_id


def split_unique_id(unique_id: str) -> tuple[str, str]:
    """``"SLB-12345678-energy"`` -> (meter id ``"SLB-12345678"``, record key ``"energy"``)."""
    parts = unique_id.split("-", 2)
    return "-".join(parts[:2]), parts[2] if len(parts) > 2 else ""


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def find_outages(states: dict[str, list[StateRow]], end: float) -> list[Outage]:
    """Periods each entity was unavailable, from its recorded states."""
    outages = []
    for entity_id, rows in states.items():
        start: float | None = None
        for row in rows:
            if row.state == "unavailable":
                if start is None:
                    start = row.t
            elif start is not None:
                outages.append(Outage(entity_id, start, row.t))
                start = None
        if start is not None:
            outages.append(Outage(entity_id, start, None if end <= start else end))
    return outages


def check_statistics(findings: Findings, db_path: Path, entity_ids: set[str]) -> None:
    """Short-term and hourly statistics of counters: the sum grows exactly as the state does.

    A recorder spike is a sum that jumps by more than the state moved (a meter reset seen
    where there was none, or a wrong value that was later corrected), or goes down.
    """
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        for table in ("statistics_short_term", "statistics"):
            rows = db.execute(
                f"SELECT m.statistic_id, s.start_ts, s.state, s.sum FROM {table} s "
                "JOIN statistics_meta m ON s.metadata_id = m.id "
                "WHERE m.has_sum ORDER BY m.statistic_id, s.start_ts"
            ).fetchall()
            previous: dict[str, tuple[float, float]] = {}
            for statistic_id, start, state, total in rows:
                if statistic_id not in entity_ids or state is None or total is None:
                    continue
                findings.statistics_rows += 1
                if statistic_id in previous:
                    last_state, last_sum = previous[statistic_id]
                    grew = total - last_sum
                    moved = state - last_state
                    if grew < -1e-6 or not math.isclose(grew, max(moved, 0.0), abs_tol=1e-6):
                        findings.statistics_spikes.append(
                            f"{table} {statistic_id} at {start:.0f}: sum +{grew:g} while "
                            f"the state moved {moved:+g}"
                        )
                previous[statistic_id] = (state, total)


_RECOVERED = re.compile(r"recovered|restored|\bback\b|answers again")
_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ (\w+) \((\S+)\) \[([\w.]+)\] (.*)")


def check_log(findings: Findings, log_paths: list[Path]) -> None:
    """Tracebacks anywhere, and the integration's unavailable / recovered lines."""
    for path in log_paths:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        lines = text.splitlines()
        for number, line in enumerate(lines):
            if TRACEBACK in line:
                context = next(
                    (lines[i] for i in range(number - 1, -1, -1) if _LOG_LINE.match(lines[i])),
                    "",
                )
                tail = next(
                    (lines[i] for i in range(number + 1, len(lines)) if not lines[i][:1].isspace()),
                    "",
                )
                findings.tracebacks.append(f"{path.name}: {context[:200]} ... {tail[:200]}")
            match = _LOG_LINE.match(line)
            if not match:
                continue
            level, _, logger, message = match.groups()
            if not logger.startswith("custom_components.mbus_han"):
                continue
            if level in ("WARNING", "ERROR", "CRITICAL"):
                findings.errors_logged.append(f"{line[:23]} {level} {message[:160]}")
            elif _RECOVERED.search(message):
                findings.recoveries_logged.append(f"{line[:23]} {message[:160]}")
