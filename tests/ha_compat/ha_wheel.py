"""Check the integration's Home Assistant imports against a newer Home Assistant wheel.

Our tests run on Home Assistant 2025.4 (Python 3.13), while users run 2026.11 (Python 3.14).
Installing 2026.11 here is impossible (it requires Python >= 3.14.2), and importing it would
not tell us much anyway: a deprecated name keeps working until the release that removes it.
So this module reads the 2026.11 wheel *as text*: it parses the wheel's Python files with
:mod:`ast` (never importing them) and checks the names our code uses against them.

What is checked, for every ``homeassistant.*`` use in the integration's Python files:

* the module exists in the wheel (``pkg/mod.py`` or ``pkg/mod/__init__.py``);
* every name imported from it exists at the module's top level there: defined (``def``,
  ``class``), assigned, imported, or re-exported, following ``from x import y`` chains through
  ``__init__`` files and ``from x import *`` (restricted by ``__all__``), or is a submodule;
* a name re-exported by a module whose literal ``__all__`` leaves it out is reported as a
  private re-export (it works today, but is not API and may vanish without deprecation);
* attribute chains on imported modules and classes (``dr.async_get``, ``ir.IssueSeverity.ERROR``,
  ``SensorDeviceClass.ENERGY``; plain aliases such as ``Platform = EntityPlatforms`` are
  followed), ``self.x`` / ``super().x`` on our classes that subclass Home Assistant classes,
  and keyword arguments of calls into Home Assistant (a keyword that the callee does not
  accept is an error; dataclass fields count as keywords). A member is reported missing only
  when every base class is visible (``Generic``/``Protocol``/``ABC`` add nothing); an
  ALL_CAPS enum member is reported missing when the enum's body lacks it (an enum that has
  members cannot be subclassed, so its body is all there is);
* nothing used is marked deprecated (the markers below, :meth:`Index.deprecation_markers`).

Deprecation markers (how Home Assistant marks things, as found in 2026.11's sources):

* ``_DEPRECATED_<NAME> = DeprecatedConstant | DeprecatedConstantEnum | DeprecatedAlias |
  DeferredDeprecatedAlias(...)``: the name is served by a module ``__getattr__``
  (``check_if_deprecated_constant``), listed in ``__all__`` by
  ``all_with_deprecated_constants``, and warns on use;
* other ``_DEPRECATED_*`` bindings holding a dict, set, list or tuple of strings (for example
  ``_DEPRECATED_DEVICE_INFO_PARAMETERS``) list deprecated *parameter or field names* of that
  module's API: a keyword argument of that name in a call into the module is flagged, and so
  is one in a call we cannot resolve (a method of an object, ``dr.async_get(hass).x(...)``)
  when the file imports that module;
* decorators ``deprecated_class``, ``deprecated_function``, ``deprecated_substitute``,
  ``deprecated_hass_argument`` and PEP 702's ``deprecated``;
* ``metaclass=EnumWithDeprecatedMembers, deprecated={...}`` enum members, and class attributes
  assigned ``DeprecatedEntityProperty(...)`` / ``DeprecatedEntityAttr(...)``;
* a docstring of a used function or class saying that *it* is deprecated (a sentence opening
  with "Deprecated", "this class is being phased out"; merely mentioning the word does not
  count), and a docstring saying "the X parameter is deprecated" when our call passes X;
* a call in the body of a function that our code makes run directly (a called function, a
  called method, the ``__init__`` of a class we instantiate or ``super().__init__`` into, the
  ``__init_subclass__`` of a class we subclass) to ``report_usage``, ``frame.report``,
  ``_print_deprecation_warning*``, or ``warnings.warn`` with a ``DeprecationWarning`` (or
  ``PendingDeprecationWarning``/``FutureWarning``) category; also the inherited ``__init__``
  of our subclass when we define none (Home Assistant instantiates it). A report nested in
  an ``if`` is *conditional*: it is still reported, naming the condition, unless the
  condition is surely false for our call: it tests parameters only (``p is None``,
  ``p is UNDEFINED``, ``p is not ...``, ``not p``, ``and``/``or`` of these), with the values
  our call passes or the defaults it leaves (a passed variable counts as a real value). The
  rest (state such as ``entry.update_listeners``) stays reported: the test acknowledges such a
  finding explicitly, with the reason it cannot trigger and a test that keeps it so.
  Bodies are not followed transitively (a call from the called function onwards is not
  examined): that would flag nearly everything, since Home Assistant guards its own internals
  with ``report_usage`` calls that integrations never trigger.

Version fallbacks: a name imported inside a ``try:`` body that has an ``except ImportError``
(or ``ModuleNotFoundError``) handler may be missing from the wheel: it is then reported as
*accepted* rather than as an error, and the handler's imports (the fallback that runs on
2026.11) are checked instead. When every import of such a ``try`` body exists in the wheel,
the handler does not run on 2026.11 and its imports are not checked against it.

Beyond Home Assistant's own modules: :func:`check_manifest` compares the manifest's
requirements with the wheel's pins (``package_constraints.txt``, ``Requires-Dist``) and refuses
voluptuous, and :func:`check_third_party` checks that every outside module our code imports
(protocol package included) is installed there: a manifest requirement, a dependency of Home
Assistant, or a module Home Assistant aliases (``install_as_voluptuous()``).

Limits, by design: values reached through instances (``entry.runtime_data.x``,
``self.hass.config_entries.y``) are not followed, and function bodies are examined one level
deep (see above). Those are what the 2025.4 test suite exercises at run time.

The module is pure (no pytest, no Home Assistant): its inputs are a :class:`SourceTree`, so the
checker is unit-tested against small synthetic module trees as well as run on the real wheel.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import tokenize
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

HA_VERSION = "2026.11.0"
"""The Home Assistant release users run; 2026.11.0 is the only 2026.11 release published."""

HA_PYTHON = "3.14.2"
"""2026.11's ``Requires-Python`` is ``>=3.14.2``: pip refuses it for a bare ``3.14``."""

INTEGRATION_PACKAGE = "custom_components.mbus_han"
PROTOCOL_PACKAGE = f"{INTEGRATION_PACKAGE}.protocol"

_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})
_DEPRECATION_DECORATORS = frozenset(
    {
        "deprecated_class",
        "deprecated_function",
        "deprecated_substitute",
        "deprecated_hass_argument",
        "deprecated",
    }
)
_DEPRECATED_CONSTANT_TYPES = frozenset(
    {"DeprecatedConstant", "DeprecatedConstantEnum", "DeprecatedAlias", "DeferredDeprecatedAlias"}
)
_DEPRECATED_MEMBER_TYPES = frozenset({"DeprecatedEntityProperty", "DeprecatedEntityAttr"})
_REPORT_FUNCTIONS = frozenset(
    {
        "report_usage",
        "report",
        "_print_deprecation_warning",
        "_print_deprecation_warning_internal",
    }
)
_WARNING_CATEGORIES = frozenset(
    {"DeprecationWarning", "PendingDeprecationWarning", "FutureWarning"}
)
_DEPRECATED_PREFIX = "_DEPRECATED_"
_DOCSTRING_DEPRECATED = (
    # "Deprecated alias of ...", "Deprecated, always returns None": a sentence opening
    re.compile(r"(?:^|[.!?]\s+)Deprecated\b", re.MULTILINE),
    # "This class is being phased out", "The helper is deprecated"
    re.compile(
        r"\b(?:this|the) (?:class|function|method|helper|constant|alias|module|property)"
        r" is (?:now )?(?:deprecated|being phased out)\b|\bis being phased out\b",
        re.IGNORECASE,
    ),
)
"""A docstring saying its own object is deprecated. Merely mentioning the word ("Mark class
as deprecated", "The step_id parameter is deprecated") does not count: the first is a tool,
the second a parameter (see :data:`_DOCSTRING_PARAMETER_DEPRECATED`)."""
_DOCSTRING_PARAMETER_DEPRECATED = re.compile(
    r"\b`*(\w+)`* (?:parameter|argument|keyword)(?: argument)? is deprecated", re.IGNORECASE
)
_DEPRECATION_TOOLS = "homeassistant.helpers.deprecation"
"""The module defining the deprecation machinery: its own docstrings talk about deprecation."""
_ENUM_BASES = frozenset({"Enum", "StrEnum", "IntEnum", "Flag", "IntFlag"})
_CONSTRUCTION_METHODS = ("__new__", "__init__")
_MEMBERLESS_BASES = frozenset({"object", "Generic", "Protocol", "ABC"})
"""Outside bases that add no members our code could use: a class deriving only from these
(and from visible classes) is fully known, so a member none of them defines is missing."""


