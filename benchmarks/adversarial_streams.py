"""Benchmark: the framers and stream decoders on the worst byte streams we can think of.

Run from the repository root: ``.venv/bin/python benchmarks/adversarial_streams.py``. A broken
gateway or a noisy line can deliver anything, and every byte is framed on Home Assistant's event
loop, so the cost per byte must stay small and linear whatever the bytes. Each stream below is
fed in 4 KiB chunks to the M-Bus framer, the HDLC framer, and the HAN stream decoder in both
framings (what ``han listen`` and the HAN coordinator run); one more run feeds the listen loop.
Times are CPU time of the feeding thread (what the event loop would spend; on a shared machine
other processes stretch wall time, not this), the best of several repeats: per byte over the
whole stream, and for the slowest 4 KiB chunk, the best per chunk position, then the worst.
Memory is the peak Python allocation (tracemalloc) while one 1 MiB chunk of the stream is fed
at once, not counting the chunk itself nor the frames or errors returned (those are the
output, as many as the input holds): the framer's own working memory. Bounds (issue 15): at
most 5 us per byte, 10 ms per 4 KiB chunk, bounded memory. The last line is
``RESULT worst_us_per_byte=<float> worst_chunk_ms=<float> peak_kib=<float>``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from custom_components.mbus_han.protocol.han.decoder import (  # noqa: E402
    HanStreamDecoder,
    Transport,
)
from custom_components.mbus_han.protocol.han.hdlc import (  # noqa: E402
    HdlcFramer,
    crc16_x25,
    encode_hdlc_frame,
)
from custom_components.mbus_han.protocol.han.listen import listen  # noqa: E402
from custom_components.mbus_han.protocol.mbus.framer import MbusFramer  # noqa: E402
from custom_components.mbus_han.protocol.mbus.frames import LongFrame, encode_frame  # noqa: E402

CHUNK = 4096
LIMIT_US_PER_BYTE = 5.0
LIMIT_CHUNK_MS = 10.0


def _repeat(unit: bytes, size: int) -> bytes:
    return (unit * (size // len(unit) + 1))[:size]


def _random(size: int, seed: int = 15) -> bytes:
    return random.Random(seed).randbytes(size)


def _hdlc_header(length: int, addresses: bytes = b"\x03\x03") -> bytes:
    """``7E``, format type 3 with ``length``, addresses, control 13 and a valid HCS."""
    header = bytes((0xA0 | (length >> 8), length & 0xFF)) + addresses + b"\x13"
    return b"\x7e" + header + crc16_x25(header).to_bytes(2, "little")


def _mbus_junk_frames(size: int) -> bytes:
    """Valid long frames, DLMS last segments (CI 0x10), whose content decodes to nothing."""
    rng = random.Random(16)
    frames = b"".join(
        encode_frame(LongFrame(0x53, 0xFF, 0x10, b"\x01\x67" + rng.randbytes(120)))
        for _ in range(64)
    )
    return _repeat(frames, size)


def _hdlc_junk_frames(size: int) -> bytes:
    """Valid HDLC frames whose information field is no LLC payload."""
    rng = random.Random(17)
    return _repeat(b"".join(encode_hdlc_frame(rng.randbytes(120)) for _ in range(64)), size)


# Each stream of exactly ``size`` bytes; why each is hard is in its comment.
STREAMS: dict[str, Callable[[int], bytes]] = {
    # Every byte starts a long frame claiming 0x68 bytes.
    "all 0x68": lambda size: b"\x68" * size,
    # Headers lying about the length, stop byte right where the length says: checksum due.
    "68 FE FE 68 16": lambda size: _repeat(bytes.fromhex("68 FE FE 68 16"), size),
    # Headers claiming 255 bytes: each waits for 261 bytes, then fails.
    "68 FF FF 68": lambda size: _repeat(bytes.fromhex("68 FF FF 68"), size),
    # Half of all bytes start a long frame whose stop byte holds: a checksum every 2 bytes.
    "68x109 16x109": lambda size: _repeat(b"\x68" * 109 + b"\x16" * 109, size),
    # A start byte failing at once, then junk: a scan for the next start after every one.
    "68 00": lambda size: _repeat(b"\x68\x00", size),
    # Short frames with a wrong checksum.
    "10 5B 01 00 16": lambda size: _repeat(bytes.fromhex("10 5B 01 00 16"), size),
    "M-Bus frames of junk": _mbus_junk_frames,
    "all 0x7E": lambda size: b"\x7e" * size,
    # A valid HCS and 2047 bytes announced every 8 bytes, each closing flag where it belongs:
    # an FCS over 2 KiB due for every 8 bytes of input.
    "HDLC valid HCS, 2047 B": lambda size: _repeat(_hdlc_header(0x7FF), size),
    "HDLC valid HCS, 1000 B": lambda size: _repeat(_hdlc_header(1000, b"\x02\x03\x03"), size),
    # Invalid HCS after a plausible header.
    "HDLC bad HCS": lambda size: _repeat(bytes.fromhex("7E A7 FF 03 03 13 00 00"), size),
    # An address that never ends (no bit 0 in 4 bytes).
    "HDLC endless address": lambda size: _repeat(bytes.fromhex("7E A0 20 00 00 00 00"), size),
    "all 0x7D": lambda size: b"\x7d" * size,
    "7E 7D": lambda size: _repeat(b"\x7e\x7d", size),
    "HDLC frames of junk": _hdlc_junk_frames,
    "random": _random,
}

type Consumer = MbusFramer | HdlcFramer | HanStreamDecoder

# Each consumer: a factory of a fresh one, fed with ``feed(chunk)``.
CONSUMERS: dict[str, Callable[[], Consumer]] = {
    "M-Bus framer": MbusFramer,
    "HDLC framer": HdlcFramer,
    "HAN decoder, HDLC": lambda: HanStreamDecoder(Transport.HDLC),
    "HAN decoder, M-Bus": lambda: HanStreamDecoder(Transport.MBUS),
}


def chunked(data: bytes, size: int = CHUNK) -> list[bytes]:
    return [data[start : start + size] for start in range(0, len(data), size)]


def time_chunks(make: Callable[[], Consumer], chunks: list[bytes]) -> list[float]:
    """Seconds each chunk took, in order, through one fresh consumer."""
    feed = make().feed
    times = []
    clock = time.thread_time
    for chunk in chunks:
        start = clock()
        feed(chunk)
        times.append(clock() - start)
    return times


def best_chunk_times(make: Callable[[], Consumer], chunks: list[bytes], repeat: int) -> list[float]:
    """Per chunk position, the best time over ``repeat`` runs."""
    runs = [time_chunks(make, chunks) for _ in range(repeat)]
    return [min(times) for times in zip(*runs, strict=True)]


def peak_kib(make: Callable[[], Consumer], data: bytes) -> float:
    """Peak working memory while ``data`` is fed in one chunk: not ``data``, not the output."""
    feed = make().feed
    tracemalloc.start()
    output = feed(data)
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del output
    return (peak - kept) / 1024


class _StreamEnd(Exception):
    """The test stream is used up."""


def listen_seconds(data: bytes) -> float:
    """Seconds the listen loop takes over ``data`` in 4 KiB chunks, event loop included."""
    chunks = iter(chunked(data))
    decoder = HanStreamDecoder(Transport.HDLC)

    async def read() -> bytes:
        chunk = next(chunks, None)
        if chunk is None:
            raise _StreamEnd
        return chunk

    start = time.thread_time()
    with contextlib.suppress(_StreamEnd):
        asyncio.run(listen(read, decoder, lambda _: None, char_time=0.004, silence_timeout=None))
    return time.thread_time() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kib", type=int, default=128, help="stream size in KiB")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs per stream")
    parser.add_argument("--memory-kib", type=int, default=1024, help="one-chunk size for memory")
    args = parser.parse_args()

    size = args.kib * 1024
    names = list(CONSUMERS)
    print(f"{args.kib} KiB per stream in {CHUNK}-byte chunks, best of {args.repeat} runs;")
    print("per consumer: us per byte / slowest 4 KiB chunk in ms / peak KiB for a 1 MiB chunk")
    print(f"{'stream':24}" + "".join(f" {name:>26}" for name in names))
    worst_per_byte = worst_chunk = worst_peak = 0.0
    for stream, make_stream in STREAMS.items():
        data = make_stream(size)
        chunks = chunked(data)
        memory_data = make_stream(args.memory_kib * 1024)
        cells = []
        for make in CONSUMERS.values():
            times = best_chunk_times(make, chunks, args.repeat)
            per_byte = sum(times) / size * 1e6
            chunk_ms = max(times) * 1e3
            peak = peak_kib(make, memory_data)
            worst_per_byte = max(worst_per_byte, per_byte)
            worst_chunk = max(worst_chunk, chunk_ms)
            worst_peak = max(worst_peak, peak)
            cells.append(f"{per_byte:7.2f} / {chunk_ms:6.2f} / {peak:6.0f}")
        print(f"{stream:24}" + "".join(f" {cell:>26}" for cell in cells))

    data = STREAMS["HDLC valid HCS, 2047 B"](size)
    busy = min(listen_seconds(data) for _ in range(args.repeat))
    listen_per_byte = busy / size * 1e6
    worst_per_byte = max(worst_per_byte, listen_per_byte)
    print(f"\nlisten loop, 'HDLC valid HCS, 2047 B': {listen_per_byte:.2f} us per byte")
    ok = worst_per_byte <= LIMIT_US_PER_BYTE and worst_chunk <= LIMIT_CHUNK_MS
    print(
        f"worst: {worst_per_byte:.2f} us per byte (limit {LIMIT_US_PER_BYTE}), "
        f"{worst_chunk:.2f} ms per 4 KiB chunk (limit {LIMIT_CHUNK_MS}), "
        f"{worst_peak:.0f} KiB peak for a 1 MiB chunk: {'within' if ok else 'OVER'} the bounds"
    )
    print(
        f"RESULT worst_us_per_byte={worst_per_byte:.2f} worst_chunk_ms={worst_chunk:.2f} "
        f"peak_kib={worst_peak:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
