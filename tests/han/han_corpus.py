"""Access to the HAN reference cases vendored in ``tests/fixtures/han`` (provenance in its README).

``../shared/corpus/han`` beside the repository, where present, adds the cases we may not ship
(``SHARED_ONLY_CASES``); tests over those skip when it is absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[2]
HAN_CORPUS = REPOSITORY / "tests" / "fixtures" / "han"
SHARED_HAN_CORPUS = REPOSITORY.parent / "shared" / "corpus" / "han"
FILES = ("aidon", "kaifa", "kamstrup", "hdlc_edge_cases", "encrypted", "built")
IDENTITY_KEYS = ("list_version", "meter_id", "meter_type")

type Case = dict[str, Any]


def load_cases(folder: Path = HAN_CORPUS) -> list[Case]:
    """Every case of every corpus file in ``folder``, in file order."""
    cases: list[Case] = []
    for name in FILES:
        path = folder / f"{name}.json"
        if path.exists():
            cases.extend(json.loads(path.read_text()))
    return cases


CASES = load_cases()
BY_NAME = {case["name"]: case for case in CASES}
SHARED_ONLY_CASES = [
    case
    for case in (load_cases(SHARED_HAN_CORPUS) if SHARED_HAN_CORPUS.is_dir() else [])
    if case["name"] not in BY_NAME
]


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