class WheelDownloadError(RuntimeError):
    """pip could not fetch the wheel (no network, or the version vanished from the index)."""


class SourceParseError(RuntimeError):
    """A source file of the tree could not be parsed even after the Python 3.14 rewrite."""


# --------------------------------------------------------------------------------------------
# Getting the wheel


def wheel_path(cache_dir: Path, version: str = HA_VERSION) -> Path:
    """Where the cached wheel of ``version`` lives (pure wheels carry no platform tag)."""
    return cache_dir / f"homeassistant-{version}-py3-none-any.whl"


def fetch_wheel(
    cache_dir: Path,
    version: str = HA_VERSION,
    python_version: str = HA_PYTHON,
    runner: Callable[[list[str]], subprocess.CompletedProcess[str]] | None = None,
) -> Path:
    """Return the cached wheel, downloading it with pip the first time.

    The download goes to a temporary directory inside the cache and is moved into place only
    when complete, so an interrupted run never leaves a truncated wheel under the final name.
    Raises :class:`WheelDownloadError` with pip's own output when the download fails: the
    caller should fail loudly, since a silent skip would hide an untested upgrade.
    """
    target = wheel_path(cache_dir, version)
    if target.is_file() and zipfile.is_zipfile(target):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--python-version",
        python_version,
        "--only-binary=:all:",
        "--dest",
        "",
        f"homeassistant=={version}",
    ]
    run = runner or _run_pip
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".download-") as tmp:
        command[command.index("--dest") + 1] = tmp
        try:
            result = run(command)
        except (OSError, subprocess.SubprocessError) as err:
            raise WheelDownloadError(f"could not run {' '.join(command)}: {err}") from err
        wheels = sorted(Path(tmp).glob("homeassistant-*.whl"))
        if result.returncode != 0 or len(wheels) != 1 or not zipfile.is_zipfile(wheels[0]):
            raise WheelDownloadError(
                f"pip could not download homeassistant=={version} for Python {python_version}"
                f" (exit code {result.returncode}); command: {' '.join(command)}\n"
                f"{result.stdout[-2000:]}{result.stderr[-4000:]}"
            )
        os.replace(wheels[0], target)
    return target


