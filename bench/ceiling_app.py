"""Ceiling A: a bare FastAPI app returning a constant JSON body of about 1 KB.

Served by uvicorn with the service's worker count and hit by the same load generator, it is
what the framework, the server and wrk can do at all on this machine: no token check, no
database, no audit. ``def`` as the service's handlers are, so the threadpool hop is in it.
"""

from typing import Any

from fastapi import FastAPI

BODY: dict[str, Any] = {
    "id": "3f2b8c1e-6d4a-4f7b-9a1c-2e5d8f0b7c3a",
    "status": "active",
    "version": 7,
    "goals": [
        {
            "id": f"00000000-0000-4000-8000-{i:012d}",
            "lifeDomain": "finances",
            "description": "Schulden in beeld en een betalingsregeling.",
            "zrmStart": 2,
            "zrmTarget": 4,
            "status": "open",
        }
        for i in range(5)
    ],
}

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/ceiling")
def ceiling() -> dict[str, Any]:
    return BODY
