"""Webhooks: after an import that changed places, POST them as JSON to FRONTWATCH_WEBHOOK_URL.

The body is signed the way GitHub signs its webhooks, `X-Frontwatch-Signature:
sha256=<hex HMAC-SHA256 of the raw body, keyed with FRONTWATCH_WEBHOOK_SECRET>`, so a receiver
can tell our posts from anyone else's. A delivery is tried up to `webhook_attempts` times
(connection errors, timeouts, 408/429 and 5xx answers are retried with exponential back-off;
other answers are final), each attempt bounded by `webhook_timeout_s`, and every delivery is
appended to a JSON-lines log (time, URL, status, attempts, error). Delivery happens after the
import committed and never raises: a receiver that is down costs a log line, not the import.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)
from tenacity.wait import wait_base

from frontwatch.dates import iso
from frontwatch.model import SnapshotInfo
from frontwatch.settings import Settings
from frontwatch.sources import attribution
from frontwatch.store.base import SqlStore

SIGNATURE_HEADER = "X-Frontwatch-Signature"
EVENT = "places.changed"
MAX_CHANGES = 1000  # per delivery; `count` still says how many there were
RETRY_STATUSES = frozenset({408, 425, 429})  # and every 5xx
BACKOFF = wait_exponential(multiplier=1, min=1, max=30)  # 1 s, 2 s, 4 s … between attempts

log = logging.getLogger(__name__)


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: 'sha256=' + hex HMAC-SHA256 of the exact body bytes."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return bool(header) and hmac.compare_digest(sign(secret, body), header)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery as logged: `status` is the last HTTP status (None: no answer)."""

    id: str
    time: str  # ISO 8601 UTC, when the first attempt started
    url: str
    event: str
    ok: bool
    status: int | None
    attempts: int
    seconds: float
    changes: int
    error: str | None = None


class _Retryable(Exception):
    def __init__(self, response: httpx.Response):
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def deliver(url: str, payload: dict[str, Any], *, secret: str | None, timeout_s: float = 10,
            attempts: int = 4, wait: wait_base = BACKOFF, event: str = EVENT) -> Delivery:
    """POST `payload` (serialized once, so every attempt sends the same signed bytes) until a
    2xx, a final answer, or `attempts` tries. Never raises for the network's sake."""
    body = orjson.dumps(payload)
    delivery_id = str(uuid.uuid4())
    headers = {"Content-Type": "application/json", "User-Agent": "frontwatch-webhook",
               "X-Frontwatch-Event": event, "X-Frontwatch-Delivery": delivery_id}
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, body)
    started, t0 = datetime.now(UTC), time.monotonic()
    status: int | None = None
    error: str | None = None
    retrying = Retrying(stop=stop_after_attempt(max(1, attempts)), wait=wait, reraise=True,
                        retry=retry_if_exception_type((httpx.TransportError, _Retryable)))
    with httpx.Client(timeout=timeout_s, follow_redirects=False) as client:
        try:
            for attempt in retrying:
                with attempt:
                    response = client.post(url, content=body, headers=headers)
                    status = response.status_code
                    if status in RETRY_STATUSES or status >= 500:
                        raise _Retryable(response)
        except _Retryable as exc:
            error = str(exc)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            status, error = None, f"{type(exc).__name__}: {exc}"
    ok = status is not None and 200 <= status < 300
    if status is not None and not ok and error is None:
        error = f"HTTP {status}"
    return Delivery(id=delivery_id, time=iso(started), url=url,
                    event=event, ok=ok, status=status,
                    attempts=retrying.statistics.get("attempt_number", 1),
                    seconds=round(time.monotonic() - t0, 3),
                    changes=int(payload.get("count", 0)), error=error)


def append_log(path: str | Path, delivery: Delivery) -> None:
    """One JSON line per delivery (appended; the folder is made if missing). A log that
    cannot be written is reported to the Python log, never raised."""
    try:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        with p.open("ab") as f:
            f.write(orjson.dumps(asdict(delivery)) + b"\n")
    except OSError as exc:
        log.warning("webhook log %s not written: %s", path, exc)


def read_log(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path)
    if not p.exists():
        return []
    return [orjson.loads(line) for line in p.read_bytes().splitlines() if line.strip()]


def change_row(change: Any) -> dict[str, Any]:
    """A PlaceChange as JSON members (dates as ISO text)."""
    row = asdict(change)
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}


def import_changes(store: SqlStore, added: Iterable[SnapshotInfo]) -> list[Any]:
    """The settlements whose status changed with the revisions just imported: the status
    table's changes over each source's imported days, kept to those revisions."""
    from frontwatch.analytics import placestatus

    by_source: dict[str, list[SnapshotInfo]] = {}
    for info in added:
        by_source.setdefault(info.source, []).append(info)
    out: list[Any] = []
    for source, infos in sorted(by_source.items()):
        ids = {i.id for i in infos}
        days = [i.date for i in infos]
        out += [c for c in placestatus.changes(store, min(days), max(days), source=source)
                if c.snapshot_id in ids]
    return out


def payload(changes: list[Any], added: list[SnapshotInfo], cause: str = "import"
            ) -> dict[str, Any]:
    """The JSON a receiver gets: what changed them (`cause`: "import" of revisions, or
    "outlines" attached by `places import`), the revisions concerned and the places that
    changed status (newest first, at most MAX_CHANGES; `count` is the full number)."""
    ordered = sorted(changes, key=lambda c: (c.date, c.population or 0), reverse=True)
    sources = sorted({i.source for i in added})
    return {"event": EVENT, "cause": cause, "sources": sources,
            "revisions": [{"id": i.id, "source": i.source, "date": i.date.isoformat(),
                           "valid_at": iso(i.valid_at)}
                          for i in added],
            "count": len(changes), "truncated": len(changes) > MAX_CHANGES,
            "changes": [change_row(c) for c in ordered[:MAX_CHANGES]],
            "attribution": [attribution(s) for s in sources]}


def after_import(store: SqlStore, settings: Settings, added: list[SnapshotInfo], *,
                 wait: wait_base = BACKOFF) -> Delivery | None:
    """Call once an import has committed: posts the places that changed to the configured
    URL and logs the delivery. None when no URL is set or no place changed. Whatever fails
    here (the status table, the network, the log) is logged, never raised."""
    if not settings.webhook_url or not added:
        return None
    try:
        changes = import_changes(store, added)
    except Exception as exc:  # the import is committed: report, do not fail it
        log.warning("webhook: the changed places could not be read: %s", exc)
        return None
    return _post(settings, payload(changes, added), wait) if changes else None


def before_places_import(store: SqlStore, settings: Settings) -> dict | None:
    """What `after_places_import` compares with: each source's statuses on its newest
    revision, read before outlines change them (None, and no read, without a URL)."""
    if not settings.webhook_url:
        return None
    from frontwatch.analytics import placestatus

    try:
        return placestatus.latest_statuses(store)
    except Exception as exc:  # never fail the import for the webhook's sake
        log.warning("webhook: the statuses before the places import could not be read: %s",
                    exc)
        return None


def after_places_import(store: SqlStore, settings: Settings, before: dict | None, *,
                        wait: wait_base = BACKOFF) -> Delivery | None:
    """Call once a `places import` has committed: outlines can change a settlement's status
    (its area decides, no longer its point), which is posted like an import's changes —
    each as a change on its source's newest revision, `cause: "outlines"`. None when no URL
    is set or no status changed; never raises."""
    if not settings.webhook_url or before is None:
        return None
    from frontwatch.analytics import placestatus

    try:
        changes = placestatus.changed_since(store, before)
        revisions = [store.snapshot(sid) for sid in sorted({c.snapshot_id for c in changes})]
    except Exception as exc:
        log.warning("webhook: the changed places could not be read: %s", exc)
        return None
    return _post(settings, payload(changes, revisions, "outlines"), wait) if changes else None


def _post(settings: Settings, body: dict[str, Any], wait: wait_base) -> Delivery:
    """Deliver to the configured URL and log it (and warn when it failed)."""
    delivery = deliver(str(settings.webhook_url), body, secret=settings.webhook_secret,
                       timeout_s=settings.webhook_timeout_s,
                       attempts=settings.webhook_attempts, wait=wait)
    append_log(settings.webhook_log, delivery)
    if not delivery.ok:
        log.warning("webhook delivery to %s failed after %d attempt(s): %s", delivery.url,
                    delivery.attempts, delivery.error)
    return delivery
