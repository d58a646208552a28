"""One version everywhere: manifest.json, pyproject.toml, the changelog's newest release, README.

HACS offers the tagged releases; Home Assistant shows the manifest's version. The release
procedure in CONTRIBUTING.md bumps all four together, and this test holds them to it. The
expected format is Semantic Versioning 2.0.0 (MAJOR.MINOR.PATCH) and Keep a Changelog's
headings (``## [X.Y.Z] - YYYY-MM-DD``, ``## [Unreleased]`` above them).
"""

import json
import re
import tomllib
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEMVER = r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
RELEASE_HEADING = re.compile(rf"^## \[({SEMVER})\] - (\d{{4}}-\d{{2}}-\d{{2}})$", re.MULTILINE)


def _manifest_version() -> str:
    manifest = ROOT / "custom_components" / "mbus_han" / "manifest.json"
    return json.loads(manifest.read_text())["version"]


def _changelog() -> str:
    return (ROOT / "CHANGELOG.md").read_text()


def _released() -> list[tuple[str, str]]:
    """(version, date) of every released entry, newest first as written."""
    return [(match[1], match[5]) for match in RELEASE_HEADING.finditer(_changelog())]


def test_manifest_version_is_semantic() -> None:
    assert re.fullmatch(SEMVER, _manifest_version())


def test_manifest_pyproject_changelog_and_readme_agree() -> None:
    version = _manifest_version()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["version"] == version
    assert _released()[0][0] == version, "the changelog's newest release is not the manifest's"
    readme = (ROOT / "README.md").read_text()
    assert re.findall(rf"^Version ({SEMVER}) ", readme, re.MULTILINE)[0][0] == version


def test_changelog_keeps_its_shape() -> None:
    text = _changelog()
    headings = re.findall(r"^## .*$", text, re.MULTILINE)
    assert headings[0] == "## [Unreleased]"
    released = _released()
    assert len(released) == len(headings) - 1, "a release heading is not '## [X.Y.Z] - date'"
    versions = [tuple(int(part) for part in version.split(".")) for version, _ in released]
    assert versions == sorted(versions, reverse=True), "releases are not newest first"
    dates = [date.fromisoformat(day) for _, day in released]
    assert dates == sorted(dates, reverse=True)
    for version, _ in released:
        assert f"[{version}]: https://github.com/" in text, f"no link for {version}"
    assert "[Unreleased]: https://github.com/" in text
