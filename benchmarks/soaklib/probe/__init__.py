"""Soak probe: measures how late Home Assistant's event loop runs a periodic callback.

A callback due every 50 ms notes how late it ran; once a second the worst lateness of that
second is appended to ``soak_probe.jsonl`` in the configuration directory. Lateness is the
time some other callback held the loop: exactly what a user sees as an unresponsive UI and
what a blocking integration causes. A line is also written when Home Assistant has started,
so the driver can leave start-up (imports, database set-up) out of the steady-state figure.

Lateness on a shared machine also counts time other processes held the CPU. So the probe also
times every event-loop step itself (``asyncio.Handle._run``) and notes, per second, the longest
step that ran this integration's code (``own_worst_ms``: a coroutine of ``mbus_han`` in the
step's task, or a callback defined there), the most CPU time one such step took
(``own_worst_cpu_ms``: without what other processes took from the loop's thread; only with
a file ``soak_probe_step_cpu``, as reading a thread's CPU clock costs every step about
1.5 us), and the
loop time all such steps took (``own_ms``): the integration's own share, whatever else the
machine does. Pauses of Python's
garbage collector stop the loop too, but collect the whole process's heap in whichever step
happens to allocate: they are left out of those figures and reported on their own
(``gc_worst_ms``, with its generation; ``gc_full``, the full collections of that second).
With a file ``soak_probe_heap`` in the configuration directory (the load scenario), the
"started" and "stop" lines also carry the heap's size and commonest types, and "stop" the
cyclic garbage waiting then, by type: that costs a moment at start and stop, which the
soak's restart timing must not include, so only the load scenario asks for it. With a file
``soak_probe_gc_freeze`` the probe calls ``gc.freeze()`` once Home Assistant has started: what
Home Assistant doing so would change (``soak.py --gc-freeze``), not something this
integration does.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import threading
import time
from collections import Counter
from types import CoroutineType
from typing import Any, TextIO

from homeassistant.const import EVENT_HOMEASSISTANT_STARTED, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback

DOMAIN = "soak_probe"
PERIOD = 0.05  # s between callbacks: finer costs the loop more than it tells
FLUSH_EVERY = 1.0  # s: one line per second keeps the file small over hours
OWN_CODE = "custom_components/mbus_han/"
# worst: the longest step (wall time); worst_cpu: the most CPU one step of ours took
_own_steps: dict[str, Any] = {"worst": 0.0, "worst_cpu": 0.0, "total": 0.0, "what": ""}
_loop_thread: list[int] = []  # the event loop's thread, once known


_gc: dict[str, Any] = {
    "start": 0.0,
    "cpu_start": 0.0,
    "worst": 0.0,
    "worst_cpu": 0.0,
    "worst_collected": 0,
    "generation": -1,
    "total": 0.0,
    "full": 0,
    "running": False,  # a collection in progress (in any thread)
    "loop_cpu": 0.0,  # CPU time of the collections run in the event loop's thread
}


def _time_collections(phase: str, info: dict[str, int]) -> None:
    """Note the longest pause of Python's garbage collector (it stops the loop too).

    With its CPU time (the wall time less what other processes took from this thread on a
    shared machine) and the garbage it freed (freeing is part of the pause).
    """
    if phase == "start":
        _gc["start"] = time.perf_counter()
        _gc["cpu_start"] = time.thread_time()
        _gc["running"] = True
        return
    _gc["running"] = False
    took = time.perf_counter() - _gc["start"]
    if _loop_thread and threading.get_ident() == _loop_thread[0]:
        _gc["loop_cpu"] += time.thread_time() - _gc["cpu_start"]
    _gc["total"] += took
    if info["generation"] == 2:
        _gc["full"] += 1
    if took > _gc["worst"]:
        _gc["worst"] = took
        _gc["generation"] = info["generation"]
        _gc["worst_cpu"] = time.thread_time() - _gc["cpu_start"]
        _gc["worst_collected"] = info["collected"]


def _heap() -> dict[str, Any]:
    """The objects the collector tracks: how many, the commonest types, a full collection's time.

    Costs a moment (a list of every object): written only at "started" and "stop", outside
    the measured window; the difference tells whose objects the heap grew by.
    """
    objects = gc.get_objects()
    types = Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in objects)
    own = sum(n for name, n in types.items() if name.startswith("custom_components.mbus_han."))
    # a full collection's work: every reference of every tracked object, followed twice
    references = sum(len(gc.get_referents(o)) for o in objects)
    started = time.perf_counter()
    gc.collect()
    return {
        "full_collect_ms": (time.perf_counter() - started) * 1000,
        "references": references,
        "tracked_objects": len(objects),
        "own_objects": own,  # instances of this integration's classes (not their dicts)
        "types": dict(types.most_common(40)),
    }


def _garbage() -> dict[str, int]:
    """The cyclic garbage waiting for the collector now, by type (only refcounting misses it).

    Collected once with every unreachable object saved instead of freed: what freeing cycles
    costs a full collection, and whose objects they are.
    """
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        types = Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage)
    finally:
        gc.garbage.clear()
        gc.set_debug(0)
    return dict(types.most_common(25))


def _describe(handle: asyncio.Handle) -> str:
    """The step's callback, or its task's chain of coroutines, by qualified name."""
    callback = getattr(handle, "_callback", None)
    task = getattr(callback, "__self__", None)
    if isinstance(task, asyncio.Task):
        names = []
        coro: Any = task.get_coro()
        while isinstance(coro, CoroutineType):
            names.append(coro.cr_code.co_qualname)
            coro = coro.cr_await
        return " > ".join(names)
    return str(getattr(callback, "__qualname__", callback))


def _runs_own_code(handle: asyncio.Handle) -> bool:
    """True when the step ran this integration's code.

    That is its callback, or a coroutine in its task, followed down the chain of awaits to
    where the step left it.
    """
    callback = getattr(handle, "_callback", None)
    task = getattr(callback, "__self__", None)
    if isinstance(task, asyncio.Task):
        coro: Any = task.get_coro()
        while isinstance(coro, CoroutineType):
            if OWN_CODE in coro.cr_code.co_filename:
                return True
            coro = coro.cr_await
        return False
    code = getattr(getattr(callback, "__func__", callback), "__code__", None)
    return code is not None and OWN_CODE in code.co_filename


def _no_cpu_clock() -> float:
    return 0.0


def _time_steps(step_cpu: bool) -> None:
    """Wrap every event-loop step with a timer (once per process)."""
    run = asyncio.Handle._run
    if getattr(run, "timed", False):
        return
    clock = time.perf_counter
    cpu_clock = time.thread_time  # this thread's CPU: not what other processes took
    _loop_thread.append(threading.get_ident())

    if not step_cpu:
        cpu_clock = _no_cpu_clock

    def timed_run(handle: asyncio.Handle) -> None:
        start = clock()
        cpu_start = cpu_clock()
        collecting = _gc["total"]
        collecting_cpu = _gc["loop_cpu"]
        run(handle)
        # the garbage collector's pauses (of the whole process's heap) fall in whatever step
        # allocates: left out here, reported on their own
        end = clock()
        took = end - start - (_gc["total"] - collecting)
        if _gc["running"]:
            # A collection in another thread (the recorder's) that runs finalizers lets this
            # thread take the interpreter lock mid-collection: its time so far is not ours.
            took -= end - max(start, _gc["start"])
        if took > 0.0001 and _runs_own_code(handle):  # cheaper: shorter steps are noise
            if took > _own_steps["worst"]:
                _own_steps["worst"] = took
                _own_steps["what"] = _describe(handle)
            cpu = cpu_clock() - cpu_start - (_gc["loop_cpu"] - collecting_cpu)
            _own_steps["worst_cpu"] = max(_own_steps["worst_cpu"], cpu)
            _own_steps["total"] += took

    timed_run.timed = True  # type: ignore[attr-defined]
    asyncio.Handle._run = timed_run  # type: ignore[method-assign]


def _open_append(path: str) -> TextIO:
    return open(path, "a", buffering=1, encoding="utf-8")


async def async_setup(hass: HomeAssistant, config: dict[str, Any]) -> bool:
    """Start the lateness callback; stop writing when Home Assistant stops."""
    path = hass.config.path("soak_probe.jsonl")
    loop = hass.loop
    # Opened once in the executor (opening may block); short line-buffered writes do not.
    out = await hass.async_add_executor_job(_open_append, path)
    heap = await hass.async_add_executor_job(os.path.exists, hass.config.path("soak_probe_heap"))
    freeze = await hass.async_add_executor_job(
        os.path.exists, hass.config.path("soak_probe_gc_freeze")
    )
    step_cpu = await hass.async_add_executor_job(
        os.path.exists, hass.config.path("soak_probe_step_cpu")
    )
    _time_steps(step_cpu)
    if _time_collections not in gc.callbacks:
        gc.callbacks.append(_time_collections)
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
            write(
                {
                    "t": time.time(),
                    "worst_ms": state["worst"] * 1000,
                    "n": state["count"],
                    "own_worst_ms": _own_steps["worst"] * 1000,
                    "own_worst_cpu_ms": _own_steps["worst_cpu"] * 1000,
                    "own_ms": _own_steps["total"] * 1000,
                    "own_worst_what": _own_steps["what"],
                    "gc_worst_ms": _gc["worst"] * 1000,
                    "gc_generation": _gc["generation"],
                    "gc_full": _gc["full"],
                    "gc_worst_cpu_ms": _gc["worst_cpu"] * 1000,
                    "gc_worst_collected": _gc["worst_collected"],
                }
            )
            _gc["worst"] = _gc["worst_cpu"] = 0.0
            _gc["worst_collected"] = _gc["full"] = 0
            _own_steps["worst"] = _own_steps["worst_cpu"] = _own_steps["total"] = 0.0
            state["worst"] = 0.0
            state["count"] = 0
            state["flushed"] = now
        state["due"] = now + PERIOD
        handle[0] = loop.call_at(state["due"], tick)

    handle[0] = loop.call_at(state["due"], tick)

    @callback
    def started(_event: Event) -> None:
        # once, at start-up (a list of every tracked object costs a moment, not in the window)
        write({"t": time.time(), "event": "started", **(_heap() if heap else {})})
        if freeze:
            # An experiment for Home Assistant itself (issue 15), never an integration's
            # call: every object alive now leaves the collector's sight for good.
            gc.freeze()

    @callback
    def stopping(_event: Event) -> None:
        extra = {**_heap(), "garbage": _garbage()} if heap else {}
        write({"t": time.time(), "event": "stop", **extra})
        if handle[0] is not None:
            handle[0].cancel()
        out.close()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STARTED, started)
    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, stopping)
    return True
