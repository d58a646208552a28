"""Transistors, zeners, TVS diodes and the optocoupler: their limits from their data sheets.

The transistor limits are checked against simulated operating points (the M-Bus master's
short-circuit and corner runs); the zener rule against the bias current a design declares
(`circuit.params["bias:<ref>"]`), because a zener's voltage tolerance holds only at its test
current.
"""

from __future__ import annotations

from hardware.eda.model import Circuit, Part
from hardware.eda.sheets import Figure, Rule, Sheet

ONSEMI_3904 = "onsemi MMBT3904LT1 data sheet"
ONSEMI_5401 = "onsemi MMBT5401LT1 data sheet"
ONSEMI_3906 = "onsemi MMBT3906LT1 data sheet"
ONSEMI_TIP31 = "onsemi TIP31A/B/C data sheet"
NEXPERIA_BZX79 = "Nexperia BZX79 series data sheet"
NEXPERIA_BZX84 = "Nexperia BZX84 series data sheet"
VISHAY_1N47 = "Vishay 1N4728A-1N4764A data sheet"
LITTELFUSE_SMBJ = "Littelfuse SMBJ series data sheet"
VISHAY_SFH618A = "Vishay SFH618A data sheet (83673)"


def _transistor(
    doc: str, vceo: float, ic: float, pd: float, derate: float, hfe: float
) -> dict[str, Figure]:
    return {
        "vceo": Figure(vceo, f"{doc}, maximum ratings: V_CEO", verified=False),
        "ic_max": Figure(ic, f"{doc}, maximum ratings: I_C", verified=False),
        "pd_25": Figure(pd, f"{doc}, thermal: P_D at T_A 25 C (FR-5 board)", verified=False),
        "pd_derate": Figure(derate, f"{doc}, thermal: derate above 25 C", verified=False),
        "tj_max": Figure(150.0, f"{doc}, thermal: T_J max", verified=False),
        "hfe_min": Figure(hfe, f"{doc}, on characteristics: h_FE min", verified=False),
    }


MMBT3904 = Sheet(("MMBT3904",), ONSEMI_3904, _transistor(ONSEMI_3904, 40, 0.2, 0.225, 1.8e-3, 30))
MMBT3906 = Sheet(("MMBT3906",), ONSEMI_3906, _transistor(ONSEMI_3906, 40, 0.2, 0.225, 1.8e-3, 30))
ONSEMI_2N5401 = "onsemi 2N5401 data sheet"
PNP_2N5401 = Sheet(
    ("2N5401",), ONSEMI_2N5401, _transistor(ONSEMI_2N5401, 150, 0.6, 0.625, 5.0e-3, 50)
)
TIP31C = Sheet(
    ("TIP31C",),
    ONSEMI_TIP31,
    {
        **_transistor(ONSEMI_TIP31, 100, 3.0, 2.0, 16e-3, 25),
        "rth_jc": Figure(3.125, f"{ONSEMI_TIP31}, thermal: R_thJC 3.125 C/W", verified=False),
        "hfe_min": Figure(25, f"{ONSEMI_TIP31}: h_FE min 25 at I_C 1 A, V_CE 4 V", False),
    },
)


def _zener(doc: str, izt: float, tol: float, pd: float) -> dict[str, Figure]:
    return {
        "izt": Figure(izt, f"{doc}: test current I_ZT at which V_Z is specified", verified=False),
        "tolerance": Figure(tol, f"{doc}: V_Z tolerance (C suffix 5 %)", verified=False),
        "pd": Figure(pd, f"{doc}: total power dissipation", verified=False),
    }


def _bias_rule(sheet_izt: float) -> Rule:
    def check(c: Circuit, part: Part) -> str | None:
        bias = c.params.get(f"bias:{part.ref}")
        if bias is None:
            return "the design declares no bias current for this zener"
        if bias < sheet_izt:
            return (
                f"biased at {bias * 1e3:.1f} mA, below the {sheet_izt * 1e3:g} mA at which "
                "its voltage is specified"
            )
        return None

    return Rule("zener biased at its test current", "zener data sheet I_ZT", check)


