"""``mbus simulate``: simulated meters on a pseudo-terminal or a TCP port, until Ctrl-C.

Point any master at what it prints: ``mbus read /dev/pts/7 0``, or for TCP
``mbus read socket://127.0.0.1:5000 0`` (libmbus: ``mbus-tcp-request-data 127.0.0.1 5000 0``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from ..errors import DecodeError, ProtocolError
from ..mbus.encode import Identity
from ..mbus.requests import BAUD_RATE_CI
from ..mbus.simulator import (
    BusFaults,
    HeatMeterModel,
    ReplaySource,
    SimulatedBus,
    SimulatedMeter,
    SimulatorTiming,
)
from ..mbus.simulator.sources import INTEGRAL_V_ULTRALITE
from . import EXIT_FAILURE, EXIT_OK, EXIT_USAGE


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``simulate`` command to the ``mbus`` group."""
    parser = commands.add_parser(
        "simulate",
        help="simulate meters on a pty or TCP port for masters to read",
        description=(
            "Run simulated M-Bus meters until interrupted. Without --meter or --replay one "
            "heat meter modelled on the Allmess Integral-V UltraLite answers at primary "
            "address 0 (ID 12345678). The pty path or TCP URL is printed on the first line."
        ),
    )
    parser.add_argument(
        "--tcp",
        metavar="HOST:PORT",
        help="serve on TCP instead of a pty (port 0 picks a free one)",
    )
    parser.add_argument(
        "--meter",
        action="append",
        default=[],
        metavar="ID[:PRIMARY]",
        help="a live heat meter with this 8-digit ID at this primary address (default 0); "
        "repeat for several meters",
    )
    parser.add_argument(
        "--replay",
        action="append",
        default=[],
        metavar="FILE[:PRIMARY]",
        help="a meter that replays the hex telegrams in FILE (one per line)",
    )
    parser.add_argument(
        "--history",
        action="store_true",
        help="live meters send a second telegram (monthly values) after DIF 0x1F",
    )
    parser.add_argument(
        "--daily-load",
        action="store_true",
        help="live meters follow a household's day (night setback, morning and evening peaks)",
    )
    parser.add_argument(
        "--fine-registers",
        action="store_true",
        help="live meters count energy in Wh and volume in 0.1 l (default kWh and 0.01 m3)",
    )
    parser.add_argument(
        "--baud",
        type=int,
        default=2400,
        choices=sorted(BAUD_RATE_CI),
        metavar="RATE",
        help="baud rate the answers are paced at (default 2400)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="1 = real timing, 0 = instant, 0.1 = ten times faster (default 1)",
    )
    parser.add_argument("--echo", action="store_true", help="echo requests like some converters")
    parser.set_defaults(handler=run)


def _split_primary(text: str) -> tuple[str, int]:
    name, sep, primary = text.rpartition(":")
    if not sep:
        return text, 0
    if not primary.isdigit() or int(primary) > 250:
        raise ValueError(f"{text!r}: primary address must be 0-250")
    return name, int(primary)


def build_meters(args: argparse.Namespace) -> list[SimulatedMeter]:
    """The meters the arguments ask for (the default Integral-V when none)."""
    meters = []
    for spec in args.meter:
        id_text, primary = _split_primary(spec)
        if not (id_text.isdigit() and len(id_text) <= 8):
            raise ValueError(f"{spec!r}: the ID must be up to 8 digits")
        identity = Identity(
            int(id_text),
            INTEGRAL_V_ULTRALITE.manufacturer,
            INTEGRAL_V_ULTRALITE.version,
            INTEGRAL_V_ULTRALITE.medium,
        )
        model = HeatMeterModel(
            identity,
            history=args.history,
            daily_load=args.daily_load,
            fine_registers=args.fine_registers,
        )
        meters.append(SimulatedMeter(model, primary))
    for spec in args.replay:
        path, primary = _split_primary(spec)
        meters.append(SimulatedMeter(ReplaySource.from_file(path), primary))
    if not meters:
        model = HeatMeterModel(
            history=args.history,
            daily_load=args.daily_load,
            fine_registers=args.fine_registers,
        )
        meters.append(SimulatedMeter(model, 0))
    return meters


def _parse_tcp(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"--tcp {text!r} is not HOST:PORT")
    return host or "127.0.0.1", int(port)


async def _serve(args: argparse.Namespace, meters: list[SimulatedMeter]) -> None:
    timing = SimulatorTiming(args.baud, time_scale=max(0.0, args.time_scale))
    async with SimulatedBus(meters, timing, BusFaults(echo=args.echo)) as bus:
        if args.tcp:
            host, port = _parse_tcp(args.tcp)
            server = await bus.start_tcp(host, port)
            bound_host, bound_port = server.sockets[0].getsockname()[:2]
            print(f"socket://{bound_host}:{bound_port}", flush=True)
        else:
            print((await bus.start_pty()).path, flush=True)
        for meter in meters:
            identity = meter.identity
            print(
                f"meter primary {meter.primary_address}  secondary {identity.secondary_address}"
                f"  ({identity.manufacturer}, id {identity.id_text})",
                file=sys.stderr,
                flush=True,
            )
        await asyncio.Event().wait()  # until Ctrl-C or termination


def run(args: argparse.Namespace) -> int:
    """Build the meters, serve them, return when interrupted."""
    try:
        meters = build_meters(args)
        if args.tcp:
            _parse_tcp(args.tcp)
    except DecodeError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILURE
    except (ValueError, ProtocolError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    try:
        asyncio.run(_serve(args, meters))
    except OSError as err:  # e.g. the TCP port is taken
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK
