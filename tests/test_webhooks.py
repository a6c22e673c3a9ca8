"""Webhook deliveries against a real local HTTP receiver (http.server in a thread) that checks
the HMAC signature the way a subscriber would."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from tenacity import wait_none

from frontwatch import webhooks

SECRET = "s3cret-for-tests"


class Receiver:
    """A local endpoint: answers each POST with the next status of `script` (then 204),
    verifying the signature with the shared secret as a subscriber would."""

    def __init__(self, script: list[int] | None = None):
        self.script = list(script or [])
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(SECRET.encode(), body,
                                                hashlib.sha256).hexdigest()
                sig = self.headers.get("X-Frontwatch-Signature")
                outer.received.append({
                    "body": body, "signature": sig,
                    "valid": sig is not None and hmac.compare_digest(sig, expected),
                    "event": self.headers.get("X-Frontwatch-Event"),
                    "delivery": self.headers.get("X-Frontwatch-Delivery"),
                    "type": self.headers.get("Content-Type")})
                status = outer.script.pop(0) if outer.script else 204
                if not outer.received[-1]["valid"]:
                    status = 401
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


PAYLOAD = {"event": "places.changed", "count": 1,
           "changes": [{"slug": "chasiv-yar", "from_status": "contested",
                        "to_status": "occupied", "date": "2025-07-31"}]}


def test_signed_delivery_verifies_at_the_receiver(receiver, tmp_path):
    d = webhooks.deliver(receiver.url, PAYLOAD, secret=SECRET, wait=wait_none())
    assert d.ok and d.status == 204 and d.attempts == 1 and d.changes == 1
    [got] = receiver.received
    assert got["valid"] and got["signature"].startswith("sha256=")
    assert got["type"] == "application/json" and got["event"] == "places.changed"
    assert got["delivery"] == d.id
    assert json.loads(got["body"]) == PAYLOAD
    assert webhooks.verify(SECRET, got["body"], got["signature"])
    assert not webhooks.verify("another secret", got["body"], got["signature"])
    assert not webhooks.verify(SECRET, got["body"] + b" ", got["signature"])


def test_wrong_secret_is_refused_and_not_retried(receiver):
    d = webhooks.deliver(receiver.url, PAYLOAD, secret="not the receiver's", wait=wait_none())
    assert not d.ok and d.status == 401 and d.attempts == 1 and d.error == "HTTP 401"
    assert not receiver.received[0]["valid"]


def test_retries_a_receiver_that_fails_first():
    with Receiver([503, 500]) as r:
        d = webhooks.deliver(r.url, PAYLOAD, secret=SECRET, attempts=4, wait=wait_none())
    assert d.ok and d.status == 204 and d.attempts == 3
    assert len(r.received) == 3 and all(x["valid"] for x in r.received)
    # every attempt carries the same bytes and the same delivery id
    assert len({x["body"] for x in r.received}) == 1
    assert len({x["delivery"] for x in r.received}) == 1


def test_gives_up_after_the_attempts_and_says_why():
    with Receiver([500] * 5) as r:
        d = webhooks.deliver(r.url, PAYLOAD, secret=SECRET, attempts=3, wait=wait_none())
    assert not d.ok and d.status == 500 and d.attempts == 3 and len(r.received) == 3
    assert d.error == "HTTP 500"


def test_unreachable_receiver_is_a_logged_failure_not_an_exception(tmp_path):
    with Receiver() as r:
        url = r.url  # a port that was just free, now closed again
    d = webhooks.deliver(url, PAYLOAD, secret=SECRET, attempts=2, timeout_s=2,
                         wait=wait_none())
    assert not d.ok and d.status is None and d.attempts == 2 and "ConnectError" in d.error
    log = tmp_path / "sub" / "webhooks.jsonl"
    webhooks.append_log(log, d)
    webhooks.append_log(log, d)
    rows = webhooks.read_log(log)
    assert len(rows) == 2 and rows[0]["ok"] is False and rows[0]["attempts"] == 2
    assert {"time", "status", "attempts", "url", "error"} <= set(rows[0])


def test_unsigned_without_a_secret(receiver):
    d = webhooks.deliver(receiver.url, PAYLOAD, secret=None, wait=wait_none())
    assert receiver.received[0]["signature"] is None and d.status == 401


# --- after an import: the CLI and the upload route, on the real data ----------------------
RAW_JUNE_1, RAW_JUNE_30 = "1748806839.geojson.gz", "1751314076.geojson.gz"


@pytest.fixture(scope="module")
def base_db(tmp_path_factory):
    """A store with the places, the oblasts (theatre) and DeepStateMap's map of 1 June
    2025: the next import (30 June) changes the status of places around the front."""
    from tests.conftest import need_shared

    data = need_shared()
    from frontwatch.bootstrap import ensure_places
    from frontwatch.ingest import ImportOptions, import_paths
    from frontwatch.ingest.regions import import_regions
    from frontwatch.store import open_store

    path = tmp_path_factory.mktemp("hooks") / "base.sqlite"
    s = open_store(path)
    ensure_places(s)
    import_regions(s, data / "boundaries" / "Ukraine.geojson.gz", "oblast")
    import_paths(s, [data / "deepstate-raw" / RAW_JUNE_1], ImportOptions())
    s.close()
    return path, data / "deepstate-raw" / RAW_JUNE_30


def _copy(base, tmp_path):
    import shutil

    db = tmp_path / "store.sqlite"
    shutil.copy(base, db)
    return db


def _cli_import(db, file, url, log, check=True):
    import os
    import subprocess
    import sys

    env = {**os.environ, "FRONTWATCH_WEBHOOK_URL": url, "FRONTWATCH_WEBHOOK_SECRET": SECRET,
           "FRONTWATCH_WEBHOOK_LOG": str(log), "FRONTWATCH_WEBHOOK_ATTEMPTS": "3",
           "FRONTWATCH_WEBHOOK_TIMEOUT_S": "5"}
    proc = subprocess.run([sys.executable, "-m", "frontwatch", "import", str(file), "--json",
                           "--db", str(db)], capture_output=True, text=True, env=env,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def _expected_changes(db, snapshot_id):
    from datetime import timedelta

    from frontwatch.analytics import placestatus
    from frontwatch.store import open_store

    s = open_store(db)
    try:
        info = s.snapshot(snapshot_id)
        return {(c.slug, c.from_status, c.to_status) for c in placestatus.changes(
            s, info.date - timedelta(days=1), info.date, source=info.source)
            if c.snapshot_id == snapshot_id}
    finally:
        s.close()


def test_cli_import_posts_the_places_it_changed(base_db, tmp_path):
    base, june30 = base_db
    db, log = _copy(base, tmp_path), tmp_path / "deliveries.jsonl"
    with Receiver() as r:
        report, _err = _cli_import(db, june30, r.url, log)
    [added] = report["added"]
    [got] = r.received
    assert got["valid"] and got["event"] == "places.changed"
    doc = json.loads(got["body"])
    assert doc["revisions"][0]["id"] == added["id"] and doc["sources"] == ["deepstate"]
    assert doc["count"] == len(doc["changes"]) > 0 and not doc["truncated"]
    assert {c["snapshot_id"] for c in doc["changes"]} == {added["id"]}
    assert {(c["slug"], c["from_status"], c["to_status"]) for c in doc["changes"]} == \
        _expected_changes(db, added["id"])
    assert all(c["date"] == "2025-06-30" and c["from_status"] != c["to_status"]
               for c in doc["changes"])
    assert report["webhook"]["ok"] and report["webhook"]["attempts"] == 1
    [row] = webhooks.read_log(log)
    assert row["ok"] and row["status"] == 204 and row["changes"] == doc["count"]
    # the same file again adds nothing, so nothing is posted
    with Receiver() as r2:
        again, _ = _cli_import(db, june30, r2.url, log)
    assert not again["added"] and not r2.received and "webhook" not in again


def test_cli_import_retries_a_receiver_that_fails_first(base_db, tmp_path):
    base, june30 = base_db
    db, log = _copy(base, tmp_path), tmp_path / "deliveries.jsonl"
    with Receiver([503]) as r:
        _report, err = _cli_import(db, june30, r.url, log)
    assert len(r.received) == 2 and all(x["valid"] for x in r.received)
    assert r.received[0]["body"] == r.received[1]["body"]
    [row] = webhooks.read_log(log)
    assert row["ok"] and row["attempts"] == 2 and row["status"] == 204
    assert "2 attempt(s)" in err


def test_receiver_down_never_fails_the_import(base_db, tmp_path):
    from frontwatch.store import open_store

    base, june30 = base_db
    db, log = _copy(base, tmp_path), tmp_path / "deliveries.jsonl"
    with Receiver() as r:
        url = r.url  # closed again: nothing listens there
    report, err = _cli_import(db, june30, url, log)
    [added] = report["added"]
    assert report["webhook"]["ok"] is False and report["webhook"]["attempts"] == 3
    assert "delivery failed" in err and "the import is kept" in err
    s = open_store(db)
    try:
        assert s.snapshot(added["id"]).date.isoformat() == "2025-06-30"  # stored all the same
    finally:
        s.close()
    [row] = webhooks.read_log(log)
    assert row["ok"] is False and row["status"] is None and "ConnectError" in row["error"]


def test_upload_posts_after_answering(base_db, tmp_path):
    from fastapi.testclient import TestClient

    from frontwatch.api.app import create_app
    from frontwatch.settings import Settings

    base, june30 = base_db
    db, log = _copy(base, tmp_path), tmp_path / "deliveries.jsonl"
    with Receiver() as r:
        settings = Settings(database_url=str(db), api_token="tok", webhook_url=r.url,
                            webhook_secret=SECRET, webhook_log=str(log))
        with TestClient(create_app(settings)) as client:
            resp = client.post("/v1/snapshots", params={"filename": june30.name},
                               content=june30.read_bytes(),
                               headers={"Authorization": "Bearer tok"})
    assert resp.status_code == 201, resp.text
    sid = resp.json()["snapshot"]["id"]
    [got] = r.received
    doc = json.loads(got["body"])
    assert got["valid"] and doc["revisions"][0]["id"] == sid and doc["count"] > 0
    assert {(c["slug"], c["from_status"], c["to_status"]) for c in doc["changes"]} == \
        _expected_changes(db, sid)
    assert webhooks.read_log(log)[0]["ok"]


# --- after a places import: outlines that change a settlement's status ----------------------
RAW_JAN_6 = "1736197748.geojson.gz"  # DeepStateMap, 2025-01-06: Toretsk's point occupied,
TORETSK = "donetska_oblast.bakhmutskyy_rayon.toretska_miska_hromada.geojson.gz"  # its area not


def _cli_places_import(db, file, url, log):
    import os
    import subprocess
    import sys

    env = {**os.environ, "FRONTWATCH_WEBHOOK_URL": url, "FRONTWATCH_WEBHOOK_SECRET": SECRET,
           "FRONTWATCH_WEBHOOK_LOG": str(log), "FRONTWATCH_WEBHOOK_ATTEMPTS": "3",
           "FRONTWATCH_WEBHOOK_TIMEOUT_S": "5"}
    proc = subprocess.run([sys.executable, "-m", "frontwatch", "places", "import", str(file),
                           "--json", "--db", str(db)], capture_output=True, text=True, env=env,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


@pytest.mark.shared
def test_places_import_posts_the_statuses_outlines_changed(tmp_path):
    """Toretsk's point lay in occupied ground on 2025-01-06 while most of its area was grey
    zone: its outline makes it contested, which is posted like an import's change (on the
    source's newest revision, `cause: "outlines"`); the same outlines again post nothing."""
    from frontwatch.analytics import placestatus
    from frontwatch.bootstrap import ensure_places
    from frontwatch.ingest import ImportOptions, import_paths
    from frontwatch.ingest.regions import import_regions
    from frontwatch.store import open_store
    from tests.conftest import need_shared

    data = need_shared()
    db, log = tmp_path / "store.sqlite", tmp_path / "deliveries.jsonl"
    s = open_store(db)
    ensure_places(s)
    import_regions(s, data / "boundaries" / "Ukraine.geojson.gz", "oblast")
    [info] = import_paths(s, [data / "deepstate-raw" / RAW_JAN_6], ImportOptions()).added
    before = placestatus.latest_statuses(s)["deepstate"]
    s.close()
    with Receiver() as r:
        report, err = _cli_places_import(db, data / "boundaries" / TORETSK, r.url, log)
    assert next(iter(report.values()))["attached"] > 0
    [got] = r.received
    assert got["valid"] and got["event"] == "places.changed"
    doc = json.loads(got["body"])
    assert doc["cause"] == "outlines" and doc["sources"] == ["deepstate"]
    assert [x["id"] for x in doc["revisions"]] == [info.id]
    s = open_store(db)
    try:
        after = placestatus.latest_statuses(s)["deepstate"]
    finally:
        s.close()
    expected = {(k, before[k][0], after[k][0]) for k in after if before[k][0] != after[k][0]}
    assert ("toretsk", "occupied", "contested") in expected
    assert {(c["slug"], c["from_status"], c["to_status"]) for c in doc["changes"]} == expected
    assert doc["count"] == len(expected)
    assert all(c["snapshot_id"] == info.id and c["date"] == "2025-01-06" for c in doc["changes"])
    assert "place change(s) delivered" in err
    [row] = webhooks.read_log(log)
    assert row["ok"] and row["changes"] == doc["count"]
    with Receiver() as r2:  # nothing changes a second time: nothing is posted
        _cli_places_import(db, data / "boundaries" / TORETSK, r2.url, log)
    assert r2.received == []
