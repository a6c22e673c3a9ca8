"""CQL2 filters (OGC API – Features Part 3) on feature properties, evaluated column-wise.

pygeofilter parses the two encodings (``cql2-text``, ``cql2-json``) into its AST; this module
checks every property against the collection's queryables and evaluates the AST on a table of
those properties with CQL2's three-valued logic: a comparison with a null property is
*unknown*, so ``NOT (population > 1000)`` does not select places whose population is unknown
(pandas' nullable booleans implement exactly that Kleene logic).

Served: comparisons (``= <> < <= > >=``), ``AND OR NOT``, ``LIKE`` (``%`` and ``_``),
``BETWEEN``, ``IN``, ``IS NULL``, ``CASEI``, ``DATE()``/``TIMESTAMP()`` literals and the spatial
predicates (``S_INTERSECTS`` … ``S_EQUALS``) on the geometry with WKT, GeoJSON or BBOX
literals. Temporal (``T_*``), array (``A_*``) and arithmetic operators are a 400 naming
`filter`, as is anything unparsable, an unknown property or a type mismatch.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NoReturn, TypeAlias

import numpy as np
import pandas as pd
import shapely
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedToken,
    VisitError,
)
from numpy.typing import NDArray
from pygeofilter import ast, values
from pygeofilter.backends.evaluator import Evaluator, handle

from frontwatch.errors import InputError, echo

LANGS = ("cql2-text", "cql2-json")
MAX_FILTER_CHARS = 10_000  # a filter is a URL parameter: this bounds parsing and evaluation
TYPES = ("string", "integer", "number", "boolean", "date", "date-time", "geometry")
_SPATIAL = {"INTERSECTS": shapely.intersects, "DISJOINT": shapely.disjoint,
            "CONTAINS": shapely.contains, "WITHIN": shapely.within,
            "TOUCHES": shapely.touches, "CROSSES": shapely.crosses,
            "OVERLAPS": shapely.overlaps, "EQUALS": shapely.equals}
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "=": lambda a, b: a == b, "<>": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
_MIRROR = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
# What a node evaluates to: a nullable boolean Series, a _Col, a literal or a geometry.
Value: TypeAlias = Any
ToCrs84: TypeAlias = Callable[[shapely.Geometry], shapely.Geometry]


@dataclass(frozen=True, slots=True)
class Queryable:
    """One property a filter (and sortby) may name: its JSON Schema type, and for strings
    the values it takes when they are a fixed set."""

    name: str
    type: str
    title: str
    enum: tuple[str, ...] | None = None

    def schema(self) -> dict[str, Any]:
        """The property's JSON Schema, as Part 3's queryables resource lists it.

        Returns
        -------
        dict
            ``title`` and ``type`` (dates as strings with a ``format``), ``enum`` where the
            values are a fixed set; the geometry as ``geometry-any``.

        Examples
        --------
        >>> Queryable("status", "string", "Status", ("occupied", "contested")).schema()
        {'title': 'Status', 'type': 'string', 'enum': ['occupied', 'contested']}
        """
        if self.type == "geometry":
            return {"title": self.title, "format": "geometry-any",
                    "x-ogc-role": "primary-geometry"}
        out: dict[str, Any] = {"title": self.title}
        if self.type in ("date", "date-time"):
            out.update(type="string", format=self.type)
        else:
            out["type"] = self.type
        if self.enum:
            out["enum"] = list(self.enum)
        return out


GEOMETRY = Queryable("geometry", "geometry", "The feature's geometry (lon/lat; filter-crs "
                     "for literals in another CRS)")


def parse(text: str, lang: str | None = None, name: str = "filter") -> ast.Node:
    """The AST of a filter (pygeofilter's).

    Parameters
    ----------
    text : str
        the filter, at most MAX_FILTER_CHARS characters.
    lang : str, optional
        ``cql2-text`` (default) or ``cql2-json`` (CQL2 1.0 JSON, bbox and between as the
        standard writes them).
    name : str
        the parameter named in an error.

    Returns
    -------
    pygeofilter.ast.Node
        a predicate.

    Raises
    ------
    InputError
        an unknown language, too long, not valid in `lang`, or not a predicate; the message
        names `name` and says why.

    Examples
    --------
    >>> parse("status = 'occupied'")
    Equal(lhs=ATTRIBUTE status, rhs='occupied')
    """
    # imported here: the text grammar takes ~1 s to build, paid by the first filter, not
    # by every server start
    from pygeofilter.parsers.cql2_json import parse as parse_json
    from pygeofilter.parsers.cql2_text import parse as parse_text

    _quiet_text_parser()
    lang = language(lang)
    if len(text) > MAX_FILTER_CHARS:
        raise InputError(f"{name}: longer than {MAX_FILTER_CHARS:,} characters")
    try:
        node = (parse_text(text) if lang == "cql2-text"  # type: ignore[no-untyped-call]
                else parse_json(_standard_json(json.loads(text))))
    except (LarkError, ValueError, TypeError, KeyError, IndexError, RecursionError) as exc:
        raise InputError(f"{name}={echo(text)}: not valid {lang}: {_reason(exc)}") from None
    if not isinstance(node, ast.Node):
        raise InputError(f"{name}={echo(text)}: not a {lang} predicate")
    return node


def language(lang: str | None) -> str:
    """The filter language a `filter-lang` names.

    Parameters
    ----------
    lang : str or None
        None: the default, cql2-text.

    Returns
    -------
    str
        one of LANGS.

    Raises
    ------
    InputError
        any other value.

    Examples
    --------
    >>> language(None), language("cql2-json")
    ('cql2-text', 'cql2-json')
    """
    if lang is None:
        return "cql2-text"
    if lang not in LANGS:
        raise InputError(f"filter-lang={echo(lang)}: expected one of {', '.join(LANGS)}")
    return lang


def column(props: Sequence[dict[str, Any]], q: Queryable) -> pd.Series:
    """One property of every row, typed by its queryable.

    Parameters
    ----------
    props : sequence of dict
        the rows' properties; a missing member is null.
    q : Queryable
        not the geometry.

    Returns
    -------
    pandas.Series
        ``datetime64[ns, UTC]`` for dates, else the nullable ``Int64``, ``Float64``,
        ``boolean`` or ``string``.

    Examples
    --------
    >>> column([{"population": 12250}, {}], Queryable("population", "integer", "P")).tolist()
    [12250, <NA>]
    """
    raw = [p.get(q.name) for p in props]
    if q.type in ("date", "date-time"):
        return pd.Series(pd.to_datetime(pd.Series(raw, dtype=object), utc=True,
                                        format="ISO8601"))
    dtype = {"string": "string", "integer": "Int64", "number": "Float64",
             "boolean": "boolean"}[q.type]
    return pd.Series(raw, dtype=dtype)


def mask(node: ast.Node, props: Sequence[dict[str, Any]], geoms: Sequence[Any],
         queryables: Sequence[Queryable], *, to_crs84: ToCrs84 | None = None,
         name: str = "filter") -> NDArray[np.bool_]:
    """Which rows match a filter (CQL2 Kleene logic: a comparison with a null is unknown,
    and unknown does not match).

    Parameters
    ----------
    node : pygeofilter.ast.Node
        from :func:`parse`.
    props : sequence of dict
        the rows' properties.
    geoms : sequence of shapely geometry
        the rows' lon/lat geometries, as long as `props`.
    queryables : sequence of Queryable
        the properties a filter may name.
    to_crs84 : callable, optional
        maps a literal geometry of the filter's CRS (`filter-crs`) to lon/lat.
    name : str
        the parameter named in an error.

    Returns
    -------
    numpy.ndarray of bool
        shape ``(len(props),)``.

    Raises
    ------
    InputError
        an unknown property, a type mismatch, an unsupported operator or function, a
        filter that is not a predicate or nested too deeply.

    Examples
    --------
    >>> q = [Queryable("status", "string", "Status")]
    >>> mask(parse("status = 'occupied'"), [{"status": "occupied"}, {}], [None, None], q)
    array([ True, False])
    """
    table = _Table(props, geoms, {q.name: q for q in queryables}, name)
    try:
        out = _Eval(table, to_crs84 or (lambda g: g), name).evaluate(node)
    except RecursionError:
        raise InputError(f"{name}: nested too deeply") from None
    n = len(props)
    if isinstance(out, _Col):
        if out.q.type != "boolean":
            raise InputError(f"{name}: property {echo(out.q.name)} is not a predicate")
        out = out.values
    if isinstance(out, bool | np.bool_):
        return np.full(n, bool(out))
    if not isinstance(out, pd.Series):
        raise InputError(f"{name}: not a predicate")
    return out.fillna(False).to_numpy(dtype=bool)


def properties(node: ast.Node) -> set[str]:
    """The property names a filter refers to (for the cheap pre-checks of a caller).

    Parameters
    ----------
    node : pygeofilter.ast.Node

    Returns
    -------
    set of str

    Raises
    ------
    InputError
        a property named by something other than a string.

    Examples
    --------
    >>> sorted(properties(parse("status = 'occupied' AND population > 1000")))
    ['population', 'status']
    """
    found: set[str] = set()
    todo: list[Any] = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, ast.Attribute):
            if not isinstance(n.name, str):
                raise InputError(f"filter: a property is named by a string, not "
                                 f"{_literal(n.name)}")
            found.add(n.name)
        elif hasattr(n, "get_sub_nodes"):
            subs = n.get_sub_nodes()
            todo.extend(subs if isinstance(subs, list) else [subs])
    return found


def _standard_json(doc: Any) -> Any:
    """CQL2 1.0 JSON as pygeofilter 0.4 reads it: a `{"bbox": [minx, miny, maxx, maxy]}`
    literal becomes the same GeoJSON polygon (pygeofilter reads the array as x1, x2, y1, y2)
    and `between`'s three args become the draft's [value, [low, high]]."""
    if isinstance(doc, list):
        return [_standard_json(d) for d in doc]
    if not isinstance(doc, dict):
        return doc
    if doc.get("op") == "between" and isinstance(doc.get("args"), list) \
            and len(doc["args"]) == 3:
        a, lo, hi = (_standard_json(v) for v in doc["args"])
        return {**doc, "args": [a, [lo, hi]]}
    if set(doc) == {"bbox"} and isinstance(doc["bbox"], list):
        box = doc["bbox"]
        if len(box) == 6:
            box = [box[0], box[1], box[3], box[4]]
        if len(box) != 4 or not all(isinstance(v, int | float) for v in box):
            raise ValueError("a bbox is 4 (or 6) numbers")
        return shapely.geometry.mapping(shapely.box(*box))
    return {k: _standard_json(v) for k, v in doc.items()}


def like_matcher(pattern: str, nocase: bool = False) -> Callable[[str], bool]:
    """CQL2 LIKE: `%` any run, `_` any one character, backslash escapes the next one.

    Matched without backtracking, so no pattern can cost more than a few passes over the
    text (a regular expression such as ``.*.*.*…!`` takes exponential time on a miss): the
    pattern is cut at its `%` into fixed-length pieces, the first anchored at the start, the
    last at the end, each other found leftmost after the one before. (pygeofilter's own
    conversion takes '.' for the single character and mishandles backslash escapes.)

    Parameters
    ----------
    pattern : str
        the LIKE pattern.
    nocase : bool
        match case-insensitively (CASEI).

    Returns
    -------
    callable
        ``match(text) -> bool``, for the whole text.

    Examples
    --------
    >>> like = like_matcher("Kram%sk")
    >>> like("Kramatorsk"), like("Kramatorske")
    (True, False)
    >>> like_matcher("%%%%%%%%%%%%%%%%%%%%!")("a" * 10_000)
    False
    """
    pieces: list[list[str]] = [[]]
    chars = iter(pattern)
    for ch in chars:
        if ch == "%":
            pieces.append([])
        elif ch == "\\":
            pieces[-1].append(re.escape(next(chars, "\\")))
        else:
            pieces[-1].append("." if ch == "_" else re.escape(ch))
    flags = re.DOTALL | (re.IGNORECASE if nocase else 0)
    compiled = [(re.compile("".join(p), flags), len(p)) for p in pieces]
    if len(compiled) == 1:
        return lambda text: compiled[0][0].fullmatch(text) is not None
    (head, head_len), *middle, (tail, tail_len) = compiled

    def match(text: str) -> bool:
        if head.match(text) is None:
            return False
        pos = head_len
        for piece, size in middle:
            if size:
                found = piece.search(text, pos)
                if found is None:
                    return False
                pos = found.end()
        at = len(text) - tail_len
        return at >= pos and tail.fullmatch(text, at) is not None

    return match


def _quiet_text_parser() -> None:
    """pygeofilter builds its cql2-text parser with lark's `debug`, which prints the whole
    parser state (~10 KB) to stdout on every syntax error: a flood any client could cause."""
    from pygeofilter.parsers.cql2_text import parser as text_parser

    lalr = getattr(getattr(getattr(text_parser.parser, "parser", None), "parser", None),
                   "parser", None)
    if lalr is not None and getattr(lalr, "debug", False):
        lalr.debug = False


def _reason(exc: BaseException) -> str:
    """Why a filter does not parse, in its writer's terms: what was found where (character
    N), never the parser's internals (lark's token names such as ``__ANON_5``, its list of
    expected terminals, a Python error about operand types).

    >>> _reason(TypeError("bad operand type for unary -: 'str'"))
    'a minus sign (-) can only precede a number'
    """
    if isinstance(exc, VisitError):
        return _reason(exc.orig_exc)
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken)
                                          and exc.token.type == "$END"):
        return "the filter ends too early: an operand or a closing parenthesis is missing"
    if isinstance(exc, UnexpectedToken):
        return f"unexpected {echo(str(exc.token), 40)} {_where(exc.line, exc.column)}"
    if isinstance(exc, UnexpectedCharacters):
        return f"unexpected character {echo(exc.char)} {_where(exc.line, exc.column)}"
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON ({exc.msg} at character {exc.pos + 1})"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, KeyError):
        missing = exc.args[0] if exc.args else ""
        return f"a member or operator is missing or unknown: {echo(missing)}"
    text = str(exc)
    if "unary -" in text:
        return "a minus sign (-) can only precede a number"
    if "digits" in text and "int" in text:  # Python's limit on converting long integers
        return "a number with too many digits"
    if "Unable to parse expression node" in text:
        return 'an object that is no CQL2 JSON expression (an unknown "op", or no "property"'\
            ' or literal)'
    if "positional argument" in text:
        return "an operator with the wrong number of operands"
    return "not a valid expression (see the CQL2 grammar at /conformance)"


def _where(line: int, column: int) -> str:
    return f"at character {column}" if line <= 1 else f"at line {line}, character {column}"


def _literal(value: Any) -> str:
    """A filter's literal as CQL2 writes it, for a message (strings cut by `echo`).

    >>> from datetime import datetime, timezone
    >>> _literal(datetime(2020, 1, 1, tzinfo=timezone.utc)), _literal("x" * 3), _literal(True)
    ("TIMESTAMP('2020-01-01T00:00:00Z')", "'xxx'", 'TRUE')
    """
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        utc = value.astimezone(UTC) if value.tzinfo else value
        return f"TIMESTAMP('{utc:%Y-%m-%dT%H:%M:%SZ}')"
    if isinstance(value, date):
        return f"DATE('{value.isoformat()}')"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        digits = str(value)  # at most 4,300 digits: Python refuses longer literals
        return digits if len(digits) <= 20 else echo(digits)
    if isinstance(value, str):
        return echo(value)
    if isinstance(value, _Col):
        return f"the property {echo(value.q.name)}"
    if isinstance(value, shapely.Geometry):
        kind: str = getattr(value, "geom_type", "geometry")
        return f"a {kind} literal"
    return f"a {_literal_type(value)} value"


@dataclass(slots=True)
class _Col:
    """A property column during evaluation (values typed by its queryable)."""

    q: Queryable
    values: Any  # pd.Series, or an object ndarray of shapely geometries for the geometry


class _Table:
    def __init__(self, props: Sequence[dict[str, Any]], geoms: Sequence[Any],
                 queryables: dict[str, Queryable], name: str):
        self.props, self.geoms, self.queryables, self.name = props, geoms, queryables, name
        self._cols: dict[str, _Col] = {}

    def column(self, prop: str) -> _Col:
        if not isinstance(prop, str):
            raise InputError(f"{self.name}: a property is named by a string, not "
                             f"{_literal(prop)}")
        q = self.queryables.get(prop)
        if q is None:
            raise InputError(f"{self.name}: unknown property {echo(prop)}; queryables are "
                             f"{', '.join(sorted(self.queryables))}")
        if prop not in self._cols:
            self._cols[prop] = _Col(q, self._typed(q))
        return self._cols[prop]

    def _typed(self, q: Queryable) -> pd.Series | NDArray[np.object_]:
        if q.type == "geometry":
            return np.asarray(self.geoms, dtype=object)
        return column(self.props, q)


def _literal_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, date | datetime):
        return "date-time"
    return type(value).__name__


def _compatible(q: Queryable, value: Any) -> Any:
    """The literal as the column's type (dates as UTC timestamps), or a 400."""
    kind = _literal_type(value)
    want = {"integer": "number", "date": "date-time"}.get(q.type, q.type)
    if kind != want:
        raise TypeError(f"property {q.name!r} is {q.type}, compared with {_literal(value)}")
    if want == "date-time":
        ts = pd.Timestamp(value)
        return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return value


