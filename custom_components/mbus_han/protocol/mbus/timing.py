"""Link-layer timeouts derived from the baud rate and EN 13757-2, not guessed.

EN 13757-2 gives a slave between 11 and 330 bit times after the end of the request to start
its answer; once a frame has begun, its characters follow each other without idle time. So
the master waits for:

- the request itself to leave the UART (``request bytes x bits per character / baud``),
- the answer window (330 bit times) and the first answer character (one character time),
- a configurable extra margin for what sits between us and the bus: a USB adapter delivers
  received bytes in packets (the FTDI latency timer, 1-16 ms), a TCP gateway adds a network
  round trip and its own buffering.

Once an answer has started, the rest of the frame must arrive within its own wire time (known
from its length field) plus the same margin and two characters of slack for UART clock
tolerance. At 2400 baud that is 0.16 s for a silent address, not a hard-coded 0.3-1 s, which
is what makes a primary scan of 251 addresses take 40 s instead of minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

ANSWER_WINDOW_BITS = 330  # latest start of a slave's answer after the request (EN 13757-2)
MIN_ANSWER_DELAY_BITS = 11  # earliest start of a slave's answer
FRAME_SLACK_CHARS = 2  # clock tolerance of the slave's UART over a long frame
DEFAULT_SERIAL_MARGIN = 0.020  # s: USB adapters hand over received bytes every 1-16 ms
DEFAULT_NETWORK_MARGIN = 0.150  # s: LAN round trip plus the gateway's buffering


@dataclass(frozen=True, slots=True)
class BusTiming:
    """Wire times and timeouts of one bus at one baud rate."""

    baudrate: int = 2400
    bits_per_char: float = 11.0  # start + 8 data + even parity + stop
    extra_margin: float = DEFAULT_SERIAL_MARGIN

    def __post_init__(self) -> None:
        if self.baudrate <= 0:
            raise ValueError(f"baud rate must be positive, got {self.baudrate}")
        if self.extra_margin < 0:
            raise ValueError(f"extra margin must not be negative, got {self.extra_margin}")

    @property
    def bit_time(self) -> float:
        """Seconds per bit."""
        return 1 / self.baudrate

    @property
    def char_time(self) -> float:
        """Seconds per character on the wire."""
        return self.bits_per_char / self.baudrate

    def wire_time(self, n_bytes: int) -> float:
        """Seconds ``n_bytes`` take on the wire."""
        return n_bytes * self.char_time

    def answer_timeout(self, request_bytes: int) -> float:
        """From handing the request to the port until the first answer byte must be here."""
        return (
            self.wire_time(request_bytes)
            + ANSWER_WINDOW_BITS * self.bit_time
            + self.char_time
            + self.extra_margin
        )

    def completion_timeout(self, remaining_bytes: int) -> float:
        """From the latest received chunk until a started frame must be complete."""
        return self.wire_time(remaining_bytes + FRAME_SLACK_CHARS) + self.extra_margin

    def exchange_limit(self, request_bytes: int, longest_answer_bytes: int) -> float:
        """From handing the request to the port until no answer can still be on its way.

        The latest answer the standard allows starts when the answer window closes and is
        the longest frame; after that the line has nothing legitimate left to say. This is an
        absolute bound: a line that keeps sending (noise, a gateway looping frames) cannot
        stretch it.
        """
        return self.answer_timeout(request_bytes) + self.completion_timeout(longest_answer_bytes)

    def idle_time(self) -> float:
        """Silence that ends a garbled answer: the answer window, so no slave is still talking."""
        return ANSWER_WINDOW_BITS * self.bit_time + self.extra_margin
