"""TI TSS721A Meter-Bus slave transceiver (SLAS222B; the tables are the same in SLAS222A).

Pages are SLAS222B's. Figures marked verified=False are the review's (issue 16) readings of
p.8, which we could not re-read; the rest we read in the data sheet text.
"""

from __future__ import annotations

from hardware.eda import query
from hardware.eda.model import Circuit, Part
from hardware.eda.sheets import Figure, Rule, Sheet

DOC = "TI SLAS222B"
FIGURES = {
    "bus_abs_max": Figure(50.0, f"{DOC} p.7 absolute maximum ratings: BUSL1 to BUSL2 +/-50 V"),
    "logic_in_max": Figure(5.5, f"{DOC} p.7 absolute maximum ratings: RX, RXI -0.3 to 5.5 V"),
    "vbat_min": Figure(2.5, f"{DOC} p.7 recommended operating conditions: V_BAT 2.5-3.8 V"),
    "vbat_max": Figure(3.8, f"{DOC} p.7 recommended operating conditions: V_BAT 2.5-3.8 V"),
    "ridd_min": Figure(13e3, f"{DOC} p.7 recommended operating conditions: R_RIDD 13-80 kOhm"),
    "ridd_max": Figure(80e3, f"{DOC} p.7 recommended operating conditions: R_RIDD 13-80 kOhm"),
    "ibus_13k": Figure(3e-3, f"{DOC} p.7: I_BUS 3 mA at R_RIDD 13 kOhm, V_STC 6.5 V"),
    "ibus_30k": Figure(1.5e-3, f"{DOC} p.7: I_BUS 1.5 mA at R_RIDD 30 kOhm"),
    "ibus_accuracy": Figure(0.02, f"{DOC} p.7: bus current accuracy 2 %"),
    "icc_max": Figure(650e-6, f"{DOC} p.7: supply current I_CC max 650 uA (R_RIDD 13 kOhm)"),
    "vdd_min": Figure(3.1, f"{DOC} p.7: V_VDD 3.1-3.4 V at -I_VDD 1 mA"),
    "vdd_max": Figure(3.4, f"{DOC} p.7: V_VDD 3.1-3.4 V at -I_VDD 1 mA"),
    "vstc_on_min": Figure(5.6, f"{DOC} p.7: V_STC 5.6-6.4 V with VS on"),
    "vstc_off_max": Figure(4.3, f"{DOC} p.7: V_STC 3.8-4.3 V with VS off"),
    "mark_min": Figure(20.8, f"{DOC} p.3 figure 1: V_MARK 20.8-42 V"),
    "space_drop": Figure(10.0, f"{DOC} p.3 figure 1: V_SPACE = V_MARK - 10 V"),
    "receiver_min": Figure(10.8, f"{DOC} p.7: receiver bus voltage 10.8-42 V"),
    "sc_ratio": Figure(40.0, f"{DOC} p.3 equation 1: I_SCcharge / I_SCdischarge = 40 typ"),
    # 6 V per 417 us bit on 220 pF (the review's worst case) is 3.2 uA.
    "sc_discharge_max": Figure(3.2e-6, f"{DOC} p.8 per issue 16 (H2)", verified=False),
    "tx_high_below_bat": Figure(0.6, f"{DOC} p.8 per issue 16: V_OH = V_BAT - 0.6 V", False),
    "tx_vol_max": Figure(1.5, f"{DOC} p.8 per issue 16: V_OL <= 1.5 V at 1.1 mA", False),
    "tx_iol": Figure(1.1e-3, f"{DOC} p.8 per issue 16: V_OL <= 1.5 V at 1.1 mA", False),
}
# Largest threshold droop we accept over the longest run of space bits (10 in an 8E1 0x00
# byte): a tenth of the smallest space step the data sheet guarantees (10 V, p.3).
SC_DROOP_MAX = 1.0
SPACE_BITS_MAX = 10


def bus_current(r_ridd: float) -> float:
    """I_BUS for a RIDD resistor, through the two points p.7 gives (13 and 30 kOhm).

    I = a + b / R fits both points exactly (0.353 mA + 34.4 mA*kOhm / R); used inside the
    13-80 kOhm range the data sheet recommends.
    """
    r13, r30 = 13e3, 30e3
    i13, i30 = FIGURES["ibus_13k"].value, FIGURES["ibus_30k"].value
    b = (i13 - i30) / (1 / r13 - 1 / r30)
    return i30 - b / r30 + b / r_ridd


def stc_charge_min(r_ridd: float) -> float:
    """Least current left to charge C_STC: bus current less accuracy less the chip's own."""
    return bus_current(r_ridd) * (1 - FIGURES["ibus_accuracy"].value) - FIGURES["icc_max"].value


def sc_droop(c_sc: float, baud: float) -> float:
    """Worst threshold droop (V) on C_SC over the longest run of space bits at `baud`."""
    return FIGURES["sc_discharge_max"].value * SPACE_BITS_MAX / baud / c_sc


def _gnd(c: Circuit, u: Part) -> str | None:
    return query.net(c, u, "GND")


def _bat_on_vdd(c: Circuit, u: Part) -> str | None:
    if query.net(c, u, "BAT") != query.net(c, u, "VDD"):
        return (
            f"BAT (pin 9) is on {query.net(c, u, 'BAT')}, not VDD: V_BAT must be 2.5-3.8 V and "
            "TX's high level is V_BAT - 0.6 V"
        )
    return None


