"""``han decode``, ``listen``, ``simulate``: HAN pushes from hex, a port, or a fake meter."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from ..errors import DecodeError, TransportError
from ..han.cipher import SecurityKeys
from ..han.decoder import HanStreamDecoder, Transport, decode_message
from ..han.jsonout import error_to_json, reading_to_json
from ..han.listen import SILENCE_TIMEOUT, listen
from ..han.reading import HanReading
from ..han.simulator import Faults, HanSimulator, Maker, Wiring
from ..simio import open_pty, serve_tcp
from ..transport import SerialSettings, open_port
from . import (
    EXIT_FAILURE,
    EXIT_NO_ANSWER,
    EXIT_NO_DEVICE,
    EXIT_OK,
    EXIT_USAGE,
    add_input_file_argument,
    open_input,
)

type Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def _add_key_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--key",
        metavar="HEX",
        help="encryption key (GUEK, 16 bytes as 32 hex digits) for meters that encrypt",
    )
    parser.add_argument(
        "--auth-key",
        metavar="HEX",
        help="authentication key (GAK): check the GCM tag of authenticated pushes",
    )


def _add_transport_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--transport",
        choices=[transport.value for transport in Transport],
        default=Transport.HDLC.value,
        help="framing of a byte stream: HDLC (Norway, Sweden, ...) or M-Bus long frames "
        "(Austria); default hdlc",
    )


def keys_from_args(args: argparse.Namespace) -> SecurityKeys:
    """The keys given with ``--key`` / ``--auth-key``; ValueError with a clear message."""
    return SecurityKeys.from_hex(args.key, args.auth_key)


def register(commands: Commands) -> None:
    """Add ``decode``, ``listen`` and ``simulate`` to the ``han`` group."""
    _register_decode(commands)
    _register_listen(commands)
    _register_simulate(commands)


def _register_decode(commands: Commands) -> None:
    parser = commands.add_parser(
        "decode",
        help="decode HAN pushes given as hex (one frame or stream chunk per line) into JSON",
        description=(
            "Read hex lines (spaces optional): each an HDLC frame 7E...7E, M-Bus long frames "
            "68...16, an LLC payload E6E700..., a bare APDU (0F, DB, DD), or a stream chunk "
            "with junk and several frames. Print one JSON object per decoded push, or "
            '{"error": ...}. Blank lines and lines starting with # are skipped. With --stream '
            "all lines are one byte stream. Exit code 0 when everything decoded, 1 otherwise."
        ),
    )
    add_input_file_argument(parser, "file with hex lines (default: standard input)")
    parser.add_argument(
        "--stream", action="store_true", help="treat all lines as one continuous byte stream"
    )
    parser.add_argument("--indent", type=int, default=None, help="pretty-print with this indent")
    _add_key_arguments(parser)
    _add_transport_argument(parser)
    parser.set_defaults(handler=run_decode)


def decode_line(data: bytes, keys: SecurityKeys, transport: Transport) -> list[dict[str, Any]]:
    """JSON objects for one line: its push, or each push of a stream chunk, or the error."""
    try:
        return [reading_to_json(decode_message(data, keys))]
    except DecodeError as err:
        stream = HanStreamDecoder(transport, keys)
        results = stream.feed(data) + stream.flush()
        if not any(not isinstance(result, DecodeError) for result in results):
            return [error_to_json(err)]
        return [_result_json(result) for result in results]


def _result_json(result: object) -> dict[str, Any]:
    if isinstance(result, DecodeError):
        return error_to_json(result)
    return reading_to_json(result)  # type: ignore[arg-type]


def _hex_lines(source: TextIO) -> Iterator[bytes | str]:
    """Bytes of each hex line, or the error text for a line that is not hex."""
    for line in source:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            yield bytes.fromhex(text)
        except ValueError as err:
            yield f"not hex: {err}"


def run_decode(args: argparse.Namespace) -> int:
    """Decode every line of ``args.file`` and print JSON lines."""
    try:
        keys = keys_from_args(args)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    transport = Transport(args.transport)
    status = EXIT_OK
    stream = HanStreamDecoder(transport, keys) if args.stream else None

    def emit(obj: dict[str, Any]) -> None:
        nonlocal status
        if "error" in obj:
            status = EXIT_FAILURE
        print(json.dumps(obj, ensure_ascii=False, indent=args.indent))

    with open_input(args.file) as source:
        for line in _hex_lines(source):
            if isinstance(line, str):
                emit(error_to_json(line))
            elif stream is not None:
                for result in stream.feed(line):
                    emit(_result_json(result))
            else:
                for obj in decode_line(line, keys, transport):
                    emit(obj)
    if stream is not None:
        for result in stream.flush():
            emit(_result_json(result))
        stats = stream.stats
        if stats.bad_frames or stats.readings == 0:
            status = EXIT_FAILURE
        print(
            f"readings {stats.readings}, bad frames {stats.bad_frames}, "
            f"undecodable {stats.undecodable}, junk bytes {stats.discarded_bytes}",
            file=sys.stderr,
        )
    return status


# --- listen ---------------------------------------------------------------------------------


def _register_listen(commands: Commands) -> None:
    parser = commands.add_parser(
        "listen",
        help="print the readings a meter pushes on a HAN port as they arrive",
        description=(
            "Open PORT (a device such as /dev/ttyUSB0, or socket://host:port, "
            "rfc2217://host:port) and print every decoded push: a table, or JSON lines with "
            "--json. Bad frames are counted. Exit code 0 after --count readings, 3 when the "
            "port cannot be opened or is lost, 4 when no valid push came within --timeout."
        ),
    )
    parser.add_argument("port", help="serial device or URL of a network gateway")
    parser.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    parser.add_argument("--count", type=int, default=None, help="stop after N readings")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="give up (exit 4) when no valid push arrives for this many seconds; default: "
        f"keep listening and warn after {SILENCE_TIMEOUT:.0f} s of silence",
    )
    parser.add_argument("--baudrate", type=int, default=2400, help="line speed (2400)")
    parser.add_argument(
        "--parity",
        choices=["E", "N", "O"],
        default="E",
        help="E (8E1, Aidon and Kaifa; default) or N (8N1, Kamstrup)",
    )
    _add_key_arguments(parser)
    _add_transport_argument(parser)
    parser.set_defaults(handler=run_listen)


def format_table(reading: HanReading) -> str:
    """A reading as a small text table: identity and clock, then one line per value."""
    meter = reading.meter
    identity = " ".join(
        part
        for part in (meter.manufacturer, meter.meter_type, meter.meter_id, meter.list_version)
        if part
    )
    clock = reading.clock.isoformat if reading.clock else "-"
    lines = [f"{clock}  {identity or '(meter not named in this list)'}"]
    for code, value in reading.values.items():
        lines.append(f"  {code:18} {value.quantity.value:24} {value.value:>14} {value.unit.value}")
    lines.extend(f"  {code:18} not present" for code in sorted(reading.not_present))
    return "\n".join(lines)


def run_listen(args: argparse.Namespace) -> int:
    """Open the port and print readings until --count, --timeout or Ctrl-C."""
    try:
        keys = keys_from_args(args)
        settings = SerialSettings(baudrate=args.baudrate, parity=args.parity)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    return asyncio.run(listen_port(args, keys, settings))


async def listen_port(
    args: argparse.Namespace, keys: SecurityKeys, settings: SerialSettings
) -> int:
    """The asynchronous body of ``han listen`` (also what the tests run)."""
    decoder = HanStreamDecoder(Transport(args.transport), keys)

    def show(result: HanReading | DecodeError) -> None:
        stats = decoder.stats
        if isinstance(result, DecodeError):
            if args.json:
                print(json.dumps(error_to_json(result)), flush=True)
            else:
                data = result.raw.hex() if result.raw is not None else "-"
                print(f"undecodable push: {result}; data {data}", flush=True)
            return
        if args.json:
            print(json.dumps(reading_to_json(result), ensure_ascii=False), flush=True)
        else:
            print(format_table(result), flush=True)
        print(
            f"readings {stats.readings}, bad frames {stats.bad_frames}, "
            f"undecodable {stats.undecodable}, junk bytes {stats.discarded_bytes}",
            file=sys.stderr,
            flush=True,
        )

    def warn_silence(seconds: float) -> None:
        print(f"no valid push for {seconds:.0f} s: is the meter connected?", file=sys.stderr)

    try:
        async with await open_port(args.port, settings) as port:
            outcome = await listen(
                port.read,
                decoder,
                show,
                char_time=settings.char_time(),
                count=args.count,
                silence_timeout=args.timeout if args.timeout is not None else SILENCE_TIMEOUT,
                on_silence=None if args.timeout is not None else warn_silence,
            )
    except TransportError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_NO_DEVICE
    if outcome.silent:
        print(f"no valid push within {args.timeout} s", file=sys.stderr)
        return EXIT_NO_ANSWER
    return EXIT_OK


# --- simulate -------------------------------------------------------------------------------


def _register_simulate(commands: Commands) -> None:
    parser = commands.add_parser(
        "simulate",
        help="play a HAN meter (Aidon, Kaifa, Kamstrup, MA309, Landis+Gyr) on a pty or TCP port",
        description=(
            "Push a meter's lists at their real intervals, with changing power, currents and "
            "voltages and rising energy counters, on a pseudo-terminal (its path is printed; "
            "open it with han listen) or a TCP port (socket://HOST:PORT)."
        ),
    )
    parser.add_argument("maker", choices=[maker.value for maker in Maker])
    parser.add_argument(
        "--phases",
        choices=[wiring.value for wiring in Wiring],
        default=Wiring.THREE_PHASE.value,
        help="1-phase, 3-phase 4-wire, or 3-phase 3-wire IT (default 3)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--pty", action="store_true", help="serve on a pseudo-terminal (default)")
    where.add_argument("--tcp", metavar="HOST:PORT", help="serve TCP clients (port 0 = any)")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="real seconds per meter second: 0.01 runs 100x faster, 0 without pauses",
    )
    parser.add_argument("--count", type=int, default=None, help="stop after N pushes")
    parser.add_argument("--seed", type=int, default=None, help="random seed for a repeatable run")
    for name in ("garbage", "truncate", "bad-crc", "silence"):
        parser.add_argument(
            f"--{name}", type=float, default=0.0, metavar="P", help=f"probability of {name}"
        )
    _add_key_arguments(parser)
    _add_transport_argument(parser)
    parser.set_defaults(handler=run_simulate)


def simulator_from_args(args: argparse.Namespace) -> HanSimulator:
    """A simulator configured from the command line (ValueError on bad values)."""
    faults = Faults(
        garbage=args.garbage, truncate=args.truncate, bad_crc=args.bad_crc, silence=args.silence
    )
    probabilities = (faults.garbage, faults.truncate, faults.bad_crc, faults.silence)
    if not all(0 <= p <= 1 for p in probabilities) or sum(probabilities) > 1:
        raise ValueError("fault probabilities must be between 0 and 1 and add up to at most 1")
    if args.time_scale < 0:
        raise ValueError("--time-scale must not be negative")
    return HanSimulator(
        Maker(args.maker),
        Wiring(args.phases),
        keys=keys_from_args(args),
        transport=Transport(args.transport),
        faults=faults,
        seed=args.seed,
    )


def run_simulate(args: argparse.Namespace) -> int:
    """Run the simulator until --count pushes or Ctrl-C."""
    try:
        simulator_from_args(args)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    return asyncio.run(simulate(args))


async def simulate(args: argparse.Namespace) -> int:
    """The asynchronous body of ``han simulate``."""
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")

        async def serve_client(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await simulator_from_args(args).run(writer, args.time_scale, count=args.count)
            except ConnectionError:
                pass
            finally:
                writer.close()

        try:
            server = await serve_tcp(host or "127.0.0.1", int(port), serve_client)
        except (OSError, ValueError) as err:
            print(f"error: cannot listen on {args.tcp}: {err}", file=sys.stderr)
            return EXIT_NO_DEVICE
        bound = server.sockets[0].getsockname()
        print(f"socket://{bound[0]}:{bound[1]}", flush=True)
        async with server:
            await server.serve_forever()
        return EXIT_OK
    endpoint = await open_pty()
    print(endpoint.path, flush=True)
    try:
        await simulator_from_args(args).run(endpoint.writer, args.time_scale, count=args.count)
        await endpoint.writer.drain()
    finally:
        await endpoint.close()
    return EXIT_OK
