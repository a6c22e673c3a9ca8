# Frontwatch: the HTTP API and map server. The store is SQLite in the /data volume by default,
# or PostGIS with FRONTWATCH_DATABASE_URL=postgresql://… (compose.yaml runs it that way).
#   docker build -t frontwatch .
#   docker build --build-arg BASE_IMAGE=my-local-python:3.11 -t frontwatch .   # no registry
#   docker run -p 8000:8000 -v frontwatch-data:/data frontwatch
#   docker run -v frontwatch-data:/data -v "$PWD/snapshots:/in:ro" frontwatch import /in
# Any Debian-based image with Python ≥ 3.11 as python3 works as BASE_IMAGE.
ARG BASE_IMAGE=python:3.11-slim

# --- build: the application and its pinned dependencies in a venv, Leaflet from npm -------
# The same build as `pip wheel .` (tests/test_wheel.py builds that wheel, installs it and
# serves from it as a non-root user): setup.py copies the npm packages into the package.
FROM ${BASE_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEBIAN_FRONTEND=noninteractive
# npm installs the map scripts (Leaflet and its plugin) at the versions package-lock.json pins;
# npm itself is whatever the base image's Debian release ships (it only unpacks them).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error
COPY pyproject.toml setup.py README.md requirements.lock ./
# src/frontwatch/api and src/frontwatch/geodata are symlinks into api/ and data/geo
# (COPY keeps them): a regular, non-editable install turns them into frontwatch.api and the
# package data.
COPY src ./src
COPY api ./api
COPY data ./data
# Every version pinned by requirements.lock (the versions the test suite passed with); the
# build fails here if the installed package lacks its routers, bundled data or map assets.
RUN python3 -m venv /opt/frontwatch \
    && /opt/frontwatch/bin/pip install -c requirements.lock ".[postgis]" \
    && /opt/frontwatch/bin/python -I -c "import frontwatch.api.app, frontwatch.api.routes.maps; from frontwatch.paths import data_dir; from frontwatch.render import assets; assert (data_dir() / 'places.csv').is_file() and not assets.missing_local()"

# --- runtime: the venv (map assets inside the package), run by an unprivileged user ----
FROM ${BASE_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/frontwatch/bin:$PATH \
    FRONTWATCH_DATABASE_URL=/data/frontwatch.sqlite \
    FRONTWATCH_ASSETS=local \
    FRONTWATCH_HOST=0.0.0.0 \
    FRONTWATCH_PORT=8000
COPY --from=build /opt/frontwatch /opt/frontwatch
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin frontwatch \
    && mkdir -p /data \
    && chown frontwatch /data
USER 10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
# The port the server was told to use (FRONTWATCH_PORT, else PORT, else 8000).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python3", "-c", "import os, sys, urllib.request; port = os.environ.get('FRONTWATCH_PORT') or os.environ.get('PORT') or '8000'; r = urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4); sys.exit(r.status != 200)"]
ENTRYPOINT ["frontwatch"]
CMD ["serve"]
