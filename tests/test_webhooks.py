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
