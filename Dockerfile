# Production image: migrates the database, then serves on 0.0.0.0:8000.
#
#   docker build -t gezinsplan .
#   docker run -p 8000:8000 \
#     -e GEZINSPLAN_DATABASE_URL=postgresql://user:password@db:5432/gezinsplan \
#     -e GEZINSPLAN_JWT_SECRET=... \
#     -e GEZINSPLAN_WORKERS=4 \
#     gezinsplan
#
# Production refuses to start without GEZINSPLAN_JWT_SECRET (32+ characters) for HS
# algorithms, or without GEZINSPLAN_JWT_JWKS_URL for RS/ES algorithms (see README.md).
#
# CI cannot build images, so this file uses only the steps `make run` exercises: the same
# `pip install .` (not editable), `gezinsplan migrate` and `gezinsplan serve`. `make test`
# lints it with hadolint and tests/test_dockerfile.py checks that it keeps matching.

# Build stage: install the package and its dependencies into a virtualenv.
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /build
# pyproject.toml names README.md as the readme.
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install .

# Runtime stage: the virtualenv, the migrations and nothing else; runs as a non-root user.
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH

# Same base image and same path as the build stage, so the venv's interpreter links hold.
COPY --from=build /opt/venv /opt/venv

WORKDIR /app
# `gezinsplan migrate` reads alembic.ini from the working directory.
COPY alembic.ini ./
COPY migrations ./migrations

# A numeric USER, so runtimes that require a non-root user (runAsNonRoot) can verify it.
RUN groupadd --system --gid 10001 gezinsplan \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin gezinsplan \
    && mkdir -p /app/var \
    && chown 10001:10001 /app/var

ENV GEZINSPLAN_ENVIRONMENT=production \
    GEZINSPLAN_HOST=0.0.0.0 \
    GEZINSPLAN_PORT=8000 \
    GEZINSPLAN_WORKERS=1 \
    GEZINSPLAN_VAR_DIR=/app/var

USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD ["python", "-c", "import os, urllib.request as r; r.urlopen('http://127.0.0.1:' + os.environ['GEZINSPLAN_PORT'] + '/api/v1/health/ready', timeout=3)"]

# Arguments after the image name go to `gezinsplan serve` (for example --workers 4);
# exec makes the server PID 1, so it receives SIGTERM.
ENTRYPOINT ["/bin/sh", "-c", "gezinsplan migrate && exec gezinsplan serve \"$@\"", "gezinsplan"]
