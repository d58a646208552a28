"""Several simulated meters on one line, served on a pseudo-terminal or a TCP port.

The bus hears every master frame, lets each meter decide whether to answer, and puts the
answers on the line the way the physics would: a request takes its wire time, a slave starts
answering after its answer delay, bytes are paced at the baud rate, and two slaves talking
at once superimpose (on M-Bus a slave sends a 0 by drawing current, so the master reads the
bitwise AND of what the slaves send: identical E5s survive, different telegrams garble).
``time_scale`` 0 makes everything instant for tests; 1 is real time.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from ...simio import ByteWriter, PtyEndpoint, open_pty, serve_tcp
from ..framer import MbusFramer
from ..frames import Frame, encode_frame
from .meter import Fault, SimulatedMeter

_LOGGER = logging.getLogger(__name__)
_READ_SIZE = 4096
_PACING_SLICE = 0.01  # s: fine enough to look like a UART, coarse enough for the event loop


@dataclass(frozen=True, slots=True)
class SimulatorTiming:
    """Line speed and how real the timing is."""

    baudrate: int = 2400
    time_scale: float = 1.0  # 0: instant; 1: real time; 0.1: ten times faster
    late_delay: float = 1.0  # s (real time) a LATE_ANSWER fault adds: beyond any window
    bits_per_char: int = 11

    @classmethod
    def instant(cls, baudrate: int = 2400) -> SimulatorTiming:
        """No delays and no pacing: what tests want."""
        return cls(baudrate=baudrate, time_scale=0.0, late_delay=0.5)

    def seconds(self, bits: float) -> float:
        """Scaled duration of ``bits`` bit times."""
        return bits / self.baudrate * self.time_scale


@dataclass(slots=True)
class BusFaults:
    """Faults of the line or the level converter rather than of one meter."""

    echo: bool = False  # the converter echoes every request back to the master


def _char_bits(byte: int) -> list[int]:
    """The 11 bits of one 8E1 character: start, data (LSB first), even parity, stop."""
    data = [(byte >> i) & 1 for i in range(8)]
    return [0, *data, sum(data) & 1, 1]


def superimpose(answers: Sequence[tuple[int, bytes]]) -> bytes:
    """What a UART reads when several slaves answer at once, each ``(delay_bits, bytes)``.

    The line carries the bitwise AND of the senders (a 0 is drawn current, which wins), with
    each sender shifted by its own answer delay; the UART then resynchronises on start bits,
    so identical, aligned E5s survive while telegrams garble. A framing error reads as 0x00,
    as Linux delivers it without parity marking.
    """
    if len(answers) == 1:
        return answers[0][1]
    start = min(delay for delay, _ in answers)
    streams = []
    for delay, data in answers:
        bits = [1] * (delay - start)
        for byte in data:
            bits += _char_bits(byte)
        streams.append(bits)
    length = max(len(bits) for bits in streams)
    line = [1] * length
    for bits in streams:
        for index, bit in enumerate(bits):
            line[index] &= bit
    received = bytearray()
    index = 0
    while index + 11 <= length:
        if line[index]:  # idle: wait for a start bit
            index += 1
            continue
        data_bits = line[index + 1 : index + 9]
        byte = sum(bit << i for i, bit in enumerate(data_bits))
        received.append(byte if line[index + 10] else 0x00)
        index += 11
    return bytes(received)


class SimulatedBus:
    """The line: meters, timing, faults, and the endpoints masters connect to."""

    def __init__(
        self,
        meters: Sequence[SimulatedMeter],
        timing: SimulatorTiming | None = None,
        faults: BusFaults | None = None,
    ) -> None:
        self.meters = list(meters)
        self.timing = timing or SimulatorTiming()
        self.faults = faults or BusFaults()
        self.requests_seen: list[Frame] = []
        self.requests_lost = 0  # arrived while a slave was still answering (line busy)
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._ptys: list[PtyEndpoint] = []
        self._servers: list[asyncio.Server] = []

    # -- the line -----------------------------------------------------------------------

    async def serve(self, reader: asyncio.StreamReader, writer: ByteWriter) -> None:
        """Answer master frames from ``reader`` on ``writer`` until end of input."""
        framer = MbusFramer()
        answering: asyncio.Task[None] | None = None
        try:
            while chunk := await reader.read(_READ_SIZE):
                for frame in framer.feed(chunk):
                    if not frame.from_master:
                        continue
                    if answering is not None and not answering.done():
                        # Half duplex: a slave that is still answering does not listen.
                        self.requests_lost += 1
                        continue
                    answering = asyncio.get_running_loop().create_task(
                        self._answer_safely(frame, writer)
                    )
        finally:
            if answering is not None:
                answering.cancel()
                await asyncio.gather(answering, return_exceptions=True)

    async def _answer_safely(self, frame: Frame, writer: ByteWriter) -> None:
        try:
            async with self._lock:
                await self._answer(frame, writer)
        except (ConnectionError, OSError) as err:
            _LOGGER.debug("master went away while we answered: %s", err)

    async def _answer(self, frame: Frame, writer: ByteWriter) -> None:
        self.requests_seen.append(frame)
        timing = self.timing
        request = encode_frame(frame)
        # The request occupies the line for its wire time before any slave can answer; an
        # echoing converter sends it back during that time.
        if self.faults.echo:
            await self._send(writer, request)
        elif timing.time_scale > 0:
            await asyncio.sleep(timing.seconds(len(request) * timing.bits_per_char))
        answers: list[tuple[int, bytes]] = []
        late = False
        for meter in self.meters:
            answer = meter.handle(frame)
            if answer is None:
                continue
            fault = meter.take_fault()
            if fault is Fault.NO_ANSWER:
                continue
            if fault is Fault.TRUNCATED:
                answer = answer[: max(1, len(answer) // 3)]
            if fault is Fault.BIT_ERROR:
                middle = len(answer) // 2
                answer = answer[:middle] + bytes((answer[middle] ^ 0x04,)) + answer[middle + 1 :]
            late = late or fault is Fault.LATE_ANSWER
            answers.append((meter.answer_delay_bits, answer))
        if not answers:
            return
        delay_bits = min(delay for delay, _ in answers)
        delay = timing.seconds(delay_bits) + (timing.late_delay if late else 0.0)
        if delay > 0:
            await asyncio.sleep(delay)
        await self._send(writer, superimpose(answers))

    async def _send(self, writer: ByteWriter, data: bytes) -> None:
        """Put ``data`` on the line at the baud rate.

        Each slice is handed over when its last stop bit would have left the wire, never
        before: a master must not see a byte earlier than a real UART could deliver it, and
        once the last byte is out the slave is listening again.
        """
        timing = self.timing
        if timing.time_scale <= 0:
            writer.write(data)
            await writer.drain()
            return
        loop = asyncio.get_running_loop()
        per_byte = timing.seconds(timing.bits_per_char)
        slice_len = max(1, int(_PACING_SLICE / per_byte))
        start = loop.time()
        # The first byte alone, as a UART hands it over, then slices.
        bounds = [0, *range(1, len(data), slice_len), len(data)]
        for offset, end in itertools.pairwise(bounds):
            piece = data[offset:end]
            delay = start + end * per_byte - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(piece)
            await writer.drain()

    # -- endpoints ----------------------------------------------------------------------

    async def start_pty(self) -> PtyEndpoint:
        """Serve on a new pseudo-terminal; point a master at the returned ``.path``."""
        pty = await open_pty()
        self._ptys.append(pty)
        self._spawn(self.serve(pty.reader, pty.writer))
        return pty

    async def start_tcp(self, host: str = "127.0.0.1", port: int = 0) -> asyncio.Server:
        """Serve on TCP (``socket://host:port`` for a master); port 0 picks a free one."""
        server = await serve_tcp(host, port, self._serve_client)
        self._servers.append(server)
        return server

    async def _serve_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self.serve(reader, writer)
        except ConnectionError:
            pass  # the master went away mid-answer, as a real line would not notice
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop every endpoint and task; nothing is left running or open."""
        for server in self._servers:
            server.close()
        for writer in list(self._writers):
            writer.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()
        for pty in self._ptys:
            await pty.close()
        self._servers.clear()
        self._ptys.clear()

    async def __aenter__(self) -> SimulatedBus:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
