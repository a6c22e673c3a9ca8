"""Serving benchmark: `GET /v1/snapshots/{date}` of a real snapshot from `frontwatch serve`
against nginx serving the very same bytes as a static file (gzip_static: the precompressed
body, as we serve it) with the same number of worker processes; and `GET /v1/areas` (a
region's full series). wrk on loopback, 16 connections, one run each.

    python -m bench.bench_serving [--duration 10] [--workers 1]

Needs Debian's `wrk` and `nginx` on PATH; builds a throwaway store from ../shared/data.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import build_real_store, need_shared

DAY = "2025-06-30"
NGINX_CONF = """worker_processes {workers};
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  types {{ application/geo+json geojson; }}
  client_body_temp_path {tmp}/t; proxy_temp_path {tmp}/t; fastcgi_temp_path {tmp}/t;
  uwsgi_temp_path {tmp}/t; scgi_temp_path {tmp}/t;
  server {{ listen 127.0.0.1:{port}; root {tmp}/www; gzip_static on; etag on; }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_store(path: Path) -> None:
    """Boundaries plus the 2025 DeepStateMap snapshots (what the figures are about)."""
    build_real_store(path, need_shared(), luhansk=False).close()


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"bench: server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    sys.exit(f"bench: {url} did not come up")


def to_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def wrk(url: str, duration: int, connections: int = 16) -> dict[str, float]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency",
           "-H", "Accept-Encoding: gzip", url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        sys.exit(f"bench: {errors.group(1)} error responses from {url}")
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": to_ms(lat["50"]), "p99": to_ms(lat["99"])}


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--workers", type=int, default=1, help="worker processes for both")
    args = ap.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            sys.exit(f"bench: {tool} not found (apt-get install -y wrk nginx)")
    with tempfile.TemporaryDirectory(prefix="fw-bench-") as tmp_name:
        tmp = Path(tmp_name)
        db = tmp / "bench.sqlite"
        print("building the store from ../shared/data …", file=sys.stderr)
        build_store(db)
        api_port, nginx_port = free_port(), free_port()
        env = {**os.environ, "FRONTWATCH_SOURCE": "deepstate"}
        api = subprocess.Popen([sys.executable, "-m", "frontwatch", "serve", "--db", str(db),
                                "--port", str(api_port), "--workers", str(args.workers)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        www = tmp / "www"
        (tmp / "t").mkdir()
        www.mkdir()
        for d in (tmp, www):  # nginx's workers drop root privileges when started as root
            d.chmod(0o755)
        try:
            base = f"http://127.0.0.1:{api_port}"
            wait_for(f"{base}/healthz", api)
            snap_url = f"{base}/v1/snapshots/{DAY}"
            areas_url = f"{base}/v1/areas?region=donetsk-oblast"
            plain = httpx.get(snap_url, headers={"Accept-Encoding": "identity"})
            gz = httpx.get(snap_url, headers={"Accept-Encoding": "gzip"})
            with httpx.stream("GET", snap_url, headers={"Accept-Encoding": "gzip"}) as s:
                raw_gz = b"".join(s.iter_raw())
            (www / "snapshot.geojson").write_bytes(plain.content)
            (www / "snapshot.geojson.gz").write_bytes(raw_gz)
            for f in www.iterdir():
                f.chmod(0o644)
            httpx.get(areas_url, timeout=120)  # fills the cache like any first client
            conf = tmp / "nginx.conf"
            conf.write_text(NGINX_CONF.format(workers=args.workers, tmp=tmp, port=nginx_port))
            nginx = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(tmp)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                static_url = f"http://127.0.0.1:{nginx_port}/snapshot.geojson"
                wait_for(static_url, nginx)
                check = httpx.get(static_url, headers={"Accept-Encoding": "gzip"})
                if not check.content == gz.content == plain.content:
                    sys.exit(f"bench: bodies differ: identity {len(plain.content)}, gzip "
                             f"{len(gz.content)}, nginx {len(check.content)} bytes")
                results = {
                    "nginx, static file (gzip_static)": wrk(static_url, args.duration),
                    f"frontwatch GET /v1/snapshots/{DAY}": wrk(snap_url, args.duration),
                    "frontwatch GET /v1/areas?region=donetsk-oblast": wrk(areas_url,
                                                                          args.duration),
                }
            finally:
                stop(nginx)
        finally:
            stop(api)
    report(results, len(plain.content), len(raw_gz), args)


def report(results: dict[str, dict[str, float]], size: int, gz_size: int,
           args: argparse.Namespace) -> None:
    base = results["nginx, static file (gzip_static)"]["rps"]
    print(f"snapshot {DAY}: {size:,} bytes, {gz_size:,} gzip; wrk -t2 -c16 -d{args.duration}s "
          f"--latency -H 'Accept-Encoding: gzip'; {args.workers} worker(s) each\n")
    print("| request | requests/s | ratio to nginx | p50 ms | p99 ms |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['rps']:,.0f} | {r['rps'] / base:.2f} | {r['p50']:.2f} | "
              f"{r['p99']:.2f} |")


if __name__ == "__main__":
    main()
