"""Start Home Assistant with only what the soak needs: no frontend, no HTTP server.

Run as ``python ha_main.py -c CONFIG_DIR ...`` (the ``homeassistant`` command line). The
default integrations (frontend, http, analytics, backup, ...) would bind port 8123, which
several runs on one machine cannot share, and cost start-up time that would be counted as
outage; the recorder, the logger, ``mbus_han`` and the probe come from the configuration.
"""

from __future__ import annotations

import sys

from homeassistant import bootstrap
from homeassistant.__main__ import main

bootstrap.DEFAULT_INTEGRATIONS.clear()
bootstrap.DEFAULT_INTEGRATIONS.add("logger")
bootstrap.CRITICAL_INTEGRATIONS.clear()
bootstrap.FRONTEND_INTEGRATIONS.clear()

if __name__ == "__main__":
    sys.exit(main())
