"""Incremental download of DeepStateMap snapshots from its public API.

``GET {base}/history/public`` lists the published snapshots (``id`` = publication time in
unix seconds); ``GET {base}/history/{id}/geojson`` returns one snapshot's FeatureCollection.
Snapshots whose publication time is already stored for the ``deepstate`` source are not
downloaded again.

Each downloaded snapshot is committed in its own transaction: an interrupted sync (network
failure, Ctrl-C) keeps every snapshot it finished, and the next run picks up the rest. A body
the importer refuses (malformed, or gone: HTTP 404) is skipped and reported in the notes, and
tried again next time; a listing that cannot be fetched, or a server that keeps failing after
the retries, stops the sync with an error naming the URL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx

from frontwatch.errors import InputError, SourceUnreachable
from frontwatch.ingest import ImportOptions, parse_snapshot, store_snapshot
from frontwatch.ingest.deepstate import SOURCE
from frontwatch.ingest.reader import load_json
from frontwatch.model import ImportReport
from frontwatch.store.base import SqlStore

ATTEMPTS = 4  # per request: 1 + 3 retries on 5xx, 429, timeouts and dropped connections
TIMEOUT = httpx.Timeout(60.0, connect=10.0)


def user_agent() -> str:
    try:
        v = version("frontwatch")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        v = "dev"
    return f"frontwatch/{v} (open-source territorial-control tracker; incremental sync)"


class DownloadError(SourceUnreachable):
    """The server cannot be reached or keeps failing: stop the sync (`source-unreachable`,
    not `input-invalid`: the user's input is fine, the network or the server is not)."""


class _Gone(Exception):
    """The server answered 404 for one snapshot: skip it, keep syncing."""


def _fetch(http: httpx.Client, url: str, wait: float) -> bytes:
    """GET with retries and exponential backoff on transient failures."""
    for attempt in range(ATTEMPTS):
        last = attempt == ATTEMPTS - 1
        try:
            resp = http.get(url)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            if last:
                raise DownloadError(f"download failed after {ATTEMPTS} attempts: "
                                    f"{type(exc).__name__}: {exc}", origin=url) from exc
        else:
            if resp.status_code == 200:
                return resp.content
            if resp.status_code == 404:
                raise _Gone(url)
            if (resp.status_code < 500 and resp.status_code != 429) or last:
                raise DownloadError(f"HTTP {resp.status_code} {resp.reason_phrase}"
                                    + (f" after {ATTEMPTS} attempts" if last else ""), origin=url)
        time.sleep(wait * 2 ** attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _listed_ids(doc: Any, url: str) -> list[int]:
    """Snapshot ids (unix seconds) from the `history/public` listing."""
    if not isinstance(doc, list):
        raise InputError("expected a JSON list of snapshots", origin=url)
    ids = []
    for i, item in enumerate(doc):
        ident = item.get("id") if isinstance(item, dict) else None
        if isinstance(ident, str) and ident.isascii() and ident.isdigit():
            ident = int(ident)
        if not isinstance(ident, int) or isinstance(ident, bool) or ident <= 0:
            raise InputError(f"entry {i} has no numeric 'id'", origin=url)
        ids.append(ident)
    return sorted(set(ids))


def sync_deepstate(store: SqlStore, base_url: str, since: date | None = None,
                   progress: Callable[[int, int], None] | None = None, *,
                   retry_wait: float = 1.0, client: httpx.Client | None = None
                   ) -> ImportReport:
    """Download and store the snapshots published since `since` that the store lacks."""
    base = base_url.rstrip("/")
    http = client or httpx.Client(timeout=TIMEOUT, follow_redirects=True,
                                  headers={"User-Agent": user_agent(),
                                           "Accept": "application/json"})
    report = ImportReport()
    try:
        listing_url = f"{base}/history/public"
        try:
            listing = _fetch(http, listing_url, retry_wait)
        except _Gone:
            raise DownloadError("HTTP 404 Not Found: is the API root right?",
                             origin=listing_url) from None
        ids = _listed_ids(load_json(listing, listing_url), listing_url)
        when = {i: datetime.fromtimestamp(i, UTC) for i in ids}
        have = {s.valid_at for s in store.snapshots(SOURCE)}
        todo = [i for i in ids if when[i] not in have
                and (since is None or when[i].date() >= since)]
        if progress:
            progress(0, len(todo))
        opts = {i: ImportOptions(format="deepstate", date=when[i], source=SOURCE) for i in todo}
        for n, ident in enumerate(todo, 1):
            url = f"{base}/history/{ident}/geojson"
            try:
                snap = parse_snapshot(_fetch(http, url, retry_wait), url, opts[ident])
            except _Gone:
                report.notes.append(f"skipped {url}: HTTP 404 Not Found")
                continue
            except InputError as exc:  # the body itself is refused: skip, retry next time
                report.notes.append(f"skipped {exc}")
                continue
            finally:
                if progress:
                    progress(n, len(todo))
            with store.transaction():  # one snapshot, one commit: see the module docstring
                info, created = store_snapshot(store, snap)
            if created:
                report.added.append(info)
            else:
                report.unchanged.append(url)
            report.notes.extend(f"{ident}: {note}" for note in snap.notes)
    finally:
        if client is None:
            http.close()
    return report
