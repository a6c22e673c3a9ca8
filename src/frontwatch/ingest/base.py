"""The one shape every input format has, so that adding a source touches one place.

A format is a module (``ingest/nzz.py``, ``ingest/kml.py`` …) that declares one
:class:`Format`: its ``--format`` name, a label for people, how to recognise an input
(:attr:`Format.detect`), how to read it into snapshots (:attr:`Format.read`), the file name
suffixes a folder import picks up and, for a publisher's own format, the :class:`Publisher`
credited on everything made from it. ``ingest/formats.py`` lists them in one ordered table
(like pygeoapi's provider plugin table), from which detection, ``--format`` choices, upload
formats, refusal messages and attribution are derived.

Both callables take an :class:`Input`: the bytes, the name, the user's options and the JSON
document, parsed once by whichever format looks at it first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from frontwatch.errors import InputError
from frontwatch.ingest import reader
from frontwatch.ingest.limits import check_json_size
from frontwatch.model import Publisher, Snapshot

if TYPE_CHECKING:
    from frontwatch.ingest import ImportOptions

# The source a file is stored under when its format names no publisher and the user no --source.
USER_SOURCE = "import"
_UNPARSED = object()


class Input:
    """One input, decompressed, as every format's ``detect`` and ``read`` see it (InputError
    if it is empty).

    ``data`` is the content without a UTF-8 byte-order mark; ``binary`` the GDAL format its
    magic bytes name (None for text); ``is_json`` whether it is JSON (by its first bytes, or
    by a ``.json``/``.geojson`` name for content that is no other known kind, so that broken
    JSON is refused as such). :attr:`doc` parses the JSON on first use and then releases the
    bytes: a JSON format reads the document, never ``data``."""

    __slots__ = ("_doc", "binary", "data", "is_json", "name", "opts", "stem")

    def __init__(self, data: bytes, name: str, opts: ImportOptions) -> None:
        self.data = reader.strip_bom(data)
        if not self.data or self.data.isspace():
            raise InputError("file is empty", origin=name)
        self.name = name
        self.stem = reader.strip_suffixes(Path(name).name)
        self.opts = opts
        sniffed = reader.sniff(self.data)
        self.binary = None if sniffed in (None, reader.GEOJSON) else sniffed
        self.is_json = sniffed is reader.GEOJSON or (
            sniffed is None and reader.known_other(self.data) is None
            and name.lower().removesuffix(".gz").endswith((".json", ".geojson")))
        self._doc: Any = _UNPARSED

    @property
    def doc(self) -> Any:
        """The parsed JSON document (size-checked before parsing; InputError if invalid)."""
        if self._doc is _UNPARSED:
            check_json_size(self.data, self.name, self.opts.limits)
            self._doc = reader.load_json(self.data, self.name)
            self.data = b""  # the document replaces the bytes (up to the uncompressed limit)
        return self._doc

    @property
    def by_status(self) -> bool:
        """Whether the user gives the statuses (`--status`/`--status-field`): a publisher's
        format that takes its statuses from its own content then steps aside."""
        return bool(self.opts.status.status or self.opts.status.field)


@dataclass(frozen=True, slots=True)
class Format:
    """One input format.

    ``detect(input)`` says whether an input is this format; formats are asked in the
    registry's order and the first that says yes reads it, so a detector may assume that
    the formats before it said no. ``read(input)`` returns the input's snapshots, oldest
    first, or raises InputError naming the file and the reason. ``json``: the format reads
    JSON documents, so ``--format NAME`` makes it read any JSON input (its reader then says
    what is wrong); ``binary``: it also reads the GDAL formats of ``reader.VECTOR_FORMATS``.
    ``publisher``: None for formats without an assessor of their own (the user names the
    source; USER_SOURCE otherwise)."""

    name: str
    label: str
    detect: Callable[[Input], bool]
    read: Callable[[Input], list[Snapshot]]
    extensions: tuple[str, ...]
    json: bool = True
    binary: bool = False
    publisher: Publisher | None = None

    def source(self, opts: ImportOptions) -> str:
        """The source the input is stored under: the user's, else the publisher's."""
        return opts.source or (self.publisher.source if self.publisher else USER_SOURCE)
