"""FastAPI application factory (`uvicorn api.app:create_app --factory`)."""

from __future__ import annotations

from fastapi import FastAPI

from frontwatch.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(title="Frontwatch", version="0.1.0")
    app.state.settings = settings

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
