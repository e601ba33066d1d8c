# Production image: migrates the database, then serves on 0.0.0.0:8000.
#
#   docker build -t gezinsplan .
#   docker run -p 8000:8000 \
#     -e GEZINSPLAN_DATABASE_URL=postgresql://user:password@db:5432/gezinsplan \
#     -e GEZINSPLAN_JWT_SECRET=... \
#     gezinsplan [--workers 4]
#
# Production refuses to start without GEZINSPLAN_JWT_SECRET (32+ characters) for HS
# algorithms, or without GEZINSPLAN_JWT_JWKS_URL for RS/ES algorithms (see README.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# A regular (not editable) install; pyproject.toml names README.md as the readme.
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . && rm -rf src build

# `gezinsplan migrate` reads alembic.ini from the working directory.
COPY alembic.ini ./
COPY migrations ./migrations

RUN useradd --system --uid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin gezinsplan \
    && mkdir -p /app/var \
    && chown gezinsplan:gezinsplan /app/var

ENV GEZINSPLAN_ENVIRONMENT=production \
    GEZINSPLAN_HOST=0.0.0.0 \
    GEZINSPLAN_PORT=8000 \
    GEZINSPLAN_VAR_DIR=/app/var

USER gezinsplan
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD ["python", "-c", "import os, urllib.request as r; r.urlopen('http://127.0.0.1:' + os.environ['GEZINSPLAN_PORT'] + '/api/v1/health/ready', timeout=3)"]

# Arguments after the image name go to `gezinsplan serve` (for example --workers 4);
# exec makes the server PID 1, so it receives SIGTERM.
ENTRYPOINT ["/bin/sh", "-c", "gezinsplan migrate && exec gezinsplan serve \"$@\"", "gezinsplan"]
