"""The hardware READMEs say what the calculation and the CLI say."""

import re
import shlex
from pathlib import Path

import pytest

from custom_components.mbus_han.protocol.cli import build_parser
from hardware.mbus_master import budget

HARDWARE = Path(__file__).resolve().parents[2] / "hardware"
READMES = sorted(HARDWARE.rglob("README.md"))


def cli_commands() -> list[tuple[str, list[str]]]:
    found = []
    for readme in READMES:
        for line in readme.read_text().splitlines():
            match = re.search(r"-m custom_components\.mbus_han (.*)", line)
            if match:
                args = shlex.split(match[1].split(" #")[0])
                found.append((readme.parent.name, args))
    return found


@pytest.mark.parametrize(
    ("where", "args"), cli_commands(), ids=lambda v: " ".join(v) if isinstance(v, list) else v
)
def test_every_cli_command_in_a_readme_parses(where, args):
    build_parser().parse_args(args)  # argparse exits (SystemExit) on a wrong command


def test_readmes_show_cli_commands():
    assert {where for where, _ in cli_commands()} == {"han_reader", "mbus_master", "rs232_shifter"}


def test_mbus_master_readme_states_the_calculated_numbers():
    text = (HARDWARE / "mbus_master" / "README.md").read_text()
    s = budget.summary()
    assert f"N_rated = {s.n_rated}" in text
    assert f"N_nominal = {s.n_nominal}" in text
    assert f"{s.limit_27c_ma} mA" in text
    assert f"I_limit = {s.limit_worst_ma} mA" in text
    assert f"N = {s.n_fixed + 1}" in text  # where the fixed threshold dies
    assert f"{s.offset_max_ma} mA with no load, {s.offset_at_rated_ma} mA at {s.n_rated} UL" in text
    assert f"τ = {s.tau_s:.1f} s" in text
    assert f"= {s.drift_255_bytes_ma} mA" in text
    c_max = budget.threshold_offset(s.n_nominal) * budget.R_FILTER * budget.C_FILTER / 12.0
    assert f"**{c_max * 1e9:.1f} nF**" in text
    assert f"{budget.FIXED_THRESHOLD * 1e3:.2f} mA" in text


def test_top_readme_states_the_rated_unit_loads():
    text = (HARDWARE / "README.md").read_text()
    assert f"{budget.max_unit_loads(worst_case=True)} unit loads (worst case)" in text
