"""One simulated slave's link layer: addressing, selection, FCB and multi-telegram reads.

Behaves as EN 13757-2/-3 describe a slave, including the parts masters get wrong:

- SND_NKE resets the FCB expectation and restarts the telegram sequence.
- REQ_UD2 with FCV=1: a toggled FCB asks for the next telegram; the same FCB as last time
  means "your answer got lost" and gets the previous telegram again, byte for byte.
- After a telegram that ends in DIF 0x1F the next toggled request gets the next telegram.
- SND_UD to 253 with CI 0x52 selects the meter when the mask matches (F nibbles and FF bytes
  are wildcards) and deselects it when not; SND_NKE to 253 deselects it.
- A selection starts a new session, like SND_NKE (FCB expectation reset).
"""

from __future__ import annotations

from collections import deque
from enum import Enum

from ..encode import Identity
from ..frames import (
    ACK,
    C_FCB,
    C_FCV,
    C_FUNCTION_MASK,
    C_SND_NKE,
    AckFrame,
    ControlFrame,
    Frame,
    LongFrame,
    ShortFrame,
    encode_frame,
)
from ..manufacturer import encode_manufacturer
from ..requests import (
    ADDRESS_BROADCAST_NO_REPLY,
    ADDRESS_BROADCAST_REPLY,
    ADDRESS_NETWORK_LAYER,
    BAUD_RATE_CI,
    CI_APPLICATION_RESET,
    CI_DATA_SEND,
    CI_SELECT_SECONDARY,
    MAX_PRIMARY_ADDRESS,
)
from .sources import TelegramSource

_FUNCTION_SND_UD = 0x03
_FUNCTION_REQ_UD1 = 0x0A
_FUNCTION_REQ_UD2 = 0x0B
_CI_DESELECT = 0x56  # selection with enhanced identification: we have none, so deselect
_BAUD_BY_CI = {ci: baud for baud, ci in BAUD_RATE_CI.items()}
_ACK = bytes((ACK,))


class Fault(Enum):
    """Faults a meter can be told to show on its next answers."""

    NO_ANSWER = "no_answer"  # the meter stays silent
    LATE_ANSWER = "late_answer"  # the answer starts after the standard's window
    BIT_ERROR = "bit_error"  # one bit of the answer flips on the line
    TRUNCATED = "truncated"  # the answer stops midway (slave reset, line dropped)
    # The meter's FCB is out of step (e.g. it ignored a reset): it takes the toggled request
    # for a repetition, sends its previous telegram again, and is in step afterwards.
    REPEAT = "repeat"


