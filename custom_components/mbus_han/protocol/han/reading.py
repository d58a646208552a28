"""The result of decoding one push: who the meter is, its clock, and its values in base units."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .clock import MeterClock
from .obis import Quantity, Unit


@dataclass(frozen=True, slots=True)
class MeterIdentity:
    """Who sent the push, as far as the frame says (Norwegian list 1 names nothing)."""

    manufacturer: str | None = None
    meter_id: str | None = None
    meter_type: str | None = None
    list_version: str | None = None


@dataclass(frozen=True, slots=True)
class HanValue:
    """One measured value in its base unit (W, var, A, V, Wh, varh; power factor as fraction)."""

    value: int | float
    unit: Unit
    quantity: Quantity


@dataclass(frozen=True, slots=True)
class SecurityInfo:
    """How a ciphered push was protected; ``authenticated`` = its tag was checked and held."""

    system_title: bytes
    security_control: int
    invocation_counter: int
    authenticated: bool


@dataclass(frozen=True, slots=True)
class HanReading:
    """One decoded push.

    ``values`` maps OBIS codes (as the frame names them) to values; a value the meter does not
    send is absent, never zero. ``not_present`` lists codes the meter sends although it cannot
    measure them (UL2 of a 3-wire IT meter sent as 0), so no entity is made for them.
    ``clock`` is the meter's own clock object where the list has one, otherwise the
    notification's date-time; ``notification_time`` is the latter in any case.
    """

    meter: MeterIdentity
    clock: MeterClock | None
    values: Mapping[str, HanValue]
    not_present: frozenset[str] = frozenset()
    notification_time: MeterClock | None = None
    security: SecurityInfo | None = None
    skipped: Mapping[str, str] = field(default_factory=dict)  # code -> why it was left out

    def __hash__(self) -> int:
        # values and skipped are read-only mappings, which do not hash; identity and clock do
        return hash((self.meter, self.clock, self.notification_time))
