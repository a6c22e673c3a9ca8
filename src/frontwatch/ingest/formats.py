"""The registry of input formats: one ordered table, from which everything that lists formats
is derived — the order of detection, the ``--format`` choices of `frontwatch import` and
`POST /v1/snapshots`, the suffixes a folder import picks up, the refusal that lists what is
accepted, and the publishers credited on maps and in `frontwatch sources`.

Adding a source: write its module with one :class:`~frontwatch.ingest.base.Format` (and, for
a publisher's own format, its :class:`~frontwatch.model.Publisher`), then add it to
:data:`REGISTRY` before the formats that would otherwise claim its files (see the README).
"""

from __future__ import annotations

from frontwatch.errors import InputError, echo
from frontwatch.ingest import archive, deepstate, esrijson, generic, kml, nzz, reader
from frontwatch.ingest.base import Format, Input
from frontwatch.model import DEMO_PUBLISHER, Publisher

AUTO = "auto"

# Asked in this order; the first format whose detect() says yes reads the input. KML comes
# first (a KMZ is a zip, which the generic reader would take for a Shapefile); the
# publishers' JSON formats before the generic reader, which takes any JSON left.
REGISTRY: tuple[Format, ...] = (
    kml.FORMAT,
    esrijson.FORMAT,
    nzz.FORMAT,
    archive.FORMAT,
    deepstate.FORMAT,
    generic.FORMAT,
)

BY_NAME = {f.name: f for f in REGISTRY}
CHOICES = (AUTO, *BY_NAME)  # the values of --format and of the upload's `format`
# File name suffixes a folder import picks up (gzip of any of them too).
SUFFIXES = (*dict.fromkeys(s for f in REGISTRY for s in f.extensions), ".gz")
ACCEPTED = f"accepted: {', '.join(f.label for f in REGISTRY)} (each optionally .gz)"

# Who is credited for a source, by source name: each publisher's format declares it.
PUBLISHERS: dict[str, Publisher] = {
    p.source: p for p in (*(f.publisher for f in REGISTRY if f.publisher), DEMO_PUBLISHER)}
# Sources that answer when a request names none, best first.
SOURCE_PREFERENCE = tuple(
    p.source for p in sorted(PUBLISHERS.values(), key=lambda p: p.preference))


def check_choice(name: str) -> Format | None:
    """The format `--format NAME` asks for (None for auto); InputError listing the choices
    otherwise."""
    if name == AUTO:
        return None
    if name not in BY_NAME:
        raise InputError(f"unknown format {echo(name)}; choose one of {', '.join(CHOICES)}")
    return BY_NAME[name]


def choose(inp: Input, forced: Format | None) -> Format:
    """The format that reads the input: the first in REGISTRY that detects it, or the one
    asked for. A format asked for that reads JSON reads any JSON input (its reader says what
    is wrong with it); for other content it must be the one detected, else the refusal says
    what the content is. Content no format detects is refused, listing what is accepted."""
    if forced is not None and forced.json and inp.is_json:
        return forced
    found = next((f for f in REGISTRY if f.detect(inp)), None)
    if found is None:
        raise reader.unaccepted(inp.data, inp.name, ACCEPTED)
    if forced is None or found is forced:
        return found
    kind = inp.binary.name if inp.binary and found.binary else (
        "JSON" if found.json else found.label)
    raise InputError(f"format {forced.name} was asked for; this is a {kind} file",
                     origin=inp.name)
