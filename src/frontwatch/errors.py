"""Errors a user can act on. Each carries a message that names the input and the reason.

Every class has a stable `code` (the problem+json `type` is ``urn:frontwatch:error:<code>``),
an HTTP `status_code` and a CLI `exit_code` by category, documented in the README:

====  ==========================================================================
exit  category
====  ==========================================================================
1     an error the user can act on: invalid value or file, not found, over a limit, future
      date; the store or the file system (store locked, read-only, unreachable; disk full,
      output folder missing, permission denied); a source's server unreachable (`sync`).
      The `code` tells these apart.
2     usage: unknown command or option, missing argument (click's own exit code)
70    a bug (internal error), as sysexits' EX_SOFTWARE
====  ==========================================================================
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_STORE = 1  # OS-level failures exit 1 like input errors (issue 9); `code` differs
EXIT_INTERNAL = 70


def printable(text: str | bytes | os.PathLike) -> str:
    """Text (or a file name) safe to print or put in JSON: bytes that are not UTF-8 (file
    names arrive with surrogate escapes) are shown as ``\\xNN``."""
    name = os.fsdecode(text) if not isinstance(text, str) else text
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def visible(text: str | bytes | os.PathLike, keep: str = "") -> str:
    """`text` with nothing a terminal or a log would act on: every character that is not
    printable (controls such as ESC, newline or NUL, bidi overrides, lone surrogates) is
    written as its Python escape (``\\x1b``, ``\\n``, ``\\u202e``); bytes that are not
    UTF-8 as ``\\xNN`` (see `printable`). The characters of `keep` stay as they are (the
    CLI's console keeps its own line breaks, ``keep="\\n"``).

    >>> visible("a\\x1b[31mb\\nc")
    'a\\\\x1b[31mb\\\\nc'
    >>> visible("a\\u202eb\\nc", keep="\\n")
    'a\\\\u202eb\\nc'
    """
    name = printable(text) if not isinstance(text, str) else text
    if name.isprintable():
        return name
    return "".join(c if c.isprintable() or c in keep else _escaped_char(c) for c in name)


def _escaped_char(c: str) -> str:
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, as os.fsdecode escapes it
        return f"\\x{code - 0xDC00:02x}"
    return repr(c)[1:-1]


# How much of what a client sent a message may repeat (README, SECURITY.md): a value is cut
# to ECHO_CHARS as shown; a value from a file's content is quoted only whole, up to
# CONTENT_CHARS; a file name up to NAME_CHARS (it is the user's own path on the command line;
# an upload's `filename` is refused beyond ECHO_CHARS).
ECHO_CHARS = 80
CONTENT_CHARS = 40
NAME_CHARS = 255
ECHO_MANY = 5


def echo(value: object, width: int = ECHO_CHARS) -> str:
    """A value the user gave, quoted for an error message — the one way a message repeats
    one: escaped as Python's repr does (no raw control character, newline or bidi override
    comes back; see `visible`) and cut to `width` characters *as shown*, with the value's
    length said, so that a huge query value or file field never comes back whole in a
    problem's `detail` or on the terminal.

    >>> echo("donbas")
    "'donbas'"
    >>> echo("x" * 1000, width=5)
    "'xxxxx'… (1,000 characters)"
    >>> echo("\\x1b[2J" * 100, width=12)
    "'\\\\x1b[2J\\\\x1b['… (400 characters)"
    """
    text = printable(value) if isinstance(value, bytes | os.PathLike) else str(value)
    shown = repr(text)
    if len(shown) - 2 <= width:
        return shown
    head = text[:width]
    while len(repr(head)) - 2 > width:  # escapes take several characters each
        head = head[:-1 - (len(repr(head)) - 2 - width) // 10]
    return f"{head!r}… ({len(text):,} characters)"


def brief(value: object, width: int = CONTENT_CHARS) -> str:
    """A value from an input file's *content* (a status, a field name), quoted only when it
    is short and printable — the user needs it to write ``--status-map`` — and otherwise
    described by its length: a file's content is never repeated (SECURITY.md).

    >>> brief("purple"), brief("x" * 50)
    ("'purple'", '(a 50-character value)')
    """
    text = str(value)
    if len(text) <= width and text.isprintable():
        return repr(text)
    return f"(a {len(text):,}-character value)"


def described(value: object) -> str:
    """A value from an input file's content that is neither a status nor a field name (a
    coordinate, a date, a type): described by its length only, never quoted (SECURITY.md).

    >>> described("SECRET,48.6")
    '(a 11-character value)'
    """
    return f"(a {len(str(value)):,}-character value)"


def echo_name(name: str | bytes | os.PathLike, width: int = NAME_CHARS) -> str:
    """A file name, path or URL as a message shows it (unquoted, it leads the message):
    escaped (see `visible`) and, beyond `width` characters, its end (where the file's own
    name is) after an ellipsis, with its length.

    >>> echo_name("data/\\x1b]0;owned\\x07.geojson")
    'data/\\\\x1b]0;owned\\\\x07.geojson'
    >>> echo_name("d/" * 10 + "1719835200.geojson", width=20)
    '…/1719835200.geojson (38 characters)'
    """
    shown = visible(name)
    if len(shown) <= width:
        return shown
    length = len(name if isinstance(name, str) else os.fsdecode(name))
    return f"…{shown[-(width - 1):]} ({length:,} characters)"


def echo_many(values: Sequence[object], most: int = ECHO_MANY) -> str:
    """Several values the user gave (unknown parameter names, statuses), each through
    `echo`, at most `most` of them and then how many more: 200 made-up names do not come
    back as a 20,000-character list.

    >>> echo_many(["a", "b"])
    "'a', 'b'"
    >>> echo_many([str(i) for i in range(9)], most=2)
    "'0', '1' and 7 more"
    """
    listed = ", ".join(echo(v) for v in list(values)[:most])
    return listed + (f" and {len(values) - most:,} more" if len(values) > most else "")


_QUOTED = re.compile(r"'(?:[^'\\\n]|\\.)*'" + r'|"(?:[^"\\\n]|\\.)*"')
_PARTIAL_ESCAPE = re.compile(r"\\(?:x[0-9a-f]?|u[0-9a-f]{0,3}|U[0-9a-f]{0,7}|N\{[^}]*)?$")


def cut_quoted(message: str, width: int = ECHO_CHARS) -> str:
    """A message a library wrote (click's "Invalid value for '--format': '…' is not one of
    …"), with each quoted value longer than `width` cut as `echo` cuts: such libraries
    quote the value whole.

    >>> cut_quoted("'" + "x" * 100 + "' is not one of 'a', 'b'", width=3)
    "'xxx'… (100 characters) is not one of 'a', 'b'"
    """
    def cut(m: re.Match) -> str:
        quote, inner = m[0][0], m[0][1:-1]
        if len(inner) <= width:
            return m[0]
        head = _PARTIAL_ESCAPE.sub("", inner[:width])
        return f"{quote}{head}{quote}… ({len(inner):,} characters)"
    return _QUOTED.sub(cut, message)


PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")


def reason(message: str) -> str:
    """A validation message (pydantic's, through FastAPI or typer) as a reason to show: without
    the "Value error, " pydantic puts before a validator's own words.

    >>> reason("Value error, 'csv' is not one of 'table', 'json'")
    "'csv' is not one of 'table', 'json'"
    """
    for prefix in PYDANTIC_PREFIXES:
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def not_finite(value: object) -> bool:
    """Whether `value` (a number, or the text a client sent) is NaN or ±infinity: a bound
    like "≤ 1000000" is the wrong reason to give for those."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return False
    return number != number or number in (float("inf"), float("-inf"))


class FrontwatchError(Exception):
    """Base of every error the CLI and API turn into a clean message instead of a traceback."""

    code = "error"
    status_code = 400
    exit_code = EXIT_INPUT

    @property
    def detail(self) -> str:
        """What an HTTP client is told (problem+json `detail`): the whole message, unless
        part of it is the server's own business (StoreError)."""
        return str(self)


class InputError(FrontwatchError):
    """A file or value the user gave us cannot be used as it is."""

    code = "input-invalid"

    def __init__(self, message: str, *, origin: str | None = None):
        self.origin = origin
        super().__init__(f"{echo_name(origin)}: {message}" if origin else message)


class OptionConflict(InputError):
    """Two options that contradict each other (one would be ignored): a usage mistake, CLI
    exit 2 naming both options; HTTP 400 naming both parameters."""

    code = "options-conflict"
    exit_code = EXIT_USAGE


def exclusive(**given: object) -> None:
    """OptionConflict when more than one of the options `given` (CLI spelling, ``date_field``
    → ``--date-field``) is set: each would make the others meaningless."""
    named = [f"--{k.replace('_', '-')}" for k, v in given.items() if v not in (None, False, [])]
    if len(named) > 1:
        raise OptionConflict(f"{' and '.join(named)} exclude each other: give one")


class FutureDate(InputError):
    """A date or time after now: there is no map of the future."""

    code = "future-date"


class LimitExceeded(InputError):
    """An input over a documented size limit (bytes, features, vertices, range); HTTP 413.

    `limit` names the limit that was hit (e.g. ``FRONTWATCH_MAX_UNCOMPRESSED_MB``)."""

    code = "limit-exceeded"
    status_code = 413

    def __init__(self, message: str, *, origin: str | None = None, limit: str | None = None):
        self.limit = limit
        super().__init__(message, origin=origin)


class NotFound(FrontwatchError):
    """A date, region, place or snapshot that is not in the store."""

    code = "not-found"
    status_code = 404

    def __init__(self, message: str, *, suggestions: list[str] | None = None):
        self.suggestions = suggestions or []
        if self.suggestions:
            message = f"{message}; did you mean: {', '.join(self.suggestions)}?"
        super().__init__(message)


class Merged(NotFound):
    """A revision id that migration 0013 merged into another (the same claim): not found,
    with the id it lives on as (`kept`). HTTP redirects a request for the revision itself
    to the kept one; anything else (a change, a part of it) names it."""

    def __init__(self, snapshot_id: int, kept: int):
        self.snapshot_id, self.kept = snapshot_id, kept
        super().__init__(f"no snapshot with id {snapshot_id}: it was merged into revision id "
                         f"{kept} (the same claim, when the store was upgraded; see that "
                         f"revision's `merged` note); use id {kept}")

    def __reduce__(self) -> tuple:  # pickled across processes (api.heavy's workers)
        return Merged, (self.snapshot_id, self.kept)


class StateChanged(FrontwatchError):
    """A page pinned to a state the store no longer holds (paging restarted): HTTP 409."""

    code = "state-changed"
    status_code = 409


class SourceUnreachable(FrontwatchError):
    """A source's server (`sync`) cannot be reached or keeps failing: nothing is wrong with
    the user's input, the network or the server is; retrying later may work. HTTP 502."""

    code = "source-unreachable"
    status_code = 502
    exit_code = EXIT_STORE

    def __init__(self, message: str, *, origin: str | None = None):
        self.origin = origin  # the URL that failed
        super().__init__(f"{echo_name(origin)}: {message}" if origin else message)


class PortUnavailable(FrontwatchError):
    """`serve` cannot listen where it was told (the port is taken, or the address is not
    this machine's): checked before any worker starts."""

    code = "port-unavailable"
    exit_code = EXIT_STORE


class StoreError(FrontwatchError):
    """The store cannot be opened or is in a state we cannot use.

    `message` says what is wrong in words any client may read. `store` (the store's path,
    or its URL without the password) and `cause` (the driver's own words, which can quote
    the path, host or DSN) lead and end the CLI's one-line message and the server log,
    never an HTTP problem's `detail` (SECURITY.md): the server's layout is not a client's
    business."""

    code = "store-error"
    status_code = 500
    exit_code = EXIT_STORE

    def __init__(self, message: str, *, store: str | None = None, cause: object = None):
        self.store, self._detail = store, message
        self.cause = str(cause).strip() if cause is not None else ""
        text = f"{store}: {message}" if store else message
        super().__init__(f"{text} ({self.cause})" if self.cause else text)

    @property
    def detail(self) -> str:
        return self._detail

    def __reduce__(self) -> tuple:
        # Pickled across processes (api.heavy's workers): rebuilt with its parts, not from
        # args (which would make the whole message, path included, the HTTP detail).
        return _rebuild_store_error, (type(self), self._detail, self.store, self.cause)


def _rebuild_store_error(cls: type[StoreError], message: str, store: str | None,
                         cause: str) -> StoreError:
    return cls(message, store=store, cause=cause or None)


class StoreUrlInvalid(StoreError):
    """A store URL that names no store Frontwatch can open: an unknown scheme (``mysql://``),
    a malformed PostgreSQL URL or connection string, an unknown SQLite option. A usage
    mistake (exit 2), found before anything is opened or created."""

    code = "store-url-invalid"
    exit_code = EXIT_USAGE


class StoreLocked(StoreError):
    """Another process holds the store's write lock for longer than we wait."""

    code = "store-locked"
    status_code = 503


class StoreReadOnly(StoreError):
    """The store is on read-only media (or opened read-only): it can be read, not written."""

    code = "store-readonly"
    status_code = 503


class NotReady(StoreError):
    """A precomputed table does not cover the store's data yet (a store from before the
    table): the next import of that source or `frontwatch stats rebuild` fills it."""

    code = "not-ready"
    status_code = 503


class StoreFull(StoreError):
    """The disk (or the database's quota) holding the store is full."""

    code = "store-full"
    status_code = 507


class OutputError(FrontwatchError):
    """A file we were asked to write cannot be written (missing folder, permission, disk full)."""

    code = "output-failed"
    status_code = 500
    exit_code = EXIT_STORE


_PG_SCHEME = re.compile(r"postgres(?:ql)?(?:\+psycopg)?://", re.I | re.ASCII)
_PASSWORD_MARK = re.compile(r"password\s*=", re.I | re.ASCII)
_FIRST_KEYWORD = re.compile(r"\s*([a-z_]+)\s*=", re.ASCII)
HIDDEN = "***"


def is_keyword_string(text: str) -> bool:
    """Whether `text` reads as a libpq keyword connection string (``host=… dbname=…``): its
    first ``name=`` is one of libpq's keywords (a file called ``x=1.sqlite`` is not)."""
    first = _FIRST_KEYWORD.match(text)
    return bool(first) and first[1] in LIBPQ_KEYWORDS


def redact_secrets(text: str, *, conninfo: str | None = None) -> str:
    """A store URL or keyword string, or a message quoting one, without its password.

    A whole PostgreSQL URL is taken apart as a URL (the user-info runs to the *last* '@',
    a ``password`` query parameter is hidden too); a keyword string (``host=… password=…``)
    is parsed by libpq (psycopg's conninfo); what cannot be parsed shows nothing after a
    password marker. In a message (libpq's own words, which may quote the connection
    string or pieces of it) everything after a password marker up to the quote ends is
    hidden; with `conninfo` (the string the message is about) its password is hidden
    wherever it appears, and when that string cannot be parsed each double-quoted piece
    libpq quoted is dropped unless the redacted string shows it anyway."""
    stripped = text.strip()
    if _PG_SCHEME.match(stripped):
        return _redact_url(stripped)
    if is_keyword_string(stripped):
        return _redact_keywords(stripped)
    message = _redact_message(text)
    if conninfo is not None:
        password, parsed = _password_of(conninfo)
        if password:
            message = message.replace(password, HIDDEN)
        if not parsed:  # keep only what libpq quoted from the part shown anyway
            safe = redact_secrets(conninfo)
            message = re.sub(r'"([^"]*)"',
                             lambda m: m[0] if m[1] and m[1] in safe else '"…"', message)
    return message


# libpq's connection keywords a keyword string starts with (`host=db dbname=fw …`)
LIBPQ_KEYWORDS = frozenset({
    "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "service",
    "sslmode", "connect_timeout", "options", "application_name", "target_session_attrs"})


def _redact_url(url: str) -> str:
    scheme = _PG_SCHEME.match(url)
    assert scheme is not None
    head, rest = url[:scheme.end()], url[scheme.end():]
    if "@" in rest:  # the user-info runs to the last '@' (a password may hold '@' or '/')
        userinfo, _, rest = rest.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        head += (f"{user}:{HIDDEN}" if colon else user) + "@"
    path, question, query = rest.partition("?")
    if not _PASSWORD_MARK.search(query):
        return head + rest
    from urllib.parse import parse_qsl, urlencode

    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return head + path + "?<parameters>"
    hidden = [(k, HIDDEN if k.strip().lower() == "password" else v) for k, v in pairs]
    return head + path + question + urlencode(hidden, safe="*/:")


def _redact_keywords(text: str) -> str:
    try:
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        params = conninfo_to_dict(text)
    except Exception:  # no psycopg, or libpq cannot parse it: show nothing after the marker
        mark = _PASSWORD_MARK.search(text)
        return text if mark is None else f"{text[:mark.start()]}password={HIDDEN}"
    if "password" in params:
        params["password"] = HIDDEN
    return make_conninfo("", **params)


def _password_of(conninfo: str) -> tuple[str | None, bool]:
    """The password `conninfo` carries (None: none) and whether it could be parsed."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        text = re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", conninfo.strip())
        password = conninfo_to_dict(text).get("password")
    except Exception:
        return None, False
    return (str(password) if password else None), True


def _redact_message(text: str) -> str:
    def url(m: re.Match) -> str:
        end = text.find('"', m.end())
        span = text[m.end():end if end >= 0 else len(text)]
        if "@" not in span:
            return m[0]
        user, colon, _ = span[:span.rfind("@")].partition(":")
        return m[0] + (f"{user}:{HIDDEN}@" if colon else f"{HIDDEN}@")

    def past_at(m: re.Match) -> int:
        end = text.find('"', m.end())
        span = text[m.end():end if end >= 0 else len(text)]
        return m.end() + (span.rfind("@") + 1 if "@" in span else 0)

    out, pos = [], 0
    for m in _PG_SCHEME.finditer(text):
        if m.start() < pos:
            continue
        out.append(text[pos:m.start()] + url(m))
        pos = past_at(m)
    text = "".join(out) + text[pos:]
    out, pos = [], 0
    for m in _PASSWORD_MARK.finditer(text):
        if m.start() < pos:
            continue
        end = text.find('"', m.end())
        out.append(text[pos:m.end()] + HIDDEN)
        pos = end if end >= 0 else len(text)
    return "".join(out) + text[pos:]
