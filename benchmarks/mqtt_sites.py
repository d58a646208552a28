"""Benchmark: many remote sites, each a bridge with 10 HAN meters, through one mosquitto to one HA.

Run from the repository root (mosquitto installed, aiomqtt in the venv):
``.venv/bin/python benchmarks/mqtt_sites.py --sites 50 --minutes 10``.

- One mosquitto (Debian's) on a random loopback port.
- One Home Assistant, in this process: its MQTT integration set up through its own config flow
  against that broker, and the recorder writing every state to SQLite as at home.
- ``--sites`` bridges (``Bridge`` of protocol/bridge, the code ``mbus-han bridge`` runs), spread
  over worker processes (``--workers``); each has ``--meters`` simulated HAN meters behind TCP
  gateways pushing a list-2 frame every ``--interval`` seconds, whose active power is a counter
  unique to the meter, so every value sent can be found in Home Assistant's state changes.

Measured after every meter's power sensor exists in Home Assistant: values sent vs. seen in
Home Assistant (lost), end-to-end latency from the write on the meter's line to Home
Assistant's state change (p50, p99), CPU of the broker, of Home Assistant's process and of the
bridges, and Home Assistant's worst event-loop delay (a 50 ms ticker's lateness). Ends with
``RESULT sites=.. meters=.. lost=.. p99_ms=.. worst_loop_delay_ms=..``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from custom_components.mbus_han.protocol.bridge.config import parse_config  # noqa: E402
from custom_components.mbus_han.protocol.bridge.runner import Bridge  # noqa: E402
from custom_components.mbus_han.protocol.han import encode as enc  # noqa: E402
from custom_components.mbus_han.protocol.han.hdlc import encode_hdlc_frame  # noqa: E402
from custom_components.mbus_han.protocol.han.simulator import (  # noqa: E402
    HanSimulator,
    Maker,
    Wiring,
)

POWER_OBIS = "1-0:1.7.0.255"
TICK = 0.05  # s: the loop-delay ticker's period
WARM_UP_LIMIT = 300.0  # s to wait for every meter's power sensor to have a value
DRAIN = 5.0  # s after the last send before counting


def _clock_ticks(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the bridges (worker processes) ----------------------------------------------------------


class Meter:
    """A Kaifa single-phase meter with its own ID, whose P+ counts up by one per push."""

    def __init__(self, site: int, number: int) -> None:
        self.sim = HanSimulator(Maker.KAIFA, Wiring.ONE_PHASE, seed=site * 100 + number)
        self.sim.meter_id = f"69{site:07d}{number:07d}"
        self.value = 1000 + number * 10_000_000
        self.sent: list[tuple[int, float]] = []
        self.writer: asyncio.StreamWriter | None = None

    def frame(self) -> bytes:
        """The next list-2 push, P+ one more than the last."""
        self.value += 1
        self.sim.physics.phase_power[0] = float(self.value)
        apdu = self.sim.apdu(2, datetime.now().replace(microsecond=0))
        return encode_hdlc_frame(enc.llc(apdu), 0x00, 0x80, 0x10)

    async def serve(self) -> str:
        """The meter's TCP gateway; its URL for the bridge."""

        async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.writer = writer

        server = await asyncio.start_server(accept, "127.0.0.1", 0)
        return f"socket://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    async def run(self, interval: float, stop: Path) -> None:
        """Push every ``interval`` seconds until the file ``stop`` exists."""
        loop = asyncio.get_running_loop()
        await asyncio.sleep(interval * (hash(self.sim.meter_id) % 1000) / 1000)  # spread
        while not stop.exists():
            if self.writer is not None and not self.writer.is_closing():
                data = self.frame()
                self.writer.write(data)
                self.sent.append((self.value, time.time()))
            next_at = loop.time() + interval
            await asyncio.sleep(max(0.0, next_at - loop.time()))


async def _worker(args: argparse.Namespace) -> None:
    meters: list[Meter] = []
    bridges: list[Bridge] = []
    for site in args.site_numbers:
        ports = []
        for number in range(args.meters):
            meter = Meter(site, number)
            meters.append(meter)
            ports.append({"port": await meter.serve(), "meter": "kaifa", "raw": False})
        config = {
            "bridge": {"id": f"site-{site}"},
            "mqtt": {"host": "127.0.0.1", "port": args.broker_port},
            "han": ports,
        }
        bridges.append(Bridge(parse_config(config)))
    tasks = [asyncio.create_task(bridge.run()) for bridge in bridges]
    await asyncio.gather(*(meter.run(args.interval, Path(args.stop)) for meter in meters))
    await asyncio.sleep(DRAIN)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    result = {meter.sim.meter_id: meter.sent for meter in meters}
    Path(args.out).write_text(json.dumps(result))