BZX79 = Sheet(
    ("BZX79",), NEXPERIA_BZX79, _zener(NEXPERIA_BZX79, 5e-3, 0.05, 0.5), (_bias_rule(5e-3),)
)
BZX84 = Sheet(
    ("BZX84",), NEXPERIA_BZX84, _zener(NEXPERIA_BZX84, 5e-3, 0.05, 0.25), (_bias_rule(5e-3),)
)
# The 1N47xxA are specified at I_ZT = 10.5 mA (24 V, 1N4749A) to 21 mA (12 V, 1N4742A).
ZENER_1N4749A = Sheet(
    ("1N4749A",), VISHAY_1N47, _zener(VISHAY_1N47, 10.5e-3, 0.05, 1.0), (_bias_rule(10.5e-3),)
)
ZENER_1N4742A = Sheet(
    ("1N4742A",), VISHAY_1N47, _zener(VISHAY_1N47, 21e-3, 0.05, 1.0), (_bias_rule(21e-3),)
)

# Clamping voltage V_C at the rated peak pulse current (10/1000 us), per MPN.
TVS_CLAMP = {
    "SMBJ43CA": Figure(69.4, f"{LITTELFUSE_SMBJ}: SMBJ43CA V_C 69.4 V", verified=False),
    "SMBJ30CA": Figure(48.4, f"{LITTELFUSE_SMBJ}: SMBJ30CA V_C 48.4 V", verified=False),
}
TVS_STANDOFF = {
    "SMBJ43CA": Figure(43.0, f"{LITTELFUSE_SMBJ}: V_R 43 V"),
    "SMBJ30CA": Figure(30.0, f"{LITTELFUSE_SMBJ}: V_R 30 V"),
}
SMBJ = Sheet(("SMBJ",), LITTELFUSE_SMBJ, {})

SFH618A = Sheet(
    ("SFH618A",),
    VISHAY_SFH618A,
    {
        "ctr_min_1ma_grade2": Figure(0.63, f"{VISHAY_SFH618A} p.1: CTR at 1 mA, -2: 63-125 %"),
        "ctr_min_1ma_grade3": Figure(1.00, f"{VISHAY_SFH618A} p.1: CTR at 1 mA, -3: 100-200 %"),
        "ctr_min_1ma_grade4": Figure(1.60, f"{VISHAY_SFH618A} p.1: CTR at 1 mA, -4: 160-320 %"),
        "ctr_min_05ma": Figure(0.32, f"{VISHAY_SFH618A} p.1: CTR >= 32 % at 0.5 mA, V_CE 1.5 V"),
        "vceo": Figure(55.0, f"{VISHAY_SFH618A} p.1: V_CEO 55 V"),
        "if_max": Figure(50e-3, f"{VISHAY_SFH618A}: maximum ratings, DC forward current 50 mA"),
        "vf_max_1ma": Figure(1.25, "GaAs IRED at 1 mA: not found in the sheet text", False),
        "vf_min_1ma": Figure(0.95, "GaAs IRED at 1 mA: not found in the sheet text", False),
    },
)


def ctr_guaranteed(mpn: str, i_f: float) -> float:
    """Least CTR the sheet promises at forward current `i_f` (>= 0.5 mA) for the grade.

    Between 0.5 and 1 mA we take the lower of the two specified points (32 % at 0.5 mA for
    every grade, the grade's minimum at 1 mA): no interpolation the sheet does not give.
    """
    if i_f < 0.5e-3:
        return 0.0
    low = SFH618A["ctr_min_05ma"]
    if i_f < 1e-3:
        return low
    grade = mpn.rsplit("-", maxsplit=1)[-1][:1]
    return SFH618A[f"ctr_min_1ma_grade{grade}"]


SHEETS = [
    MMBT3904,
    MMBT3906,
    PNP_2N5401,
    TIP31C,
    BZX79,
    BZX84,
    ZENER_1N4749A,
    ZENER_1N4742A,
    SMBJ,
    SFH618A,
]
