"""Fast construction of the frozen result dataclasses on the decoding hot path.

A frozen dataclass's generated ``__init__`` goes through ``object.__setattr__`` with a frozen
check per field, which costs about 100 ns a field. A push yields a reading, an identity, up to
two clocks and some thirty values, so the decoder builds them through the slot descriptors
instead. The object is the same: equal, hashable, immutable afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, cast


def fast_constructor[T](cls: type[T]) -> Callable[..., T]:
    """Positional constructor for a frozen, slotted dataclass (all fields, in order)."""
    names = [field.name for field in fields(cls)]  # type: ignore[arg-type]
    # Generated straight-line code: a loop over setters would cost what it saves.
    lines = [f"def make({', '.join(names)}):", "    obj = new(cls)"]
    lines += [f"    set_{name}(obj, {name})" for name in names]
    lines.append("    return obj")
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    namespace.update({f"set_{name}": getattr(cls, name).__set__ for name in names})
    exec("\n".join(lines), namespace)  # as dataclasses itself does, from field names only
    return cast("Callable[..., T]", namespace["make"])  # exec defines it: mypy sees Any
