"""The HAN reader's worst cases: LED current, phototransistor drive and STC's balance.

Figures come from the data-sheet models (TSS721A SLAS222B p.7/p.8, SFH618A CTR floor);
the expected numbers are the hand calculation written in han_reader/README.md.
"""

from pathlib import Path

import pytest

from hardware.han_reader.budget import budget
from hardware.han_reader.design import build

README = Path(__file__).resolve().parents[2] / "hardware" / "han_reader" / "README.md"


def test_the_weakest_led_current_still_pulls_rxd_low():
    b = budget()
    assert b.led_min >= 0.5e-3  # the CTR floor (32 %) is specified from 0.5 mA
    assert b.collector_min > 1.4 * b.pullup


def test_stc_is_never_drained_by_a_frame_of_zero_bytes():
    b = budget()
    assert b.stc_drain_max < b.stc_charge_min


def test_the_first_designs_values_fail_the_same_checks():
    first = build()
    first.parts["R3"].value = "30k"  # 0.82 mA left for STC
    first.parts["R4"].value = "2k"
    first.parts["R6"].value = "10k"  # 0.35 mA asked of the phototransistor
    b = budget(first)
    assert b.collector_min < b.pullup or b.led_min < 0.5e-3


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("led_min", "= {:.2f} mA, best"),
        ("led_max", "1.2 kΩ = {:.1f} mA"),
        ("collector_min", "≥ {:.2f} mA of collector current"),
        ("pullup", "22 kΩ = {:.2f} mA"),
        ("stc_charge_min", "{:.1f} mA < {:.2f} mA charging"),
    ],
)
def test_the_readme_states_the_calculated_numbers(field, text):
    b = budget()
    readme = README.read_text()
    if field == "stc_charge_min":
        assert text.format(b.stc_drain_max * 1e3, b.stc_charge_min * 1e3) in readme
    else:
        assert text.format(getattr(b, field) * 1e3) in readme