# --- Home Assistant (this process) -------------------------------------------------------------


async def _home_assistant(config_dir: Path, broker_port: int) -> Any:
    from homeassistant import bootstrap
    from homeassistant.runner import RuntimeConfig

    (config_dir / "configuration.yaml").write_text(
        "homeassistant:\n  name: bench\n  time_zone: UTC\n  unit_system: metric\n"
        "  latitude: 59.9\n  longitude: 10.7\n  elevation: 0\n"
        "recorder:\n  db_url: sqlite:///" + str(config_dir / "home-assistant_v2.db") + "\n"
        "logger:\n  default: warning\n"
    )
    hass = await bootstrap.async_setup_hass(
        RuntimeConfig(config_dir=str(config_dir), skip_pip=True)
    )
    if hass is None:
        raise RuntimeError("Home Assistant did not start")
    await hass.async_start()
    flow = await hass.config_entries.flow.async_init("mqtt", context={"source": "user"})
    if flow.get("type") == "menu":
        flow = await hass.config_entries.flow.async_configure(
            flow["flow_id"], {"next_step_id": "broker"}
        )
    flow = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"broker": "127.0.0.1", "port": broker_port}
    )
    if flow.get("type") != "create_entry":
        raise RuntimeError(f"MQTT set-up failed: {flow}")
    await hass.async_block_till_done()
    return hass


class Observer:
    """In Home Assistant's loop: every power state change, and the loop's lateness."""

    def __init__(self, hass: Any) -> None:
        self.hass = hass
        self.seen: dict[str, dict[int, float]] = {}  # meter id -> value -> when
        self.worst_delay = 0.0
        self.delays: list[float] = []
        self.measuring = False
        self._meter_of: dict[str, str | None] = {}

    def start(self) -> None:
        """Listen to state changes; start the ticker."""
        from homeassistant.const import EVENT_STATE_CHANGED

        self.hass.bus.async_listen(EVENT_STATE_CHANGED, self._changed)
        self._ticker = self.hass.loop.create_task(self._tick())

    def _meter(self, entity_id: str) -> str | None:
        if entity_id not in self._meter_of:
            from homeassistant.helpers import entity_registry as er

            entry = er.async_get(self.hass).async_get(entity_id)
            unique = entry.unique_id if entry else ""
            self._meter_of[entity_id] = (
                unique.removeprefix("mbus_han-HAN-").removesuffix(f"-{POWER_OBIS}")
                if unique.endswith(POWER_OBIS)
                else None
            )
        return self._meter_of[entity_id]

    def _changed(self, event: Any) -> None:
        now = time.time()
        state = event.data.get("new_state")
        if state is None or not state.entity_id.startswith("sensor."):
            return
        meter = self._meter(state.entity_id)
        if meter is None:
            return
        try:
            value = int(float(state.state))
        except ValueError:
            return
        self.seen.setdefault(meter, {}).setdefault(value, now)

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(TICK)
            if self.measuring:
                late = loop.time() - before - TICK
                self.delays.append(late)
                self.worst_delay = max(self.worst_delay, late)


