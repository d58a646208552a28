"""A small netlist model: parts, pins and nets, with KiCad export, ERC, BOM and pictures.

Kept in plain Python so the designs need neither KiCad nor its symbol libraries installed;
the emitted KiCad netlist (.net) can be imported into KiCad's PCB editor.
"""

from hardware.eda.model import Circuit, Part, PartDef, PinDef, PinType

__all__ = ["Circuit", "Part", "PartDef", "PinDef", "PinType"]
