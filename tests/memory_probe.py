"""Peak memory of importing each given file, as `frontwatch import` reads it.

`python -m tests.memory_probe FILE…` warms up once (imports, one small import), then forks a
child per file: the child's peak RSS (ru_maxrss) starts at its own RSS, so the peak above that
start is what reading, decompressing and parsing that one file cost. Prints one JSON line per
file: [name, peak MB above the start, outcome]."""

from __future__ import annotations

import json
import os
import resource
import sys
from datetime import UTC, datetime
from pathlib import Path

from frontwatch.errors import InputError
from frontwatch.ingest import ImportOptions, parse_snapshot
from frontwatch.ingest.reader import read_bytes, read_vector
from frontwatch.ingest.vector import StatusMapping
from tests.hostile import deepstate_json, frame, vector_bytes

OPTS = ImportOptions(date=datetime(2025, 6, 1, tzinfo=UTC),
                     status=StatusMapping(status="occupied"))


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _import(path: Path) -> str:
    try:
        parse_snapshot(read_bytes(path, OPTS.limits), str(path), OPTS)
    except InputError as exc:
        return str(exc)
    return "accepted"


def main(paths: list[str]) -> None:
    parse_snapshot(deepstate_json(), "1719835200.geojson", ImportOptions())  # warm up
    read_vector(vector_bytes(frame(), ".gpkg"), "warm-up.gpkg", OPTS.limits)
    for name in paths:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: measure one import, report, exit without cleanup
            os.close(read_end)
            start = _peak_kib()
            outcome = _import(Path(name))
            peak_mb = (_peak_kib() - start) / 1024
            os.write(write_end, json.dumps([Path(name).name, round(peak_mb, 1),
                                            outcome]).encode())
            os._exit(0)
        os.close(write_end)
        os.waitpid(pid, 0)
        with os.fdopen(read_end, "rb") as f:
            print(f.read().decode(), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
