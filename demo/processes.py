"""Child processes that are always stopped: interrupt first, then terminate, then kill.

Every process the demo starts goes through :class:`ManagedProcess`, so Ctrl-C (or the test
fixture's teardown) never leaves a simulator or Home Assistant running behind the demo.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Self

_LOGGER = logging.getLogger(__name__)


class ProcessError(RuntimeError):
    """A child process exited or did not say what we waited for."""


class ManagedProcess:
    """One child process in its own process group, with its output in a log file.

    The child gets its own process group so a Ctrl-C in the terminal reaches only the demo,
    which then stops the children in order (Home Assistant before the simulators it reads).
    """

    def __init__(self, name: str, process: asyncio.subprocess.Process, log: IO[bytes]) -> None:
        self.name = name
        self.process = process
        self._log = log
        self._drain: asyncio.Task[None] | None = None

    @classmethod
    async def start(
        cls,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        capture_stdout: bool = False,
    ) -> Self:
        """Start ``argv``; stderr (and stdout unless captured) goes to ``log_path``."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = log_path.open("ab")
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                cwd=cwd,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE if capture_stdout else log,
                stderr=log,
                start_new_session=True,
            )
        except OSError:
            log.close()
            raise
        _LOGGER.debug("started %s (pid %s): %s", name, process.pid, " ".join(argv))
        return cls(name, process, log)

    @property
    def running(self) -> bool:
        """True until the process has exited."""
        return self.process.returncode is None

    async def read_line(self, timeout: float) -> str:
        """The next line the process prints on stdout (only with ``capture_stdout``)."""
        assert self.process.stdout is not None
        try:
            async with asyncio.timeout(timeout):
                raw = await self.process.stdout.readline()
        except TimeoutError as err:
            raise ProcessError(f"{self.name} printed nothing within {timeout:.0f} s") from err
        if not raw:
            code = await self.process.wait()
            raise ProcessError(f"{self.name} exited with code {code} (see its log)")
        return raw.decode(errors="replace").strip()

    def drain_stdout(self) -> None:
        """Copy the rest of a captured stdout to the log, so a chatty child never blocks."""
        stdout = self.process.stdout
        if stdout is None or self._drain is not None:
            return

        async def copy() -> None:
            while chunk := await stdout.read(4096):
                self._log.write(chunk)
                self._log.flush()

        self._drain = asyncio.create_task(copy(), name=f"{self.name}-stdout")

    async def stop(self, timeout: float = 20.0) -> int | None:
        """Interrupt, then terminate, then kill the process group; return the exit code."""
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if not self.running:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout if sig is not signal.SIGKILL else 5):
                    await self.process.wait()
            if self.running:
                _LOGGER.warning("%s did not stop on %s", self.name, sig.name)
        if self._drain is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await self._drain
            self._drain.cancel()
        self._log.close()
        return self.process.returncode
