# Frontwatch: the HTTP API and map server over a SQLite store kept in the /data volume.
#   docker build -t frontwatch .
#   docker run -p 8000:8000 -v frontwatch-data:/data frontwatch
#   docker run -v frontwatch-data:/data -v "$PWD/snapshots:/in:ro" frontwatch import /in
# Set FRONTWATCH_DATABASE_URL=postgresql://… to use a PostGIS server instead.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FRONTWATCH_DATABASE_URL=/data/frontwatch.sqlite \
    FRONTWATCH_DATA_DIR=/app/data/geo

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY api ./api
COPY data ./data
# Installed from this folder (the version ranges are pyproject's; no lock file yet).
RUN pip install "/app[postgis]" \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin frontwatch \
    && mkdir -p /data \
    && chown frontwatch /data

USER 10001
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4); sys.exit(r.status != 200)"]
ENTRYPOINT ["frontwatch"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
