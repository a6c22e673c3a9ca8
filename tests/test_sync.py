"""`sync deepstate` against a real local HTTP server serving real DeepStateMap snapshots in
the API's own format (gzip-encoded bodies, as the live API sends them), plus its failures."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest

from frontwatch.errors import InputError, SourceUnreachable
from frontwatch.ingest import ImportOptions, import_paths
from frontwatch.ingest.sync import sync_deepstate
from tests.helpers import free_port

pytest_plugins = ["tests.pg"]  # the `backend` fixture: SQLite and PostGIS

BODY = re.compile(r"^/api/history/(\d+)/geojson$")


class RecordedApi:
    """DeepStateMap's public history API, serving recorded snapshots from disk.

    `failures[path]` lists statuses answered (in order) before the real response;
    `bodies[id]` may be replaced to serve a broken snapshot."""

    def __init__(self, files):
        self.files = {int(f.name.split(".")[0]): f for f in files}
        self.bodies: dict[int, bytes] = {}
        self.listing: object | None = None
        self.failures: dict[str, list[int]] = {}
        self.log: list[str] = []
        self.agents: set[str] = set()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                api.log.append(self.path)
                api.agents.add(self.headers.get("User-Agent", ""))
                queue = api.failures.get(self.path)
                if queue:
                    return self.reply(queue.pop(0), b'{"error": "try later"}')
                if self.path == "/api/history/public":
                    return self.reply(200, orjson.dumps(api.listing if api.listing is not None
                                                        else api.public()))
                m = BODY.match(self.path)
                if m and int(m[1]) in api.bodies:
                    return self.reply(200, api.bodies[int(m[1])])
                if m and int(m[1]) in api.files:  # stored gzip: sent as Content-Encoding
                    return self.reply(200, api.files[int(m[1])].read_bytes(), gzip=True)
                return self.reply(404, b'{"error": "not found"}')

            def reply(self, status: int, body: bytes, gzip: bool = False):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if gzip:
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}/api"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def public(self) -> list[dict]:
        return [{"id": i, "datetime": datetime.fromtimestamp(i, UTC).isoformat(),
                 "description": "", "descriptionEn": ""} for i in sorted(self.files)]

    def url(self, ident: int) -> str:
        return f"{self.base}/history/{ident}/geojson"

    def body_hits(self) -> list[int]:
        return [int(m[1]) for p in self.log if (m := BODY.match(p))]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def raw_files(shared):
    """Four real consecutive snapshots of late June 2025."""
    return sorted((shared / "deepstate-raw").iterdir())[-5:-1]


@pytest.fixture
def api(raw_files):
    server = RecordedApi(raw_files)
    yield server
    server.close()


def sync(store, api, **kw):
    return sync_deepstate(store, api.base, kw.pop("since", None), kw.pop("progress", None),
                          retry_wait=0.01, **kw)


def stored_ids(store) -> list[int]:
    return [int(s.valid_at.timestamp()) for s in store.snapshots("deepstate")]


def test_sync_downloads_what_is_missing_then_only_news(backend, api, shared):
    ids = sorted(api.files)
    ticks = []
    report = sync(backend, api, progress=lambda done, total: ticks.append((done, total)))
    assert stored_ids(backend) == ids
    assert [int(s.valid_at.timestamp()) for s in report.added] == ids
    assert all(s.counts["occupied"] > 0 and s.counts["contested"] > 0 for s in report.added)
    assert ticks[0] == (0, 4) and ticks[-1] == (4, 4)
    assert api.body_hits() == ids
    assert all(a.startswith("frontwatch/") for a in api.agents)
    # Second run: the listing only, nothing downloaded.
    api.log.clear()
    assert sync(backend, api).added == []
    assert api.log == ["/api/history/public"]
    # A newly published snapshot: only it is downloaded.
    newest = sorted((shared / "deepstate-raw").iterdir())[-1]
    api.files[int(newest.name.split(".")[0])] = newest
    api.log.clear()
    report = sync(backend, api)
    assert [int(s.valid_at.timestamp()) for s in report.added] == [max(api.files)]
    assert api.body_hits() == [max(api.files)]


def test_snapshots_imported_from_files_are_not_downloaded(store, api, raw_files):
    import_paths(store, raw_files[:2], ImportOptions())
    sync(store, api)
    assert api.body_hits() == sorted(api.files)[2:]
    assert stored_ids(store) == sorted(api.files)


def test_since_filters_by_publication_date(store, api):
    ids = sorted(api.files)
    since = datetime.fromtimestamp(ids[2], UTC).date()
    expected = [i for i in ids if datetime.fromtimestamp(i, UTC).date() >= since]
    assert 0 < len(expected) < len(ids)
    sync(store, api, since=since)
    assert stored_ids(store) == expected


def test_transient_server_errors_are_retried(store, api):
    target = sorted(api.files)[1]
    api.failures["/api/history/public"] = [503]
    api.failures[f"/api/history/{target}/geojson"] = [500, 502]
    sync(store, api)
    assert stored_ids(store) == sorted(api.files)
    assert api.body_hits().count(target) == 3


def test_persistent_failure_stops_and_keeps_what_finished(backend, api):
    ids = sorted(api.files)
    api.failures[f"/api/history/{ids[2]}/geojson"] = [500] * 4
    with pytest.raises(SourceUnreachable, match=r"HTTP 500 .* after 4 attempts") as info:
        sync(backend, api)
    assert api.url(ids[2]) in str(info.value)
    assert stored_ids(backend) == ids[:2]  # each finished snapshot was committed
    api.log.clear()
    sync(backend, api)  # the next run resumes
    assert api.body_hits() == ids[2:]
    assert stored_ids(backend) == ids


def test_bad_bodies_are_skipped_reported_and_retried_later(store, api):
    ids = sorted(api.files)
    api.bodies[ids[1]] = b'{"type": "FeatureCollection", "features": [{"type": "Fea'
    api.failures[f"/api/history/{ids[2]}/geojson"] = [404]
    report = sync(store, api)
    assert stored_ids(store) == [ids[0], ids[3]]
    skipped = [n for n in report.notes if n.startswith("skipped")]
    assert len(skipped) == 2
    assert api.url(ids[1]) in skipped[0] and "not valid JSON" in skipped[0]
    assert api.url(ids[2]) in skipped[1] and "404" in skipped[1]
    del api.bodies[ids[1]]
    assert len(sync(store, api).added) == 2
    assert stored_ids(store) == ids


def test_a_body_that_is_not_deepstate_is_refused(store, api):
    ids = sorted(api.files)
    swapped = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "name": "Окуповано /// Occupied /// geoJSON.status.occupied"}, "geometry": {
        "type": "Polygon", "coordinates": [[[48.6, 38.0], [48.6, 38.1], [48.7, 38.1],
                                            [48.6, 38.0]]]}}]}
    api.bodies[ids[0]] = orjson.dumps(swapped)  # lat/lon swapped
    report = sync(store, api)
    assert ids[0] not in stored_ids(store)
    assert any(api.url(ids[0]) in n for n in report.notes)


@pytest.mark.parametrize("listing, message", [
    ({"error": "nope"}, "expected a JSON list"),
    ([{"id": "yesterday"}], "entry 0 has no numeric 'id'"),
])
def test_a_bad_listing_is_an_error_naming_the_url(store, api, listing, message):
    api.listing = listing
    with pytest.raises(InputError, match=message) as info:
        sync(store, api)
    assert f"{api.base}/history/public" in str(info.value)
    assert store.snapshots() == []


def test_wrong_api_root_and_unreachable_server(store, api):
    with pytest.raises(SourceUnreachable, match="404 Not Found: is the API root right") as info:
        sync_deepstate(store, api.base + "/v2", None, None, retry_wait=0.01)
    assert f"{api.base}/v2/history/public" in str(info.value)
    port = free_port()  # closed again: nothing listens there
    with pytest.raises(SourceUnreachable, match="download failed after 4 attempts: ConnectError"
                       ) as info:
        sync_deepstate(store, f"http://127.0.0.1:{port}/api", None, None, retry_wait=0.01)
    assert info.value.code == "source-unreachable" and not isinstance(info.value, InputError)


def test_cli_sync_json_and_errors(api, tmp_path):
    db = tmp_path / "cli.sqlite"
    cmd = [sys.executable, "-m", "frontwatch", "sync", "deepstate", "--db", str(db)]
    env = {**os.environ, "FRONTWATCH_DEEPSTATE_URL": api.base}
    done = subprocess.run([*cmd, "--json"], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [a["valid_at"] for a in report["added"]] == [
        datetime.fromtimestamp(i, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for i in sorted(api.files)]
    bad = subprocess.run([*cmd, "--base-url", api.base + "/v2"], capture_output=True,
                         text=True, env=env, timeout=600)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert f"{api.base}/v2/history/public" in bad.stderr
    assert bad.stderr.strip().endswith("[source-unreachable]"), bad.stderr
