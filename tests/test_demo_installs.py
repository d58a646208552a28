"""The demo's Home Assistant may add packages to the test venv, never change one.

Home Assistant 2025.4 installs its integrations' requirements with ``uv pip install
--upgrade``, which upgrades every transitive dependency: run from the test venv it moved
pycares 4.11.0 to 5.2.1, which the pinned aiodns 3.2.0 cannot use (seen in a fresh clone's
venv, 2026-12-03; ``uv pip install --dry-run --upgrade radios==0.3.2`` shows the same). The
demo hands uv a file of every installed version as ``UV_OVERRIDE``.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from demo.home_assistant import write_installed_versions


def test_every_installed_distribution_is_pinned_once_at_its_version(tmp_path: Path) -> None:
    path = write_installed_versions(tmp_path / "logs" / "installed.txt")
    pins = dict(line.split("==") for line in path.read_text(encoding="utf-8").splitlines())
    assert pins["homeassistant"] == importlib.metadata.version("homeassistant")
    assert pins["pytest"] == importlib.metadata.version("pytest")
    assert all(name == name.lower() and "_" not in name for name in pins)  # normalised
    assert len(pins) >= 100  # the whole venv, not a chosen few