class SimulatedMeter:
    """A slave with a primary address, a secondary address (from its source) and state."""

    def __init__(
        self,
        source: TelegramSource,
        primary_address: int = 0,
        *,
        answer_delay_bits: int | None = None,
        access_number: int = 0,
    ) -> None:
        if not 0 <= primary_address <= MAX_PRIMARY_ADDRESS:
            raise ValueError(f"primary address {primary_address} is not 0-{MAX_PRIMARY_ADDRESS}")
        if answer_delay_bits is None:
            # Real slaves differ in their delay; spread them over the window by identity.
            answer_delay_bits = 11 + (source.identity.identification * 7 + primary_address) % 150
        if not 11 <= answer_delay_bits <= 330:
            raise ValueError("a slave answers 11 to 330 bit times after the request")
        self.source = source
        self.primary_address = primary_address
        self.answer_delay_bits = answer_delay_bits
        self.access_number = access_number & 0xFF
        self.baudrate: int | None = None  # set when told to switch
        self.selected = False
        self.faults: deque[Fault | None] = deque()  # one entry per coming answer
        self.telegrams_sent = 0
        self._expected_fcb: bool | None = None
        self._next_index = 0
        self._last_answer: bytes | None = None

    @property
    def identity(self) -> Identity:
        """The source's identity (ID, manufacturer, version, medium)."""
        return self.source.identity

    def inject(self, fault: Fault, count: int = 1, *, after: int = 0) -> None:
        """Show ``fault`` on ``count`` answers, after ``after`` good ones."""
        self.faults.extend([None] * after + [fault] * count)

    def take_fault(self) -> Fault | None:
        """The fault for the answer being sent now, if any."""
        return self.faults.popleft() if self.faults else None

    def reset_session(self) -> None:
        """What SND_NKE does: FCB expectation back to 1, telegram sequence from the start."""
        self._expected_fcb = True
        self._next_index = 0
        self._last_answer = None

    def handle(self, frame: Frame) -> bytes | None:
        """The bytes this meter answers ``frame`` with, or None when it stays silent."""
        if isinstance(frame, AckFrame) or not frame.from_master:
            return None
        address = frame.address
        function = frame.control & C_FUNCTION_MASK
        if (
            address == ADDRESS_NETWORK_LAYER
            and function == _FUNCTION_SND_UD
            and isinstance(frame, LongFrame | ControlFrame)
            and frame.ci in (CI_SELECT_SECONDARY, _CI_DESELECT)
        ):
            return self._select(frame)
        addressed = (
            address == self.primary_address
            or address in (ADDRESS_BROADCAST_REPLY, ADDRESS_BROADCAST_NO_REPLY)
            or (address == ADDRESS_NETWORK_LAYER and self.selected)
        )
        if not addressed:
            return None
        answer = self._handle_addressed(frame, function)
        return None if address == ADDRESS_BROADCAST_NO_REPLY else answer

    def _handle_addressed(self, frame: Frame, function: int) -> bytes | None:
        if isinstance(frame, ShortFrame):
            if frame.control == C_SND_NKE:
                self.reset_session()
                if frame.address == ADDRESS_NETWORK_LAYER:
                    self.selected = False
                return _ACK
            if function == _FUNCTION_REQ_UD2:
                return self._request_data(frame.control)
            if function == _FUNCTION_REQ_UD1:
                return _ACK  # no class 1 (alarm) data
            return None
        if function != _FUNCTION_SND_UD or isinstance(frame, AckFrame):
            return None
        data = frame.data if isinstance(frame, LongFrame) else b""
        if frame.ci == CI_DATA_SEND and data[:2] == b"\x01\x7a" and len(data) == 3:
            if data[2] <= MAX_PRIMARY_ADDRESS:
                self.primary_address = data[2]
        elif frame.ci == CI_APPLICATION_RESET:
            self._next_index = 0
        elif frame.ci in _BAUD_BY_CI:
            self.baudrate = _BAUD_BY_CI[frame.ci]
        return _ACK

    def _request_data(self, control: int) -> bytes:
        fcv = bool(control & C_FCV)
        fcb = bool(control & C_FCB)
        if self.faults and self.faults[0] is Fault.REPEAT and self._last_answer is not None:
            self.faults.popleft()
            if fcv:
                self._expected_fcb = not fcb
            return self._last_answer
        if (
            fcv
            and self._expected_fcb is not None
            and fcb != self._expected_fcb
            and self._last_answer is not None
        ):
            return self._last_answer  # the master did not get it: same telegram again
        payload = self.source.telegram(self._next_index, self.access_number)
        self.access_number = (self.access_number + 1) & 0xFF
        self._next_index = self._next_index + 1 if payload.more_records_follow else 0
        if fcv:
            self._expected_fcb = not fcb
        self._last_answer = encode_frame(
            LongFrame(0x08, self.primary_address, payload.ci, payload.data)
        )
        self.telegrams_sent += 1
        return self._last_answer

    def _select(self, frame: LongFrame | ControlFrame) -> bytes | None:
        data = frame.data if isinstance(frame, LongFrame) else b""
        self.selected = frame.ci == CI_SELECT_SECONDARY and self.matches(data)
        if not self.selected:
            return None
        self.reset_session()
        return _ACK

    def matches(self, mask: bytes) -> bool:
        """True when the 8-byte selection mask (BCD ID with F wildcards, then FF bytes) fits."""
        if len(mask) != 8:
            return False
        identity = self.source.identity
        id_mask = mask[3::-1].hex().upper()
        own = identity.id_text
        if any(m not in ("F", o) for m, o in zip(id_mask, own, strict=True)):
            return False
        manufacturer = encode_manufacturer(identity.manufacturer).to_bytes(2, "little")
        if any(m not in (0xFF, o) for m, o in zip(mask[4:6], manufacturer, strict=True)):
            return False
        return mask[6] in (0xFF, identity.version) and mask[7] in (0xFF, identity.medium)
