"""The wheel, built from what the Dockerfile's build stage copies, checked for its contents,
then installed into a fresh venv and run AS A NON-ROOT USER from an empty folder: the closest
check of what the image runs that can be made without a Docker engine.

The venv takes the dependencies from the environment running the tests (the image installs
the same pinned versions from requirements.lock) and nothing of the repository: no PYTHONPATH,
no editable install, no node_modules. The server must find its routers, bundled data,
migrations and map/docs assets inside the installed package, and write only where it is told
(its --db folder and HOME)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from frontwatch.render import assets
from tests.conftest import REPO
from tests.helpers import free_port
from tests.test_dockerfile import instructions

NOBODY = 65534
MACHINE_PATHS = (str(REPO), "/work/", "/root/", "/home/")


def _context_paths() -> list[str]:
    """What the Dockerfile's build stage copies from the build context."""
    ins = instructions()
    second_from = [i for i, (w, _) in enumerate(ins) if w == "FROM"][1]
    return [src for w, args in ins[:second_from] if w == "COPY" and not args.startswith("--")
            for src in args.split()[:-1]]


def _dockerignored() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [ln.strip().removeprefix("**/") for ln in lines
            if ln.strip() and not ln.startswith("#")]


@pytest.fixture(scope="module")
def build_context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the Docker build context's copied paths (symlinks kept, as COPY keeps
    them), with node_modules as the stage's `npm ci` leaves it."""
    deps = (REPO / "node_modules" / "leaflet" / "package.json")
    if not deps.is_file():
        pytest.skip("node_modules is not installed (npm ci): the wheel would lack Leaflet")
    ctx = tmp_path_factory.mktemp("context")
    ignore = shutil.ignore_patterns(*_dockerignored())
    for rel in _context_paths():
        src = REPO / rel
        if src.is_dir():
            shutil.copytree(src, ctx / rel, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(src, ctx / rel)
    (ctx / "node_modules").symlink_to(REPO / "node_modules")
    return ctx


@pytest.fixture(scope="module")
def wheel(build_context: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                           "--disable-pip-version-check", "-w", str(out), str(build_context)],
                          capture_output=True, text=True, timeout=300)
    offline = ("No matching distribution found for setuptools", "Failed to establish a new "
               "connection", "Temporary failure in name resolution")
    if done.returncode != 0 and any(m in done.stderr for m in offline):
        pytest.skip("no package registry: pip wheel could not fetch its build tool, setuptools")
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("frontwatch-*.whl")
    return built


@pytest.fixture(scope="module")
def names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


def test_the_http_layer_ships_inside_frontwatch(names: set[str]) -> None:
    for path in sorted((REPO / "api").rglob("*.py")):
        rel = path.relative_to(REPO / "api").as_posix()
        assert f"frontwatch/api/{rel}" in names, f"api/{rel} is not in the wheel"
    tops = {n.split("/")[0] for n in names}
    assert tops == {"frontwatch", "frontwatch-0.1.0.dist-info"} or (
        len(tops) == 2 and all(t.startswith("frontwatch") for t in tops)), tops


def test_the_package_data_ships(names: set[str]) -> None:
    for name in ("places.csv", "place_names.csv", "demo.geojson"):
        assert f"frontwatch/geodata/{name}" in names
    assert not [n for n in names if n.startswith("frontwatch/geodata/") and n.endswith(".py")]
    sql = sorted(p.name for p in (REPO / "src/frontwatch/store/migrations").glob("*.sql"))
    assert sql and all(f"frontwatch/store/migrations/{s}" in names for s in sql)
    assert "frontwatch/py.typed" in names
    missing = [f for f in assets.SERVED if f"frontwatch/render/npm/{f}" not in names]
    assert not missing, f"map assets not in the wheel: {missing}"


def test_no_tests_benchmarks_or_build_leftovers(names: set[str]) -> None:
    bad = [n for n in names if re.search(r"(^|/)(tests?|bench|node_modules|__pycache__)/", n)
           or n.endswith((".pyc", ".sqlite"))]
    assert not bad, bad


