"""The app factory `frontwatch serve` hands to its worker processes, with the settings.

uvicorn pickles it into each worker process, which answers its supervisor's health pings
only once it is unpickled. Unpickling this small object imports only the settings; the app
(FastAPI, geopandas, every route: tens of seconds on a busy machine) is imported when the
worker calls it, by then answering pings. A pickled `partial(create_app, settings)` imported
all of it first, so on a loaded machine uvicorn killed each worker for missing its 5-second
ping and started another, and `serve --workers N` never answered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from frontwatch.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI


@dataclass(frozen=True, slots=True)
class AppFactory:
    settings: Settings

    def __call__(self) -> FastAPI:
        from frontwatch.api.app import create_app

        return create_app(self.settings)
