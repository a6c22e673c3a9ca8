"""`frontwatch serve`: the HTTP API and map server."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from frontwatch.cli.common import Db, app, err, settings_for, store_for


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    db: Db = None,
) -> None:
    """Run the HTTP API and map server."""
    import uvicorn

    settings = settings_for(db)
    os.environ["FRONTWATCH_DATABASE_URL"] = settings.database_url
    with store_for(db):
        pass  # create, migrate and bootstrap once before workers start
    err.print(f"serving {settings.database_url} on http://{host}:{port}", highlight=False)
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning")
