"""The OpenAPI document: generated from the app, written deterministically, served offline."""

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from gezinsplan import __version__

API_PREFIX = "/api/v1"
OPENAPI_PATH = f"{API_PREFIX}/openapi.json"
DOCS_PATH = f"{API_PREFIX}/docs"
ASSETS_PATH = f"{API_PREFIX}/docs-assets"
COMMITTED = Path("openapi/openapi.json")

DESCRIPTION = """\
The shared case file behind "1 gezin, 1 plan, 1 regisseur".

Every request carries a bearer JWT. Errors are `application/problem+json` (RFC 9457).
Single resources carry an `ETag`; changes send it back in `If-Match`. A household the caller
may not see answers 404, exactly as one that does not exist.
"""


def _problem_media_types(document: dict[str, Any]) -> None:
    """Errors declared with ``problems()`` are application/problem+json; say so, and only that.

    An error response with a model of its own (the readiness probe's 503) keeps the media type
    it is served with, so the document does not promise what the service does not send.
    """
    for path in document.get("paths", {}).values():
        for operation in path.values():
            for code, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                declared = "application/problem+json" in content and "application/json" in content
                if code.isdigit() and int(code) >= 400 and declared:
                    schema = content.pop("application/json")
                    content.setdefault("application/problem+json", {}).update(schema)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(
        title="gezinsplan",
        version=__version__,
        openapi_version="3.1.0",
        description=DESCRIPTION,
        routes=app.routes,
        servers=[{"url": "/"}],
    )
    _problem_media_types(document)
    app.openapi_schema = document
    return document


def render(document: dict[str, Any]) -> str:
    """Sorted keys and a trailing newline, so the committed file diffs cleanly."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def install_docs(app: FastAPI) -> None:
    """Swagger UI from assets shipped in a package, so the page works without a CDN."""
    assets = files("fastapi_offline") / "static"
    app.mount(ASSETS_PATH, StaticFiles(directory=str(assets)), name="docs-assets")

    def docs(_request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_PATH,
            title="gezinsplan API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
            # Swagger UI would send the document's address to validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )

    app.add_route(DOCS_PATH, docs, include_in_schema=False)
