"""The API routers, one module per group of endpoints (`frontwatch.api.app` includes them)."""
