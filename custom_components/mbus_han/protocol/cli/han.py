"""``han decode``, ``listen``, ``simulate``: HAN pushes from hex, a port, or a fake meter."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from ..errors import DecodeError
from ..han.cipher import SecurityKeys
from ..han.decoder import HanStreamDecoder, Transport, decode_message
from ..han.jsonout import error_to_json, reading_to_json
from . import EXIT_FAILURE, EXIT_OK, EXIT_USAGE

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
    parser.add_argument(
        "file",
        nargs="?",
        type=argparse.FileType("r"),
        default=sys.stdin,
        help="file with hex lines (default: standard input)",
    )
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

    for line in _hex_lines(args.file):
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