def _run_pip(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run pip with a generous time limit: the wheel is about 70 MB."""
    return subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)


# --------------------------------------------------------------------------------------------
# Source trees


class SourceTree:
    """Python files by their path inside a wheel or package root, read lazily.

    ``homeassistant/const.py`` is module ``homeassistant.const``. Reading lazily matters:
    the wheel holds about 20 000 files, of which the check needs a few dozen.
    """

    def __init__(self, names: Iterable[str], read: Callable[[str], str]) -> None:
        self._names = frozenset(names)
        self._read = read

    @classmethod
    def from_mapping(cls, files: Mapping[str, str]) -> SourceTree:
        """A tree of in-memory files (the unit tests' synthetic Home Assistant)."""
        files = dict(files)
        return cls(files, files.__getitem__)

    @classmethod
    def from_wheel(cls, wheel: Path) -> SourceTree:
        """The files of a wheel, read straight from the zip archive (nothing is extracted)."""
        archive = zipfile.ZipFile(wheel)
        return cls(archive.namelist(), lambda name: archive.read(name).decode("utf-8"))

    @classmethod
    def from_directory(cls, directory: Path, prefix: str) -> SourceTree:
        """The ``.py`` files under ``directory``, named as if ``directory`` were ``prefix``."""
        files = {
            f"{prefix}/{path.relative_to(directory).as_posix()}": path
            for path in directory.rglob("*.py")
            if "__pycache__" not in path.parts
        }
        return cls(files, lambda name: files[name].read_text(encoding="utf-8"))

    @classmethod
    def merged(cls, *trees: SourceTree) -> SourceTree:
        """One tree over several (the wheel plus our integration); earlier trees win."""

        def read(name: str) -> str:
            for tree in trees:
                if tree.has(name):
                    return tree.read(name)
            raise KeyError(name)

        return cls((name for tree in trees for name in tree.names), read)

    @property
    def names(self) -> frozenset[str]:
        """Every file name in the tree."""
        return self._names

    def has(self, name: str) -> bool:
        """Whether the tree holds the file ``name``."""
        return name in self._names

    def read(self, name: str) -> str:
        """The text of file ``name``."""
        return self._read(name)


def parse_source(source: str, filename: str) -> ast.Module:
    """Parse Python 3.14 source on the Python running the tests (3.13).

    2026.11 uses PEP 758's unparenthesised ``except A, B:``, which 3.13 rejects. When plain
    parsing fails, such clauses are rewritten to ``except (A, B):`` with the tokenizer (which
    knows strings and brackets, unlike a regular expression) and parsing is retried. Any other
    new syntax raises :class:`SourceParseError`, which the checker reports: a file it cannot
    read is a file it cannot vouch for.
    """
    try:
        return ast.parse(source, filename)
    except SyntaxError as first:
        try:
            return ast.parse(parenthesize_except_tuples(source), filename)
        except (SyntaxError, tokenize.TokenError) as err:
            raise SourceParseError(
                f"{filename}: {first} (after the PEP 758 rewrite: {err})"
            ) from err


def parenthesize_except_tuples(source: str) -> str:
    """Rewrite PEP 758 ``except A, B:`` (and ``except* A, B:``) to ``except (A, B):``."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    inserts: list[tuple[tuple[int, int], str]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token.type != tokenize.NAME or token.string != "except":
            continue
        if index < len(tokens) and tokens[index].string == "*":
            index += 1
        first = tokens[index]
        depth = 0
        bare_comma = False
        while index < len(tokens):
            current = tokens[index]
            if current.type == tokenize.OP:
                if current.string in "([{":
                    depth += 1
                elif current.string in ")]}":
                    depth -= 1
                elif depth == 0 and current.string == ",":
                    bare_comma = True
                elif depth == 0 and current.string == ":":
                    break
            elif depth == 0 and current.type == tokenize.NAME and current.string == "as":
                break
            index += 1
        if bare_comma and index < len(tokens):
            inserts += [(first.start, "("), (tokens[index].start, ")")]
    lines = source.splitlines(keepends=True)
    for (row, column), text in sorted(inserts, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = (
            line[:column].rstrip() + text + line[column:]
            if text == ")"
            else (line[:column] + text + line[column:])
        )
    return "".join(lines)


# --------------------------------------------------------------------------------------------
# Module scopes


@dataclass(frozen=True, slots=True)
class Binding:
    """What a top-level (or class-level) name is bound to.

    ``kind`` is ``def`` (function), ``class``, ``assign``, ``import`` (``from m import n``:
    ``target`` is ``(m, n)``) or ``module`` (``import m``: ``target`` is ``(m, "")``).
    """

    kind: str
    node: ast.AST
    target: tuple[str, str] | None = None


@dataclass(slots=True)
class ModuleScope:
    """The statically visible top level of one module."""

    name: str
    is_package: bool
    tree: ast.Module
    bindings: dict[str, Binding] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)
    all_names: frozenset[str] | None = None
    all_with_deprecated: bool = False
    has_getattr: bool = False
    deprecated_keys: dict[str, str] = field(default_factory=dict)
    """Deprecated parameter/field names from ``_DEPRECATED_*`` string collections."""


def _is_type_checking(test: ast.expr) -> bool:
    """``if TYPE_CHECKING:`` / ``if typing.TYPE_CHECKING:`` (never true at run time)."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_statements(body: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements that can bind names at run time, flattening compound blocks.

    ``if TYPE_CHECKING:`` bodies are left out (their names do not exist at run time); every
    other branch of ``if``/``try``/``with``/loops is included, since one of them runs.
    """
    for statement in body:
        yield statement
        if isinstance(statement, ast.If):
            if not _is_type_checking(statement.test):
                yield from runtime_statements(statement.body)
            yield from runtime_statements(statement.orelse)
        elif isinstance(statement, ast.Try | ast.TryStar):
            yield from runtime_statements(statement.body)
            for handler in statement.handlers:
                yield from runtime_statements(handler.body)
            yield from runtime_statements(statement.orelse)
            yield from runtime_statements(statement.finalbody)
        elif isinstance(statement, ast.With | ast.AsyncWith | ast.For | ast.AsyncFor | ast.While):
            yield from runtime_statements(statement.body)
            yield from runtime_statements(statement.orelse if hasattr(statement, "orelse") else [])


def _target_names(target: ast.expr) -> Iterator[str]:
    """Names bound by an assignment target (``a``, ``a, b``, ``[a, *b]``)."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _target_names(element)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


def _call_name(node: ast.AST) -> str | None:
    """The last dotted part of a call's function or a decorator: ``a.b.c(...)`` -> ``c``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):  # DeprecatedConstant[int](...)
        return _call_name(node.value)
    return None


def _string_collection(node: ast.expr | None) -> list[str] | None:
    """The strings of a literal dict (its keys), set, list or tuple; ``None`` for others."""
    if isinstance(node, ast.Dict):
        elements: list[ast.expr | None] = list(node.keys)
    elif isinstance(node, ast.Set | ast.List | ast.Tuple):
        elements = list(node.elts)
    else:
        return None
    strings = [e.value for e in elements if isinstance(e, ast.Constant)]
    return [s for s in strings if isinstance(s, str)]


def _literal_all(node: ast.expr) -> frozenset[str] | None:
    """A literal ``__all__`` value (list/tuple of strings, possibly concatenated)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal_all(node.left), _literal_all(node.right)
        return None if left is None or right is None else left | right
    if isinstance(node, ast.List | ast.Tuple):
        names = [e.value for e in node.elts if isinstance(e, ast.Constant)]
        if len(names) == len(node.elts) and all(isinstance(n, str) for n in names):
            return frozenset(names)
    return None


def absolute_module(module: str, is_package: bool, level: int, target: str | None) -> str:
    """Resolve ``from <level dots><target> import`` inside ``module`` to an absolute name."""
    if level == 0:
        return target or ""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join([*parts, target] if target else parts)


def collect_bindings(
    body: Iterable[ast.stmt], module: str, is_package: bool
) -> tuple[dict[str, Binding], list[str]]:
    """The runtime bindings of a module or class body, and its star-import sources."""
    bindings: dict[str, Binding] = {}
    stars: list[str] = []
    for statement in runtime_statements(body):
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            bindings[statement.name] = Binding("def", statement)
        elif isinstance(statement, ast.ClassDef):
            bindings[statement.name] = Binding("class", statement)
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                for name in _target_names(target):
                    bindings[name] = Binding("assign", statement)
        elif (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.value is not None  # a bare annotation binds nothing at run time
        ):
            bindings[statement.target.id] = Binding("assign", statement)
        elif isinstance(statement, ast.TypeAlias):
            bindings[statement.name.id] = Binding("assign", statement)
        elif isinstance(statement, ast.ImportFrom):
            source = absolute_module(module, is_package, statement.level, statement.module)
            for alias in statement.names:
                if alias.name == "*":
                    stars.append(source)
                else:
                    bound = alias.asname or alias.name
                    bindings[bound] = Binding("import", statement, (source, alias.name))
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    bindings[alias.asname] = Binding("module", statement, (alias.name, ""))
                else:
                    top = alias.name.partition(".")[0]
                    bindings[top] = Binding("module", statement, (top, ""))
    return bindings, stars


# --------------------------------------------------------------------------------------------
# Resolution


@dataclass(frozen=True, slots=True)
class Resolved:
    """Where a name used by our code really lives.

    ``kind``: ``def``, ``class``, ``assign`` (a definition in ``module``), ``module`` (a
    module or package), ``external`` (re-exported from outside the trees: ``module`` is the
    outside module), or ``deprecated-constant`` (served by ``__getattr__`` from
    ``_DEPRECATED_<name>``). ``via`` lists the re-export hops, ``problems`` what is wrong on
    the way (deprecated alias, private re-export).
    """

    kind: str
    module: str
    name: str
    node: ast.AST | None = None
    via: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def qualname(self) -> str:
        """``module.name`` (just ``module`` for a module)."""
        return f"{self.module}.{self.name}" if self.name else self.module


@dataclass(frozen=True, slots=True)
class Missing:
    """A name or module that is not there, and why we think so."""

    reason: str


@dataclass(frozen=True, slots=True)
class Member:
    """A class member found in ``owner`` (a class ``Resolved``): its binding node, if any."""

    owner: Resolved
    name: str
    node: ast.AST | None


class Index:
    """Modules of a :class:`SourceTree`, parsed on demand, and name resolution over them."""

    def __init__(self, tree: SourceTree) -> None:
        self.tree = tree
        self._scopes: dict[str, ModuleScope | None] = {}
        self.parse_errors: list[str] = []
        self._tops: set[str] | None = None

    def module_file(self, module: str) -> tuple[str, bool] | None:
        """The file of ``module`` and whether it is a package, or ``None``."""
        base = module.replace(".", "/")
        if self.tree.has(f"{base}/__init__.py"):
            return f"{base}/__init__.py", True
        if self.tree.has(f"{base}.py"):
            return f"{base}.py", False
        return None

    def in_tree(self, module: str) -> bool:
        """Whether ``module`` belongs to a package the tree holds (else it is external).

        Namespace packages (``custom_components`` has no ``__init__.py``) count too.
        """
        if self._tops is None:
            self._tops = {name.split("/")[0].removesuffix(".py") for name in self.tree.names}
        return module.partition(".")[0] in self._tops

    def scope(self, module: str) -> ModuleScope | None:
        """The parsed top level of ``module`` (``None`` when absent or unparsable)."""
        if module in self._scopes:
            return self._scopes[module]
        self._scopes[module] = None
        found = self.module_file(module)
        if found is None:
            return None
        path, is_package = found
        try:
            tree = parse_source(self.tree.read(path), path)
        except SourceParseError as err:
            self.parse_errors.append(str(err))
            return None
        bindings, stars = collect_bindings(tree.body, module, is_package)
        scope = ModuleScope(module, is_package, tree, bindings, stars)
        for statement in runtime_statements(tree.body):
            targets: list[ast.expr] = []
            value: ast.expr | None = None
            if isinstance(statement, ast.Assign):
                targets, value = statement.targets, statement.value
            elif isinstance(statement, ast.AnnAssign | ast.AugAssign):
                targets, value = [statement.target], statement.value
            names = {n for t in targets for n in _target_names(t)}
            if "__all__" in names and value is not None:
                if _call_name(value) == "all_with_deprecated_constants":
                    scope.all_with_deprecated = True
                elif (literal := _literal_all(value)) is not None:
                    if isinstance(statement, ast.AugAssign) and scope.all_names is not None:
                        literal |= scope.all_names
                    scope.all_names = literal
            if "__getattr__" in names:
                scope.has_getattr = True
            for name in names:
                strings = _string_collection(value)
                if name.startswith(_DEPRECATED_PREFIX) and strings is not None:
                    for key in strings:
                        scope.deprecated_keys[key] = f"listed in {module}.{name}"
        if "__getattr__" in bindings and bindings["__getattr__"].kind == "def":
            scope.has_getattr = True
        self._scopes[module] = scope
        return scope

    def resolve(
        self, module: str, name: str, _seen: frozenset[str] = frozenset()
    ) -> Resolved | Missing:
        """Find ``name`` as ``from module import name`` would, following re-exports."""
        key = f"{module}:{name}"
        if key in _seen:
            return Missing(f"circular re-export of {module}.{name}")
        seen = _seen | {key}
        if not self.in_tree(module):
            return Resolved("external", module, name)
        scope = self.scope(module)
        if scope is None:
            if self.module_file(module) is not None:
                return Missing(f"module {module} could not be parsed")
            return Missing(f"module {module} does not exist")
        binding = scope.bindings.get(name)
        if binding is not None:
            return self._follow(scope, name, binding, seen)
        if self.module_file(f"{module}.{name}") is not None:
            return Resolved("module", f"{module}.{name}", "")
        if f"{_DEPRECATED_PREFIX}{name}" in scope.bindings:
            node = scope.bindings[f"{_DEPRECATED_PREFIX}{name}"].node
            what = _call_name(node.value) if isinstance(node, ast.Assign | ast.AnnAssign) else None
            return Resolved(
                "deprecated-constant",
                module,
                name,
                node,
                problems=(f"{module}.{name} is deprecated ({what or 'a _DEPRECATED_ constant'})",),
            )
        for source in scope.star_imports:
            source_scope = self.scope(source)
            if source_scope is None or name.startswith("_"):
                continue
            if source_scope.all_names is not None and name not in source_scope.all_names:
                continue
            found = self.resolve(source, name, seen)
            if isinstance(found, Resolved):
                return found
        extra = " (the module has a __getattr__, which may serve it dynamically)"
        return Missing(f"{module} has no {name}" + (extra if scope.has_getattr else ""))

    def _follow(
        self, scope: ModuleScope, name: str, binding: Binding, seen: frozenset[str]
    ) -> Resolved | Missing:
        """Turn a binding into what it finally refers to."""
        module = scope.name
        if binding.kind == "module" and binding.target:
            return Resolved("module", binding.target[0], "")
        node = binding.node
        if (
            binding.kind == "assign"
            and isinstance(node, ast.Assign | ast.AnnAssign)
            and isinstance(node.value, ast.Name | ast.Attribute)
            and f"alias:{module}:{name}" not in seen
        ):
            # `Platform = EntityPlatforms`: a plain alias is what it names
            found = self.resolve_expression(module, node.value, seen | {f"alias:{module}:{name}"})
            if isinstance(found, Resolved) and found.kind in {"class", "def", "module"}:
                return Resolved(
                    found.kind,
                    found.module,
                    found.name,
                    found.node,
                    (f"{module}.{name}", *found.via),
                    found.problems,
                )
        if binding.kind != "import" or binding.target is None:
            return Resolved(binding.kind, module, name, binding.node)
        source, original = binding.target
        private = ()
        if scope.all_names is not None and name not in scope.all_names and not name.startswith("_"):
            private = (
                f"{module}.{name} is a private re-export of {source}.{original} "
                f"(not in {module}.__all__): import it from where it is defined",
            )
        found = self.resolve(source, original, seen)
        if isinstance(found, Missing):
            return found
        return Resolved(
            found.kind,
            found.module,
            found.name,
            found.node,
            (f"{module}.{name}", *found.via),
            private + found.problems,
        )

    # ----------------------------------------------------------------------------- classes

    def class_bases(self, cls: Resolved) -> list[Resolved | None]:
        """The bases of a class, resolved (``None`` for a base we cannot see into)."""
        node = cls.node
        if not isinstance(node, ast.ClassDef):
            return []
        bases: list[Resolved | None] = []
        for base in node.bases:
            found = self.resolve_expression(cls.module, base)
            if isinstance(found, Resolved) and found.kind == "class":
                bases.append(found)
            elif _call_name(base) not in _MEMBERLESS_BASES:
                bases.append(None)
        return bases

    def resolve_expression(
        self, module: str, node: ast.expr, seen: frozenset[str] = frozenset()
    ) -> Resolved | Missing | None:
        """Resolve a name or dotted expression written at the top level of ``module``.

        ``Base[T]`` resolves as ``Base``. ``None`` means the expression is not a name chain
        rooted in a visible binding (a call, a builtin, a local variable).
        """
        if isinstance(node, ast.Subscript):
            return self.resolve_expression(module, node.value, seen)
        if isinstance(node, ast.Name):
            scope = self.scope(module)
            if scope is None or node.id not in scope.bindings:
                return None
            return self._follow(scope, node.id, scope.bindings[node.id], seen)
        if isinstance(node, ast.Attribute):
            owner = self.resolve_expression(module, node.value, seen)
            if not isinstance(owner, Resolved):
                return owner
            return self.attribute(owner, node.attr)
        return None

    def attribute(self, owner: Resolved, name: str) -> Resolved | Missing | None:
        """``owner.name`` for a module or class; ``None`` when we cannot tell."""
        if owner.kind == "module":
            return self.resolve(owner.module, name) if self.in_tree(owner.module) else None
        if owner.kind == "class":
            member = self.member(owner, name)
            if member is None and name.isupper() and self.is_enum(owner):
                # An enum with members cannot be subclassed: all members are in one body.
                return Missing(f"enum {owner.qualname} has no member {name}")
            if member is None:
                return None
            if isinstance(member, Missing):
                return member
            node = member.node
            kind = (
                "class"
                if isinstance(node, ast.ClassDef)
                else "def"
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                else "assign"
            )
            return Resolved(kind, member.owner.module, f"{member.owner.name}.{name}", node)
        return None

    def is_enum(self, cls: Resolved) -> bool:
        """Whether a class derives from an ``enum`` class (directly or through ours)."""
        for current in self.mro(cls)[0]:
            node = current.node
            if isinstance(node, ast.ClassDef) and any(
                _call_name(base) in _ENUM_BASES for base in node.bases
            ):
                return True
        return False

    def mro(self, cls: Resolved) -> tuple[list[Resolved], bool]:
        """The class and its visible ancestors (breadth-first, de-duplicated), and whether
        every ancestor was visible (else a missing member may come from an unseen base)."""
        order: list[Resolved] = []
        complete = True
        pending = [cls]
        seen: set[str] = set()
        while pending:
            current = pending.pop(0)
            if current.qualname in seen:
                continue
            seen.add(current.qualname)
            order.append(current)
            for base in self.class_bases(current):
                if base is None:
                    complete = False
                else:
                    pending.append(base)
        return order, complete

    def class_members(self, cls: Resolved) -> dict[str, ast.AST | None]:
        """Names a class defines: its body (including annotations) and ``self.x =``."""
        node = cls.node
        if not isinstance(node, ast.ClassDef):
            return {}
        members: dict[str, ast.AST | None] = {}
        for statement in runtime_statements(node.body):
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                members[statement.name] = statement
            elif isinstance(statement, ast.Assign):
                for target in statement.targets:
                    for name in _target_names(target):
                        members[name] = statement
            elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                members.setdefault(statement.target.id, statement)
        # Annotations under `if TYPE_CHECKING:` in a class body declare attributes set
        # elsewhere: they count for existence.
        for statement in ast.walk(node):
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                members.setdefault(statement.target.id, statement)
        for function in node.body:
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for sub in ast.walk(function):
                targets = (
                    sub.targets
                    if isinstance(sub, ast.Assign)
                    else [sub.target]
                    if isinstance(sub, ast.AnnAssign | ast.AugAssign)
                    else []
                )
                for target in targets:
                    if (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id in {"self", "cls"}
                    ):
                        members.setdefault(target.attr, sub)
        return members

    def member(
        self, cls: Resolved, name: str, *, skip_self: bool = False
    ) -> Member | Missing | None:
        """Find ``name`` on ``cls`` or its ancestors; ``None`` when an unseen base might have it."""
        order, complete = self.mro(cls)
        for current in order[1:] if skip_self else order:
            members = self.class_members(current)
            if name in members:
                return Member(current, name, members[name])
        if name.startswith("__") and name.endswith("__"):
            return None  # object's dunders
        if not complete:
            return None
        return Missing(f"{cls.qualname} has no attribute {name}")

    # ------------------------------------------------------------------------- deprecation

    def deprecation_markers(self, found: Resolved) -> list[str]:
        """Static deprecation markers on a resolved definition (not its body's calls)."""
        problems = list(found.problems)
        node = found.node
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            called = _call_name(node.value) if isinstance(node.value, ast.Call) else None
            if called in _DEPRECATED_CONSTANT_TYPES | _DEPRECATED_MEMBER_TYPES:
                problems.append(f"{found.qualname} is deprecated ({called})")
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for decorator in node.decorator_list:
                if _call_name(decorator) in _DEPRECATION_DECORATORS:
                    problems.append(f"{found.qualname} is deprecated (@{_call_name(decorator)})")
            docstring = ast.get_docstring(node) or ""
            says = next((m for p in _DOCSTRING_DEPRECATED if (m := p.search(docstring))), None)
            if says and found.module != _DEPRECATION_TOOLS:
                line_start = docstring.rfind("\n", 0, says.start()) + 1
                line_end = docstring.find("\n", says.end())
                quote = docstring[line_start : line_end if line_end >= 0 else None].strip()
                problems.append(f"{found.qualname}: its docstring says deprecated: {quote!r}")
        return problems

    def enum_member_deprecation(self, cls: Resolved, name: str) -> str | None:
        """A member deprecated through ``metaclass=EnumWithDeprecatedMembers, deprecated=``."""
        for current in self.mro(cls)[0]:
            node = current.node
            if not isinstance(node, ast.ClassDef):
                continue
            for keyword in node.keywords:
                if keyword.arg == "deprecated" and name in (
                    _string_collection(keyword.value) or []
                ):
                    return f"{current.qualname}.{name} is a deprecated enum member"
        return None

    def report_calls(self, function: ast.AST) -> list[tuple[ast.Call, list[ast.expr]]]:
        """Usage-report calls in a function's own body, with the ``if`` tests around each."""
        found: list[tuple[ast.Call, list[ast.expr]]] = []
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            return found

        def visit(node: ast.AST, tests: list[ast.expr]) -> None:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
                return  # a nested definition does not run when the function runs
            if isinstance(node, ast.Call) and _is_report_call(node):
                found.append((node, tests))
            if isinstance(node, ast.If | ast.While):
                visit(node.test, tests)
                for child in node.body:
                    visit(child, [*tests, node.test])
                negated = ast.UnaryOp(ast.Not(), node.test)
                for child in node.orelse:
                    visit(child, [*tests, negated])
                return
            if isinstance(node, ast.IfExp):
                visit(node.test, tests)
                visit(node.body, [*tests, node.test])
                visit(node.orelse, [*tests, ast.UnaryOp(ast.Not(), node.test)])
                return
            for child in ast.iter_child_nodes(node):
                visit(child, tests)

        for statement in function.body:
            visit(statement, [])
        return found


def _is_report_call(call: ast.Call) -> bool:
    """A call that reports a deprecated (or soon to break) usage at run time."""
    name = _call_name(call)
    if name in _REPORT_FUNCTIONS:
        # `report` alone is too common a word; accept it only as frame.report(...)
        return name != "report" or (
            isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id == "frame"
        )
    if name == "warn":
        categories = [*call.args[1:2], *(k.value for k in call.keywords if k.arg == "category")]
        return any(_call_name(c) in _WARNING_CATEGORIES for c in categories)
    return False


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """Parameter names, in positional order then keyword-only."""
    arguments = function.args
    return [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]


def _condition_satisfied(
    tests: list[ast.expr], function: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call | None
) -> bool:
    """Whether one of the ``if`` tests around a report is surely false for our call.

    Only parameter tests are evaluated, with the value our call passes (by keyword or
    position) or else the parameter's default: ``p is None``, ``p is not None``,
    ``p is UNDEFINED``, ``p is not UNDEFINED``, ``not p``, ``p`` and ``and``/``or`` of these.
    Anything else (state of an object, a call) is unknown, so the report stays.
    """
    if call is None:
        return False
    values = _argument_values(function, call)
    return any(_evaluate(test, values) is False for test in tests)


_SENTINELS = frozenset({"None", "UNDEFINED"})


def _argument_values(
    function: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call
) -> dict[str, ast.expr]:
    """Each parameter's value for this call: what the call passes, else the default."""
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    values: dict[str, ast.expr] = {}
    defaults = arguments.defaults
    for parameter, default in zip(
        positional[len(positional) - len(defaults) :], defaults, strict=True
    ):
        values[parameter.arg] = default
    for parameter, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        if default is not None:
            values[parameter.arg] = default
    names = [a.arg for a in positional]
    offset = 1 if names and names[0] in {"self", "cls"} else 0
    for position, argument in enumerate(call.args):
        if isinstance(argument, ast.Starred):
            return {}  # cannot tell which parameter gets what
        if position + offset < len(names):
            values[names[position + offset]] = argument
    for keyword in call.keywords:
        if keyword.arg is None:
            return {}  # **kwargs: cannot tell
        values[keyword.arg] = keyword.value
    return values


def _sentinel(value: ast.expr) -> str | None:
    """``None`` or ``UNDEFINED`` when the value is that literal sentinel, else ``None``."""
    if isinstance(value, ast.Constant) and value.value is None:
        return "None"
    if isinstance(value, ast.Name) and value.id == "UNDEFINED":
        return "UNDEFINED"
    return None


def _evaluate(test: ast.expr, values: dict[str, ast.expr]) -> bool | None:
    """A test's truth for the known parameter values; ``None`` when unknown."""
    if isinstance(test, ast.BoolOp):
        results = [_evaluate(v, values) for v in test.values]
        if isinstance(test.op, ast.And):
            return False if False in results else True if all(r is True for r in results) else None
        return True if True in results else False if all(r is False for r in results) else None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _evaluate(test.operand, values)
        return None if inner is None else not inner
    if isinstance(test, ast.Name) and test.id in values:
        value = values[test.id]
        if isinstance(value, ast.Constant):
            return bool(value.value)
        return None
    if (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id in values
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Is | ast.IsNot)
    ):
        expected = _sentinel(test.comparators[0])
        if expected is None:
            return None
        value = values[test.left.id]
        actual = _sentinel(value)
        if actual is None and not isinstance(
            value, ast.Name | ast.Attribute | ast.Call | ast.Constant
        ):
            return None
        same = actual == expected
        return same if isinstance(test.ops[0], ast.Is) else not same
    return None


# --------------------------------------------------------------------------------------------
# The integration's side


@dataclass(frozen=True, slots=True)
class Finding:
    """One result: ``error`` fails the test, ``accepted`` is informational (a version
    fallback doing its job)."""

    path: str
    line: int
    subject: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.severity}] {self.subject}: {self.message}"


