"""The format registry (ingest/formats.py): every format recognises a small file of its own
kind, no other format claims it, and everything that lists formats — the CLI's help, the
upload's refusal, the README — lists exactly the registry's."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from frontwatch.errors import InputError
from frontwatch.ingest import ImportOptions, parse_snapshots
from frontwatch.ingest.base import Input
from frontwatch.ingest.formats import (
    BY_NAME,
    CHOICES,
    PUBLISHERS,
    REGISTRY,
    SOURCE_PREFERENCE,
    SUFFIXES,
)
from frontwatch.ingest.vector import StatusMapping
from frontwatch.settings import Settings
from frontwatch.sources import attribution
from frontwatch.store import open_store
from tests import hostile as h
from tests.helpers import OCC, deepstate_fc, square

ROOT = Path(__file__).resolve().parents[1]
FALLBACK = REGISTRY[-1]  # the generic reader: takes any JSON or vector file left over


def _kml() -> bytes:
    coords = " ".join(f"{x},{y}" for x, y in square())
    return (f'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f"<Placemark><name>zone</name><Polygon><outerBoundaryIs><LinearRing><coordinates>"
            f"{coords}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
            f"</Document></kml>").encode()


def _kmz() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("doc.kml", _kml())
    return buf.getvalue()


def _esri() -> bytes:
    return orjson.dumps({"geometryType": "esriGeometryPolygon", "spatialReference": {
        "wkid": 4326}, "features": [{"attributes": {"Control": "Russian"},
                                     "geometry": {"rings": [square()[::-1]]}}]})


def _geojson(**props) -> bytes:
    return orjson.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props,
         "geometry": {"type": "Polygon", "coordinates": [square()]}}]})


def _nzz() -> bytes:
    return orjson.dumps({"value": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"type": "nochange", "date": "2025-06-01"},
         "geometry": {"type": "Polygon", "coordinates": [square()]}}]}})


GIVEN = {"status": "occupied", "date": "2025-06-01"}  # for formats without statuses of their own


@dataclass(frozen=True)
class Sample:
    format: str
    name: str
    build: object  # () -> bytes
    given: dict = field(default_factory=dict)

    def opts(self, **kw) -> ImportOptions:
        from frontwatch.ingest import parse_date

        given = {**self.given, **kw}
        return ImportOptions(
            format=given.get("format", "auto"), status=StatusMapping(status=given.get("status")),
            date=parse_date(given["date"]) if "date" in given else None)

    def input(self, **kw) -> Input:
        return Input(self.build(), self.name, self.opts(**kw))


SAMPLES = [
    Sample("kml", "zones.kml", _kml, GIVEN),
    Sample("kml", "zones.kmz", _kmz, GIVEN),
    Sample("esrijson", "query.json", _esri, GIVEN),
    Sample("nzz", "2025-06-02.json", _nzz),
    Sample("archive", "deepstatemap_data_20250601.geojson", lambda: _geojson()),
    Sample("deepstate", "1748736000.geojson", lambda: orjson.dumps(deepstate_fc((OCC, square())))),
    Sample("deepstate", "latest.json", lambda: orjson.dumps(
        {"id": 1748736000, "datetime": "2025-06-01T00:00:00Z",
         "map": deepstate_fc((OCC, square()))})),
    Sample("vector", "zones.geojson", lambda: _geojson(state="occupied"), GIVEN),
    Sample("vector", "zones.gpkg", lambda: h.vector_bytes(h.frame(), ".gpkg"), GIVEN),
    Sample("vector", "zones.fgb", lambda: h.vector_bytes(h.frame(), ".fgb"), GIVEN),
    Sample("vector", "zones.zip", lambda: h.shapefile_zip(h.frame()), GIVEN),
]
IDS = [s.name for s in SAMPLES]


def test_every_registered_format_has_a_sample():
    assert {s.format for s in SAMPLES} == set(BY_NAME)


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_each_format_detects_its_own_and_no_other_claims_it(sample):
    claimed = [f.name for f in REGISTRY if f.detect(sample.input())]  # a fresh input each
    assert claimed[0] == sample.format
    assert set(claimed) <= {sample.format, FALLBACK.name}, "detection is ambiguous"


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_each_format_reads_its_own_into_snapshots_of_its_source(sample):
    opts = sample.opts()
    snaps = parse_snapshots(sample.build(), sample.name, opts)
    assert len(snaps) == 1 and snaps[0].zones
    assert snaps[0].source == BY_NAME[sample.format].source(opts)
    assert snaps[0].valid_at.date().isoformat() == "2025-06-01"


def test_statuses_given_turn_a_publishers_recognition_off():
    """NZZ and the archive step aside when the user gives statuses (the generic reader then
    takes the archive file, as before the registry)."""
    archive = next(s for s in SAMPLES if s.format == "archive")
    assert BY_NAME["archive"].detect(archive.input())
    assert not BY_NAME["archive"].detect(archive.input(**GIVEN))
    snaps = parse_snapshots(archive.build(), archive.name, archive.opts(**GIVEN))
    assert snaps[0].source == "import"


@pytest.mark.parametrize(("name", "asked", "kind"), [
    ("zones.geojson", "kml", "a JSON file"),  # used to be "not well-formed XML (line 1)"
    ("zones.gpkg", "nzz", "a GeoPackage file"),
    ("zones.kmz", "vector", "a KML/KMZ file"),
    ("zones.kml", "deepstate", "a KML/KMZ file"),
])
def test_a_format_asked_for_that_cannot_read_the_content_says_what_it_is(name, asked, kind):
    sample = next(s for s in SAMPLES if s.name == name)
    with pytest.raises(InputError, match=f"format {asked} was asked for; this is {kind}"):
        parse_snapshots(sample.build(), name, sample.opts(format=asked))


def test_a_json_format_asked_for_reads_any_json_and_says_what_is_wrong():
    sample = next(s for s in SAMPLES if s.name == "zones.geojson")
    with pytest.raises(InputError, match="not an NZZ map"):
        parse_snapshots(sample.build(), sample.name, ImportOptions(format="nzz"))


def test_unknown_content_is_refused_listing_every_registered_format():
    with pytest.raises(InputError) as exc:
        parse_snapshots(b"<html></html>", "zones.kml", ImportOptions())
    listed = str(exc.value).split("accepted: ", 1)[1]
    assert listed == ", ".join(f.label for f in REGISTRY) + " (each optionally .gz)"


def test_publishers_come_from_the_registry():
    declared = {f.publisher.source for f in REGISTRY if f.publisher}
    assert declared == {"deepstate", "deepstate-archive", "nzz"}
    assert set(SOURCE_PREFERENCE) == set(PUBLISHERS) == declared | {"demo"}
    assert SOURCE_PREFERENCE[0] == "deepstate"
    for source, p in PUBLISHERS.items():
        assert attribution(source) == p.attribution
    assert attribution("isw") == "Control data: isw"


# --- everything that lists formats lists the registry's --------------------------------------
def test_cli_format_choices_are_the_registry():
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}", "COLUMNS": "300"}
    r = subprocess.run([sys.executable, "-m", "frontwatch", "import", "--help"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    m = re.search(r"--format\s+TEXT\s+(.+?)\s+\[default: auto\]", r.stdout)
    assert m, r.stdout
    assert m.group(1).split(" | ") == ["auto", *(f.name for f in REGISTRY)]
    helped = " ".join(r.stdout.split())
    assert ", ".join(f.label for f in REGISTRY) in helped


def test_upload_format_choices_are_the_registry(tmp_path):
    from frontwatch.api.app import create_app

    open_store(tmp_path / "s.sqlite").close()
    settings = Settings(database_url=str(tmp_path / "s.sqlite"), api_token="t")
    with TestClient(create_app(settings)) as client:
        r = client.post("/v1/snapshots", params={"format": "gml"}, content=b"{}",
                        headers={"Authorization": "Bearer t"})
        assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
        listed = r.json()["detail"].split("choose one of ", 1)[1]
        assert listed.split(", ") == list(CHOICES) == ["auto", *(f.name for f in REGISTRY)]
        spec = client.get("/openapi.json").json()["paths"]["/v1/snapshots"]["post"]
    param = next(p for p in spec["parameters"] if p["name"] == "format")
    assert param["description"].split(" | ") == list(CHOICES)
    assert all(f.label in spec["description"] for f in REGISTRY)


def _import_section() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("### Importing data", 1)[1].split("\n### ", 1)[0]


def test_readme_format_table_is_the_registry():
    section = _import_section()
    table = section.split("| Format | `--format` |", 1)[1].split("\n\n", 1)[0]
    rows = ["| Format | `--format` |" + table.splitlines()[0], *table.splitlines()[1:]]
    header = [c.strip() for c in rows[0].strip().strip("|").split("|")]
    col = header.index("`--format`")
    names = {[c.strip() for c in row.strip().strip("|").split("|")][col].strip("`")
             for row in rows[2:]}
    assert names == set(BY_NAME)
    forced = re.search(r"`--format ([a-z|]+)`", section).group(1)
    assert forced.split("|") == list(CHOICES)
    walked = re.search(r"Folders are walked recursively \(`([^`]+)`\)", section).group(1)
    assert set(walked.split()) == set(SUFFIXES)
