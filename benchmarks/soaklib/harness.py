"""A real Home Assistant process on a throw-away configuration directory.

The directory holds ``configuration.yaml`` (recorder on SQLite, logger levels, the probe),
``custom_components/`` with symlinks to this checkout's ``mbus_han`` and the probe, and the
config entries written straight into ``.storage/core.config_entries`` as Home Assistant
itself stores them, so no config flow has to be driven over HTTP. Stopping sends SIGTERM (the
graceful stop a restart from the UI does); a restart is stop then start on the same directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import datetime as dt
import json
import os
import signal
import socket
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PR_SET_PDEATHSIG = 1
# s: Home Assistant's own stop stages may take this long (homeassistant.core: stopping 20 +
# stop 100 + final write 60 + close 30, the same in 2025.4 and 2026.10). The registries are
# written in the final-write stage when a change is still pending (their delayed save moves
# on with every change), so a process killed sooner can leave no entity registry at all.
STOP_TIMEOUT = 20.0 + 100.0 + 60.0 + 30.0

CONFIGURATION = """\
homeassistant:
  name: soak
  latitude: 59.9
  longitude: 10.7
  elevation: 0
  unit_system: metric
  time_zone: UTC
  country: "NO"
recorder:
  db_url: "sqlite:///{db}"
  commit_interval: 1
  purge_keep_days: 30
logger:
  default: warning
  logs:
    custom_components.mbus_han: info
    homeassistant.helpers.update_coordinator: info
