"""SPICE netlist from a Circuit: the simulation runs the very values the BOM orders.

Parts with a `spice` template become element lines; parts without one (regulators,
connectors, protection) are left out and the test bench supplies what they would.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from hardware.eda.model import Circuit

# Generic models, stated as such in the READMEs: the public 2N3904 Gummel-Poon model for
# the small NPNs, a generic medium-power NPN (TIP31C class, beta 50), and zeners as diodes
# with a breakdown voltage at 1 mA.
MODELS = """\
.model Q2N3904 NPN(IS=6.734f XTI=3 EG=1.11 VAF=74.03 BF=416.4 NE=1.259 ISE=6.734f
+ IKF=66.78m XTB=1.5 BR=.7371 NC=2 ISC=0 IKR=0 RC=1 CJC=3.638p MJC=.3085 VJC=.75 FC=.5
+ CJE=4.493p MJE=.2593 VJE=.75 TR=239.5n TF=301.2p ITF=.4 VTF=4 XTF=2 RB=10)
.model Q2N3906 PNP(IS=1.41f XTI=3 EG=1.11 VAF=18.7 BF=180.7 NE=1.5 ISE=0 IKF=80m
+ XTB=1.5 BR=4.977 NC=2 ISC=0 IKR=0 RC=2.5 CJC=9.728p MJC=.5776 VJC=.75 FC=.5 CJE=8.063p
+ MJE=.3677 VJE=.75 TR=33.42n TF=179.3p ITF=.4 VTF=4 XTF=6 RB=10)
.model QPOWER NPN(IS=1p BF=50 VAF=100 IKF=3 RB=2 RC=0.05 RE=0.05 CJE=400p CJC=150p
+ TF=30n TR=1u)
.model DZ24 D(IS=1n RS=5 BV=24 IBV=1m CJO=100p)
.model DZ3V9 D(IS=1n RS=20 BV=3.9 IBV=1m CJO=100p)
.model DZ12 D(IS=1n RS=3 BV=12 IBV=1m CJO=150p)
* Comparator: behavioural, rail-to-rail push-pull output, no hysteresis, no delay.
.subckt CMP inp inn out vdd vss
B1 int vss V = V(vdd,vss) * (0.5 + 0.5 * tanh((V(inp) - V(inn)) / 1m))
R1 int out 50
.ends
"""


def node(net: str) -> str:
    """SPICE node name for a net: GND is node 0, others made safe (no '+', '/', '-')."""
    if net == "GND":
        return "0"
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", net.replace("+", "p").replace("-", "m"))


def elements(circuit: Circuit) -> list[str]:
    """One element line per simulated part, pins replaced by their nets' node names."""
    pin_node = {p.key: node(net.name) for net in circuit.nets.values() for p in net.pins}
    lines = []
    for ref in sorted(circuit.parts):
        part = circuit.parts[ref]
        if part.spice is None:
            continue
        numbers = {
            p.number: pin_node.get((ref, p.number), f"nc_{ref}_{p.number}")
            for p in part.definition.pins
        }
        lines.append(_fill(part.spice, ref, numbers))
    return lines


def _fill(template: str, ref: str, numbers: dict[str, str]) -> str:
    """Replace `{ref}` by the reference and `{N}` by the node of pin N."""
    return re.sub(r"\{(\w+)\}", lambda m: ref if m[1] == "ref" else numbers[m[1]], template)


def run(deck: str, timeout: float = 60.0) -> str:
    """Run ngspice in batch mode; return the `wrdata out.txt ...` table the deck writes."""
    exe = shutil.which("ngspice")
    if exe is None:
        raise FileNotFoundError("ngspice not installed (Debian package ngspice)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "deck.cir"
        path.write_text(deck)
        proc = subprocess.run(
            [exe, "-b", str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=tmp,
            check=False,
        )
        if proc.returncode != 0 or "error" in proc.stderr.lower():
            raise RuntimeError(f"ngspice failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        out = Path(tmp) / "out.txt"
        if not out.exists():
            raise RuntimeError(f"ngspice wrote no out.txt:\n{proc.stdout[-2000:]}")
        return out.read_text()
