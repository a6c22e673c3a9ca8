"""Compressed variants of a cached response are made when a client first asks for each, not
all at once on every miss: the bytes are those of the identity body, the cache counts them."""

from __future__ import annotations

import gzip

import pytest

from frontwatch.api.cache import ENCODINGS, make_entry, ready, render


def test_variants_are_made_on_first_request_and_kept():
    body = b'{"type": "FeatureCollection", "features": []}' * 200
    entry = make_entry(body, "application/geo+json")
    assert set(entry.bodies) == {"identity"} and entry.size == len(body)
    assert not ready(entry, "gzip") and ready(entry, "identity")

    status, headers, sent = render(entry, "gzip", None)
    assert status == 200 and gzip.decompress(sent) == body
    assert dict(headers)[b"content-encoding"] == b"gzip"
    assert int(dict(headers)[b"content-length"]) == len(sent)
    assert ready(entry, "gzip") and entry.size == len(body) + len(sent)
    assert render(entry, "gzip", None)[2] is entry.bodies["gzip"]  # kept, not made again
    if "br" in ENCODINGS:
        brotli = pytest.importorskip("brotli")
        assert not ready(entry, "br, gzip")
        assert brotli.decompress(render(entry, "br, gzip", None)[2]) == body
    # a 304 needs no body and the ETag names the encoding
    etag = dict(render(entry, "gzip", None)[1])[b"etag"].decode()
    assert render(entry, "gzip", etag)[0] == 304


def test_small_bodies_are_never_compressed():
    entry = make_entry(b"{}", "application/json")
    assert entry.offered == () and ready(entry, "gzip, br")
    _, headers, sent = render(entry, "gzip, br", None)
    assert sent == b"{}" and b"content-encoding" not in dict(headers)
    assert b"vary" not in dict(headers)
