"""FRONTWATCH_ASSETS: `local` (default) serves Leaflet, Swagger UI and Redoc from this
server; `cdn` is the opt-in that names the public CDNs; anything else stops at start."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from frontwatch.api.app import create_app
from frontwatch.settings import Settings
from tests.conftest import REPO


def _scripts(html: str) -> list[str]:
    return re.findall(r'<script[^>]+src="([^"]+)"', html)


def _client(monkeypatch, db: Path, mode: str | None) -> TestClient:
    if mode is None:
        monkeypatch.delenv("FRONTWATCH_ASSETS", raising=False)
    else:
        monkeypatch.setenv("FRONTWATCH_ASSETS", mode)
    monkeypatch.setenv("FRONTWATCH_DATABASE_URL", str(db))
    return TestClient(create_app(Settings()))


def test_local_is_the_default_and_names_only_this_server(monkeypatch, demo_db):
    client = _client(monkeypatch, demo_db, None)
    docs = client.get("/docs")
    assert all(s.startswith("/assets/docs/") for s in _scripts(docs.text)), docs.text
    assert "default-src 'self'" in docs.headers["content-security-policy"]
    page = client.get("/maps/latest.html").text
    assert "/assets/leaflet/dist/leaflet.js" in _scripts(page)
    assert not [s for s in _scripts(page) if s.startswith("http")]


def test_cdn_is_the_opt_in(monkeypatch, demo_db):
    client = _client(monkeypatch, demo_db, "cdn")
    docs = client.get("/docs")
    assert any(s.startswith("https://cdn.jsdelivr.net/") for s in _scripts(docs.text))
    assert "default-src" not in docs.headers.get("content-security-policy", "")
    page = client.get("/maps/latest.html").text
    assert any(re.match(r"https://cdn\.jsdelivr\.net/npm/leaflet@[\d.]+/dist/leaflet\.js", s)
               for s in _scripts(page)), _scripts(page)
    assert not [s for s in _scripts(page) if s.startswith("/assets/")]
    assert "fw-load-failed" in page  # a blocked CDN is said so on the page


def test_an_unknown_mode_stops_the_cli_at_start_naming_the_variable(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{REPO / 'src'}:{REPO}",
           "HOME": str(tmp_path), "FRONTWATCH_ASSETS": "cnd"}
    done = subprocess.run([sys.executable, "-m", "frontwatch", "serve", "--db",
                           str(tmp_path / "x.sqlite")], capture_output=True, text=True,
                          env=env, timeout=120, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "FRONTWATCH_ASSETS='cnd'" in lines[0], done.stderr
    assert not (tmp_path / "x.sqlite").exists()  # nothing written