@dataclass(slots=True)
class _Import:
    """One imported name of our code, and whether a version fallback guards it."""

    node: ast.ImportFrom | ast.Import
    module: str
    name: str  # "" for a whole module
    bound: str
    aliased: bool  # `import a.b as c` binds the module a.b; `import a.b` binds a
    guard: ast.Try | None  # the try whose ImportError handler backs it up
    in_handler: ast.Try | None  # set when the import is the fallback itself


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    """``except ImportError`` / ``except (ImportError, ...)`` / ``ModuleNotFoundError``."""
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(_call_name(kind) in _IMPORT_ERRORS for kind in kinds if kind is not None)


def _collect_imports(tree: ast.Module, module: str, is_package: bool) -> list[_Import]:
    """Every import statement of a file, with its fallback guard (if any)."""
    imports: list[_Import] = []

    def visit(node: ast.AST, guard: ast.Try | None, in_handler: ast.Try | None) -> None:
        if isinstance(node, ast.Try | ast.TryStar):
            guarded = any(_catches_import_error(h) for h in node.handlers)
            for child in node.body:
                visit(child, node if guarded else guard, in_handler)
            for handler in node.handlers:
                for child in handler.body:
                    visit(
                        child,
                        guard,
                        node if guarded and _catches_import_error(handler) else in_handler,
                    )
            for child in [*node.orelse, *node.finalbody]:
                visit(child, guard, in_handler)
            return
        if isinstance(node, ast.ImportFrom):
            source = absolute_module(module, is_package, node.level, node.module)
            for alias in node.names:
                imports.append(
                    _Import(
                        node,
                        source,
                        alias.name,
                        alias.asname or alias.name,
                        True,
                        guard,
                        in_handler,
                    )
                )
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.partition(".")[0]
                imports.append(
                    _Import(node, alias.name, "", bound, bool(alias.asname), guard, in_handler)
                )
            return
        for child in ast.iter_child_nodes(node):
            visit(child, guard, in_handler)

    visit(tree, None, None)
    return imports


