"""`frontwatch serve`: the HTTP API and map server."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from frontwatch.cli.common import Db, app, err, settings_for, store_for


@app.command("serve")
def serve_cmd(
    host: Annotated[str | None, typer.Option(
        help="Interface to listen on [env FRONTWATCH_HOST; default: 127.0.0.1].")] = None,
    port: Annotated[int | None, typer.Option(
        min=1, max=65535, help="TCP port [env FRONTWATCH_PORT or PORT; default: 8000].")
    ] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Worker processes [env FRONTWATCH_WORKERS; default: one per CPU core].")
    ] = None,
    db: Db = None,
) -> None:
    """Run the HTTP API and map server.

    Each worker is a process with its own caches and its own cap on heavy requests
    (renders, diffs, front lines, uploads: FRONTWATCH_HEAVY_JOBS running, by default the
    cores shared out between the workers, and FRONTWATCH_HEAVY_QUEUE waiting; more get 503
    with Retry-After)."""
    import uvicorn

    settings = settings_for(db)
    workers = workers or settings.workers
    host = host or settings.host
    port = port or settings.port
    os.environ["FRONTWATCH_DATABASE_URL"] = settings.database_url
    os.environ["FRONTWATCH_WORKERS"] = str(workers)  # the workers share the cores out
    with store_for(db):
        pass  # create, migrate and bootstrap once before workers start
    err.print(f"serving {settings.database_url} on http://{host}:{port} with {workers} "
              f"worker{'s' if workers > 1 else ''}", highlight=False)
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning")
