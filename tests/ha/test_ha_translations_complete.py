"""Every field of every form explains itself in every language (quality scale: config-flow).

The check is against the forms Home Assistant would show: each ``data`` key of a step must have
a ``data_description`` in English, Norwegian bokmål and German, and the three languages must
name the same steps, fields, errors and entities.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

TRANSLATIONS = Path(__file__).resolve().parents[2] / "custom_components/mbus_han/translations"
LANGUAGES = ("en", "nb", "de")


def _load(language: str) -> dict:
    return json.loads((TRANSLATIONS / f"{language}.json").read_text())


def _keys(tree: object, prefix: str = "") -> set[str]:
    if not isinstance(tree, dict):
        return {prefix}
    return set().union(*(_keys(value, f"{prefix}/{key}") for key, value in tree.items()))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_form_field_has_a_description(language):
    for section in ("config", "options"):
        for step_id, step in _load(language)[section]["step"].items():
            missing = set(step.get("data", {})) - set(step.get("data_description", {}))
            assert not missing, f"{language} {section}.step.{step_id}: {sorted(missing)}"


@pytest.mark.parametrize("language", ["nb", "de"])
def test_every_language_has_every_string(language):
    assert _keys(_load(language)) == _keys(_load("en"))
