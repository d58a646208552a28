"""ngspice: the M-Bus master's transmitter and receiver against the hand calculation.

The limits asserted here come from hardware/mbus_master/budget.py, the README's hand
calculation written as code (component values and datasheet figures only); the simulator
has to agree with them, not the other way round.
"""

import pytest

from hardware.eda.sheets import discretes
from hardware.mbus_master import budget
from hardware.mbus_master.bench import (
    MAX_SAG,
    SPACE_DROP_MIN,
    WORST,
    Corner,
    short_circuit,
    simulate,
)

N_NOMINAL = budget.max_unit_loads()  # 27 degC, nominal parts: what the simulator models
N_RATED = budget.max_unit_loads(worst_case=True)  # 70 degC, tolerances: what we promise


def test_hand_calculation_numbers_are_the_ones_the_readme_states():
    assert (N_RATED, N_NOMINAL, budget.fixed_threshold_max_loads()) == (25, 35, 4)


@pytest.mark.parametrize("step", [budget.STEP_MIN, budget.STEP_MAX])
def test_rated_loads_work_at_the_worst_corner(step):
    # 70 C, TIP31C beta 25 (its data sheet minimum), Q4's V_BE 28 mV low, comparator
    # offset +10 mV, rail -2 %, zeners +5 %: the hand calculation's 25 UL must still work.
    assert simulate(N_RATED, step=step, corner=WORST).ok


def test_the_worst_corner_runs_out_a_few_loads_above_the_rating():
    # The hand calculation (25) adds R8 +1 % to the simulated corner: the simulation may
    # carry one or two more, but not the nominal 35.
    assert not simulate(N_RATED + 4, step=budget.STEP_MAX, corner=WORST).ok
    assert simulate(N_RATED, corner=Corner("hot", temp_c=70.0)).ok


SHEETS = {
    "Q1": discretes.MMBT3904,
    "Q2": discretes.MMBT3904,
    "Q3": discretes.TIP31C,
    "Q4": discretes.MMBT3904,
    "Q5": discretes.PNP_2N5401,
}
HEATSINK = 10.0  # K/W: what the README requires of Q3's heatsink
CASE_TO_SINK = 0.5  # K/W: TO-220 with thermal pad (typical, unverified)


@pytest.mark.parametrize("space", [False, True])
def test_bus_short_keeps_every_transistor_within_its_data_sheet(space):
    for ref, stress in short_circuit(space=space).items():
        sheet = SHEETS[ref]
        assert abs(stress.vce) < sheet["vceo"], ref
        assert abs(stress.ic) < sheet["ic_max"], ref
        if ref == "Q3":
            # Junction at 70 C ambient through case, pad and heatsink: below 150 C.
            r_total = sheet["rth_jc"] + CASE_TO_SINK + HEATSINK
            assert budget.AMBIENT_MAX + stress.power * r_total < sheet["tj_max"]
        else:
            # Free-air rating derated to 70 C ambient.
            derated = sheet["pd_25"] - sheet["pd_derate"] * (budget.AMBIENT_MAX - 25.0)
            assert stress.power < derated, (ref, stress)


def test_the_first_designs_mmbt3906_was_over_its_rating_in_a_short():
    # Q5 holds ~38 V when the bus is shorted: an MMBT3906 (V_CEO 40 V) has no margin for
    # the rail's +2 % and the 0.2 W it dissipates exceeds its 225 mW derated to 70 C.
    q5 = short_circuit()["Q5"]
    mmbt3906 = discretes.MMBT3906
    derated = mmbt3906["pd_25"] - mmbt3906["pd_derate"] * 45.0
    assert q5.power > derated
    assert abs(q5.vce) > 0.9 * mmbt3906["vceo"]


@pytest.mark.parametrize("n_loads", sorted({1, 2, 4, 8, 16, N_RATED, N_NOMINAL}))
@pytest.mark.parametrize("step", [budget.STEP_MIN, budget.STEP_MAX])
def test_mark_and_space_detected_both_ways_up_to_n(n_loads, step):
    result = simulate(n_loads, step=step)
    assert result.ok, result


