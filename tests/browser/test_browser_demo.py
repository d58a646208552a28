"""End to end in a real browser: the demo's Home Assistant, driven like a user would.

The module starts ``scripts/demo``'s program headless on a free port with its own state dir
(so a developer's running demo is untouched), plus one extra M-Bus simulator that the test
adds through Home Assistant's "Add integration" dialog. Chromium is Debian's (``chromium``
package, listed in ``.ci/apt-packages.txt``), driven by Playwright without any browser
download. Screenshots go to ``artifacts/browser/``.
"""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_socket

playwright_sync = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
# Two shared cores: the frontend may take a while to render on a loaded machine.
expect.set_options(timeout=30_000)
CHROMIUM = Path(os.environ.get("MBUS_HAN_CHROMIUM", "/usr/bin/chromium"))
# A fresh state dir: onboarding, both flows, the dashboard. The first run on a machine also
# installs Home Assistant's frontend from PyPI, which can take minutes.
DEMO_START_TIMEOUT = 900.0
EXTRA_METER_ID = "23456789"
SEARCH_PROGRESS = "This takes about a minute"  # the search's progress text (en.json, scan)
UI_TIMEOUT_MS = 60_000
SERIAL_PORT = "ha-selector-serial_port"  # 2026.x's port field (SerialPortSelector)
# The heat view's history-graph cards (volume-weighted return temperature now, today and this
# month; volume flow with flow/return temperatures; power; temperature difference; energy), and
# enough polls (every 10 s) for each chart to have a line.
HEAT_CARDS = 5
LINE_WAIT_S = 240  # s: a few volume-register steps (see _lines_with_points)
MIN_POINTS = int(os.environ.get("MBUS_HAN_BROWSER_MIN_POINTS", "3"))  # more: longer lines

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)


@dataclass(slots=True)
class Demo:
    """The running demo, as its READY line describes it."""

    url: str
    username: str
    password: str
    ready: dict[str, Any]

    @property
    def token(self) -> str:
        """A long-lived token for REST checks beside the browser."""
        return self.ready["token"]

    def api(self, path: str) -> Any:
        """GET a REST endpoint of the demo's Home Assistant."""
        request = urllib.request.Request(
            f"{self.url}{path}", headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)


class LineReader:
    """Lines from a child's stdout with a deadline, without a reader thread."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        self._fd = process.stdout.fileno()
        os.set_blocking(self._fd, False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._fd, selectors.EVENT_READ)
        self._buffer = b""

    def readline(self, deadline: float) -> str | None:
        """The next line, or None at end of file; TimeoutError after ``deadline``."""
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no line before the deadline")
            if not self._selector.select(remaining):
                continue
            chunk = os.read(self._fd, 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode(errors="replace")

    def close(self) -> None:
        """Stop watching the pipe."""
        self._selector.close()


def _plain_env() -> dict[str, str]:
    """The environment without pytest-cov's: the demo's processes are not measured.

    The suite measures coverage of the integration as the unit tests exercise it; a Home
    Assistant started under coverage would run slower and report the integration's files
    under the demo's config dir path.
    """
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("COV_CORE_", "COVERAGE_"))
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    """Ctrl-C the process (the demo then stops HA and its simulators), kill if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture(scope="module")
def sockets() -> Iterator[None]:
    """Real sockets: the test talks HTTP to the demo (HA's test plugin blocks them)."""
    pytest_socket.enable_socket()
    yield
    pytest_socket.disable_socket(allow_unix_socket=True)


