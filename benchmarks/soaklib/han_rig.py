"""A simulated HAN meter for the soak: pushes at a faster pace, ground truth, faults.

The meter's own schedule (list 1 every 2 s, list 2 every 10 s, list 3 hourly) runs
``1 / time_scale`` times faster, so the integration sees many frames a second and hourly
energy lists every minute or so, without knowing. Before each push goes on the line its clean
bytes are decoded and every value noted with the time (the ground truth). The line sits on a
pty behind a symlink that can vanish like the M-Bus adapter's; the meter can be told to stay
silent; and the simulator's own frame faults (garbage before a frame, truncation, a bad check
sequence) damage a few per cent of the pushes.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import termios
import time
from pathlib import Path

from custom_components.mbus_han.protocol.han import HanReading, HanStreamDecoder
from custom_components.mbus_han.protocol.han.simulator import Faults, HanSimulator, Maker, Wiring
from custom_components.mbus_han.protocol.simio import PtyEndpoint, open_pty, write_paced

from .harness import point_link
from .mbus_rig import Truth

BAUDRATE = 2400
UNREAD_DROP_AFTER = 1.0  # s: bytes waiting this long have no reader


class HanMeter:
    """One HAN meter pushing on a pty behind ``link``, at ``1 / time_scale`` times its pace."""

    def __init__(
        self,
        truth: Truth,
        link: Path,
        *,
        maker: Maker = Maker.KAIFA,
        time_scale: float = 0.05,
        frame_faults: float = 0.02,
        seed: int = 8,
    ) -> None:
        self.truth = truth
        self.link = link
        self.time_scale = time_scale
        faults = Faults(garbage=frame_faults, truncate=frame_faults, bad_crc=frame_faults)
        self.simulator = HanSimulator(maker, Wiring.THREE_PHASE, faults=faults, seed=seed)
        self.meter_id = f"HAN-{self.simulator.meter_id}"
        self.silent = False
        self.pushes = 0  # written to the line
        self.damaged = 0
        self.dropped_unread = 0  # times bytes were dropped because nobody read them
        self.pty: PtyEndpoint | None = None
        self._slave_fd: int | None = None
        self._unread_since: float | None = None
        self._decoder = HanStreamDecoder()
        self._task: asyncio.Task[None] | None = None

    async def plug(self) -> None:
        """A new pty and the link pointing at it."""
        self.pty = await open_pty()
        # A second handle on the slave side, to see (and drop) what nobody reads.
        self._slave_fd = os.open(self.pty.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        point_link(self.link, self.pty.path)

    async def unplug(self) -> None:
        """Link gone, pty closed: the reader gets an error, reopening fails."""
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        pty, self.pty = self.pty, None
        slave, self._slave_fd = self._slave_fd, None
        if slave is not None:
            os.close(slave)
        if pty is not None:
            await pty.close()

    def start(self) -> None:
        """Push in the background until :meth:`close`."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        simulator = self.simulator
        started_real = loop.time()
        started_meter = simulator.clock
        for push in simulator.pushes():
            due = started_real + (push.moment - started_meter).total_seconds() * self.time_scale
            await asyncio.sleep(max(0.0, due - loop.time()))
            pty = self.pty
            if self.silent or pty is None or not push.data:
                continue
            self._drop_unread()
            # Noted before its first byte goes out: a reader cannot have it earlier. (The
            # checker allows for the reader still showing the previous push for a moment.)
            self._note(push.clean)
            if push.fault:
                self.damaged += 1
            with contextlib.suppress(ConnectionError, OSError):
                await write_paced(pty.writer, push.data, BAUDRATE, self.time_scale)
                self.pushes += 1

    def _drop_unread(self) -> None:
        """Drop bytes nobody has read for a second, as a port nobody has open loses them.

        The simulator holds the pty's slave side open, so the kernel keeps what the meter
        sends while no reader has the device open (between unplug and the listener's next
        attempt): up to 4 KiB, tens of seconds of pushes. A real adapter's UART receives
        nothing while its tty is closed, so such bytes must not reach the reader later.
        """
        if self._slave_fd is None:
            return
        try:
            waiting = int.from_bytes(
                fcntl.ioctl(self._slave_fd, termios.FIONREAD, b"\0\0\0\0"), "little"
            )
        except OSError:
            return
        now = time.monotonic()
        if not waiting:
            self._unread_since = None
        elif self._unread_since is None:
            self._unread_since = now
        elif now - self._unread_since > UNREAD_DROP_AFTER:
            termios.tcflush(self._slave_fd, termios.TCIFLUSH)
            self.dropped_unread += 1
            self._unread_since = None

    def _note(self, clean: bytes) -> None:
        """Write down the values of a push about to go on the line."""
        now = time.time()
        self._decoder.reset()
        for result in self._decoder.feed(clean):
            if not isinstance(result, HanReading):
                continue
            self.truth.telegrams += 1
            for code, value in result.values.items():
                key = (self.meter_id, code)
                self.truth.values[key].append((now, float(value.value)))
                self.truth.units[key] = str(value.unit)

    async def close(self) -> None:
        """Stop pushing and close the pty."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.unplug()
