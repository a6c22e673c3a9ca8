"""The Atom feed on the real data, read by a feed parser (feedparser) as a reader would, and
checked as XML: valid Atom, stable ids, `updated` = the revision's time, a self link, the
entries the status table gives, and parameters refused like everywhere else."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlparse
from xml.etree import ElementTree

import feedparser
import pytest
from fastapi.testclient import TestClient

from frontwatch import feed
from frontwatch.settings import Settings
from tests.test_api_v1 import problem

ATOM_NS = "{http://www.w3.org/2005/Atom}"
URL = "/feeds/changes.atom"


@pytest.fixture(scope="module")
def client(real_db):
    from frontwatch.api.app import create_app

    return TestClient(create_app(Settings(database_url=str(real_db), source="deepstate")))


@pytest.fixture(scope="module")
def donetsk(client):
    r = client.get(URL, params={"region": "donetsk-oblast"})
    assert r.status_code == 200, r.text
    return r


def _parsed(r):
    assert r.headers["content-type"].startswith("application/atom+xml")
    doc = feedparser.parse(r.content)
    assert not doc.bozo, doc.get("bozo_exception")
    assert doc.version == "atom10"
    return doc


def test_feed_is_valid_atom_with_self_link_and_credit(donetsk):
    doc = _parsed(donetsk)
    assert doc.feed.id.startswith("urn:uuid:") and "Donetsk" in doc.feed.title
    links = {(lk.rel, lk.get("type")): lk.href for lk in doc.feed.links}
    assert links[("self", "application/atom+xml")] == \
        "http://testserver/feeds/changes.atom?region=donetsk-oblast"
    assert "DeepStateMap" in doc.feed.rights
    assert doc.feed.author == "Frontwatch"
    root = ElementTree.fromstring(donetsk.content)  # the XML itself, element by element
    assert root.tag == f"{ATOM_NS}feed"
    for entry in root.iter(f"{ATOM_NS}entry"):
        for tag in ("id", "title", "updated", "summary"):
            assert len(entry.findall(f"{ATOM_NS}{tag}")) == 1, tag


def test_entries_are_the_status_tables_changes_newest_first(donetsk, real_store):
    from frontwatch.analytics import placestatus

    doc = _parsed(donetsk)
    assert 0 < len(doc.entries) <= feed.MAX_ENTRIES
    newest = real_store.resolve("deepstate", None)
    start = newest.date - timedelta(days=feed.WINDOW_DAYS - 1)
    changes = placestatus.changes(real_store, start, newest.date, region="donetsk-oblast",
                                  source="deepstate")
    assert len(doc.entries) == min(len(changes), feed.MAX_ENTRIES)
    times = {s.id: s.valid_at for s in real_store.snapshots("deepstate")}
    expected = sorted(((times[c.snapshot_id], c) for c in changes), key=lambda t: t[0],
                      reverse=True)
    updated = [e.updated_parsed for e in doc.entries]
    assert updated == sorted(updated, reverse=True)
    first = doc.entries[0]
    # updated = the time of the revision that showed the change (not the request's time)
    assert first.updated.replace("Z", "+00:00") == expected[0][0].isoformat()
    newest_titles = {
        f"{c.name}: {feed.STATUS_WORDS[c.from_status]} → {feed.STATUS_WORDS[c.to_status]}"
        for t, c in expected if t == expected[0][0]}
    assert {e.title for e in doc.entries if e.updated == first.updated} <= newest_titles
    for e in doc.entries:  # each links to the map of its date centred on the place
        link = urlparse(e.link)
        assert link.path.startswith("/maps/") and link.path.endswith(".html")
        q = parse_qs(link.query)
        assert q["source"] == ["deepstate"] and q["place"][0]
        assert "population" in e.summary and "→" in e.summary


def test_ids_are_stable_across_requests_and_cache_misses(client, donetsk):
    first = [e.id for e in _parsed(donetsk).entries]
    assert len(set(first)) == len(first)
    client.app.state.cache.clear()  # rebuilt from the store, not served from the cache
    again = client.get(URL, params={"region": "donetsk-oblast"})
    assert [e.id for e in _parsed(again).entries] == first
    assert again.headers["etag"] == donetsk.headers["etag"]  # same bytes: updated is data's
    assert client.get(URL, params={"region": "donetsk-oblast"},
                      headers={"If-None-Match": donetsk.headers["etag"]}).status_code == 304


def test_near_front_entries_say_when_the_front_came_close(client, real_store):
    from frontwatch.analytics import distance_to_front_km

    r = client.get(URL, params={"region": "donetsk-oblast", "near_front_km": 5})
    doc = _parsed(r)
    near = [e for e in doc.entries if e.tags[0].term == "near-front"]
    assert near, "a week of June 2025 brought the front within 5 km of some place"
    e = near[0]
    slug = parse_qs(urlparse(e.link).query)["place"][0]
    day = urlparse(e.link).path.removeprefix("/maps/").removesuffix(".html")
    d = date.fromisoformat(day)
    assert distance_to_front_km(real_store, slug, d, "deepstate") <= 5
    revs = feed.day_revisions(real_store, "deepstate", d - timedelta(days=30), d)
    before = revs[-2].date  # the revision before: still farther than 5 km
    assert distance_to_front_km(real_store, slug, before, "deepstate") > 5
    assert "within 5 km" in e.summary
    # the plain feed has none of them
    assert all(x.tags[0].term == "changed-hands"
               for x in _parsed(client.get(URL, params={"region": "donetsk-oblast"})).entries)


@pytest.mark.parametrize(("query", "status", "name"), [
    ("bogus=1", 400, "bogus"),
    ("near_front_km=-1", 400, "near_front_km"),
    ("near_front_km=abc", 400, "near_front_km"),
    ("near_front_km=1000", 400, "near_front_km"),
    ("region=atlantis", 404, "atlantis"),
    ("source=nosuch", 404, "nosuch"),
])
def test_bad_parameters_are_problems_naming_them(client, query, status, name):
    body = problem(client.get(f"{URL}?{query}"), status)
    assert name in body["detail"]


def test_map_pages_advertise_the_feed(client):
    page = client.get("/maps/2025-06-30.html", params={"region": "donetsk-oblast"}).text
    assert ('<link rel="alternate" type="application/atom+xml" href="http://testserver/feeds/'
            'changes.atom?region=donetsk-oblast&amp;source=deepstate"') in page
