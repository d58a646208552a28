"""KiCad netlist (s-expression, export version "E") writer and a reader for the round trip.

The writer emits what KiCad 6-8's Eeschema exports, so Pcbnew's "Import Netlist" takes it.
The reader exists so the tests can prove the file says what the Python source says.
"""

from __future__ import annotations

from hardware.eda.model import Circuit

SExpr = str | list["SExpr"]


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_kicad_netlist(circuit: Circuit) -> str:
    """Render the circuit as a KiCad netlist; deterministic so the file can be committed."""
    out = [
        "(export (version " + _q("E") + ")",
        "  (design",
        f"    (source {_q(f'hardware/{circuit.name}/design.py')})",
        f"    (tool {_q('hardware.eda (mbus_han)')})",
        f"    (sheet (number {_q('1')}) (name {_q('/')}) (tstamps {_q('/')})",
        f"      (title_block (title {_q(circuit.title)}))))",
        "  (components",
    ]
    for ref in sorted(circuit.parts, key=_ref_key):
        part = circuit.parts[ref]
        d = part.definition
        out += [
            f"    (comp (ref {_q(ref)})",
            f"      (value {_q(part.value)})",
            f"      (footprint {_q(part.footprint)})",
            "      (fields",
            f"        (field (name {_q('Manufacturer')}) {_q(part.manufacturer)})",
            f"        (field (name {_q('MPN')}) {_q(part.mpn)}))",
            f"      (libsource (lib {_q(d.lib)}) (part {_q(d.name)})"
            f" (description {_q(d.description)})))",
        ]
    out.append("  )")
    out.append("  (libparts")
    seen: set[tuple[str, str]] = set()
    for part in circuit.parts.values():
        d = part.definition
        if (d.lib, d.name) in seen:
            continue
        seen.add((d.lib, d.name))
        out.append(f"    (libpart (lib {_q(d.lib)}) (part {_q(d.name)})")
        out.append(f"      (description {_q(d.description)})")
        out.append("      (pins")
        out += [
            f"        (pin (num {_q(p.number)}) (name {_q(p.name)}) (type {_q(p.type.value)}))"
            for p in d.pins
        ]
        out.append("      ))")
    out.append("  )")
    out.append("  (nets")
    for code, name in enumerate(sorted(circuit.nets), start=1):
        out.append(f"    (net (code {_q(str(code))}) (name {_q('/' + name)})")
        for pin in sorted(
            circuit.nets[name].pins, key=lambda p: (_ref_key(p.part.ref), p.pin.number)
        ):
            out.append(
                f"      (node (ref {_q(pin.part.ref)}) (pin {_q(pin.pin.number)})"
                f" (pinfunction {_q(pin.pin.name)}) (pintype {_q(pin.pin.type.value)}))"
            )
        out.append("    )")
    out.append("  )")
    out.append(")")
    return "\n".join(out) + "\n"


def _ref_key(ref: str) -> tuple[str, int]:
    """Sort R2 before R10, as KiCad does."""
    prefix = ref.rstrip("0123456789")
    return (prefix, int(ref[len(prefix) :] or 0))


def parse_sexpr(text: str) -> SExpr:
    """Parse one s-expression (quoted strings with backslash escapes, bare atoms, lists)."""
    stack: list[list[SExpr]] = [[]]
    i = 0
    while i < len(text):
        c = text[i]
        if c == "(":
            stack.append([])
        elif c == ")":
            done = stack.pop()
            stack[-1].append(done)
        elif c == '"':
            j, buf = i + 1, []
            while text[j] != '"':
                if text[j] == "\\":
                    j += 1
                buf.append(text[j])
                j += 1
            stack[-1].append("".join(buf))
            i = j
        elif not c.isspace():
            j = i
            while j < len(text) and not text[j].isspace() and text[j] not in '()"':
                j += 1
            stack[-1].append(text[i:j])
            i = j - 1
        i += 1
    if len(stack) != 1 or len(stack[0]) != 1:
        raise ValueError("unbalanced s-expression")
    return stack[0][0]


def _children(node: SExpr, tag: str) -> list[list[SExpr]]:
    return (
        [c for c in node if isinstance(c, list) and c and c[0] == tag]
        if isinstance(node, list)
        else []
    )


def _value(node: list[SExpr], tag: str) -> str:
    (child,) = _children(node, tag)
    value = child[1]
    assert isinstance(value, str)
    return value


def read_kicad_netlist(
    text: str,
) -> tuple[dict[str, dict[str, str]], dict[str, frozenset[tuple[str, str]]]]:
    """Read back (components by ref with value/footprint/MPN, nets as sets of (ref, pin))."""
    root = parse_sexpr(text)
    if not isinstance(root, list) or root[0] != "export":
        raise ValueError("not a KiCad netlist")
    components: dict[str, dict[str, str]] = {}
    for comp in _children(_children(root, "components")[0], "comp"):
        fields = {
            _value(f, "name"): str(f[2]) for f in _children(_children(comp, "fields")[0], "field")
        }
        components[_value(comp, "ref")] = {
            "value": _value(comp, "value"),
            "footprint": _value(comp, "footprint"),
            **fields,
        }
    nets: dict[str, frozenset[tuple[str, str]]] = {}
    for net in _children(_children(root, "nets")[0], "net"):
        name = _value(net, "name").removeprefix("/")
        nets[name] = frozenset((_value(n, "ref"), _value(n, "pin")) for n in _children(net, "node"))
    return components, nets