class Checker:
    """Check one integration package against a Home Assistant source tree."""

    def __init__(
        self,
        ha: SourceTree,
        integration: SourceTree,
        package: str = INTEGRATION_PACKAGE,
        excluded: tuple[str, ...] = (PROTOCOL_PACKAGE,),
    ) -> None:
        self.index = Index(SourceTree.merged(ha, integration))
        self.integration = integration
        self.package = package
        self.excluded = excluded
        self.findings: list[Finding] = []
        self._seen: set[tuple[str, int, str, str]] = set()

    def _add(
        self, path: str, node: ast.AST, subject: str, message: str, severity: str = "error"
    ) -> None:
        line = getattr(node, "lineno", 0)
        key = (path, line, subject, message)
        if key not in self._seen:
            self._seen.add(key)
            self.findings.append(Finding(path, line, subject, message, severity))

    def modules(self) -> list[tuple[str, str]]:
        """Our modules to check: ``(module, path)``, the excluded subpackages left out."""
        prefix = self.package.replace(".", "/") + "/"
        result = []
        for path in sorted(self.integration.names):
            if not path.startswith(prefix) or not path.endswith(".py"):
                continue
            module = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
            if any(module == ex or module.startswith(ex + ".") for ex in self.excluded):
                continue
            result.append((module, path))
        return result

    def check_excluded_isolated(self, forbidden: str = "homeassistant") -> list[Finding]:
        """The excluded subpackages (the protocol layer) must import neither Home Assistant
        nor the glue around them; that is what makes skipping them sound."""
        findings = []
        prefix = self.package.replace(".", "/") + "/"
        for path in sorted(self.integration.names):
            module = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
            owner = next(
                (ex for ex in self.excluded if module == ex or module.startswith(ex + ".")), None
            )
            if owner is None or not path.startswith(prefix):
                continue
            tree = parse_source(self.integration.read(path), path)
            for item in _collect_imports(tree, module, path.endswith("__init__.py")):
                target = item.module
                if target == forbidden or target.startswith(forbidden + "."):
                    findings.append(
                        Finding(
                            path, item.node.lineno, target, f"{owner} must not import {forbidden}"
                        )
                    )
                elif target.startswith(self.package) and not (
                    target == owner or target.startswith(owner + ".")
                ):
                    findings.append(
                        Finding(path, item.node.lineno, target, f"{owner} must not import the glue")
                    )
        return findings

    def run(self, ha_prefix: str = "homeassistant") -> list[Finding]:
        """Check every module; return all findings (errors and accepted fallbacks)."""
        for module, path in self.modules():
            FileCheck(self, module, path, ha_prefix).run()
        for error in self.index.parse_errors:
            self.findings.append(Finding("<wheel>", 0, "parse", error))
        return self.findings


