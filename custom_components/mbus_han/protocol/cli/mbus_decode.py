"""``mbus decode``: decode telegrams given as hex, one per line, into JSON lines."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..errors import DecodeError
from ..mbus.jsonout import telegram_to_json
from ..mbus.telegram import decode_telegram_bytes
from . import EXIT_FAILURE, EXIT_OK, add_input_file_argument, open_input


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``decode`` command to the ``mbus`` group."""
    parser = commands.add_parser(
        "decode",
        help="decode RSP_UD telegrams given as hex (one per line) into JSON",
        description=(
            "Read one telegram per line as hex (spaces optional; a whole long frame "
            "68 L L 68 ... 16, or the application payload starting with the CI byte) and "
            "print one JSON object per telegram. Blank lines and lines starting with # are "
            "skipped. Exit code 0 when every telegram decoded, 1 when any was rejected."
        ),
    )
    add_input_file_argument(parser, "file with hex telegrams (default: standard input)")
    parser.add_argument("--indent", type=int, default=None, help="pretty-print with this indent")
    parser.set_defaults(handler=run)


def decode_line(line: str) -> dict[str, Any]:
    """Decode one hex line into its JSON object, or ``{"error": ...}``."""
    try:
        raw = bytes.fromhex(line)
    except ValueError as err:
        return {"error": f"not hex: {err}"}
    try:
        return telegram_to_json(decode_telegram_bytes(raw))
    except DecodeError as err:
        return {"error": str(err)}


def run(args: argparse.Namespace) -> int:
    """Decode every line of ``args.file`` and print the JSON objects."""
    status = EXIT_OK
    with open_input(args.file) as source:
        for line in source:
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            result = decode_line(text)
            if "error" in result:
                status = EXIT_FAILURE
            print(json.dumps(result, ensure_ascii=False, indent=args.indent))
    return status
