"""FRONTWATCH_ASSETS: `local` (default) serves Leaflet, Swagger UI and Redoc from this
server; `cdn` is the opt-in that names the public CDNs; anything else stops at start."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from frontwatch.api.app import create_app
from frontwatch.settings import Settings
from tests.conftest import REPO
from tests.helpers import free_port


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


def test_missing_assets_are_named_at_start_and_on_healthz(tmp_path, demo_db):
    """A fresh clone without `npm ci`: `serve` says, once, what is missing and the command
    that fixes it, and keeps serving; /healthz reports it; map pages still say their scripts
    did not load (the route answers, the asset is a 404 naming the fix)."""
    import os

    import httpx

    from tests.helpers import wait_until_serving

    empty = tmp_path / "node_modules"
    empty.mkdir()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}:{REPO}",
           "FRONTWATCH_NODE_MODULES": str(empty)}
    env.pop("FRONTWATCH_ASSETS", None)
    proc = subprocess.Popen([sys.executable, "-m", "frontwatch", "serve", "--db", str(demo_db),
                             "--port", str(port), "--workers", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(proc, base)
        health = httpx.get(f"{base}/healthz", timeout=30).json()
        page = httpx.get(f"{base}/maps/latest.html", timeout=120)
        asset = httpx.get(f"{base}/assets/leaflet/dist/leaflet.js", timeout=30)
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert health["status"] == "ok"
    assert health["assets"]["ok"] is False and health["assets"]["mode"] == "local"
    assert "leaflet/dist/leaflet.js" in health["assets"]["missing"]
    assert "npm ci" in health["assets"]["fix"]
    warnings = [line for line in stderr.splitlines() if "map assets missing" in line]
    assert len(warnings) == 1, stderr
    assert "npm ci" in warnings[0] and str(empty) in warnings[0], warnings
    assert "leaflet" in warnings[0]
    assert page.status_code == 200 and "fw-load-failed" in page.text
    assert asset.status_code == 404 and "npm ci" in asset.text


def test_installed_assets_give_no_warning(monkeypatch):
    from frontwatch.render import assets

    monkeypatch.delenv("FRONTWATCH_NODE_MODULES", raising=False)
    if assets.missing_local():
        pytest.skip("npm packages are not installed here (run `npm ci`)")
    assert assets.startup_warning("local") is None
    assert assets.health("local") == {"mode": "local", "ok": True, "missing": []}
    assert assets.health("cdn")["ok"] is True  # the CDN mode needs no local files