class FileCheck:
    """The checks of one of our files."""

    def __init__(self, checker: Checker, module: str, path: str, ha_prefix: str) -> None:
        self.checker = checker
        self.index = checker.index
        self.module = module
        self.path = path
        self.ha_prefix = ha_prefix
        self.is_package = path.endswith("__init__.py")
        self.tree = parse_source(checker.integration.read(path), path)
        self.aliases: dict[str, Resolved] = {}  # bound name -> what it is, for HA names

    def is_ha(self, module: str) -> bool:
        """Whether ``module`` is Home Assistant's (what this check is about)."""
        return module == self.ha_prefix or module.startswith(self.ha_prefix + ".")

    def add(self, node: ast.AST, subject: str, message: str, severity: str = "error") -> None:
        """Record a finding in this file."""
        self.checker._add(self.path, node, subject, message, severity)

    def run(self) -> None:
        """Imports first (they bind the aliases), then uses, classes and calls."""
        self.check_imports()
        self.check_attributes()
        self.check_classes()
        self.check_calls()

    # ---------------------------------------------------------------------------- imports

    def check_imports(self) -> None:
        """Modules and names imported from Home Assistant exist and are not deprecated."""
        imports = _collect_imports(self.tree, self.module, self.is_package)
        results: dict[int, Resolved | Missing] = {}
        for number, item in enumerate(imports):
            if not self.is_ha(item.module):
                continue
            if item.name:
                results[number] = self.index.resolve(item.module, item.name)
            elif self.index.module_file(item.module) is not None:
                results[number] = Resolved("module", item.module, "")
            else:
                results[number] = Missing(f"module {item.module} does not exist")
        failed_guards = {
            id(imports[n].guard)
            for n, result in results.items()
            if isinstance(result, Missing) and imports[n].guard is not None
        }
        for number, result in results.items():
            item = imports[number]
            subject = f"{item.module}.{item.name}" if item.name else item.module
            if item.in_handler is not None and id(item.in_handler) not in failed_guards:
                continue  # the fallback does not run on this version
            if isinstance(result, Missing):
                if item.guard is not None:
                    self.add(
                        item.node,
                        subject,
                        f"missing ({result.reason}), accepted: an ImportError fallback backs it",
                        "accepted",
                    )
                else:
                    self.add(item.node, subject, result.reason)
                continue
            for problem in self.index.deprecation_markers(result):
                self.add(item.node, subject, problem)
            if result.kind == "module":
                self.check_module_level_reports(item.node, subject, result.module)
            if item.aliased:
                self.aliases[item.bound] = result
            else:  # `import homeassistant.x.y` binds `homeassistant`
                self.aliases[item.bound] = Resolved("module", item.bound, "")

    def check_module_level_reports(self, node: ast.AST, subject: str, module: str) -> None:
        """A module that warns when imported is deprecated as a whole."""
        scope = self.index.scope(module)
        if scope is None:
            return
        for statement in scope.tree.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            for call in ast.walk(statement):
                if isinstance(call, ast.Call) and _is_report_call(call):
                    self.add(
                        node, subject, f"importing {module} reports: {ast.unparse(call)[:160]}"
                    )

    # ------------------------------------------------------------------------- attributes

    def resolve_use(self, node: ast.expr) -> Resolved | Missing | None:
        """What a name chain in our code refers to, when it is rooted in an HA import."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            owner = self.resolve_use(node.value)
            if not isinstance(owner, Resolved):
                return None  # a missing root is reported at its import
            return self.index.attribute(owner, node.attr)
        if isinstance(node, ast.Subscript):
            return self.resolve_use(node.value)
        return None

    def check_attributes(self) -> None:
        """``alias.attr`` chains: the attribute exists and is not deprecated."""
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Attribute):
                continue
            owner = self.resolve_use(node.value)
            if not isinstance(owner, Resolved) or owner.kind not in {"module", "class"}:
                continue
            if owner.kind == "module" and not self.is_ha(owner.module):
                continue
            subject = ast.unparse(node)
            found = self.index.attribute(owner, node.attr)
            if isinstance(found, Missing):
                self.add(node, subject, found.reason)
            elif isinstance(found, Resolved):
                for problem in self.index.deprecation_markers(found):
                    self.add(node, subject, problem)
                if owner.kind == "class" and (
                    reason := self.index.enum_member_deprecation(owner, node.attr)
                ):
                    self.add(node, subject, reason)

    # ---------------------------------------------------------------------------- classes

    def check_classes(self) -> None:
        """Our classes that derive from Home Assistant classes.

        Checked: ``__init_subclass__`` reports of the HA ancestors (they run when our class is
        created), overriding a deprecated member, and ``self.x`` / ``super().x`` uses that no
        class in the hierarchy defines.
        """
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.ClassDef):
                continue
            ours = self.index.resolve(self.module, node.name)
            if not isinstance(ours, Resolved) or ours.kind != "class":
                continue
            order, _ = self.index.mro(ours)
            ha_classes = [c for c in order[1:] if self.is_ha(c.module)]
            if not ha_classes:
                continue
            for ancestor in ha_classes:
                members = self.index.class_members(ancestor)
                hook = members.get("__init_subclass__")
                if isinstance(hook, ast.FunctionDef | ast.AsyncFunctionDef):
                    owner = Resolved(
                        "def", ancestor.module, f"{ancestor.name}.__init_subclass__", hook
                    )
                    self.check_reports(node, f"class {node.name}", owner, hook, None)
            # Home Assistant instantiates our class; without an __init__ of ours, the first
            # inherited one runs with arguments we do not see (conditions stay unknown).
            for current in order:
                init = self.index.class_members(current).get("__init__")
                if isinstance(init, ast.FunctionDef | ast.AsyncFunctionDef):
                    if self.is_ha(current.module):
                        owner = Resolved("def", current.module, f"{current.name}.__init__", init)
                        self.check_reports(node, f"class {node.name}", owner, init, None)
                    break
            for name, member_node in self.index.class_members(ours).items():
                inherited = self.index.member(ours, name, skip_self=True)
                if isinstance(inherited, Member) and self.is_ha(inherited.owner.module):
                    problem = self.member_deprecation(inherited)
                    if problem:
                        self.add(
                            member_node or node, f"{node.name}.{name}", f"overrides: {problem}"
                        )
            for use in ast.walk(node):
                if not isinstance(use, ast.Attribute) or not isinstance(use.ctx, ast.Load):
                    continue
                is_self = isinstance(use.value, ast.Name) and use.value.id == "self"
                is_super = (
                    isinstance(use.value, ast.Call)
                    and isinstance(use.value.func, ast.Name)
                    and use.value.func.id == "super"
                )
                if not (is_self or is_super):
                    continue
                found = self.index.member(ours, use.attr, skip_self=is_super)
                subject = f"{node.name}: {ast.unparse(use)}"
                if isinstance(found, Missing):
                    self.add(use, subject, found.reason)
                elif isinstance(found, Member) and self.is_ha(found.owner.module):
                    problem = self.member_deprecation(found)
                    if problem:
                        self.add(use, subject, problem)

    def member_deprecation(self, member: Member) -> str | None:
        """Why an HA class member is deprecated, if it is."""
        resolved = Resolved(
            "def" if isinstance(member.node, ast.FunctionDef | ast.AsyncFunctionDef) else "assign",
            member.owner.module,
            f"{member.owner.name}.{member.name}",
            member.node,
        )
        problems = self.index.deprecation_markers(resolved)
        enum_problem = self.index.enum_member_deprecation(member.owner, member.name)
        return "; ".join([*problems, enum_problem] if enum_problem else problems) or None

    # ------------------------------------------------------------------------------ calls

    def callee(
        self, call: ast.Call, classes: dict[int, ast.ClassDef]
    ) -> tuple[Resolved, ast.AST] | None:
        """The HA function our call runs directly, and the function node (or class node)."""
        function = call.func
        target: Resolved | Missing | None
        if (
            isinstance(function, ast.Attribute)
            and isinstance(function.value, ast.Call)
            and isinstance(function.value.func, ast.Name)
            and function.value.func.id == "super"
        ) or (
            isinstance(function, ast.Attribute)
            and isinstance(function.value, ast.Name)
            and function.value.id == "self"
        ):
            owner_node = classes.get(id(call))
            if owner_node is None:
                return None
            ours = self.index.resolve(self.module, owner_node.name)
            if not isinstance(ours, Resolved):
                return None
            is_super = isinstance(function.value, ast.Call)
            member = self.index.member(ours, function.attr, skip_self=is_super)
            if not isinstance(member, Member) or not self.is_ha(member.owner.module):
                return None
            target = Resolved(
                "def", member.owner.module, f"{member.owner.name}.{function.attr}", member.node
            )
        else:
            target = self.resolve_use(function)
        if not isinstance(target, Resolved) or not self.is_ha(target.module):
            return None
        if target.kind == "class":
            return target, target.node  # type: ignore[return-value]
        if isinstance(target.node, ast.FunctionDef | ast.AsyncFunctionDef):
            return target, target.node
        return None

    def check_calls(self) -> None:
        """Calls into Home Assistant: keywords accepted and not deprecated, no usage reports."""
        classes: dict[int, ast.ClassDef] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ClassDef):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Call):
                        classes[id(sub)] = node
        imported_modules = {r.module for r in self.aliases.values()}
        for call in ast.walk(self.tree):
            if not isinstance(call, ast.Call):
                continue
            found = self.callee(call, classes)
            keywords = [k for k in call.keywords if k.arg]
            if found is None:
                # An unresolvable call (a method of a registry we got from a function): its
                # keywords are still checked against the deprecated parameter names of the HA
                # modules this file imports.
                for keyword in keywords:
                    for module in sorted(m for m in imported_modules if self.is_ha(m)):
                        scope = self.index.scope(module)
                        if scope and keyword.arg in scope.deprecated_keys:
                            self.add(
                                keyword.value,
                                f"{ast.unparse(call.func)}({keyword.arg}=...)",
                                f"deprecated parameter: {scope.deprecated_keys[keyword.arg]}",
                            )
                continue
            target, node = found
            subject = f"{ast.unparse(call.func)}(...)"
            if isinstance(node, ast.ClassDef):
                self.check_class_call(call, target, subject)
                continue
            assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            self.check_keywords(call, subject, target.module, node)
            self.check_reports(call, subject, target, node, call)

    def check_class_call(self, call: ast.Call, cls: Resolved, subject: str) -> None:
        """Instantiating an HA class: its fields (dataclass) or its ``__init__``."""
        order, complete = self.index.mro(cls)
        for current in order:
            node = current.node
            assert isinstance(node, ast.ClassDef)
            if _is_field_class(node):
                fields: set[str] = set()
                for ancestor in order:
                    ancestor_node = ancestor.node
                    if isinstance(ancestor_node, ast.ClassDef):
                        fields |= _class_fields(ancestor_node)
                scope = self.index.scope(current.module)
                for keyword in (k for k in call.keywords if k.arg):
                    if complete and keyword.arg not in fields:
                        self.add(
                            keyword.value,
                            f"{subject} {keyword.arg}=",
                            f"{current.qualname} has no field {keyword.arg}",
                        )
                    if scope and keyword.arg in scope.deprecated_keys:
                        self.add(
                            keyword.value,
                            f"{subject} {keyword.arg}=",
                            f"deprecated field: {scope.deprecated_keys[keyword.arg]}",
                        )
                return
            members = self.index.class_members(current)
            for method in _CONSTRUCTION_METHODS:
                function = members.get(method)
                if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    owner = Resolved("def", current.module, f"{current.name}.{method}", function)
                    self.check_keywords(call, subject, current.module, function)
                    self.check_reports(call, subject, owner, function, call)
                    return

    def check_keywords(
        self,
        call: ast.Call,
        subject: str,
        module: str,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
    ) -> None:
        """Each keyword is a parameter (unless ``**kwargs``), none listed as deprecated."""
        parameters = set(_parameters(function)) - {a.arg for a in function.args.posonlyargs}
        scope = self.index.scope(module)
        docstring = ast.get_docstring(function) or ""
        deprecated_in_docstring = set(_DOCSTRING_PARAMETER_DEPRECATED.findall(docstring))
        for keyword in (k for k in call.keywords if k.arg):
            if keyword.arg in deprecated_in_docstring:
                self.add(
                    keyword.value,
                    f"{subject} {keyword.arg}=",
                    f"{function.name}()'s docstring says the {keyword.arg} parameter is deprecated",
                )
            if function.args.kwarg is None and keyword.arg not in parameters:
                self.add(
                    keyword.value,
                    f"{subject} {keyword.arg}=",
                    f"{function.name}() takes no parameter {keyword.arg}",
                )
            if scope and keyword.arg in scope.deprecated_keys:
                self.add(
                    keyword.value,
                    f"{subject} {keyword.arg}=",
                    f"deprecated parameter: {scope.deprecated_keys[keyword.arg]}",
                )

    def check_reports(
        self,
        node: ast.AST,
        subject: str,
        target: Resolved,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        call: ast.Call | None,
    ) -> None:
        """Report calls in the body of a function our code runs directly."""
        for report, tests in self.index.report_calls(function):
            if _condition_satisfied(tests, function, call):
                continue
            message = _report_message(report)
            where = f"{target.module}.{target.name}" if target.name else target.module
            if tests:
                condition = " and ".join(f"({ast.unparse(t)})" for t in tests)
                self.add(node, subject, f"{where} reports {message} when {condition}")
            else:
                self.add(node, subject, f"{where} always reports {message}")


def _report_message(call: ast.Call) -> str:
    """A short description of a usage report: its message and breaking version."""
    message = ast.unparse(call.args[0]) if call.args else ast.unparse(call)
    breaks = next(
        (ast.unparse(k.value) for k in call.keywords if k.arg == "breaks_in_ha_version"), None
    )
    text = message[:140]
    return f"{text} (breaks in {breaks})" if breaks else text


def _is_field_class(node: ast.ClassDef) -> bool:
    """A dataclass, NamedTuple or TypedDict: keywords are its annotated fields.

    Home Assistant's entity descriptions are dataclasses made by a metaclass
    (``class SensorEntityDescription(EntityDescription, frozen_or_thawed=True)``).
    """
    decorators = {_call_name(d) for d in node.decorator_list}
    bases = {_call_name(b) for b in node.bases}
    keywords = {k.arg for k in node.keywords}
    return (
        "dataclass" in decorators
        or bool(bases & {"NamedTuple", "TypedDict"})
        or "frozen_or_thawed" in keywords
    )


def _class_fields(node: ast.ClassDef) -> set[str]:
    """Annotated class-level names (``if`` blocks included), except ``ClassVar``/``KW_ONLY``."""
    fields: set[str] = set()
    for statement in runtime_statements(node.body):
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            annotation = ast.unparse(statement.annotation)
            if "ClassVar" in annotation or annotation.endswith("KW_ONLY"):
                continue
            fields.add(statement.target.id)
    # `if not TYPE_CHECKING:` blocks define run-time fields too (runtime_statements keeps them)
    return fields


# --------------------------------------------------------------------------------------------
# Manifest and requirements


def _normalise(name: str) -> str:
    """PEP 503 project name normalisation."""
    return re.sub(r"[-_.]+", "-", name).lower()


_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*([^\s;,]+)")


def pinned_versions(lines: Iterable[str]) -> dict[str, str]:
    """``name==version`` pins of requirement lines (comments and other specifiers ignored)."""
    pins: dict[str, str] = {}
    for raw in lines:
        line = raw.removeprefix("Requires-Dist:").split("#", 1)[0]
        if match := _REQUIREMENT.match(line):
            pins[_normalise(match[1])] = match[2]
    return pins


def wheel_pins(tree: SourceTree) -> dict[str, str]:
    """What the wheel pins: ``package_constraints.txt`` plus its METADATA ``Requires-Dist``."""
    pins: dict[str, str] = {}
    constraints = "homeassistant/package_constraints.txt"
    if tree.has(constraints):
        pins |= pinned_versions(tree.read(constraints).splitlines())
    for name in sorted(tree.names):
        if name.endswith(".dist-info/METADATA"):
            metadata = tree.read(name).splitlines()
            pins |= pinned_versions(line for line in metadata if line.startswith("Requires-Dist:"))
    return pins


def check_manifest(
    manifest_text: str, pins: Mapping[str, str], required: Iterable[str] = ("serialx",)
) -> list[str]:
    """The manifest's requirements agree with what Home Assistant pins.

    Each of ``required`` must be listed with a lower bound (``>=``) and no exact pin: Home
    Assistant installs a custom integration's requirements under its own constraints, so an
    exact pin breaks the install the day core bumps that package. Every requirement that Home
    Assistant pins must admit that pin. voluptuous must not be listed (2026.11 replaced it with
    probatio, which stands in for ``import voluptuous``; installing the real one would fight
    that alias).
    """
    problems: list[str] = []
    manifest = json.loads(manifest_text)
    specifiers: dict[str, SpecifierSet] = {}
    for text in manifest.get("requirements", []):
        requirement = Requirement(text)
        specifiers[_normalise(requirement.name)] = requirement.specifier
    if "voluptuous" in specifiers:
        problems.append(
            "manifest.json lists voluptuous: Home Assistant 2026.11 provides it via probatio"
        )
    for name in required:
        key = _normalise(name)
        operators = {spec.operator for spec in specifiers.get(key, SpecifierSet())}
        if key not in specifiers or ">=" not in operators:
            problems.append(f"manifest.json gives {name} no lower bound (>=)")
        if operators & {"==", "==="}:
            problems.append(
                f"manifest.json pins {name} exactly: the install fails once Home Assistant moves on"
            )
    for key, specifier in sorted(specifiers.items()):
        if key in pins and not specifier.contains(pins[key], prereleases=True):
            problems.append(
                f"manifest.json wants {key}{specifier}, Home Assistant pins {key}=={pins[key]}"
            )
    for name in required:
        if _normalise(name) not in pins:
            problems.append(f"Home Assistant does not pin {name} any more: review the manifest")
    return problems


# --------------------------------------------------------------------------------------------
# Third-party modules

_IMPORT_TO_DISTRIBUTION = {
    "serial": "pyserial",
    "yaml": "pyyaml",
    "jwt": "pyjwt",
    "PIL": "pillow",
    "OpenSSL": "pyopenssl",
    "slugify": "python-slugify",
}
"""Import names whose distribution is named differently (the rest: the same name)."""


def wheel_requirements(tree: SourceTree) -> set[str]:
    """The distributions Home Assistant depends on (METADATA ``Requires-Dist``), normalised."""
    names: set[str] = set()
    for name in sorted(tree.names):
        if name.endswith(".dist-info/METADATA"):
            for line in tree.read(name).splitlines():
                if line.startswith("Requires-Dist:") and "extra ==" not in line:
                    requirement = line.removeprefix("Requires-Dist:").strip()
                    names.add(_normalise(re.split(r"[\s\[=<>!~;]", requirement, maxsplit=1)[0]))
    return names


def wheel_module_aliases(tree: SourceTree) -> set[str]:
    """Modules Home Assistant's package ``__init__`` stands in for, as ``install_as_X()`` or
    ``alias_X()`` calls there say (2026.11: probatio as ``voluptuous``, httpx2 as ``httpx``)."""
    init = "homeassistant/__init__.py"
    if not tree.has(init):
        return set()
    aliases = set()
    for node in ast.walk(parse_source(tree.read(init), init)):
        name = _call_name(node) if isinstance(node, ast.Call) else None
        for prefix in ("install_as_", "alias_"):
            if name and name.startswith(prefix):
                aliases.add(name.removeprefix(prefix))
    return aliases


def third_party_imports(integration: SourceTree, package: str) -> list[tuple[str, str, bool]]:
    """``(top-level module, "path:line", guarded)`` for each absolute import of a module that is
    neither the standard library, Home Assistant, nor our package."""
    found = []
    ours = package.partition(".")[0]
    prefix = package.replace(".", "/") + "/"
    for path in sorted(n for n in integration.names if n.startswith(prefix)):
        module = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        tree = parse_source(integration.read(path), path)
        for item in _collect_imports(tree, module, path.endswith("__init__.py")):
            top = item.module.partition(".")[0]
            if (
                (isinstance(item.node, ast.ImportFrom) and item.node.level)
                or top in sys.stdlib_module_names
                or top in {"homeassistant", ours, "__future__"}
            ):
                continue
            found.append((top, f"{path}:{item.node.lineno}", item.guard is not None))
    return found


def check_third_party(
    imports: Iterable[tuple[str, str, bool]],
    manifest_text: str,
    provided: set[str],
    aliased: set[str],
) -> list[str]:
    """Every outside module our code imports is installed on that Home Assistant: listed in
    the manifest's requirements, a dependency of Home Assistant itself, or a module Home
    Assistant aliases. A guarded import (``except ImportError`` fallback) may be absent."""
    requirements = json.loads(manifest_text).get("requirements", [])
    listed = {_normalise(re.split(r"[\s\[=<>!~;]", r, maxsplit=1)[0]) for r in requirements}
    problems = []
    for module, where, guarded in imports:
        distribution = _normalise(_IMPORT_TO_DISTRIBUTION.get(module, module))
        if guarded or distribution in listed | provided or module in aliased:
            continue
        problems.append(
            f"{where}: imports {module}, which is neither in manifest.json's requirements nor"
            " installed with Home Assistant"
        )
    return problems
