"""Access to the shared HAN corpus (``../shared/corpus/han``), which stays beside the repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HAN_CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "han"
FILES = ("aidon", "kaifa", "kamstrup", "hdlc_edge_cases", "encrypted")
IDENTITY_KEYS = ("list_version", "meter_id", "meter_type")

type Case = dict[str, Any]


def load_cases() -> list[Case]:
    """Every case of every corpus file, in file order."""
    cases: list[Case] = []
    for name in FILES:
        cases.extend(json.loads((HAN_CORPUS / f"{name}.json").read_text()))
    return cases


CASES = load_cases()
BY_NAME = {case["name"]: case for case in CASES}


def raw(case: Case) -> bytes:
    """The case's bytes as captured."""
    return bytes.fromhex(case["hex"])


def is_value_case(case: Case) -> bool:
    """An intact push that decodes to values."""
    return bool(case["expected"]) and not case.get("must_reject")


def expected_values(case: Case) -> dict[str, float]:
    """The OBIS values of ``expected`` (identity and clock keys removed)."""
    skip = {*IDENTITY_KEYS, "clock"}
    return {key: value for key, value in case["expected"].items() if key not in skip}


# Base unit of each value by C.D, from the corpus README ("W, var, A, V, Wh, varh; power factor
# as a fraction"), written out here so the test does not take it from the code under test.
UNIT_BY_CD = {
    **{(c, 7): "W" for c in (1, 2, 21, 22, 41, 42, 61, 62)},
    **{(c, 7): "var" for c in (3, 4, 23, 24, 43, 44, 63, 64)},
    **{(c, 7): "A" for c in (31, 51, 71)},
    **{(c, 7): "V" for c in (32, 52, 72)},
    (13, 7): "",
    (1, 8): "Wh",
    (2, 8): "Wh",
    (3, 8): "varh",
    (4, 8): "varh",
}


def unit_of(code: str) -> str:
    """The base unit the README gives for ``code`` (``A-B:C.D.E.F``)."""
    c, d = code.split(":")[1].split(".")[:2]
    return UNIT_BY_CD[(int(c), int(d))]