def test_no_machine_paths_in_the_wheel(wheel: Path, build_context: Path) -> None:
    leaked = []
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            text = z.read(name).decode("utf-8", "replace")
            leaked += [f"{name}: {p}" for p in (*MACHINE_PATHS, str(build_context))
                       if p in text and not (p == "node_modules" and name.endswith(".md"))
                       and not (p == "site-packages" and name.endswith(".md"))]
    assert not leaked, leaked


# --- installed and served as a non-root user -------------------------------------------------

def _as_user_prefix(python: Path) -> list[str]:
    """The command prefix that runs as an unprivileged user (we are root here), or skip.

    When the interpreter lives where that user may not read (e.g. under /root), the prefix
    grants it only CAP_DAC_READ_SEARCH: reading and listing, never writing, so what the
    server writes is still checked."""
    if os.geteuid() != 0:
        return []
    tries = []
    if shutil.which("setpriv"):
        base = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
        tries += [base, [*base, "--inh-caps=+dac_read_search",
                         "--ambient-caps=+dac_read_search"]]
    if shutil.which("runuser"):
        tries.append(["runuser", "-u", "nobody", "--"])
    # the same interpreter, seeing the same dependencies (an unreadable one may otherwise be
    # swapped for another Python on the way)
    want = f"{NOBODY} {sys.base_prefix}"
    for prefix in tries:
        probe = subprocess.run([*prefix, str(python), "-c", "import os, sys, fastapi; "
                                "print(os.geteuid(), sys.base_prefix)"],
                               capture_output=True, text=True, timeout=60)
        if probe.returncode == 0 and probe.stdout.strip() == want:
            return prefix
    pytest.skip("cannot run as an unprivileged user here (no working setpriv or runuser)")


def _same_origin_refs(html: str, origin: str) -> list[str]:
    """Every script src and link href of a page (stylesheets, icons, the oEmbed and feed
    discovery links), asserted same-origin."""
    refs = [r.replace("&amp;", "&") for r in re.findall(r'<script[^>]+src="([^"]+)"', html)
            + re.findall(r'<link[^>]+href="([^"]+)"', html)]
    external = [r for r in refs if re.match(r"(https?:)?//", r) and not r.startswith(origin)]
    assert not external, f"the page loads from elsewhere: {external}"
    return refs


@pytest.fixture(scope="module")
def installed(wheel: Path) -> Iterator[dict]:
    """The wheel in a fresh venv, folders owned by the unprivileged user, and its env."""
    root = Path(tempfile.mkdtemp(prefix="frontwatch-wheel-"))
    root.chmod(0o755)  # mkdtemp's 0700 would keep the unprivileged user out
    try:
        venv = root / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                        str(venv)], check=True, timeout=120)
        python = venv / "bin" / "python"
        if sys.prefix != sys.base_prefix:  # we run in a venv: its packages are the deps
            (Path(subprocess.check_output(
                [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                text=True).strip()) / "_deps.pth").write_text(
                    "\n".join(dict.fromkeys((sysconfig.get_path("purelib"),
                                             sysconfig.get_path("platlib")))) + "\n")
        for sub in ("home", "work", "db"):  # the only folders the server may write in
            (root / sub).mkdir()
            if os.geteuid() == 0:
                os.chown(root / sub, NOBODY, NOBODY)
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("FRONTWATCH_", "PYTHON", "XDG_", "VIRTUAL_ENV", "MPL"))}
        env = {**keep, "HOME": str(root / "home"), "PYTHONDONTWRITEBYTECODE": "1",
               "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"}
        # --ignore-installed: the environment's own frontwatch (an editable install, say)
        # would otherwise count as "already installed" and the venv would run that instead
        done = subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps",
                               "--ignore-installed", "--no-cache-dir",
                               "--disable-pip-version-check", "--no-warn-script-location",
                               str(wheel)],
                              capture_output=True, text=True, timeout=300, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        prefix = _as_user_prefix(python)
        yield {"root": root, "venv": venv, "python": python, "prefix": prefix, "env": env}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run(inst: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*inst["prefix"], *args], cwd=inst["root"] / "work", env=inst["env"],
                          capture_output=True, text=True, timeout=timeout)