soak_probe:
"""


@dataclass(slots=True)
class Entry:
    """One config entry of ``mbus_han`` as stored by Home Assistant."""

    data: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    entry_id: str = field(default_factory=lambda: uuid.uuid4().hex[:26].upper())  # noqa: PLW0108

    def as_storage(self) -> dict[str, Any]:
        """The dictionary ``ConfigEntry.as_dict`` writes (Home Assistant 2025.4)."""
        now = dt.datetime.now(dt.UTC).isoformat()
        return {
            "created_at": now,
            "data": self.data,
            "discovery_keys": {},
            "disabled_by": None,
            "domain": "mbus_han",
            "entry_id": self.entry_id,
            "minor_version": 1,
            "modified_at": now,
            "options": self.options,
            "pref_disable_new_entities": False,
            "pref_disable_polling": False,
            "source": "user",
            "subentries": [],
            "title": self.title or str(self.data.get("port")),
            "unique_id": str(self.data.get("port")),
            "version": 1,
        }


class HomeAssistantProcess:
    """Home Assistant running ``mbus_han`` with its recorder, started and stopped at will."""

    def __init__(
        self, config_dir: Path, entries: list[Entry], *, coverage_traced: bool = True
    ) -> None:
        # False: not traced even when the test suite measures coverage (pytest-cov's
        # COV_CORE_* variables): for figures about time, which tracing would distort.
        self.coverage_traced = coverage_traced
        self.config_dir = config_dir
        self.db_path = config_dir / "home-assistant_v2.db"
        self.log_path = config_dir / "home-assistant.log"
        self.probe_path = config_dir / "soak_probe.jsonl"
        self.entries = entries
        # One port for every start on this directory: 2026.x stores the HTTP settings.
        self.http_port = free_tcp_port()
        self.process: asyncio.subprocess.Process | None = None
        self.starts: list[float] = []  # wall-clock times of each start
        self.stops: list[float] = []  # wall-clock times each stop completed
        self.killed: list[float] = []  # wall-clock times a stop had to kill the process
        self._prepare()

    def _prepare(self) -> None:
        (self.config_dir / ".storage").mkdir(parents=True, exist_ok=True)
        components = self.config_dir / "custom_components"
        components.mkdir(exist_ok=True)
        for name, target in (
            ("mbus_han", REPO / "custom_components" / "mbus_han"),
            ("soak_probe", HERE / "probe"),
        ):
            link = components / name
            if not link.exists():
                link.symlink_to(target)
        (self.config_dir / "configuration.yaml").write_text(
            CONFIGURATION.format(db=self.db_path), encoding="utf-8"
        )
        storage = {
            "version": 1,
            "minor_version": 5,
            "key": "core.config_entries",
            "data": {"entries": [entry.as_storage() for entry in self.entries]},
        }
        (self.config_dir / ".storage" / "core.config_entries").write_text(
            json.dumps(storage, indent=1), encoding="utf-8"
        )

    def log_files(self) -> list[Path]:
        """The log of every run so far, oldest first."""
        runs = sorted(
            self.config_dir.glob("home-assistant.run*.log"),
            key=lambda path: int(path.stem.removeprefix("home-assistant.run")),
        )
        return [*runs, self.log_path]

    @property
    def pid(self) -> int | None:
        """The running process's id, or None while stopped."""
        if self.process is None or self.process.returncode is not None:
            return None
        return self.process.pid

    async def start(self) -> None:
        """Start Home Assistant; returns once the process runs (not once it has started)."""
        if self.log_path.exists():
            # Home Assistant rolls the previous log over into .log.1 and so keeps only one:
            # keep every run's log for the checks.
            self.log_path.rename(self.config_dir / f"home-assistant.run{len(self.starts)}.log")
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        if not self.coverage_traced:
            env = {k: v for k, v in env.items() if not k.startswith(("COV_CORE_", "COVERAGE_"))}
        env["MBUS_HAN_SOAK_HTTP_PORT"] = str(self.http_port)  # see ha_main.py
        stderr = (self.config_dir / "stderr.log").open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(HERE / "ha_main.py"),
            "-c",
            str(self.config_dir),
            "--skip-pip",
            "--log-no-color",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
            env=env,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        stderr.close()  # the child has its own copy
        self.starts.append(time.time())

    async def wait_started(self, timeout: float = 120.0) -> float:
        """Wait for the probe's "started" line of this run; seconds it took."""
        since = self.starts[-1]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.returncode is not None:
                raise RuntimeError(
                    f"Home Assistant exited with {self.process.returncode}; see {self.log_path}"
                )
            for record in read_probe(self.probe_path):
                if record.get("event") == "started" and record["t"] >= since:
                    return record["t"] - since
            await asyncio.sleep(0.2)
        raise TimeoutError(f"Home Assistant did not start within {timeout} s")

    async def stop(self) -> None:
        """Graceful stop (SIGTERM); SIGKILL if it hangs."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            self.killed.append(time.time())
            print(
                f"Home Assistant did not stop within {STOP_TIMEOUT:.0f} s and was killed: "
                "what it had not written yet (registries, restore states) is lost",
                file=sys.stderr,
            )
        self.stops.append(time.time())

    async def restart(self) -> float:
        """Stop, start, and wait until started; seconds from stop to started."""
        begin = time.time()
        await self.stop()
        await self.start()
        await self.wait_started()
        return time.time() - begin


def free_tcp_port() -> int:
    """A TCP port free on this machine now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def point_link(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` in one step, as udev swaps a /dev/serial/by-id/ link."""
    tmp = link.with_suffix(".new")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(target)
    tmp.replace(link)


def die_with_parent() -> None:
    """In a child before exec: get SIGTERM when the driver dies (Linux ``PR_SET_PDEATHSIG``).

    Home Assistant and ser2net run in their own sessions (a Ctrl-C in the terminal must not
    reach them before the driver has stopped them in order); this keeps them from living on
    when the driver is killed, e.g. by a test's timeout.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def read_probe(path: Path) -> list[dict[str, Any]]:
    """The probe's lines so far (a half-written last line is skipped)."""
    records = []
    with contextlib.suppress(FileNotFoundError), path.open(encoding="utf-8") as lines:
        for line in lines:
            with contextlib.suppress(json.JSONDecodeError):
                records.append(json.loads(line))
    return records


def open_files(pid: int) -> list[str]:
    """What each open fd of ``pid`` points at (sockets and pipes by inode), for leak hunting."""
    targets = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            targets.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
    return sorted(targets)


def process_usage(pid: int) -> tuple[int, int, float]:
    """(RSS bytes, open fds, CPU seconds of the main (event-loop) thread) of ``pid``."""
    rss = 0
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    with open(f"/proc/{pid}/task/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    loop_cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return rss, fds, loop_cpu
