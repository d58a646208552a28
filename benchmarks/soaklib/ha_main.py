"""Start Home Assistant with only what the soak needs: no frontend, HTTP on a free port.

Run as ``python ha_main.py -c CONFIG_DIR ...`` (the ``homeassistant`` command line). The
default integrations (frontend, analytics, backup, ...) cost start-up time that would be
counted as outage; the recorder, the logger, ``mbus_han`` and the probe come from the
configuration.

``http`` is still set up (``mbus_han`` depends on ``usb``, which needs the websocket API). It
binds the port the driver chose free (``MBUS_HAN_SOAK_HTTP_PORT``) instead of 8123, which a
developer's ``scripts/demo`` or a second run may hold: Home Assistant 2026.x then fails the
set-up of ``http`` and of everything depending on it (no ``mbus_han``, no entity registry),
where 2025.4 only logged it. The default port is set, not ``http:`` in the configuration:
2026.x takes ``http:`` from YAML only as a 5-minute trial and restarts when it is not
confirmed. Set before anything imports ``homeassistant.components.http``, which reads it once.
"""

from __future__ import annotations

import os
import sys

import homeassistant.const

if port := os.environ.get("MBUS_HAN_SOAK_HTTP_PORT"):
    homeassistant.const.SERVER_PORT = int(port)  # type: ignore[misc]

from homeassistant import bootstrap
from homeassistant.__main__ import main

bootstrap.DEFAULT_INTEGRATIONS.clear()
bootstrap.DEFAULT_INTEGRATIONS.add("logger")
bootstrap.CRITICAL_INTEGRATIONS.clear()
bootstrap.FRONTEND_INTEGRATIONS.clear()

if __name__ == "__main__":
    sys.exit(main())
