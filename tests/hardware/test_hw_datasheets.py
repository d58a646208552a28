"""The data-sheet rules (hardware/eda/sheets/) catch the defects a review found in the first
designs: each expected number here is the data sheet's (page cited in the sheet model), and
each test builds the defective variant and shows the check fails on it."""

import pytest

from hardware.eda import erc, sheets
from hardware.eda.sheets import tss721a
from hardware.han_reader.design import build as build_han
from hardware.mbus_master.design import build as build_master
from hardware.rs232_shifter.design import build as build_rs232


def _problems(circuit, needle):
    return [p for p in erc.check(circuit) if needle in p]


def test_bat_at_bus_ground_fails_the_tss721a_sheet():
    # SLAS222B p.2: BAT is "logic level adjust"; p.7: V_BAT 2.5-3.8 V; TX high = V_BAT - 0.6.
    assert _problems(build_han(bat_on_ground=True), "BAT (pin 9)")
    assert not _problems(build_han(), "BAT (pin 9)")


def test_220_pf_on_sc_fails_the_threshold_droop_rule():
    # 3.2 uA x 10 bits / 2400 Bd / 220 pF = 60.6 V (hand calculation); 100 nF: 0.13 V.
    assert tss721a.sc_droop(220e-12, 2400) == pytest.approx(60.6, abs=0.1)
    assert tss721a.sc_droop(100e-9, 2400) == pytest.approx(0.133, abs=0.001)
    assert _problems(build_han(c_sc="220p"), "C_SC 0.22 nF")
    assert not _problems(build_han(), "C_SC")


def test_a_tvs_clamping_above_50_volts_fails(monkeypatch):
    han = build_han()
    han.parts["D1"].mpn = "SMBJ43CA"  # the first design's TVS: V_C 69.4 V
    assert _problems(han, "clamps at up to 69.4 V")


def test_bus_current_follows_the_two_points_of_the_data_sheet():
    assert tss721a.bus_current(13e3) == pytest.approx(3e-3)  # SLAS222B p.7
    assert tss721a.bus_current(30e3) == pytest.approx(1.5e-3)
    # The first design's 30 kOhm left 1.5 x 0.98 - 0.65 = 0.82 mA for STC; ours 13 kOhm 2.29.
    assert tss721a.stc_charge_min(30e3) == pytest.approx(0.82e-3, abs=0.01e-3)
    assert tss721a.stc_charge_min(13e3) == pytest.approx(2.29e-3, abs=0.01e-3)


def test_a_ridd_resistor_over_the_port_budget_fails():
    han = build_han()
    han.params["port_current_max"] = 2e-3
    assert _problems(han, "exceeds the port's 2 mA")


def test_vdd_capacitor_too_large_for_stc_fails():
    han = build_han()
    han.parts["C3"].value = "47u"
    assert _problems(han, "pulls STC down")


def test_lm2577_compensation_470n_fails_and_the_new_value_passes():
    # SNOS658D step-up procedure: 58.5 x 44.2^2 x 220 uF / (680^2 x 10.9 V) = 5.0 uF.
    master = build_master()
    u1 = master.parts["U1"]
    from hardware.eda.sheets import lm2577

    assert lm2577.compensation_min(master, u1) == pytest.approx(5.0e-6, rel=0.02)
    assert not _problems(master, "C_C")
    master.parts["C3"].value = "470n"
    assert _problems(master, "C_C 0.47 uF below")


def test_lm2577_without_a_ceramic_at_vin_fails():
    master = build_master()
    master.parts["C7"].value = "0"
    assert _problems(master, "VIN needs a 100 nF ceramic")


def test_zeners_biased_below_their_test_current_fail():
    master = build_master()
    master.parts["D2"].mpn = "1N4749A-TAP"  # specified at 10.5 mA
    assert _problems(master, "below the 10.5 mA")


def test_every_active_part_of_every_design_has_a_data_sheet_model():
    for circuit in (build_han(), build_master(), build_rs232()):
        for part in circuit.parts.values():
            if part.definition.lib in {
                "Interface",
                "Interface_UART",
                "Comparator",
                "Regulator_Switching",
                "Isolator",
                "Transistor_BJT",
            }:
                assert sheets.sheet_for(part) is not None, part.ref


def test_every_figure_names_its_source():
    from hardware.eda.sheets import _registry

    for sheet in _registry():
        for name, figure in sheet.figures.items():
            assert figure.source, name


def test_a_comparator_powered_from_another_rail_fails():
    master = build_master()
    master.parts["U2"].mpn = "MCP6562-E/SN"
    master.nets["+3V3"].pins = [p for p in master.nets["+3V3"].pins if p.part.ref != "U2"]
    master.connect("+5V", master.parts["U2"]["VDD"], power=True)
    assert _problems(master, "not the Pi's 3.3 V")


def test_the_hardware_readme_lists_every_data_sheet_with_unverified_figures():
    from pathlib import Path

    from hardware.eda.sheets import _registry
    from hardware.eda.sheets.discretes import LITTELFUSE_SMBJ, TVS_CLAMP

    text = (Path(__file__).resolve().parents[2] / "hardware" / "README.md").read_text()
    section = text.split("## Figures we could not re-read")[1].split("\n## ")[0]
    documents = {s.document for s in _registry() if any(not f.verified for f in s.figures.values())}
    if any(not f.verified for f in TVS_CLAMP.values()):
        documents.add(LITTELFUSE_SMBJ)
    for document in documents:
        assert f"**{document}**" in " ".join(section.split()), document
