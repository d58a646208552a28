"""One command-line entry point for every tool: ``python -m custom_components.mbus_han``.

Installed with ``pip install .``, the same entry point is the ``mbus-han`` command.
Commands are grouped by protocol (``mbus ...``, ``han ...``); ``bridge`` stands alone. Each
command module exposes ``register(group_subparsers)``, which adds its sub-command and sets
``handler`` to a function taking the parsed arguments and returning the process exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TextIO

# Exit codes scripts can rely on.
EXIT_OK = 0
EXIT_FAILURE = 1  # the command ran but what it was asked to do failed (e.g. a telegram rejected)
EXIT_USAGE = 2  # bad arguments (argparse uses 2 as well)
EXIT_NO_DEVICE = 3  # the port could not be opened or the connection was lost
EXIT_NO_ANSWER = 4  # nothing (valid) came back from the meter(s)

# (group, help, command modules in this package)
GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("mbus", "wired M-Bus meters (EN 13757)", ("mbus_decode", "mbus_bus", "mbus_simulate")),
    ("han", "HAN-port smart electricity meters (DLMS/COSEM push)", ("han",)),
)

Handler = Callable[[argparse.Namespace], int]


def add_input_file_argument(parser: argparse.ArgumentParser, help_text: str) -> None:
    """A positional text file to read, standard input when absent or ``-``.

    Instead of ``argparse.FileType`` (deprecated since Python 3.14): the name is checked at parse
    time (a missing file is a usage error, exit 2, as before) and opened by ``open_input``.
    """
    parser.add_argument(
        "file", nargs="?", default="-", type=_readable_file, metavar="FILE", help=help_text
    )


def _readable_file(name: str) -> str:
    if name != "-" and not os.access(name, os.R_OK):
        raise argparse.ArgumentTypeError(f"can't open '{name}': not a readable file")
    return name


@contextlib.contextmanager
def open_input(name: str) -> Iterator[TextIO]:
    """The file ``add_input_file_argument`` named, or standard input for ``-``."""
    if name == "-":
        yield sys.stdin
        return
    with open(name, encoding="utf-8") as source:
        yield source


def build_parser() -> argparse.ArgumentParser:
    """Build the full argument parser with every group and command."""
    parser = argparse.ArgumentParser(
        # the installed command (pip install .) or the module in a checkout
        prog="mbus-han"
        if os.path.basename(sys.argv[0]) == "mbus-han"
        else "python -m custom_components.mbus_han",
        description="M-Bus & HAN meter tools: decode, scan, read, listen and simulate.",
    )
    groups = parser.add_subparsers(dest="group", metavar="GROUP", required=True)
    for name, help_text, modules in GROUPS:
        group = groups.add_parser(name, help=help_text, description=help_text)
        commands = group.add_subparsers(dest="command", metavar="COMMAND", required=True)
        for module_name in modules:
            module = importlib.import_module(f"{__name__}.{module_name}")
            module.register(commands)
    # Commands without a group: the bridge runs every protocol.
    importlib.import_module(f"{__name__}.bridge").register(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; return its exit code."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        return EXIT_OK