@pytest.fixture(autouse=True)
def _sockets_each_test(sockets: None) -> None:
    """HA's plugin blocks sockets again before every test; open them again."""
    pytest_socket.enable_socket()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, sockets: None) -> Iterator[Demo]:
    """The demo, headless on a free port with a fresh state dir; stopped with Ctrl-C."""
    state_dir = tmp_path_factory.mktemp("demo")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    env = {**_plain_env(), "MBUS_HAN_DEMO_HEADLESS": "1"}
    with (ARTIFACTS / "demo.stderr.log").open("wb") as stderr:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "demo.run"),
                *("--port", str(_free_port()), "--state-dir", str(state_dir)),
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    reader = LineReader(process)
    try:
        deadline = time.monotonic() + DEMO_START_TIMEOUT
        login: list[str] = []
        ready: dict[str, Any] | None = None
        while ready is None:
            line = reader.readline(deadline)
            if line is None:
                pytest.fail(f"the demo exited ({process.wait()}); see {ARTIFACTS}/demo.stderr.log")
            if line.startswith("LOGIN "):
                login.append(line)
            elif line.startswith("READY "):
                ready = json.loads(line.removeprefix("READY "))
        assert len(login) == 1, login
        _, url, user, password = login[0].split(" ")
        assert url.startswith("http://localhost:")
        yield Demo(
            url.replace("localhost", "127.0.0.1"),
            user.removeprefix("user="),
            password.removeprefix("password="),
            ready,
        )
    finally:
        reader.close()
        _stop(process)
        _copy_logs(state_dir)
    assert process.returncode == 0, f"the demo did not stop cleanly: {process.returncode}"


def _copy_logs(state_dir: Path) -> None:
    """Keep Home Assistant's and the simulators' logs with the screenshots."""
    for log in (state_dir / "logs").glob("*.log"):
        (ARTIFACTS / log.name).write_bytes(log.read_bytes())


@pytest.fixture(scope="module")
def extra_bus(sockets: None) -> Iterator[str]:
    """One more M-Bus simulator (meter 23456789 at address 5) to add through the dialog."""
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "custom_components.mbus_han", "mbus", "simulate"),
            *("--meter", f"{EXTRA_METER_ID}:5"),
        ],
        cwd=ROOT,
        env=_plain_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    reader = LineReader(process)
    try:
        port = reader.readline(time.monotonic() + 30)
        assert port is not None
        assert port.startswith("/dev/"), port
        yield port
    finally:
        reader.close()
        _stop(process, 10)


class BrowserThread:
    """Playwright's sync API on a thread of its own.

    The sync API keeps its event loop marked as running on the thread that uses it, and Home
    Assistant's pytest plugin runs a loop of its own around every test on the main thread:
    the two cannot share a thread. All browser work therefore runs on one worker thread
    (Playwright objects must stay on the thread that made them); tests hand it functions.
    """

    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="browser")
        self._playwright: Any = None
        self._browser: Browser | None = None
        self.call(self._launch)

    def call[T](self, function: Callable[[], T]) -> T:
        """Run ``function`` on the browser thread and return its result (or raise)."""
        return self._executor.submit(function).result(timeout=600)

    def _launch(self) -> None:
        self._playwright = sync_playwright().start()
        # Playwright's loop (marked running on this thread) does some file work in its
        # default executor. Start that executor's worker now: a thread first seen after a
        # test began would fail HA's check for threads a test leaves behind.
        asyncio.get_event_loop().run_in_executor(None, time.monotonic)
        # No sandbox: containers lack the user namespaces Chromium's sandbox needs.
        self._browser = self._playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )

    def logged_in(self, steps: Callable[[Page], None]) -> None:
        """Run ``steps`` on a new page of a new session, logged in as the demo user."""

        def session() -> None:
            assert self._browser is not None
            context = self._browser.new_context(
                viewport={"width": 1280, "height": 900}, locale="en-US"
            )
            context.set_default_timeout(UI_TIMEOUT_MS)
            try:
                page = context.new_page()
                page.goto(self.demo.url)
                page.get_by_label("Username").fill(self.demo.username)
                page.get_by_label("Password", exact=True).fill(self.demo.password)
                page.get_by_role("button", name="Log in").click()
                # The default dashboard: /lovelace/... on 2025.4, the home page on 2026.x.
                page.wait_for_url(lambda url: "/auth/" not in url and "auth_callback" not in url)
                page.locator("home-assistant-main").wait_for(state="attached")
                try:
                    steps(page)
                except BaseException:
                    shot(page, f"failed-{time.strftime('%H%M%S')}", full_page=True)
                    raise
            finally:
                context.close()

        self.call(session)

    def close(self) -> None:
        """Close the browser and Playwright, then the thread."""

        def stop() -> None:
            if self._browser is not None:
                self._browser.close()
            if self._playwright is not None:
                self._playwright.stop()

        try:
            self.call(stop)
        finally:
            self._executor.shutdown(wait=True)


