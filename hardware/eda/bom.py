"""Bill of materials as CSV: one line per distinct orderable part, references grouped."""

from __future__ import annotations

import csv
import io

from hardware.eda.kicad import _ref_key
from hardware.eda.model import Circuit

COLUMNS = ["References", "Qty", "Value", "Description", "Manufacturer", "MPN", "Footprint", "Note"]


def bom_rows(circuit: Circuit) -> list[dict[str, str]]:
    """Group parts by (manufacturer, MPN, value, footprint); sorted by first reference."""
    groups: dict[tuple[str, str, str, str], list[str]] = {}
    for ref, part in circuit.parts.items():
        key = (part.manufacturer, part.mpn, part.value, part.footprint)
        groups.setdefault(key, []).append(ref)
    rows = []
    for (manufacturer, mpn, value, footprint), refs in groups.items():
        refs.sort(key=_ref_key)
        first = circuit.parts[refs[0]]
        rows.append(
            {
                "References": " ".join(refs),
                "Qty": str(len(refs)),
                "Value": value,
                "Description": first.definition.description,
                "Manufacturer": manufacturer,
                "MPN": mpn,
                "Footprint": footprint,
                "Note": first.note,
            }
        )
    rows.sort(key=lambda r: _ref_key(r["References"].split()[0]))
    return rows


def to_csv(circuit: Circuit) -> str:
    """The BOM as CSV text with a header row; Unix line ends for stable diffs."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(bom_rows(circuit))
    return buf.getvalue()
