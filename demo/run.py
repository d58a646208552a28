"""``scripts/demo``: simulated meters read by a real Home Assistant, set up through the UI's API.

Starts an M-Bus heat meter simulator (the Allmess Integral-V UltraLite at primary address 0)
and a HAN smart meter simulator, each on a pseudo-terminal; starts Home Assistant on a config
dir under ``.demo/`` (kept between runs); completes onboarding for a demo user; adds both
ports through the integration's config flow; installs the heat-station dashboard and the
energy dashboard preferences; prints ``LOGIN <url> user=<name> password=<password>`` and runs
until Ctrl-C, which stops Home Assistant and then the simulators.

Headless mode (``MBUS_HAN_DEMO_HEADLESS=1``, used by the browser test) keeps progress
messages off the terminal and prints one more line after the login line: ``READY <json>``
with what a test needs (URL, a long-lived token, entity ids, ports, problems found).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import secrets
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from . import home_assistant
from .client import Credentials, HaApiError, HaClient, wait_for_ok
from .dashboard import (
    install_dashboard,
    install_energy_prefs,
    load_dashboard,
    referenced_entities,
    with_history_window,
)
from .flows import FlowError, FlowPlan, run_config_flow, run_options_flow
from .processes import ManagedProcess, ProcessError
from .simulators import Simulator, start_han, start_mbus

_LOGGER = logging.getLogger("demo")

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_STATE_DIR = REPO_ROOT / ".demo"
HEADLESS_ENV = "MBUS_HAN_DEMO_HEADLESS"
DOMAIN = "mbus_han"
# The first start installs the frontend from PyPI; later starts take well under a minute.
HA_START_TIMEOUT = 900.0
# HAN meters push list 1 every 2-2.5 s and the flow waits up to ~30 s for a valid frame.
HAN_FLOW_TIMEOUT = 90.0
# The M-Bus demo meter is read this often (the integration's minimum; real battery meters
# should stay at the default 15 minutes), so the charts move while someone watches.
DEMO_SCAN_INTERVAL = 10
# Heat bill figures: a billing year from 1 June and a cooling target of at least 20 K (the
# simulated meter's household cools 15-23 K, so the target is sometimes missed).
DEMO_HEAT_KPI_OPTIONS = {
    "billing_start": "2026-06-01",
    "heat_target": "cooling",
    "target_low": 20.0,
    "target_period": "month",
}
# The demo dashboard's charts show the last 6 minutes (about 36 polls of the heat meter).
DEMO_HISTORY_HOURS = 0.1
# Entries that onboarding adds on its own (weather, text-to-speech, radio, shopping list);
# they need the internet and have nothing to do with meters, so the demo removes them.
ONBOARDING_DOMAINS = ("met", "google_translate", "radio_browser", "shopping_list")
# The M-Bus records the dashboard and the energy dashboard use, by record key.
HEAT_RECORDS = (
    "energy",
    "volume",
    "power",
    "volume_flow",
    "flow_temperature",
    "return_temperature",
    "temperature_difference",
)


class DemoError(RuntimeError):
    """The demo cannot go on; the message says why and which log to read."""


@dataclass(slots=True)
class DemoState:
    """What the demo set up, for the READY line and the summary."""

    base_url: str
    credentials: Credentials
    mbus_port: str = ""
    han_port: str = ""
    han_meter: str = "kaifa"
    entries: dict[str, str] = field(default_factory=dict)  # kind -> entry id
    entities: dict[str, str] = field(default_factory=dict)  # role -> entity id
    dashboard: str = ""
    missing_dashboard_entities: list[str] = field(default_factory=list)
    han_problem: str | None = None


def _load_credentials(state_dir: Path) -> Credentials:
    """The demo user: made up on the first run, kept in the state dir for later runs."""
    path = state_dir / "credentials.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(data["name"], data["username"], data["password"])
    except (OSError, ValueError, KeyError):
        pass
    credentials = Credentials("Demo", "demo", secrets.token_urlsafe(9))
    state_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "name": credentials.name,
                "username": credentials.username,
                "password": credentials.password,
            }
        ),
        encoding="utf-8",
    )
    path.chmod(0o600)
    return credentials


async def _wait_running(client: HaClient, timeout: float) -> None:
    """Wait until HA has finished starting (every integration set up)."""
    events = await client.subscribe("subscribe_events", event_type="homeassistant_started")
    async with asyncio.timeout(timeout):
        if (await client.ws("get_config")).get("state") == "RUNNING":
            return
        await events.get()


async def _connect(
    session: aiohttp.ClientSession, base_url: str, config_dir: Path, credentials: Credentials
) -> HaClient:
    """Onboard on a new config dir, log in on an old one."""
    if home_assistant.onboarding_done(config_dir):
        await wait_for_ok(session, f"{base_url}/auth/providers", HA_START_TIMEOUT)
        try:
            return await HaClient.login(session, base_url, credentials)
        except HaApiError as err:
            raise DemoError(
                f"cannot log in as {credentials.username!r} on {config_dir} ({err}); "
                "delete the demo's state dir to start afresh"
            ) from err
    steps = await wait_for_ok(session, f"{base_url}/api/onboarding", HA_START_TIMEOUT)
    if any(step["done"] for step in steps):
        raise DemoError(
            f"{config_dir} is half onboarded; delete the demo's state dir to start afresh"
        )
    return await HaClient.onboard(session, base_url, credentials)


async def _entries(client: HaClient, domain: str | None = None) -> list[dict[str, Any]]:
    entries = await client.rest("get", "/api/config/config_entries/entry")
    return [entry for entry in entries if domain is None or entry["domain"] == domain]


async def _remove_entries(client: HaClient, domains: tuple[str, ...]) -> None:
    for entry in await _entries(client):
        if entry["domain"] in domains:
            await client.rest("delete", f"/api/config/config_entries/entry/{entry['entry_id']}")


async def _wait_for_entities(
    client: HaClient,
    entry_id: str,
    ready: Callable[[list[dict[str, Any]]], bool],
    timeout: float,
) -> list[dict[str, Any]]:
    """The registry entries of ``entry_id`` once ``ready`` holds for them (or at the timeout)."""
    events = await client.subscribe("subscribe_events", event_type="entity_registry_updated")
    found: list[dict[str, Any]] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            while True:
                registry = await client.ws("config/entity_registry/list")
                found = [item for item in registry if item.get("config_entry_id") == entry_id]
                if ready(found):
                    break
                await events.get()
    return found


async def _setup_mbus(client: HaClient, state: DemoState) -> None:
    """Add the M-Bus port through the config flow (addresses typed in), poll it every 10 s."""
    plan = FlowPlan(
        kind="mbus",
        forms={
            "mbus": {"port": state.mbus_port, "baudrate": "2400", "setup_method": "manual"},
            "manual": {"addresses": "0"},
        },
    )
    result = await run_config_flow(client, plan)
    entry_id = result["result"]["entry_id"]
    state.entries["mbus"] = entry_id
    # The heat bill figures with a target for the dashboard's "cooling this month" card.
    await run_options_flow(client, entry_id, DEMO_HEAT_KPI_OPTIONS, menu="heat_kpi")
    await run_options_flow(
        client, entry_id, {"scan_interval": DEMO_SCAN_INTERVAL}, menu="poll_interval"
    )
    # The options flow only changes the interval after the poll already scheduled (15 min
    # away); a reload starts polling at the new interval at once.
    await client.rest("post", f"/api/config/config_entries/entry/{entry_id}/reload")
    registry = await _wait_for_entities(
        client, entry_id, lambda found: len(found) >= len(HEAT_RECORDS), 60
    )
    by_unique = {item["unique_id"]: item["entity_id"] for item in registry}
    for key in HEAT_RECORDS:
        entity_id = next((e for u, e in by_unique.items() if u.endswith(f"-{key}")), None)
        if entity_id is not None:
            state.entities[f"heat_{key}"] = entity_id
    if energy := state.entities.get("heat_energy"):
        # The simulated meter counts Wh (for the heat-bill figures); shown in whole kWh, as a
        # user would set it, so the "Heat meter now" card's tile is not cut off.
        await client.ws(
            "config/entity_registry/update",
            entity_id=energy,
            options_domain="sensor",
            options={"display_precision": 0},
        )


# The HAN options the demo turns on: the capacity tariff with the common Norwegian ladder,
# settled per hour (no prices: the cost sensor needs a price sensor the demo does not have).
DEMO_HAN_OPTIONS = {
    "capacity_tariff": True,
    "settlement_minutes": "60",
    "capacity_ladder": "2, 5, 10, 15, 20, 25, 50, 75, 100",
}


async def _setup_han(client: HaClient, state: DemoState) -> None:
    """Add the HAN port through the config flow; find its import/export energy sensors."""
    plan = FlowPlan(
        kind="han",
        forms={"han": {"port": state.han_port, "meter": state.han_meter}},
        progress_timeout=HAN_FLOW_TIMEOUT,
    )
    async with asyncio.timeout(HAN_FLOW_TIMEOUT + 30):
        result = await run_config_flow(client, plan)
    entry_id = result["result"]["entry_id"]
    state.entries["han"] = entry_id
    # Norway's capacity tariff (issue 17): the dashboard's "Capacity tariff" card shows it.
    await run_options_flow(client, entry_id, DEMO_HAN_OPTIONS)
    # Entities appear with the first list that has them: power at once (list 1 every 2 s),
    # the energy counters only with the hourly list 3 (XX:00:10).
    # The meter's device (and so the entity ids) is named from what the meter sends: wait for
    # the power import, the first entity whose id the roles below derive from.
    registry = await _wait_for_entities(
        client,
        entry_id,
        lambda found: all(
            any(item["unique_id"].endswith(suffix) for item in found)
            for suffix in ("1.7.0.255", "-capacity_step")  # the capacity card's sensors too
        ),
        60,
    )
    by_obis = {item["unique_id"].rsplit(":", 1)[-1]: item["entity_id"] for item in registry}
    power_import = by_obis.get("1.7.0.255")
    for role, obis, name in (
        ("grid_import", "1.8.0.255", "energy_import"),
        ("grid_export", "2.8.0.255", "energy_export"),
    ):
        if obis in by_obis:
            state.entities[role] = by_obis[obis]
        elif power_import is not None and power_import.endswith("_power_import"):
            # Not there before the hourly list: the id it will get, from its device's name.
            state.entities[role] = power_import.removesuffix("power_import") + name


async def _setup(
    session: aiohttp.ClientSession, config_dir: Path, state: DemoState, say: Any
) -> HaClient:
    say("Waiting for Home Assistant (the first start installs its frontend: minutes) ...")
    client = await _connect(session, state.base_url, config_dir, state.credentials)
    await _wait_running(client, HA_START_TIMEOUT)
    await _promote_http_config(client)
    # Early, before their first internet lookups; and again at the end for those onboarding
    # finished creating meanwhile.
    await _remove_entries(client, ONBOARDING_DOMAINS)
    # Ports of the last run's simulators are gone: add both ports anew through the flow.
    await _remove_entries(client, (DOMAIN,))
    say(f"Adding the M-Bus port {state.mbus_port} through the config flow ...")
    await _setup_mbus(client, state)
    say(f"Adding the HAN port {state.han_port} through the config flow ...")
    try:
        await _setup_han(client, state)
    except (FlowError, HaApiError, TimeoutError) as err:
        # The HAN part of the flow may not exist in this version of the integration yet.
        state.han_problem = f"{type(err).__name__}: {err}"
        say(f"HAN port not added: {state.han_problem}")
    dashboard = load_dashboard()
    known = {item["entity_id"] for item in await client.ws("config/entity_registry/list")}
    state.missing_dashboard_entities = sorted(set(referenced_entities(dashboard)) - known)
    if state.missing_dashboard_entities:
        say(f"Dashboard entities not present: {', '.join(state.missing_dashboard_entities)}")
    state.dashboard = await install_dashboard(
        client, with_history_window(dashboard, DEMO_HISTORY_HOURS)
    )
    await install_energy_prefs(
        client,
        heat_energy=state.entities.get("heat_energy"),
        grid_import=state.entities.get("grid_import"),
        grid_export=state.entities.get("grid_export"),
    )
    await _remove_entries(client, ONBOARDING_DOMAINS)
    return client


async def _promote_http_config(client: HaClient) -> None:
    """Confirm the HTTP settings Home Assistant 2026.11+ took from YAML as a trial.

    Unconfirmed, that release reverts them after 5 minutes by restarting, which would end the
    demo. Releases before it have no such trial (nor the command).
    """
    try:
        config = await client.ws("http/config")
    except HaApiError:
        return
    if config.get("pending") and config.get("active_config_type") == "pending":
        await client.ws("http/config/promote")


async def _first_exit(processes: list[ManagedProcess], stop: asyncio.Event) -> str:
    """Wait for Ctrl-C (or SIGTERM) or for a child to die; say which."""
    waits = {asyncio.ensure_future(p.process.wait()): p.name for p in processes}
    stopper = asyncio.ensure_future(stop.wait())
    done, pending = await asyncio.wait([stopper, *waits], return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    if stopper in done:
        return "stop requested"
    return f"{waits[next(iter(done))]} exited"


def _check_port_free(host: str, port: int) -> None:
    """Fail at once when the port is taken: HA would start without its web server."""
    with socket.socket() as probe:
        # Like HA's server: a port in TIME_WAIT from the last run is free, a listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            raise DemoError(f"cannot use {host}:{port} ({err}); choose another --port") from err


async def run(args: argparse.Namespace) -> int:
    """Start everything, print the login line, run until stopped; 0 on a clean stop."""
    headless = os.environ.get(HEADLESS_ENV, "") not in ("", "0")
    state_dir: Path = args.state_dir.resolve()
    config_dir = state_dir / "config"
    log_dir = state_dir / "logs"
    started = time.monotonic()

    def say(text: str) -> None:
        _LOGGER.info("%s", text)
        if not headless:
            print(f"[demo {time.monotonic() - started:5.0f} s] {text}", file=sys.stderr)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    _check_port_free(args.host, args.port)
    home_assistant.prepare_config_dir(config_dir, port=args.port, host=args.host)
    state = DemoState(f"http://localhost:{args.port}", _load_credentials(state_dir))
    async with contextlib.AsyncExitStack() as stack:
        say(f"Starting the simulators (logs in {log_dir}) ...")
        mbus: Simulator = await start_mbus(log_dir)
        stack.push_async_callback(mbus.stop)
        han: Simulator = await start_han(log_dir, maker=args.han_meter)
        stack.push_async_callback(han.stop)
        state.mbus_port, state.han_port, state.han_meter = mbus.port, han.port, args.han_meter
        say(f"M-Bus heat meter on {mbus.port}, {args.han_meter} HAN meter on {han.port}")
        say("Starting Home Assistant ...")
        hass = await home_assistant.start(config_dir, log_dir)
        stack.push_async_callback(hass.stop, 60.0)
        # The threaded resolver: HA 2025.4's aiodns does not work with the pycares 5 that
        # pip picks beside it, and the demo only ever talks to localhost.
        session = await stack.enter_async_context(
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(resolver=aiohttp.ThreadedResolver())
            )
        )
        processes = [hass, mbus.process, han.process]
        setup = asyncio.ensure_future(_setup(session, config_dir, state, say))
        watcher = asyncio.ensure_future(_first_exit(processes, stop))
        await asyncio.wait([setup, watcher], return_when=asyncio.FIRST_COMPLETED)
        if not setup.done():
            setup.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await setup
            reason = watcher.result()
            if reason == "stop requested":
                return 130
            raise DemoError(f"{reason} during set-up; see {log_dir}")
        if setup.exception() is not None:
            watcher.cancel()
        client = setup.result()  # raises what went wrong
        stack.push_async_callback(client.close)
        say(f"Ready after {time.monotonic() - started:.0f} s. Ctrl-C stops everything.")
        creds = state.credentials
        print(f"LOGIN {state.base_url} user={creds.username} password={creds.password}", flush=True)
        if headless:
            ready = {
                "url": state.base_url,
                "token": await client.create_long_lived_token(f"demo {time.time():.0f}"),
                "mbus_port": state.mbus_port,
                "han_port": state.han_port,
                "entries": state.entries,
                "entities": state.entities,
                "dashboard": state.dashboard,
                "missing_dashboard_entities": state.missing_dashboard_entities,
                "han_problem": state.han_problem,
                "log_dir": str(log_dir),
            }
            print(f"READY {json.dumps(ready)}", flush=True)
        reason = await watcher
        say(f"Stopping ({reason}) ...")
        if reason != "stop requested":
            raise DemoError(f"{reason}; see {log_dir}")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The demo's options."""
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant's HTTP port")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address Home Assistant listens on (default 127.0.0.1; 0.0.0.0 for the network)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="where the HA config dir, logs and the demo user live (default .demo/)",
    )
    parser.add_argument(
        "--han-meter",
        choices=["kaifa", "aidon", "kamstrup"],
        default="kaifa",
        help="which smart meter the HAN simulator plays (default kaifa; the dashboard file "
        "names the Kaifa's entities)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug log on stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m demo.run``."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return asyncio.run(run(args))
    except (DemoError, FlowError, HaApiError, ProcessError, TimeoutError, OSError) as err:
        print(f"demo failed: {type(err).__name__}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
