"""Soak probe: measures how late Home Assistant's event loop runs a periodic callback.

A callback due every 50 ms notes how late it ran; once a second the worst lateness of that
second is appended to ``soak_probe.jsonl`` in the configuration directory. Lateness is the
time some other callback held the loop: exactly what a user sees as an unresponsive UI and
what a blocking integration causes. A line is also written when Home Assistant has started,
so the driver can leave start-up (imports, database set-up) out of the steady-state figure.
"""

from __future__ import annotations

import json
import time
from typing import Any, TextIO

from homeassistant.const import EVENT_HOMEASSISTANT_STARTED, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback

DOMAIN = "soak_probe"
PERIOD = 0.05  # s between callbacks: finer costs the loop more than it tells
FLUSH_EVERY = 1.0  # s: one line per second keeps the file small over hours


def _open_append(path: str) -> TextIO:
    return open(path, "a", buffering=1, encoding="utf-8")


async def async_setup(hass: HomeAssistant, config: dict[str, Any]) -> bool:
    """Start the lateness callback; stop writing when Home Assistant stops."""
    path = hass.config.path("soak_probe.jsonl")
    loop = hass.loop
    # Opened once in the executor (opening may block); short line-buffered writes do not.
    out = await hass.async_add_executor_job(_open_append, path)
    state = {"due": loop.time() + PERIOD, "worst": 0.0, "count": 0, "flushed": loop.time()}
    handle: list[Any] = [None]

    def write(record: dict[str, Any]) -> None:
        out.write(json.dumps(record) + "\n")

    @callback
    def tick() -> None:
        now = loop.time()
        late = now - state["due"]
        state["worst"] = max(state["worst"], late)
        state["count"] += 1
        if now - state["flushed"] >= FLUSH_EVERY:
            write({"t": time.time(), "worst_ms": state["worst"] * 1000, "n": state["count"]})
            state["worst"] = 0.0
            state["count"] = 0
            state["flushed"] = now
        state["due"] = now + PERIOD
        handle[0] = loop.call_at(state["due"], tick)

    handle[0] = loop.call_at(state["due"], tick)

    @callback
    def started(_event: Event) -> None:
        write({"t": time.time(), "event": "started"})

    @callback
    def stopping(_event: Event) -> None:
        write({"t": time.time(), "event": "stop"})
        if handle[0] is not None:
            handle[0].cancel()
        out.close()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STARTED, started)
    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, stopping)
    return True