def test_the_installed_package_is_the_wheel_not_the_repository(installed: dict) -> None:
    done = _run(installed, str(installed["python"]), "-c",
                "from importlib.util import find_spec; import frontwatch.paths as p; "
                "print(p.__file__); print(p.data_dir()); "
                "print(find_spec('frontwatch.api.routes.maps').origin)")
    assert done.returncode == 0, done.stderr
    venv = str(installed["venv"].resolve())
    for line in done.stdout.splitlines():
        assert str(Path(line).resolve()).startswith(venv), line


def test_served_from_the_wheel_as_a_non_root_user(installed: dict) -> None:
    db = installed["root"] / "db" / "x.sqlite"
    exe = str(installed["venv"] / "bin" / "frontwatch")
    done = _run(installed, exe, "demo", "load", "--db", str(db))
    assert done.returncode == 0, done.stdout + done.stderr

    # a saved page is self-contained: no path of this machine, no CDN
    page = installed["root"] / "work" / "page.html"
    done = _run(installed, exe, "map", "latest", "--db", str(db), "-o", str(page))
    assert done.returncode == 0, done.stdout + done.stderr
    html = page.read_text()
    leaked = [p for p in (*MACHINE_PATHS, str(installed["root"]), "site-packages", "file://")
              if p in html]
    assert not leaked, f"the saved page names a path of this machine: {leaked}"
    refs = re.findall(r'<script[^>]+src="([^"]+)"', html) + re.findall(
        r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html)
    assert all(re.match(r"https?://", r) for r in refs), f"not loadable from a file: {refs}"
    assert refs or "Leaflet" in html  # the scripts inlined, or named by URL

    port = free_port()
    server = subprocess.Popen(
        [*installed["prefix"], exe, "serve", "--db", str(db), "--port", str(port),
         "--workers", "2"], cwd=installed["root"] / "work", env=installed["env"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            # a guard against a server that never answers, not a timing: on a quiet machine
            # it answers in seconds, on a shared one it took up to two minutes
            deadline = time.monotonic() + 300
            while True:
                assert server.poll() is None, f"serve exited: {server.stdout.read()}"
                try:
                    health = client.get("/healthz")
                    if health.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "serve did not answer /healthz in 300 s"
                time.sleep(0.3)
            assert health.json()["status"] == "ok"

            fav = client.get("/favicon.ico")
            assert fav.status_code == 200 and fav.headers["content-type"].startswith("image/")

            for path, needs in (("/docs", "swagger-ui-bundle.js"),
                                ("/redoc", "redoc.standalone.js")):
                doc = client.get(path)
                assert doc.status_code == 200, path
                refs = _same_origin_refs(doc.text, base)
                assert any(r.endswith(needs) for r in refs), (path, refs)
                for ref in refs:
                    got = client.get(ref)
                    assert got.status_code == 200 and got.content, (path, ref)
                assert "cdn.jsdelivr.net" not in doc.text and "unpkg.com" not in doc.text

            page = client.get("/maps/latest.html")
            assert page.status_code == 200, page.text[:500]
            refs = _same_origin_refs(page.text, base)
            leaflet = [r for r in refs if r.endswith("/leaflet.js")]
            assert leaflet, refs
            for ref in refs:
                got = client.get(ref)
                assert got.status_code == 200 and got.content, ref
            js = client.get(leaflet[0])
            assert "javascript" in js.headers["content-type"] and b"Leaflet" in js.content
            assert "fw-load-failed" in page.text  # says so if its scripts do not load
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()
    # the workers ran on the --db they were given: no default store appeared in HOME
    stray = [p for p in (installed["root"] / "home").rglob("*.sqlite")]
    assert not stray, stray
    assert db.is_file() and (os.geteuid() != 0 or db.stat().st_uid == NOBODY)

