"""The meter simulators, started from this repository's own command line.

Using the CLI (rather than importing the simulator classes) keeps the demo honest: the bytes
Home Assistant reads come from a separate process over a pseudo-terminal or TCP, exactly as
from a USB adapter or a network gateway.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from .processes import ManagedProcess

REPO_ROOT = Path(__file__).resolve().parents[1]
CLI = (sys.executable, "-m", "custom_components.mbus_han")
# The simulator prints its port on the first line well within this on a loaded machine.
STARTUP_TIMEOUT = 30.0


@dataclass(slots=True)
class Simulator:
    """A running simulator and the port (pty path or socket:// URL) a reader opens."""

    process: ManagedProcess
    port: str

    async def stop(self) -> None:
        """Stop the simulator process."""
        await self.process.stop()


async def _start(name: str, args: list[str], log_dir: Path) -> Simulator:
    process = await ManagedProcess.start(
        name,
        [*CLI, *args],
        log_path=log_dir / f"{name}.log",
        cwd=REPO_ROOT,
        capture_stdout=True,
    )
    try:
        port = await process.read_line(STARTUP_TIMEOUT)
    except BaseException:
        await process.stop()
        raise
    process.drain_stdout()
    return Simulator(process, port)


async def start_mbus(
    log_dir: Path,
    *,
    name: str = "mbus-simulator",
    meters: tuple[str, ...] = (),
    tcp: str | None = None,
) -> Simulator:
    """An M-Bus bus; without ``meters`` the Integral-V UltraLite heat meter at address 0.

    ``meters`` are ``ID:PRIMARY`` specs of further live heat meters (same model, other IDs).
    Real 2400-baud timing, so Home Assistant's reads take as long as on a real bus.
    """
    # A household's day, so the KPIs have a story; registers fine enough for the heat-bill
    # figures to appear within minutes (a whole-kWh meter needs 100 kWh first: hours).
    args = ["mbus", "simulate", "--daily-load", "--fine-registers"]
    for spec in meters:
        args += ["--meter", spec]
    if tcp is not None:
        args += ["--tcp", tcp]
    return await _start(name, args, log_dir)


async def start_han(
    log_dir: Path,
    *,
    name: str = "han-simulator",
    maker: str = "kaifa",
    tcp: str | None = None,
) -> Simulator:
    """A smart meter pushing its lists on its HAN port at the real intervals."""
    args = ["han", "simulate", maker]
    if tcp is not None:
        args += ["--tcp", tcp]
    return await _start(name, args, log_dir)
