"""Benchmark: decode the libmbus reference corpus with our decoder and with pyMeterBus.

Run from the repository root: ``.venv/bin/python benchmarks/mbus_decode.py``. For every
telegram in ``tests/fixtures/mbus/libmbus/test-frames`` both decoders parse the frame and
interpret every record (value, unit, function, storage); the per-telegram time is the best of
several repeats, and the table shows the median over the telegrams both decode. It also
counts, per decoder, the telegrams whose every numeric value agrees with libmbus's decoding.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import timeit
import xml.etree.ElementTree as ET
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "mbus"))

import meterbus  # noqa: E402 - pyMeterBus, a development dependency
from test_mbus_conformance_libmbus import DEVIATIONS  # noqa: E402 - records libmbus gets wrong

from custom_components.mbus_han.protocol.mbus.model import Telegram  # noqa: E402
from custom_components.mbus_han.protocol.mbus.telegram import decode_frame  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "mbus" / "libmbus" / "test-frames"


def ours(raw: bytes) -> list[object]:
    """Decode with our decoder; records are interpreted eagerly."""
    result = decode_frame(raw)
    assert isinstance(result, Telegram)
    return [r.value for r in result.records]


def pymeterbus(raw: bytes) -> list[object]:
    """Decode with pyMeterBus and interpret every record, as a user of it would."""
    telegram = meterbus.load(raw)
    return [record.interpreted["value"] for record in telegram.body.bodyPayload.records]


def libmbus_values(name: str) -> list[str]:
    """The values libmbus decoded for the telegram, in record order."""
    root = ET.fromstring((CORPUS / f"{name}.norm.xml").read_bytes())
    return [
        rec.findtext("Value") or ""
        for rec in root.findall("DataRecord")
        # libmbus's pseudo-record for manufacturer data after DIF 0x0F/0x1F is no value.
        if rec.findtext("Function") not in ("Manufacturer specific", "More records follow")
        or rec.findtext("Quantity")
    ]


def agrees(name: str, values: list[object], expected: list[str]) -> bool:
    """True when the decoder matches every numeric value libmbus gets right, in order.

    Records where libmbus departs from EN 13757-3 (the conformance test's DEVIATIONS) are
    not counted for either decoder.
    """
    for index, text in enumerate(expected):
        if (name, index) in DEVIATIONS:
            continue
        try:
            theirs = float(text)
        except ValueError:
            continue  # dates, text and manufacturer blobs are not compared here
        if index >= len(values):
            return False
        mine = values[index]
        if not isinstance(mine, int | float | Decimal) or isinstance(mine, bool):
            return False
        if not math.isclose(float(mine), theirs, rel_tol=1e-9, abs_tol=5e-7):
            return False
    return True


def best_time_us(decode: Callable[[bytes], object], raw: bytes, number: int, repeat: int) -> float:
    """Best per-call time in microseconds over ``repeat`` runs of ``number`` calls."""
    runs = timeit.repeat(lambda: decode(raw), number=number, repeat=repeat)
    return min(runs) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--number", type=int, default=50, help="calls per timing run")
    parser.add_argument("--repeat", type=int, default=5, help="timing runs per telegram")
    args = parser.parse_args()

    names = sorted(p.name.removesuffix(".hex") for p in CORPUS.glob("*.hex"))
    decoders = {"ours": ours, "pyMeterBus": pymeterbus}
    times: dict[str, list[float]] = {name: [] for name in decoders}
    decoded = dict.fromkeys(decoders, 0)
    correct = dict.fromkeys(decoders, 0)
    for name in names:
        raw = bytes.fromhex((CORPUS / f"{name}.hex").read_text())
        expected = libmbus_values(name)
        results = {}
        for label, decode in decoders.items():
            try:
                values = decode(raw)
            except Exception:  # noqa: BLE001 - any failure of a decoder is a result here
                continue
            results[label] = values
            decoded[label] += 1
            correct[label] += agrees(name, values, expected)
        if len(results) == len(decoders):
            for label, decode in decoders.items():
                times[label].append(best_time_us(decode, raw, args.number, args.repeat))

    medians = {label: statistics.median(values) for label, values in times.items()}
    print(f"M-Bus decoding, {len(names)} libmbus reference telegrams")
    print(f"(times: median over the {len(times['ours'])} telegrams both decoders decode)")
    print()
    print(f"{'decoder':<12} {'median us/telegram':>20} {'decoded':>9} {'agree with libmbus':>20}")
    for label in decoders:
        print(f"{label:<12} {medians[label]:>20.1f} {decoded[label]:>9} {correct[label]:>20}")
    print()
    print(f"speed-up: {medians['pyMeterBus'] / medians['ours']:.1f}x")
    print(f"RESULT ours_us={medians['ours']:.2f} pymeterbus_us={medians['pyMeterBus']:.2f}")


if __name__ == "__main__":
    main()