def _logic_inputs(c: Circuit, u: Part) -> str | None:
    allowed = {query.net(c, u, "VDD"), _gnd(c, u)}
    for pin in ("RX", "RXI"):
        if query.net(c, u, pin) not in allowed:
            return f"{pin} is on {query.net(c, u, pin)}: only VDD or GND keep it in -0.3..5.5 V"
    return None


def _ridd(c: Circuit, u: Part) -> str | None:
    resistors = query.between(c, query.net(c, u, "RIDD"), _gnd(c, u), "R")
    if len(resistors) != 1:
        return "RIDD needs exactly one resistor to GND"
    r = query.value(resistors[0])
    if not FIGURES["ridd_min"].value <= r <= FIGURES["ridd_max"].value:
        return f"R_RIDD {r / 1e3:g} kOhm outside 13-80 kOhm"
    budget = c.params.get("port_current_max")
    if budget is not None and bus_current(r) * (1 + FIGURES["ibus_accuracy"].value) > budget:
        return f"bus current {bus_current(r) * 1e3:.2f} mA exceeds the port's {budget * 1e3:g} mA"
    return None


def _sc(c: Circuit, u: Part) -> str | None:
    c_sc = query.capacitance(c, query.net(c, u, "SC"), _gnd(c, u))
    if c_sc <= 0:
        return "SC needs a capacitor to GND"
    baud = c.params.get("baud_min", 300.0)
    droop = sc_droop(c_sc, baud)
    if droop > SC_DROOP_MAX:
        return (
            f"C_SC {c_sc * 1e9:g} nF lets the threshold droop {droop:.2f} V over "
            f"{SPACE_BITS_MAX} space bits at {baud:g} Bd (limit {SC_DROOP_MAX} V)"
        )
    return None


def _stc_vdd_ratio(c: Circuit, u: Part) -> str | None:
    """Switching VDD on charges C_VDD from C_STC: STC must not fall out of its window."""
    c_stc = query.capacitance(c, query.net(c, u, "STC"), _gnd(c, u))
    c_vdd = query.capacitance(c, query.net(c, u, "VDD"), _gnd(c, u))
    if c_stc <= 0:
        return "STC needs its energy reserve capacitor to GND"
    window = FIGURES["vstc_on_min"].value - FIGURES["vstc_off_max"].value
    drop = FIGURES["vdd_max"].value * c_vdd / c_stc
    if drop >= window:
        return (
            f"C_VDD {c_vdd * 1e6:g} uF against C_STC {c_stc * 1e6:g} uF pulls STC down "
            f"{drop:.2f} V when VDD switches on (window {window:.1f} V)"
        )
    return None


def _vdd_load(c: Circuit, u: Part) -> str | None:
    loads = query.between(c, query.net(c, u, "VDD"), _gnd(c, u), "R")
    if not any(query.value(r) <= 100e3 for r in loads):
        return "VDD needs a resistive load of at most 100 kOhm to GND"
    return None


def _tvs_clamp(c: Circuit, u: Part) -> str | None:
    """A TVS across the port must clamp below the bus pins' absolute maximum (+/-50 V)."""
    from hardware.eda.sheets.discretes import TVS_CLAMP  # noqa: PLC0415

    port = set()
    for pin in ("BUSL1", "BUSL2"):
        name = query.net(c, u, pin)
        port.add(name)
        port |= {
            query.net(c, r, p.number)
            for r in c.parts.values()
            if r.definition.name == "R"
            for p in r.definition.pins
            if name in {query.net(c, r, q.number) for q in r.definition.pins}
        }
    for part in c.parts.values():
        if part.definition.name != "D_TVS":
            continue
        if {query.net(c, part, "A1"), query.net(c, part, "A2")} <= port:
            clamp = TVS_CLAMP.get(part.mpn)
            if clamp is None:
                return f"{part.ref}: no data-sheet model for TVS {part.mpn}"
            if clamp.value > FIGURES["bus_abs_max"].value:
                return (
                    f"{part.ref} {part.mpn} clamps at up to {clamp.value:g} V, above the "
                    f"+/-{FIGURES['bus_abs_max'].value:g} V absolute maximum"
                )
            return None
    return "no TVS across the bus port"


SHEET = Sheet(
    ("TSS721",),
    DOC,
    FIGURES,
    (
        Rule(
            "BAT tied to VDD",
            f"{DOC} p.2 pin 9 'logic level adjust', p.7, figs 7/8/10",
            _bat_on_vdd,
        ),
        Rule("RX and RXI at VDD or GND", f"{DOC} p.7 absolute maximum ratings", _logic_inputs),
        Rule("R_RIDD within 13-80 kOhm and the port's budget", f"{DOC} p.7", _ridd),
        Rule("C_SC holds the threshold over 10 space bits", f"{DOC} p.3 eq. 1, p.8", _sc),
        Rule("C_STC large against C_VDD", f"{DOC} p.7 V_STC window", _stc_vdd_ratio),
        Rule(
            "resistive load on VDD", "issue 16 H6; roarfred/ArnieO HAN_ESP_TSS721 board", _vdd_load
        ),
        Rule("port TVS below the bus absolute maximum", f"{DOC} p.7", _tvs_clamp),
    ),
)
