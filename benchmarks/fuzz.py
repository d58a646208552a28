"""Benchmark: a million generated inputs through the decoders and the sensor descriptions.

Run from the repository root: ``.venv/bin/python benchmarks/fuzz.py [--inputs N] [--seed S]``
(default 1,000,000 inputs; a few minutes on one core). Inputs come from seven families:

- ``mbus_structured``: long frames with valid checksums whose records are drawn from every DIF
  data coding, DIFE chain, VIF table (primary, 0xFB, 0xFD, plain text, manufacturer) and LVAR
  range of EN 13757-3 (``tests/mbus/mbus_fuzzgen.py``);
- ``mbus_mutated``: the libmbus reference telegrams and generated ones with edited user data,
  reframed with a correct checksum so the application layer sees the damage;
- ``mbus_stream``: frames, mutated frames and junk, cut into random chunks, through the framer;
- ``han_structured``: data-notifications in the three list shapes with every A-XDR type and
  scalers of every integer type, as HDLC frames, M-Bus segments, LLC payloads or bare APDUs,
  some ciphered (``tests/han/han_fuzzgen.py``), fed in random chunks to the stream decoder;
- ``han_mutated``: the HAN corpus and generated pushes with edited content, reframed with valid
  check sequences;
- ``han_random`` and ``mbus_random``: random bytes.

Every decoded M-Bus record goes through ``describe_record`` and every HAN value and identity
through ``describe_value``/``IDENTITY_SENSORS`` (the integration's sensor descriptions, with the
Home Assistant of the virtual environment). A description is kept per record key, as an entity
keeps it, and every later record of that key goes through it too. The state it yields is checked
by Home Assistant's own ``SensorEntity.state`` (numeric, timestamp and date rules).

Counted: an *escape* is any exception other than :class:`DecodeError` (a
:class:`DecoderFaultError` returned by the stream decoder counts too); a *hang* is one input
that takes more than 100 ms three times in a row; a *wrong type* is a state Home Assistant
refuses for its description. The last line is ``RESULT inputs=... escapes=... hangs=...
wrong_type=... peak_kib=...``; the seed and the first examples of each failure (with the input
as hex) are printed above it.
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "mbus"))
sys.path.insert(0, str(ROOT / "tests" / "han"))

import han_fuzzgen  # noqa: E402 - structured HAN inputs, shared with the property tests
import mbus_fuzzgen  # noqa: E402 - structured M-Bus inputs, shared with the property tests
from han_corpus import CASES, raw  # noqa: E402
from homeassistant.components.sensor import SensorEntity, SensorEntityDescription  # noqa: E402
from homeassistant.util.unit_system import METRIC_SYSTEM  # noqa: E402
from mbus_corpus import all_corpus_telegrams  # noqa: E402

from custom_components.mbus_han.han_sensor import IDENTITY_SENSORS, describe_value  # noqa: E402
from custom_components.mbus_han.mbus_sensor import describe_record  # noqa: E402
from custom_components.mbus_han.protocol.errors import DecodeError, DecoderFaultError  # noqa: E402
from custom_components.mbus_han.protocol.han.cipher import SecurityKeys  # noqa: E402
from custom_components.mbus_han.protocol.han.decoder import (  # noqa: E402
    HanStreamDecoder,
    Transport,
    decode_message,
)
from custom_components.mbus_han.protocol.han.hdlc import (  # noqa: E402
    FLAG,
    encode_hdlc_frame,
    parse_hdlc_frame,
)
from custom_components.mbus_han.protocol.han.reading import HanReading  # noqa: E402
from custom_components.mbus_han.protocol.mbus.framer import MbusFramer  # noqa: E402
from custom_components.mbus_han.protocol.mbus.frames import LongFrame  # noqa: E402
from custom_components.mbus_han.protocol.mbus.model import Telegram  # noqa: E402
from custom_components.mbus_han.protocol.mbus.telegram import (  # noqa: E402
    decode_frame,
    decode_long_frame,
    decode_telegram_bytes,
)

HANG_SECONDS = 0.100
HANG_ATTEMPTS = 3  # on a shared machine one run in 100,000 is preempted; a hang is not
MAX_EXAMPLES = 3
MAX_KEPT_DESCRIPTIONS = 4096
MBUS_CORPUS = all_corpus_telegrams()
HAN_CORPUS = [(raw(case), case.get("key_hex"), case.get("auth_key_hex")) for case in CASES]


class _Probe(SensorEntity):
    """A bare sensor entity: Home Assistant's ``state`` property validates the value.

    Only what the validation reads is copied from the description (names need a platform).
    """

    hass = SimpleNamespace(config=SimpleNamespace(units=METRIC_SYSTEM))  # type: ignore[assignment]

    def __init__(self, description: SensorEntityDescription, value: Any) -> None:
        self.entity_description = SensorEntityDescription(
            key=description.key,
            device_class=description.device_class,
            state_class=description.state_class,
            native_unit_of_measurement=description.native_unit_of_measurement,
            suggested_display_precision=description.suggested_display_precision,
            options=description.options,
        )
        self._attr_native_value = value
        self.entity_id = "sensor.fuzz"


@dataclass
class Tally:
    """What one family of inputs brought."""

    inputs: int = 0
    decoded: int = 0
    rejected: int = 0
    escapes: int = 0
    hangs: int = 0
    wrong_type: int = 0
    states: int = 0
    slowest: float = 0.0


@dataclass
class Run:
    """Counters, examples, and the descriptions kept per record key (as entities keep them)."""

    tallies: dict[str, Tally] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    verdicts: dict[tuple[Any, ...], str | None] = field(default_factory=dict)
    kept: dict[str, Any] = field(default_factory=dict)
    reasons: Counter[str] = field(default_factory=Counter)

    def example(self, kind: str, text: str) -> None:
        """Keep the first few examples of each kind of failure."""
        found = self.examples.setdefault(kind, [])
        if len(found) < MAX_EXAMPLES:
            found.append(text)

    def check_state(self, family: str, description: SensorEntityDescription, value: Any) -> None:
        """Count a state Home Assistant would refuse for ``description``."""
        self.tallies[family].states += 1
        verdict_key = (
            description.device_class,
            description.state_class,
            description.native_unit_of_measurement,
            description.suggested_display_precision,
            type(value),
            _finite_or_aware(value),
        )
        verdict = self.verdicts.get(verdict_key, "")
        if verdict == "":
            try:
                _Probe(description, value).state  # noqa: B018 - the property validates
                verdict = None
            except ValueError as err:
                verdict = str(err)[:160]
            self.verdicts[verdict_key] = verdict
        if verdict is not None:
            self.tallies[family].wrong_type += 1
            self.reasons[f"{description.device_class} <- {type(value).__name__}"] += 1
            self.example(
                "wrong_type",
                f"{family}: key {description.key} value {value!r}: {verdict}",
            )


def _finite_or_aware(value: Any) -> bool | None:
    if hasattr(value, "tzinfo"):
        return value.tzinfo is not None
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError, OverflowError):
        return None


# -- what is done with a decoded result --------------------------------------------------


def describe_telegram(run: Run, family: str, telegram: Telegram) -> None:
    medium = telegram.header.medium if telegram.header is not None else None
    for record in telegram.records:
        kept = run.kept.get(record.key)
        if kept is None:
            kept = describe_record(record, medium)
            if kept is None:
                continue
            if len(run.kept) >= MAX_KEPT_DESCRIPTIONS:
                run.kept.clear()
            run.kept[record.key] = kept
        run.check_state(family, kept, kept.value_fn(record.value))
        fresh = describe_record(record, medium)  # what a new meter with this record gets
        if fresh is not None:
            run.check_state(family, fresh, fresh.value_fn(record.value))


def describe_reading(run: Run, family: str, reading: HanReading) -> None:
    for code, value in reading.values.items():
        description = describe_value(code, value.quantity)
        if description is not None:
            run.check_state(family, description, value.value)
    for identity in IDENTITY_SENSORS:
        if identity.has_fn(reading.meter, reading.clock):
            run.check_state(family, identity, identity.value_fn(reading.meter, reading.clock))


# -- the families: each turns a random generator into one input and processes it ---------

type Process = Callable[[Run, str], bool]
type Input = tuple[bytes, Process]  # the bytes (for reports) and what is done with them
type Family = Callable[[random.Random], Input]


def _mbus_decode(data: bytes, *, whole: bool = True) -> Input:
    def process(run: Run, family: str) -> bool:
        result = decode_frame(data) if whole else decode_telegram_bytes(data)
        if isinstance(result, Telegram):
            describe_telegram(run, family, result)
        return True

    return data, process


def mbus_structured(rng: random.Random) -> Input:
    return _mbus_decode(mbus_fuzzgen.telegram(rng))


def mbus_mutated(rng: random.Random) -> Input:
    source = rng.choice(MBUS_CORPUS) if rng.random() < 0.5 else mbus_fuzzgen.telegram(rng)
    return _mbus_decode(mbus_fuzzgen.reframe(rng, source), whole=False)


def mbus_random(rng: random.Random) -> Input:
    data = rng.randbytes(rng.randrange(300))
    if rng.random() < 0.5:
        data = b"\x68" + data
    return _mbus_decode(data, whole=False)


def mbus_stream(rng: random.Random) -> Input:
    pieces = []
    for _ in range(rng.randrange(1, 5)):
        kind = rng.random()
        if kind < 0.4:
            pieces.append(mbus_fuzzgen.telegram(rng))
        elif kind < 0.7:
            pieces.append(mbus_fuzzgen.mutate(rng, rng.choice(MBUS_CORPUS)))
        elif kind < 0.8:
            pieces.append(mbus_fuzzgen.REPROS["junk_long_frame"])
        else:
            pieces.append(rng.randbytes(rng.randrange(40)))
    data = b"".join(pieces)
    cuts = sorted(rng.randrange(len(data) + 1) for _ in range(rng.randrange(6)))

    def process(run: Run, family: str) -> bool:
        framer = MbusFramer()
        decoded = False
        for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
            for frame in framer.feed(data[start:end]):
                if isinstance(frame, LongFrame):
                    try:
                        result = decode_long_frame(frame)
                    except DecodeError:
                        continue
                    decoded = True
                    if isinstance(result, Telegram):
                        describe_telegram(run, family, result)
        return decoded

    return data, process


def _han_process(data: bytes, keys: SecurityKeys, cuts: list[int]) -> Input:
    def process(run: Run, family: str) -> bool:
        if data[:1] not in (b"\x68", bytes((FLAG,))):
            reading = decode_message(data, keys)
            describe_reading(run, family, reading)
            return True
        transport = Transport.MBUS if data[0] == 0x68 else Transport.HDLC
        decoder = HanStreamDecoder(transport, keys)
        results = []
        for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
            results += decoder.feed(data[start:end])
        results += decoder.flush()
        decoded = False
        for result in results:
            if isinstance(result, DecoderFaultError):
                raise result  # an escape the stream decoder caught and returned
            if isinstance(result, HanReading):
                decoded = True
                describe_reading(run, family, result)
        return decoded

    return data, process


def _cuts(rng: random.Random, size: int) -> list[int]:
    return sorted(rng.randrange(size + 1) for _ in range(rng.randrange(4)))


def han_structured(rng: random.Random) -> Input:
    data = han_fuzzgen.message(rng)
    return _han_process(data, han_fuzzgen.KEYS, _cuts(rng, len(data)))


def han_mutated(rng: random.Random) -> Input:
    if rng.random() < 0.5:
        data, key, auth = rng.choice(HAN_CORPUS)
        keys = SecurityKeys.from_hex(key, auth)
    else:
        data, keys = han_fuzzgen.message(rng), han_fuzzgen.KEYS
    if data[:1] == bytes((FLAG,)) and rng.random() < 0.8:
        try:  # edit the information field, keep valid check sequences
            frame = parse_hdlc_frame(data)
            data = encode_hdlc_frame(mbus_fuzzgen.mutate(rng, frame.information))
        except (DecodeError, ValueError):
            data = mbus_fuzzgen.mutate(rng, data)
    elif data[:1] == b"\x68" and rng.random() < 0.8:
        data = mbus_fuzzgen.reframe(rng, data)
    else:
        data = mbus_fuzzgen.mutate(rng, data)
    if not data:
        data = b"\x00"
    return _han_process(data, keys, _cuts(rng, len(data)))


def han_random(rng: random.Random) -> Input:
    data = rng.choice((b"\x7e\xa0", b"\x68", b"\xe6\xe7\x00\x0f", b"\x0f", b"\xdb\x08", b""))
    data += rng.randbytes(rng.randrange(1, 400))
    return _han_process(data, han_fuzzgen.KEYS, _cuts(rng, len(data)))


FAMILIES: dict[str, tuple[float, Family]] = {
    "mbus_structured": (0.30, mbus_structured),
    "mbus_mutated": (0.12, mbus_mutated),
    "mbus_stream": (0.08, mbus_stream),
    "mbus_random": (0.05, mbus_random),
    "han_structured": (0.28, han_structured),
    "han_mutated": (0.12, han_mutated),
    "han_random": (0.05, han_random),
}


def _repro_inputs() -> list[tuple[str, Input]]:
    """Every input that once broke the decoder or the runtime, first in every run."""
    seeds: list[tuple[str, Input]] = []
    for data in mbus_fuzzgen.REPROS.values():
        seeds.append(("mbus_structured", _mbus_decode(data, whole=False)))
    for data in han_fuzzgen.REPROS.values():
        seeds.append(("han_structured", _han_process(data, han_fuzzgen.KEYS, [])))
    return seeds


def run_one(run: Run, family: str, item: Input) -> None:
    data, process = item
    tally = run.tallies[family]
    tally.inputs += 1
    for attempt in range(HANG_ATTEMPTS):  # a hang must repeat: one slow run may be the load
        start = time.perf_counter()
        try:
            decoded = process(run, family)
        except DecodeError:
            decoded = False
        except Exception as err:  # noqa: BLE001 - counting escapes is the point
            tally.escapes += 1
            run.example("escape", f"{family}: {type(err).__name__}: {err} <- {data.hex()}")
            return
        elapsed = time.perf_counter() - start
        tally.slowest = max(tally.slowest, elapsed)
        if elapsed <= HANG_SECONDS:
            break
        if attempt == HANG_ATTEMPTS - 1:
            tally.hangs += 1
            run.example("hang", f"{family}: {elapsed * 1000:.0f} ms <- {data.hex()}")
    if decoded:
        tally.decoded += 1
    else:
        tally.rejected += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--inputs", type=int, default=1_000_000, help="inputs to generate")
    parser.add_argument("--seed", type=int, default=20261202, help="random seed")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    run = Run(tallies={name: Tally() for name in FAMILIES})
    names = list(FAMILIES)
    weights = [FAMILIES[name][0] for name in names]
    started = time.perf_counter()
    for family, process in _repro_inputs():
        run_one(run, family, process)
    remaining = args.inputs - sum(t.inputs for t in run.tallies.values())
    batch = 10_000
    while remaining > 0:
        for family in rng.choices(names, weights, k=min(batch, remaining)):
            run_one(run, family, FAMILIES[family][1](rng))
        remaining -= batch
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    print(f"fuzz: {args.inputs:,} inputs, seed {args.seed}, {seconds:.0f} s")
    header = f"{'family':<16} {'inputs':>9} {'decoded':>9} {'rejected':>9} {'states':>9}"
    header += f" {'escapes':>8} {'hangs':>6} {'wrong':>6} {'slowest ms':>11}"
    print(header)
    for name, tally in run.tallies.items():
        print(
            f"{name:<16} {tally.inputs:>9,} {tally.decoded:>9,} {tally.rejected:>9,} "
            f"{tally.states:>9,} {tally.escapes:>8} {tally.hangs:>6} {tally.wrong_type:>6} "
            f"{tally.slowest * 1000:>11.1f}"
        )
    for kind, texts in run.examples.items():
        print(f"first {kind} examples:")
        for text in texts:
            print(f"  {text}")
    for reason, count in run.reasons.most_common(10):
        print(f"wrong type {reason}: {count}")
    totals = {
        key: sum(getattr(t, key) for t in run.tallies.values())
        for key in ("inputs", "escapes", "hangs", "wrong_type", "states")
    }
    print(
        f"RESULT inputs={totals['inputs']} escapes={totals['escapes']} hangs={totals['hangs']} "
        f"wrong_type={totals['wrong_type']} states={totals['states']} peak_kib={peak_kib} "
        f"seconds={seconds:.0f}"
    )
    return 0 if not (totals["escapes"] or totals["hangs"] or totals["wrong_type"]) else 1


if __name__ == "__main__":
    sys.exit(main())