async def _main(args: argparse.Namespace) -> int:
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(mosquitto).exists():
        print("mosquitto is not installed (apt-get install mosquitto)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="mbus-han-mqtt-sites-"))
    broker_port = _free_port()
    (work / "mosquitto.conf").write_text(  # before Home Assistant watches for blocking I/O
        f"listener {broker_port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\n"
        "log_dest none\n"
    )
    broker = subprocess.Popen([mosquitto, "-c", str(work / "mosquitto.conf")])
    workers: list[subprocess.Popen[bytes]] = []
    try:
        await asyncio.sleep(0.5)
        (work / "ha").mkdir()
        hass = await _home_assistant(work / "ha", broker_port)
        observer = Observer(hass)
        observer.start()
        meters = args.sites * args.meters
        stop = work / "stop"
        sites = list(range(args.sites))
        for index in range(args.workers):
            chunk = sites[index :: args.workers]
            if not chunk:
                continue
            workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "--worker",
                        "--broker-port",
                        str(broker_port),
                        "--stop",
                        str(stop),
                        "--meters",
                        str(args.meters),
                        "--interval",
                        str(args.interval),
                        "--out",
                        str(work / f"worker-{index}.json"),
                        "--site-numbers",
                        *map(str, chunk),
                    ]
                )
            )
        # Warm-up: every meter announced, its power sensor in Home Assistant with a value.
        deadline = time.time() + WARM_UP_LIMIT
        while len(observer.seen) < meters and time.time() < deadline:
            await asyncio.sleep(0.5)
        await asyncio.sleep(args.warm_up)  # past the discovery burst
        measure_from = time.time()
        until = measure_from + args.minutes * 60
        ready = len(observer.seen)
        cpu_ha, cpu_broker = time.process_time(), _clock_ticks(broker.pid)
        cpu_workers = sum(_clock_ticks(w.pid) for w in workers)
        observer.measuring = True
        await asyncio.sleep(max(0.0, until - time.time()))
        observer.measuring = False
        measured_for = time.time() - measure_from
        cpu_ha = time.process_time() - cpu_ha
        cpu_broker = _clock_ticks(broker.pid) - cpu_broker
        cpu_workers = sum(_clock_ticks(w.pid) for w in workers) - cpu_workers
        await asyncio.to_thread(stop.touch)
        await asyncio.sleep(DRAIN + 1)
        for worker in workers:
            await asyncio.to_thread(worker.wait, 120)
        sent: dict[str, list[tuple[int, float]]] = {}
        for index in range(len(workers)):
            text = await asyncio.to_thread((work / f"worker-{index}.json").read_text)
            sent.update(json.loads(text))
        latencies: list[float] = []
        lost = counted = 0
        for meter, values in sent.items():
            seen = observer.seen.get(meter, {})
            for value, at in values:
                if not measure_from <= at <= until - 1:
                    continue
                counted += 1
                if value in seen:
                    latencies.append((seen[value] - at) * 1000)
                else:
                    lost += 1
        await hass.async_stop()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
        broker.terminate()
        await asyncio.to_thread(broker.wait, 10)
        await asyncio.to_thread(shutil.rmtree, work, True)
    latencies.sort()
    p50 = statistics.median(latencies) if latencies else float("nan")
    p99 = _p99(latencies)
    rate = counted / measured_for if measured_for else 0.0
    rows = [
        ("sites x meters", f"{args.sites} x {args.meters} = {meters}"),
        ("meters in HA when measuring", f"{ready} (a meter not there: all its values lost)"),
        ("push interval", f"{args.interval:g} s (list 2, one value each)"),
        ("measured for", f"{measured_for:.0f} s after warm-up"),
        ("values sent / lost", f"{counted} / {lost}  ({rate:.0f} per s)"),
        ("latency p50 / p99", f"{p50:.1f} / {p99:.1f} ms (meter line -> HA state)"),
        (
            "HA loop delay p99 / worst",
            f"{_p99(observer.delays) * 1000:.1f} / {observer.worst_delay * 1000:.1f} ms",
        ),
        ("machine load (1 min)", f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"),
        ("CPU: HA process", f"{100 * cpu_ha / measured_for:.1f} % of one core"),
        ("CPU: mosquitto", f"{100 * cpu_broker / measured_for:.1f} % of one core"),
        (
            "CPU: bridges + sims",
            f"{100 * cpu_workers / measured_for:.1f} % ({len(workers)} processes)",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(
        f"RESULT sites={args.sites} meters={meters} lost={lost} p50_ms={p50:.1f} p99_ms={p99:.1f} "
        f"worst_loop_delay_ms={observer.worst_delay * 1000:.1f} "
        f"ha_cpu_pct={100 * cpu_ha / measured_for:.1f} "
        f"broker_cpu_pct={100 * cpu_broker / measured_for:.1f}"
    )
    return 0 if lost == 0 else 1


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--meters", type=int, default=10, help="HAN meters per site")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between pushes")
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument(
        "--warm-up", type=float, default=10.0, help="seconds after the last meter arrives"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--broker-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stop", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--site-numbers", type=int, nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_worker(args))
        return 0
    return asyncio.run(_main(args))


if __name__ == "__main__":
    sys.exit(main())