def test_transmitter_levels_match_hand_calculation():
    result = simulate(1)
    # Mark: zener reference - Vbe - (R8 + R10 + 2 ohm cable) x (1.5 mA + answer idle).
    expected_mark = budget.mark_voltage() - 1.5e-3 * (budget.R_LIMIT + budget.R_SENSE + 2)
    assert result.mark_v == pytest.approx(expected_mark, abs=0.3)
    # Space: Q1 shorts the 12 V zener, so the bus falls by 12 V (less Q1's saturation voltage).
    assert result.mark_v - result.space_v == pytest.approx(12.0, abs=0.3)
    assert result.mark_v - result.space_v >= SPACE_DROP_MIN


def test_one_unit_load_beyond_n_the_bus_collapses_while_a_slave_answers():
    result = simulate(N_NOMINAL + 1, step=budget.STEP_MAX)
    assert result.master_bits_ok, "the master's own transmission still works"
    assert not result.ok
    assert result.sag > MAX_SAG, "the current limiter pulls the bus down while a slave answers"


def test_at_n_the_bus_sags_only_by_the_resistive_drop():
    result = simulate(N_NOMINAL, step=budget.STEP_MAX)
    resistive = budget.STEP_MAX * (budget.R_LIMIT + budget.R_SENSE + 2)
    assert result.sag == pytest.approx(resistive, abs=0.3)


def test_longest_worst_case_telegram_does_not_drift_the_threshold_past_the_smallest_step():
    # 255 bytes of 0x00 at 2400 Bd (10/11 space) from a slave with the smallest step; the
    # hand calculation gives a drift of 2.2 mA on top of a 4.4 mA offset, below 11 mA.
    assert (
        budget.threshold_offset(N_RATED)
        + budget.baseline_drift(budget.STEP_MIN, 255 * 11 / 2400, 10 / 11)
        < budget.STEP_MIN
    )
    result = simulate(N_RATED, step=budget.STEP_MIN, answer=b"\x00", prelude=255 * 11 / 2400)
    assert result.ok, result


@pytest.mark.parametrize("n_loads", [1, 2, 3, 4])
def test_naive_fixed_threshold_receiver_reads_slaves_up_to_four_loads(n_loads):
    assert simulate(n_loads, fixed_threshold=True).slave_bits_ok


@pytest.mark.parametrize("n_loads", [5, 6, 10])
def test_naive_fixed_threshold_receiver_fails_beyond_four_loads(n_loads):
    # 5 x 1.5 mA = 7.5 mA idle current is above its 7.0 mA threshold: RXD reads a permanent space.
    result = simulate(n_loads, fixed_threshold=True)
    assert not result.slave_bits_ok
    assert not result.no_echo


def test_naive_receiver_echoes_the_masters_own_bits_near_its_limit():
    # Cable charge at each space -> mark edge: 10 nF x 12 V through R10, seen through the
    # 47 us filter as 2.55 mA; with 4 loads only 0.97 mA of margin is left below 7 mA.
    assert simulate(2, fixed_threshold=True).no_echo
    assert not simulate(4, fixed_threshold=True).no_echo
    assert budget.echo_equivalent_current() == pytest.approx(2.55e-3, abs=0.01e-3)


def test_slow_meters_at_300_baud_work_too():
    assert simulate(N_RATED, step=budget.STEP_MAX, baud=300).ok


def test_9600_baud_is_beyond_the_sense_filter_as_calculated():
    # The end of a 20 mA space shows 47 us x ln(20 / 4.4) = 71 us late: fine against half a
    # bit at 2400 Bd (208 us), too late at 9600 Bd (52 us). README: 2400 Bd design.
    delay = budget.space_end_delay(budget.STEP_MAX, N_RATED)
    assert 0.5 / 9600 < delay < 0.5 / 2400
    assert not simulate(N_RATED, step=budget.STEP_MAX, baud=9600).slave_bits_ok
    assert budget.space_end_delay(budget.STEP_MIN, N_RATED) < 0.5 / 9600
    assert simulate(N_RATED, step=budget.STEP_MIN, baud=9600).ok