@pytest.fixture(scope="module")
def ui(demo: Demo) -> Iterator[BrowserThread]:
    """Debian's headless Chromium, driven on its own thread."""
    browser = BrowserThread(demo)
    yield browser
    browser.close()


def shot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Save a screenshot among the test artifacts."""
    path = ARTIFACTS / f"{name}.png"
    path.write_bytes(page.screenshot(full_page=full_page))  # bytes: no executor thread
    return path


def test_demo_set_up_both_ports_through_the_flow(demo: Demo) -> None:
    """Both entries exist, loaded, and the dashboard names only existing entities."""
    entries = {e["entry_id"]: e for e in demo.api("/api/config/config_entries/entry")}
    assert demo.ready["han_problem"] is None
    for kind in ("mbus", "han"):
        entry = entries[demo.ready["entries"][kind]]
        assert entry["domain"] == "mbus_han"
        assert entry["state"] == "loaded", entry
    # The HAN meter's energy counters come with its hourly list; everything else is there.
    missing = set(demo.ready["missing_dashboard_entities"])
    assert missing <= {demo.ready["entities"]["grid_import"], demo.ready["entities"]["grid_export"]}
    heat = demo.api(f"/api/states/{demo.ready['entities']['heat_flow_temperature']}")
    assert 40 < float(heat["state"]) < 90
    assert heat["attributes"]["unit_of_measurement"] == "°C"


def _open_mbus_form(page: Page, demo: Demo) -> None:
    """Settings > Add integration > M-Bus & HAN > M-Bus: the first form, with its port field."""
    page.goto(f"{demo.url}/config/integrations/dashboard")
    page.get_by_role("button", name="Add integration").click()
    # A labelled field on 2025.4, a placeholder in 2026.x's dialog.
    search = "Search for a brand name"
    page.get_by_label(search).or_(page.get_by_placeholder(search)).first.fill("M-Bus")
    page.locator("ha-integration-list-item", has_text="M-Bus & HAN").click()
    page.get_by_text("An M-Bus meter bus").click()
    port = page.get_by_role("combobox", name="Port").or_(page.locator(SERIAL_PORT))
    expect(port.first).to_be_visible()


def _type_port(page: Page, text: str) -> None:
    """Type ``text`` into the form's port field, as a user whose port is not listed does.

    2025.4 shows a select selector with custom values (a combobox); 2026.x its serial-port
    selector: a picker of the detected ports whose "Enter manually" item turns the field into
    a text box.
    """
    combobox = page.get_by_role("combobox", name="Port")
    if combobox.count():
        # Key by key: the box then filters the detected ports away and Enter keeps what was typed.
        combobox.fill("")
        combobox.press_sequentially(text, delay=20)
        combobox.press("Enter")
        expect(combobox).to_have_value(text)
        return
    selector = page.locator(SERIAL_PORT)
    box = selector.get_by_role("textbox")
    if not box.is_visible():
        selector.get_by_role("button", name="Port").click()
        page.get_by_role("option", name="Enter manually").click()
        expect(box).to_be_focused()
    # Choosing "Enter manually" empties the field's value once more after the text box appears
    # (the selector's own re-render, not something a test can wait on): type it again then, as
    # a user would. The selector's value is what the form submits.
    for _ in range(5):
        box.fill(text)
        try:
            expect(selector).to_have_js_property("value", text, timeout=2_000)
            expect(box).to_have_value(text, timeout=2_000)
        except AssertionError:
            continue
        return
    expect(selector).to_have_js_property("value", text)


def test_first_minutes_mistakes_in_the_real_dialog(
    ui: BrowserThread, demo: Demo, extra_bus: str
) -> None:
    """Issue 20: a bad port is refused at once; a set-up whose page was left does not lock."""
    ui.logged_in(lambda page: _make_the_usual_mistakes(page, demo, extra_bus))


def _make_the_usual_mistakes(page: Page, demo: Demo, extra_bus: str) -> None:
    _open_mbus_form(page, demo)
    for typed, answer in (
        ("/dev/ttyUSB9", "No such device"),
        ("hello world!!", "neither a device path"),
    ):
        _type_port(page, typed)
        page.get_by_role("button", name="Submit").click()
        # Answered on the form within seconds, never "Searching ... for meters".
        expect(page.get_by_text(answer).first).to_be_visible(timeout=15_000)
        expect(page.get_by_text(SEARCH_PROGRESS)).to_have_count(0)
    shot(page, "00-add-integration-bad-port")

    # Start a search on a real bus, then leave the page without closing the dialog.
    _type_port(page, extra_bus)
    page.get_by_role("button", name="Submit").click()
    expect(
        page.get_by_text(SEARCH_PROGRESS).or_(page.get_by_text(f"SLB {EXTRA_METER_ID}")).first
    ).to_be_visible()
    page.reload()
    page.locator("home-assistant-main").wait_for(state="attached")

    # Again on the same port: the new set-up takes over instead of "already in progress".
    _open_mbus_form(page, demo)
    _type_port(page, extra_bus)
    page.get_by_role("button", name="Submit").click()
    expect(
        page.get_by_text(SEARCH_PROGRESS).or_(page.get_by_text(f"SLB {EXTRA_METER_ID}")).first
    ).to_be_visible()
    expect(page.get_by_text("already in progress")).to_have_count(0)
    shot(page, "00-add-integration-taken-over")
    # Close this one properly (its X; 2026.x's dialog ignores Escape); the next test adds the bus.
    close = page.get_by_role("button", name="Close", exact=True)
    if close.count():
        close.first.click()
    else:
        page.keyboard.press("Escape")
    expect(page.get_by_text(f"SLB {EXTRA_METER_ID}")).to_have_count(0)


def test_add_integration_in_the_dialog_and_see_sensor_values(
    ui: BrowserThread, demo: Demo, extra_bus: str
) -> None:
    """Settings > Add integration > M-Bus & HAN > M-Bus: search the bus, add the meter found."""
    ui.logged_in(lambda page: _add_integration(page, demo, extra_bus))


def _add_integration(page: Page, demo: Demo, extra_bus: str) -> None:
    _open_mbus_form(page, demo)
    _type_port(page, extra_bus)
    shot(page, "01-add-integration-port")
    page.get_by_role("button", name="Submit").click()
    # The search runs as a progress step; the meter it finds is ticked already.
    expect(page.get_by_text(f"SLB {EXTRA_METER_ID}")).to_be_visible()
    shot(page, "02-add-integration-found")
    page.get_by_role("button", name="Submit").click()
    # 2025.4 says "Success" (Finish); 2026.x lets the new devices be named first (Skip and finish).
    done = page.get_by_text("Success").or_(page.get_by_text("Name and assign"))
    expect(done.first).to_be_visible()
    shot(page, "03-add-integration-success")
    page.get_by_role("button", name="Finish").click()  # either button: names match in part

    page.goto(f"{demo.url}/config/devices/dashboard")
    page.get_by_text(f"Schlumberger (Allmess) {EXTRA_METER_ID}").click()
    page.wait_for_url("**/config/devices/device/**")
    sensors = page.locator("ha-card", has_text="Sensors")
    expect(sensors.get_by_text("Flow temperature")).to_be_visible()
    expect(sensors.get_by_text("°C").first).to_be_visible()
    expect(sensors.get_by_text("kW").first).to_be_visible()
    shot(page, "04-device-new-meter", full_page=True)

    page.goto(f"{demo.url}/config/integrations/integration/mbus_han")
    # 2026.x names each entry twice on this page (the entry and its port device).
    expect(page.get_by_text(f"M-Bus {extra_bus}").first).to_be_visible()
    expect(page.get_by_text(f"M-Bus {demo.ready['mbus_port']}").first).to_be_visible()
    shot(page, "05-integration-entries")


def _points(demo: Demo, entity_id: str) -> int:
    """How many states the recorder has for ``entity_id`` (what a history chart draws)."""
    history = demo.api(
        f"/api/history/period?filter_entity_id={entity_id}&minimal_response&no_attributes"
    )
    return len(history[0]) if history else 0


def _wait_for_history(demo: Demo, entity_ids: list[str]) -> None:
    # A poll every 10 s (some take longer on a busy machine), and a minute for a slow start.
    deadline = time.monotonic() + 60 + 20 * MIN_POINTS
    while min(counts := [_points(demo, entity_id) for entity_id in entity_ids]) < MIN_POINTS:
        if time.monotonic() > deadline:
            recorded = dict(zip(entity_ids, counts, strict=True))
            pytest.fail(f"fewer than {MIN_POINTS} states recorded: {recorded}")
        # The meter is polled every 10 s: there is nothing to wait on but the recorder.
        time.sleep(2)


def _series_points(card: Any) -> list[int]:
    """The number of points in each line of the card's chart (its ECharts instance)."""
    counts: list[int] = []
    for chart in card.locator("ha-chart-base").all():
        counts += chart.evaluate(
            "el => el.chart.getOption().series.map(series => (series.data || []).length)"
        )
    return counts


