"""Command-line entry point: ``python -m custom_components.mbus_han <group> <command>``."""

import sys

from .protocol.cli import main

sys.exit(main())
