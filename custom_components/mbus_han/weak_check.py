"""The weak-check filter lives in the protocol package (the bridge uses it too); same names here."""

from .protocol.han.weak_check import COUNTERS, MAX_POWER_W, WeakCheckFilter

__all__ = ["COUNTERS", "MAX_POWER_W", "WeakCheckFilter"]
