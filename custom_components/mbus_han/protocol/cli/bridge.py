"""``bridge CONFIG``: publish the meters of this site to an MQTT broker (no Home Assistant here)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from . import EXIT_OK, EXIT_USAGE


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``bridge`` command (a top-level one: it has no sub-commands)."""
    parser = commands.add_parser(
        "bridge",
        help="publish M-Bus and HAN meters to an MQTT broker (Home Assistant discovery)",
        description=(
            "Poll the M-Bus buses and listen to the HAN ports named in CONFIG (YAML) and "
            "publish their meters to an MQTT broker, with Home Assistant MQTT discovery and "
            "the raw HAN frames. Needs the 'bridge' extra: pip install .[bridge]"
        ),
    )
    parser.add_argument("config", metavar="CONFIG", help="the bridge's YAML configuration file")
    parser.add_argument(
        "--check", action="store_true", help="only check the configuration file, then exit"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Check the configuration, then run the bridge until stopped (SIGTERM, SIGINT)."""
    from ..bridge.config import ConfigError, load_config  # noqa: PLC0415 - PyYAML is optional

    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return EXIT_USAGE
    except ModuleNotFoundError as err:
        print(f"{err}: install the bridge extra (pip install .[bridge])", file=sys.stderr)
        return EXIT_USAGE
    if args.check:
        meters = sum(len(bus.meters) for bus in config.mbus) + len(config.han)
        ports = len(config.mbus) + len(config.han)
        print(f"{args.config}: valid ({meters} meter(s) on {ports} port(s))")
        return EXIT_OK
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("aiomqtt").setLevel(logging.WARNING)
    try:
        import aiomqtt  # noqa: F401, PLC0415 - fail early and clearly without the extra
    except ModuleNotFoundError as err:
        print(f"{err}: install the bridge extra (pip install .[bridge])", file=sys.stderr)
        return EXIT_USAGE
    asyncio.run(_main(config))
    return EXIT_OK


async def _main(config: object) -> None:
    from ..bridge.runner import Bridge  # noqa: PLC0415

    bridge = Bridge(config)  # type: ignore[arg-type]
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, task.cancel)  # type: ignore[union-attr]
    try:
        await bridge.run()
    except asyncio.CancelledError:
        logging.getLogger(__name__).info("Stopped")