class _Eval(Evaluator):
    """Evaluates to pandas nullable booleans (Kleene logic), _Col or plain literals."""

    def __init__(self, table: _Table, to_crs84: ToCrs84, name: str):
        self.table, self.to_crs84, self.name = table, to_crs84, name

    def adopt(self, node: ast.AstType, *sub_args: Value) -> NoReturn:
        what = getattr(node, "op", None)
        label = getattr(what, "value", None) or type(node).__name__
        raise InputError(f"{self.name}: the operator {label} is not supported here "
                         "(see /conformance)")

    def _fail(self, why: str) -> NoReturn:
        raise InputError(f"{self.name}: {why}")

    @handle(ast.Attribute)
    def attribute(self, node: ast.Attribute) -> _Col:
        return self.table.column(node.name)

    @handle(*values.LITERALS)
    def literal(self, node: Value) -> Value:
        return node

    @handle(values.Geometry)
    def geometry(self, node: values.Geometry) -> shapely.Geometry:
        try:
            return self.to_crs84(shapely.geometry.shape(node.geometry))
        except (ValueError, TypeError, AttributeError, shapely.errors.ShapelyError) as exc:
            return self._fail(f"invalid geometry literal ({type(exc).__name__})")

    @handle(values.Envelope)
    def envelope(self, node: values.Envelope) -> shapely.Geometry:
        return self.to_crs84(shapely.box(min(node.x1, node.x2), min(node.y1, node.y2),
                                         max(node.x1, node.x2), max(node.y1, node.y2)))

    @handle(ast.Not)
    def not_(self, node: ast.Not, sub: Value) -> pd.Series:
        return ~self._predicate(sub)

    @handle(ast.And, ast.Or)
    def combination(self, node: ast.Combination, lhs: Value, rhs: Value) -> pd.Series:
        a, b = self._predicate(lhs), self._predicate(rhs)
        return (a & b) if node.op.value == "AND" else (a | b)

    @handle(ast.Comparison, subclasses=True)
    def comparison(self, node: ast.Comparison, lhs: Value, rhs: Value) -> pd.Series | bool:
        op = node.op.value
        if not isinstance(lhs, _Col) and isinstance(rhs, _Col):
            lhs, rhs, op = rhs, lhs, _MIRROR[op]
        if not isinstance(lhs, _Col):
            try:
                return bool(_OPS[op](lhs, rhs))
            except TypeError:
                return self._fail(f"cannot compare {_literal(lhs)} with {_literal(rhs)}")
        self._scalar(lhs)
        if isinstance(rhs, _Col):
            if {lhs.q.type, rhs.q.type} - {"integer", "number"} and lhs.q.type != rhs.q.type:
                self._fail(f"cannot compare {lhs.q.name!r} ({lhs.q.type}) with "
                           f"{rhs.q.name!r} ({rhs.q.type})")
            other = rhs.values
        else:
            other = self._value(lhs.q, rhs)
        return self._known(_OPS[op](lhs.values, other), lhs.values, other)

    @handle(ast.Between)
    def between(self, node: ast.Between, lhs: Value, low: Value, high: Value) -> pd.Series:
        col = self._column(lhs, "BETWEEN")
        lo, hi = self._value(col.q, low), self._value(col.q, high)
        out = self._known((col.values >= lo) & (col.values <= hi), col.values)
        return ~out if node.not_ else out

    @handle(ast.In)
    def in_(self, node: ast.In, lhs: Value, *options: Value) -> pd.Series:
        col = self._column(lhs, "IN")
        vals = [self._value(col.q, v) for v in options]
        out = self._known(col.values.isin(vals).astype("boolean"), col.values)
        return ~out if node.not_ else out

    @handle(ast.Like)
    def like(self, node: ast.Like, lhs: Value) -> pd.Series:
        col = self._column(lhs, "LIKE")
        if col.q.type != "string":
            self._fail(f"LIKE needs a string property; {echo(col.q.name)} is {col.q.type}")
        if not isinstance(node.pattern, str):
            self._fail("LIKE needs a string pattern")
        like = like_matcher(node.pattern, node.nocase)
        hits = pd.Series([None if pd.isna(v) else like(v) for v in col.values],
                         index=col.values.index, dtype="boolean")
        out = self._known(hits, col.values)
        return ~out if node.not_ else out

    @handle(ast.IsNull)
    def null(self, node: ast.IsNull, lhs: Value) -> pd.Series:
        col = self._column(lhs, "IS NULL")
        out = pd.Series(pd.isna(col.values), dtype="boolean")
        return ~out if node.not_ else out

    @handle(ast.Function)
    def function(self, node: ast.Function, *args: Value) -> Value:
        fname = node.name.lower()
        if fname == "bbox" and len(args) in (4, 6):  # cql2-text BBOX(minx, miny, maxx, maxy)
            box = args if len(args) == 4 else (args[0], args[1], args[3], args[4])
            if not all(_literal_type(v) == "number" for v in box):
                self._fail("BBOX takes 4 (or 6) numbers")
            return self.to_crs84(shapely.box(*box))
        if fname in ("lower", "casei") and len(args) == 1:  # pygeofilter spells CASEI lower
            (arg,) = args
            if isinstance(arg, _Col) and arg.q.type == "string":
                return _Col(arg.q, arg.values.str.lower())
            if isinstance(arg, str):
                return arg.lower()
            self._fail("CASEI takes a string property or literal")
        return self._fail(f"unknown function {echo(node.name)}")

    @handle(ast.SpatialComparisonPredicate, subclasses=True)
    def spatial(self, node: ast.SpatialComparisonPredicate, lhs: Value, rhs: Value
                ) -> pd.Series:
        if not isinstance(lhs, _Col) and isinstance(rhs, _Col):
            if node.op.name in ("CONTAINS", "WITHIN"):  # A within B = B contains A
                node_op = "WITHIN" if node.op.name == "CONTAINS" else "CONTAINS"
            else:
                node_op = node.op.name
            lhs, rhs = rhs, lhs
        else:
            node_op = node.op.name
        if not (isinstance(lhs, _Col) and lhs.q.type == "geometry"):
            self._fail(f"S_{node_op} needs the geometry property and a geometry literal")
        if not isinstance(rhs, shapely.Geometry):
            self._fail(f"S_{node_op} needs a geometry literal (WKT, GeoJSON or BBOX)")
        geoms = lhs.values
        hit = np.zeros(len(geoms), dtype=bool)
        present = ~shapely.is_missing(geoms)
        if present.any():
            shapely.prepare(rhs)
            hit[present] = _SPATIAL[node_op](geoms[present], rhs)
        return pd.Series(hit, dtype="boolean").mask(~present)

    def _predicate(self, value: Value) -> pd.Series:
        if isinstance(value, bool | np.bool_):
            return pd.Series(np.full(len(self.table.props), bool(value)), dtype="boolean")
        if isinstance(value, _Col) and value.q.type == "boolean":
            column: pd.Series = value.values  # a boolean property's nullable Series
            return column
        if not isinstance(value, pd.Series):
            self._fail(f"{_literal(value)} is not a predicate")
        return value

    def _column(self, value: Value, op: str) -> _Col:
        if not isinstance(value, _Col):
            self._fail(f"{op} needs a property on its left")
        return self._scalar(value)

    def _scalar(self, col: _Col) -> _Col:
        if col.q.type == "geometry":
            self._fail("the geometry is compared with the spatial predicates (S_INTERSECTS…)")
        return col

    def _value(self, q: Queryable, value: Any) -> Any:
        if isinstance(value, _Col):
            self._fail(f"expected a literal to compare {q.name!r} with")
        try:
            typed = _compatible(q, value)
        except TypeError as exc:
            return self._fail(str(exc))
        if q.enum and typed not in q.enum:  # a misspelt status matched nothing, silently
            self._fail(f"{echo(value)} is not a value of {q.name!r}; the queryables allow "
                       f"{', '.join(repr(v) for v in q.enum)}")
        return typed

    @staticmethod
    def _known(result: Value, *operands: Value) -> pd.Series:
        """Kleene logic: unknown (NA) wherever an operand is null."""
        out = pd.Series(result, dtype="boolean")
        for o in operands:
            if isinstance(o, pd.Series):
                out = out.mask(o.isna().to_numpy())
        return out

