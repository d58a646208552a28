"""Netlist consistency: KiCad round trip, committed files current, BOM complete."""

import csv
import io
from pathlib import Path

import pytest

from hardware.build import DESIGNS, ROOT, text_outputs
from hardware.eda import bom, kicad


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_kicad_netlist_parses_back_to_the_same_connectivity(name):
    circuit = DESIGNS[name][0]()
    components, nets = kicad.read_kicad_netlist(kicad.to_kicad_netlist(circuit))
    assert nets == circuit.connectivity()
    assert set(components) == set(circuit.parts)
    for ref, fields in components.items():
        part = circuit.parts[ref]
        assert fields == {
            "value": part.value,
            "footprint": part.footprint,
            "Manufacturer": part.manufacturer,
            "MPN": part.mpn,
        }


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_committed_netlist_and_bom_are_current(name):
    for file_name, text in text_outputs(name).items():
        committed = ROOT / name / file_name
        assert committed.read_text() == text, f"run: python -m hardware.build {name}"


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_committed_pictures_and_readme_exist(name):
    for file_name in ("schematic.png", "schematic.svg", "wiring.png", "README.md"):
        assert (Path(ROOT) / name / file_name).stat().st_size > 1000
    if name in {"mbus_master", "han_reader"}:
        assert (Path(ROOT) / name / "circuit.png").stat().st_size > 10_000


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_bom_names_an_orderable_part_for_every_reference(name):
    circuit = DESIGNS[name][0]()
    rows = list(csv.DictReader(io.StringIO(bom.to_csv(circuit))))
    refs = [ref for row in rows for ref in row["References"].split()]
    assert sorted(refs) == sorted(circuit.parts)
    assert sum(int(row["Qty"]) for row in rows) == len(circuit.parts)
    for row in rows:
        assert row["Manufacturer"], row
        assert row["MPN"], row
        assert row["Footprint"], row


def test_sexpr_parser_handles_escapes_and_nesting():
    assert kicad.parse_sexpr('(a "x \\"y\\"" (b c) "")') == ["a", 'x "y"', ["b", "c"], ""]
    with pytest.raises(ValueError, match="unbalanced"):
        kicad.parse_sexpr("(a (b)")