def _lines_with_points(card: Any) -> list[int]:
    """The card's points per line once each line has two, or what it has after the wait.

    The card follows its entities live. The heat-bill averages (volume-weighted return
    temperature today and this month) get their first value only when the meter's volume
    register has moved on (0.01 m³: half a minute or more at the demo's flow), so their lines
    may start later than the polled values' lines the test waited for.
    """
    deadline = time.monotonic() + LINE_WAIT_S
    while min(points := _series_points(card), default=0) < 2 and time.monotonic() < deadline:
        time.sleep(2)  # the card takes each new state as Home Assistant sends it
    return points


def _wait_until_drawn(card: Any) -> None:
    """Wait until every chart of the card has finished drawing (its ECharts animation).

    The history arrives over a websocket subscription after the card is shown, and ECharts
    then draws each line in from the left over about a second: a screenshot taken before
    that shows empty or half-drawn charts although the card has its data.
    """
    for chart in card.locator("ha-chart-base").all():
        drawn = chart.evaluate(
            """el => new Promise(resolve => {
                const until = performance.now() + 20000;
                const check = () => {
                    const zr = el.chart && el.chart.getZr();
                    if (zr && zr.animation.isFinished()) resolve(true);
                    else if (performance.now() > until) resolve(false);
                    else requestAnimationFrame(check);
                };
                check();
            })"""
        )
        assert drawn, "a chart was still drawing after 20 s"


