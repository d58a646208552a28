"""The demo's Home Assistant: its config dir, and the server process.

The config dir is kept between runs (history, the user, the dashboard survive a restart);
only ``configuration.yaml`` and the link to the integration are rewritten each time, so a
changed ``--port`` or a moved checkout takes effect.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
from pathlib import Path

from .processes import ManagedProcess

REPO_ROOT = Path(__file__).resolve().parents[1]
INTEGRATION = REPO_ROOT / "custom_components" / "mbus_han"
HASS_PYTHON_ENV = "MBUS_HAN_DEMO_HASS_PYTHON"

# Only what the demo shows: no default_config, whose discovery integrations (bluetooth,
# zeroconf, ...) pull in many packages and probe networks a container does not have.
CONFIGURATION = """\
# Written by scripts/demo on every start; edit demo/home_assistant.py instead.
homeassistant:
  name: M-Bus & HAN demo
  unit_system: metric
  currency: NOK
  country: "NO"
  time_zone: {time_zone}
  latitude: 59.91
  longitude: 10.75
  elevation: 20

http:
  server_host: {host}
  server_port: {port}

frontend:
config:
history:
logbook:
energy:
system_log:
usb:

recorder:
  commit_interval: 5

logger:
  default: warning
  logs:
    custom_components.mbus_han: info
"""


def local_time_zone() -> str:
    """The machine's IANA zone name for HA's config (UTC when it cannot be told)."""
    if zone := os.environ.get("TZ"):
        return zone.lstrip(":")
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        return "UTC"
    marker = "zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else "UTC"


def prepare_config_dir(config_dir: Path, *, port: int, host: str = "127.0.0.1") -> None:
    """Write configuration.yaml and link our integration into ``custom_components``."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "configuration.yaml").write_text(
        CONFIGURATION.format(port=port, host=host, time_zone=json.dumps(local_time_zone())),
        encoding="utf-8",
    )
    # Home Assistant 2026.11+ takes `http:` from YAML only once, into its store, and ignores it
    # afterwards: without its store it takes this run's host and port again (run.py promotes).
    (config_dir / ".storage" / "http").unlink(missing_ok=True)
    custom = config_dir / "custom_components"
    custom.mkdir(exist_ok=True)
    link = custom / "mbus_han"
    if link.is_symlink() or link.exists():
        if link.is_symlink() and link.resolve() == INTEGRATION.resolve():
            return
        if not link.is_symlink():
            raise RuntimeError(f"{link} is not the link the demo made; move it away")
        link.unlink()
    link.symlink_to(INTEGRATION, target_is_directory=True)


def onboarding_done(config_dir: Path) -> bool:
    """True when this config dir's onboarding is complete (HA then hides its API)."""
    try:
        data = json.loads((config_dir / ".storage" / "onboarding").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return {"user", "core_config", "analytics", "integration"} <= set(data["data"]["done"])


def hass_command(config_dir: Path) -> list[str]:
    """How to start Home Assistant: ``$MBUS_HAN_DEMO_HASS_PYTHON``'s, else the one beside us.

    scripts/demo points it at .venv-hass, the newest release with every requirement of what the
    demo loads (requirements_hass.txt): that one runs with ``--skip-pip``, so it installs
    nothing and the onboarding's internet integrations (weather, translate, radio) fail to
    load instead of looking up hosts every few minutes. The one beside us installs what is
    missing, but changes nothing installed (``write_installed_versions``).
    """
    if python := os.environ.get(HASS_PYTHON_ENV):
        return [python, "-m", "homeassistant", "-c", str(config_dir), "--skip-pip"]
    return [sys.executable, "-m", "homeassistant", "-c", str(config_dir)]


def write_installed_versions(path: Path) -> Path:
    """A requirements file pinning every distribution installed beside us, as installed.

    The Home Assistant beside us (the test venv's 2025.4) installs what the demo's
    integrations need at start-up (``uv pip install --upgrade``): it moved the test venv's
    pycares 4.11.0 to 5.2.1, which aiodns 3.2.0 (2025.4's pin) cannot use
    (requirements_test.txt). As ``UV_OVERRIDE`` (not ``UV_CONSTRAINT``: Home Assistant passes
    its own ``--constraint``, which replaces the variable) it lets uv add packages but keeps
    every installed one at its version.
    """
    versions: dict[str, str] = {}
    for dist in importlib.metadata.distributions():  # sys.path order: the one imported first
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name and dist.version:
            versions.setdefault(name, dist.version)
    path.parent.mkdir(parents=True, exist_ok=True)
    pins = (f"{name}=={version}" for name, version in sorted(versions.items()))
    path.write_text("\n".join(pins) + "\n", encoding="utf-8")
    return path


async def start(config_dir: Path, log_dir: Path) -> ManagedProcess:
    """Start ``python -m homeassistant`` on the config dir (output to ``log_dir``).

    It runs with the config dir as working directory so that only the linked copy of
    ``custom_components`` is found, not the checkout's (which ``-m`` would put on sys.path).
    """
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if not os.environ.get(HASS_PYTHON_ENV):
        env["UV_OVERRIDE"] = str(write_installed_versions(log_dir / "installed.txt"))
    return await ManagedProcess.start(
        "home-assistant",
        hass_command(config_dir),
        log_path=log_dir / "home-assistant.log",
        cwd=config_dir,
        env=env,
    )
