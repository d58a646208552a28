"""``mbus scan``, ``scan-secondary``, ``read`` and ``set-address``: talk to meters on a bus.

Exit codes: 0 success (a scan found at least one meter), 2 bad arguments, 3 the port could
not be opened or was lost, 4 nothing answered (or a scan found nothing), 1 any other failure
(collision, undecodable telegram).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable

from ..errors import BusError, DecodeError, NoAnswerError, TransportError
from ..mbus.jsonout import json_value, telegram_to_json
from ..mbus.master import Address, MbusMaster, Presence, parse_address
from ..mbus.model import PeriodicDate, Telegram
from ..mbus.requests import BAUD_RATE_CI, RequestError
from ..mbus.scan import ScanProgress, scan_primary, scan_secondary
from ..transport import SerialSettings
from . import EXIT_FAILURE, EXIT_NO_ANSWER, EXIT_NO_DEVICE, EXIT_OK, EXIT_USAGE

PORT_HELP = (
    "serial device (/dev/ttyUSB0, /dev/serial/by-id/...) or URL "
    "(socket://host:port, rfc2217://host:port, esphome://...)"
)


def _add_port_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("port", metavar="PORT", help=PORT_HELP)
    parser.add_argument(
        "--baud",
        type=int,
        default=2400,
        choices=sorted(BAUD_RATE_CI),
        metavar="RATE",
        help="baud rate, 300-38400 (default 2400)",
    )
    parser.add_argument(
        "--parity", default="E", choices=("E", "N", "O"), help="parity (default E: 8E1)"
    )
    parser.add_argument(
        "--margin",
        type=float,
        default=None,
        metavar="SECONDS",
        help="extra wait beyond the standard's answer window for USB adapters and gateways "
        "(default 0.02 for serial devices, 0.15 for network URLs)",
    )
    parser.add_argument(
        "--retries", type=int, default=2, help="retries after no or a bad answer (default 2)"
    )


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``scan``, ``scan-secondary`` and ``read`` to the ``mbus`` group."""
    scan = commands.add_parser(
        "scan",
        help="find meters by primary address (0-250)",
        description="Send SND_NKE to every primary address and list those that acknowledge. "
        "Exit code 0 when a meter was found, 4 when none answered, 3 when the port failed.",
    )
    _add_port_options(scan)
    scan.add_argument(
        "--range",
        default="0-250",
        metavar="FIRST-LAST",
        help="addresses to probe (default 0-250)",
    )
    scan.add_argument("--json", action="store_true", help="print the result as JSON")
    scan.set_defaults(handler=run_scan)

    secondary = commands.add_parser(
        "scan-secondary",
        help="find every meter by secondary address (wildcard search)",
        description="Search the ID space with wildcard selections; prints each meter's "
        "16-digit secondary address (ID, manufacturer, version, medium) for `mbus read`. "
        "Exit codes as for scan.",
    )
    _add_port_options(secondary)
    secondary.add_argument("--json", action="store_true", help="print the result as JSON")
    secondary.set_defaults(handler=run_scan_secondary)

    read = commands.add_parser(
        "read",
        help="read one meter (every telegram) and print its records",
        description="Read a meter by primary address (0-250, or 254 when it is the only one "
        "on the bus) or secondary address (8 ID digits or 16 hex digits, F = wildcard). "
        "Prints a table, or with --json the schema of `mbus decode`. Exit code 0 on success, "
        "4 when the meter did not answer, 1 on a collision or a bad telegram, 3 on port errors.",
    )
    _add_port_options(read)
    read.add_argument("address", metavar="ADDRESS", type=_address_arg, help="meter address")
    read.add_argument("--json", action="store_true", help="print JSON (the mbus decode schema)")
    read.set_defaults(handler=run_read)

    set_address = commands.add_parser(
        "set-address",
        help="give a meter a new primary address",
        description="Write a new primary address (0-250) into the meter at ADDRESS (primary, "
        "254 for the only meter on the bus, or secondary), then check it answers there. "
        "Exit codes as for read.",
    )
    _add_port_options(set_address)
    set_address.add_argument("address", metavar="ADDRESS", type=_address_arg, help="meter now")
    set_address.add_argument(
        "new_address", metavar="NEW", type=_new_address_arg, help="new primary address (0-250)"
    )
    set_address.set_defaults(handler=run_set_address)


def _address_arg(text: str) -> Address:
    try:
        return parse_address(text)
    except RequestError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _new_address_arg(text: str) -> int:
    if not text.isdigit() or int(text) > 250:
        raise argparse.ArgumentTypeError(f"{text!r} is not a primary address 0-250")
    return int(text)


def _range_arg(text: str) -> range:
    first, _, last = text.partition("-")
    try:
        low, high = int(first), int(last or first)
    except ValueError:
        raise RequestError(f"range {text!r} is not FIRST-LAST") from None
    if not 0 <= low <= high <= 250:
        raise RequestError(f"range {text!r} is not within 0-250")
    return range(low, high + 1)


