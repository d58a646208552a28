"""A simulated M-Bus: meters that answer like real slaves, on a pty or a TCP port.

- :mod:`.sources`: where telegrams come from (a live heat-meter model, or replayed bytes),
- :mod:`.meter`: one slave's link layer (addresses, selection, FCB, multi-telegram reads),
- :mod:`.bus`: several meters on one line (collisions, echo, timing, faults) and endpoints.
"""

from .bus import BusFaults, SimulatedBus, SimulatorTiming
from .meter import Fault, SimulatedMeter
from .sources import HeatMeterModel, ReplaySource, TelegramSource

__all__ = [
    "BusFaults",
    "Fault",
    "HeatMeterModel",
    "ReplaySource",
    "SimulatedBus",
    "SimulatedMeter",
    "SimulatorTiming",
    "TelegramSource",
]
