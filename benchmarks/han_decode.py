"""Benchmark: frame and decode the HAN corpus pushes with our decoder and with amshan.

Run from the repository root: ``.venv/bin/python benchmarks/han_decode.py``. Every intact push
of ``tests/fixtures/han`` that amshan can read (HDLC frames, and LLC payloads wrapped in an
HDLC frame) goes through a stream framer and the list decoder of each library, as a live
reader would: bytes in, values out. Per frame the time is the best of several repeats; the
summary is the median over the frames both decode, and both must agree on active power import.
dlms-cosem is not run: it is BSL-licensed, which the project rules forbid even in development.
The last line is ``RESULT ours_us=<float> amshan_us=<float>``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from han.autodecoder import AutoDecoder  # noqa: E402 - amshan, a development dependency
from han.hdlc import HdlcFrameReader  # noqa: E402

from custom_components.mbus_han.protocol.errors import DecodeError  # noqa: E402
from custom_components.mbus_han.protocol.han.decoder import HanStreamDecoder  # noqa: E402
from custom_components.mbus_han.protocol.han.hdlc import encode_hdlc_frame  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "han"
FILES = ("aidon", "kaifa", "kamstrup", "hdlc_edge_cases", "built")
TARGET_RATIO = 20


def corpus_frames() -> list[tuple[str, bytes]]:
    """(name, HDLC frame) for every intact push without encryption."""
    frames = []
    for name in FILES:
        for case in json.loads((CORPUS / f"{name}.json").read_text()):
            if not case["expected"] or case.get("must_reject"):
                continue
            data = bytes.fromhex(case["hex"])
            if case["transport"] == "llc-payload":
                data = encode_hdlc_frame(data)
            elif case["transport"] != "hdlc":
                continue
            frames.append((case["name"], data))
    return frames


def make_ours() -> Callable[[bytes], Any]:
    """Stream decoder as `han listen` uses it: framing, CRC, LLC, APDU, A-XDR, scaling."""
    decoder = HanStreamDecoder()

    def decode(frame: bytes) -> Any:
        (reading,) = decoder.feed(frame)
        if isinstance(reading, DecodeError):
            raise reading
        return reading

    return decode


def make_amshan() -> Callable[[bytes], Any]:
    """The reader and AutoDecoder of amshan, as amshan-homeassistant uses them."""
    reader = HdlcFrameReader(False)
    decoder = AutoDecoder()

    def decode(frame: bytes) -> Any:
        (message,) = reader.read(frame)
        if not message.is_valid:
            raise ValueError("amshan: invalid frame")
        decoded = decoder.decode_message(message)
        if decoded is None:
            raise ValueError("amshan: not decoded")
        return decoded

    return decode


def ours_power(reading: Any) -> float | None:
    for code in ("1-0:1.7.0.255", "1-1:1.7.0.255"):
        if code in reading.values:
            return reading.values[code].value
    return None


def best_time_us(decode: Callable[[bytes], Any], frame: bytes, repeat: int) -> float:
    """Best of ``repeat`` rounds, each timing enough calls to last about 20 ms."""
    timer = timeit.Timer(lambda: decode(frame))
    number, _ = timer.autorange()
    number = max(1, number // 10)
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timing rounds per frame")
    args = parser.parse_args()

    ours, amshan = make_ours(), make_amshan()
    rows = []
    print(f"{'frame':40} {'bytes':>5} {'ours us':>9} {'amshan us':>10} {'ratio':>6}")
    for name, frame in corpus_frames():
        reading = ours(frame)
        try:
            theirs = amshan(frame)
        except ValueError as err:
            print(f"{name:40} {len(frame):5} skipped: {err}")
            continue
        if ours_power(reading) != theirs.get("active_power_import"):
            print(f"{name:40} {len(frame):5} skipped: the decoders disagree on power")
            continue
        ours_us = best_time_us(ours, frame, args.repeat)
        amshan_us = best_time_us(amshan, frame, args.repeat)
        rows.append((ours_us, amshan_us))
        ratio = amshan_us / ours_us
        print(f"{name:40} {len(frame):5} {ours_us:9.1f} {amshan_us:10.1f} {ratio:6.1f}")

    ours_median = statistics.median(row[0] for row in rows)
    amshan_median = statistics.median(row[1] for row in rows)
    ratio = amshan_median / ours_median
    print()
    print(f"{len(rows)} frames decoded by both; median per frame (framing + decoding):")
    print(f"  ours    {ours_median:8.1f} us")
    print(f"  amshan  {amshan_median:8.1f} us   ({ratio:.1f}x ours; target >= {TARGET_RATIO}x)")
    print("  dlms-cosem: not benchmarked (BSL licence: the project rules forbid it, even in dev)")
    print(f"RESULT ours_us={ours_median:.2f} amshan_us={amshan_median:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