def _run(args: argparse.Namespace, action: Callable[[MbusMaster], Awaitable[int]]) -> int:
    async def session() -> int:
        settings = SerialSettings(args.baud, parity=args.parity)
        master = await MbusMaster.open(
            args.port, settings, extra_margin=args.margin, retries=args.retries
        )
        async with master:
            return await action(master)

    try:
        return asyncio.run(session())
    except TransportError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_NO_DEVICE
    except (RequestError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except NoAnswerError as err:
        print(f"no answer: {err}", file=sys.stderr)
        return EXIT_NO_ANSWER
    except (BusError, DecodeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILURE


class _Progress:
    """One self-overwriting status line on a terminal; silent when stderr is redirected."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()

    def __call__(self, state: ScanProgress) -> None:
        if not self.enabled:
            return
        line = f"\r{state.done}/{state.total} probed, {state.found} found  {state.current:<8}"
        print(line, end="", file=sys.stderr, flush=True)

    def finish(self) -> None:
        if self.enabled:
            print("\r" + " " * 60 + "\r", end="", file=sys.stderr, flush=True)


def run_scan(args: argparse.Namespace) -> int:
    """Primary scan."""
    try:
        addresses = _range_arg(args.range)
    except RequestError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE

    async def action(master: MbusMaster) -> int:
        progress = _Progress()
        hits = await scan_primary(master, addresses, progress=progress)
        progress.finish()
        if args.json:
            rows = [{"address": h.address, "collision": h.collision} for h in hits]
            print(json.dumps({"meters": rows}))
        else:
            for hit in hits:
                note = "  (several meters share this address)" if hit.collision else ""
                print(f"{hit.address}{note}")
        return EXIT_OK if hits else EXIT_NO_ANSWER

    return _run(args, action)


def run_scan_secondary(args: argparse.Namespace) -> int:
    """Secondary (wildcard) scan."""

    async def action(master: MbusMaster) -> int:
        progress = _Progress()
        result = await scan_secondary(master, progress=progress)
        progress.finish()
        if args.json:
            meters = [
                {
                    "secondary_address": m.secondary_address,
                    "id": m.identification,
                    "manufacturer": m.manufacturer,
                    "version": m.version,
                    "medium": m.medium,
                    "primary_address": m.primary_address,
                }
                for m in result.meters
            ]
            print(
                json.dumps(
                    {"meters": meters, "probes": result.probes, "unresolved": result.unresolved}
                )
            )
        else:
            for m in result.meters:
                print(
                    f"{m.secondary_address}  id {m.identification}  {m.manufacturer or '???'}  "
                    f"version {m.version}  medium 0x{m.medium or 0:02X}  "
                    f"primary {m.primary_address}"
                )
            for mask in result.unresolved:
                print(f"{mask}: several meters share this ID; read them by primary address")
            print(f"{len(result.meters)} meter(s), {result.probes} probes", file=sys.stderr)
        return EXIT_OK if result.meters else EXIT_NO_ANSWER

    return _run(args, action)


def run_read(args: argparse.Namespace) -> int:
    """Read one meter."""

    async def action(master: MbusMaster) -> int:
        reading = await master.read(args.address)
        telegram = reading.telegram
        if args.json:
            print(json.dumps(telegram_to_json(telegram), ensure_ascii=False))
        else:
            print(format_table(telegram, len(reading.telegrams)))
        if not reading.complete:
            print("warning: the meter announced more telegrams than were read", file=sys.stderr)
        return EXIT_OK

    return _run(args, action)


def run_set_address(args: argparse.Namespace) -> int:
    """Set a meter's primary address and confirm it."""

    async def action(master: MbusMaster) -> int:
        await master.set_primary_address(args.address, args.new_address)
        if await master.ping(args.new_address) is not Presence.ONE:
            print(
                f"the meter acknowledged but does not answer at {args.new_address}",
                file=sys.stderr,
            )
            return EXIT_NO_ANSWER
        print(f"meter now answers at primary address {args.new_address}")
        return EXIT_OK

    return _run(args, action)


def format_table(telegram: Telegram, telegram_count: int = 1) -> str:
    """The telegram as a table for people: header lines, then key, value and unit."""
    lines = []
    header = telegram.header
    if header is not None:
        medium = header.medium.name.lower() if header.medium is not None else "?"
        lines.append(
            f"id {header.id_text}  manufacturer {header.manufacturer}  version {header.version}"
            f"  medium {medium}  access {header.access_number}  status 0x{header.status:02X}"
        )
        if header.secondary_address:
            lines.append(f"secondary address {header.secondary_address}")
    lines.append(f"{telegram_count} telegram(s), {len(telegram.records)} records")
    rows = [(r.key, _value_text(r.value, r.error), r.unit) for r in telegram.records]
    width = max((len(key) for key, _, _ in rows), default=3)
    value_width = max((len(value) for _, value, _ in rows), default=5)
    lines.append(f"{'key':<{width}}  {'value':>{value_width}}  unit")
    lines.extend(f"{key:<{width}}  {value:>{value_width}}  {unit}" for key, value, unit in rows)
    return "\n".join(lines)


def _value_text(value: object, error: str | None) -> str:
    if value is None:
        return f"({error})" if error else "-"
    if isinstance(value, PeriodicDate):
        return f"{value} ({value.period})"
    shown = json_value(value)
    return str(shown)