def test_dashboard_charts_render_with_data(ui: BrowserThread, demo: Demo) -> None:
    """The heat-station view shows its history charts with lines; so does electricity."""
    entities = demo.ready["entities"]
    _wait_for_history(
        demo,
        [entities[f"heat_{key}"] for key in ("flow_temperature", "return_temperature", "power")],
    )
    ui.logged_in(lambda page: _dashboard(page, demo))


def _dashboard(page: Page, demo: Demo) -> None:
    page.goto(f"{demo.url}/{demo.ready['dashboard']}/heat")
    cards = page.locator("hui-history-graph-card")
    expect(cards).to_have_count(HEAT_CARDS)
    for index in range(HEAT_CARDS):
        card = cards.nth(index)
        expect(card.locator("canvas").first).to_be_visible()
        expect(card.get_by_text("No state history found")).to_have_count(0)
        points = _lines_with_points(card)
        assert points, f"history card {index} has no chart"
        assert min(points) >= 2, f"history card {index}: points per line {points}"
        _wait_until_drawn(card)
    expect(page.locator("hui-glance-card").get_by_text("°C").first).to_be_visible()
    shot(page, "10-dashboard-heat-station", full_page=True)

    page.goto(f"{demo.url}/{demo.ready['dashboard']}/electricity")
    power = page.locator("hui-history-graph-card", has_text="Power import and export")
    expect(power.locator("canvas").first).to_be_visible()
    currents = page.locator("hui-history-graph-card", has_text="Currents")
    expect(currents.locator("canvas").first).to_be_visible()
    assert min(_series_points(power)) >= 2
    assert min(_series_points(currents)) >= 2
    _wait_until_drawn(power)
    _wait_until_drawn(currents)
    shot(page, "11-dashboard-electricity", full_page=True)


def test_energy_dashboard_has_heat_and_electricity(ui: BrowserThread, demo: Demo) -> None:
    """The energy configuration lists the smart meter's import and the heat meter."""

    def steps(page: Page) -> None:
        page.goto(f"{demo.url}/config/energy")
        expect(page.get_by_text("Heat station (district heating)")).to_be_visible()
        # 2025.4 lists "Grid consumption"; 2026.x one grid connection with import and export.
        grid = page.get_by_text("Grid consumption").or_(page.get_by_text("Grid connections"))
        expect(grid.first).to_be_visible()
        shot(page, "20-energy-config", full_page=True)

    ui.logged_in(steps)
