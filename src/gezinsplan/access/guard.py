"""Makes forgetting the access rules impossible.

Every dependency that applies an access rule is registered here. At start-up the app walks
each route under the API prefix and refuses to start when one does not depend on a rule.
"""

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

F = TypeVar("F", bound=Callable[..., Any])

_RULES: set[Callable[..., Any]] = set()


class UnguardedRouteError(RuntimeError):
    """A route under the API prefix does not go through the access module."""


def access_rule(function: F) -> F:
    """Mark a dependency as one that decides what the caller may see or do."""
    _RULES.add(function)
    return function


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def rules_of(dependant: Dependant) -> list[Callable[..., Any]]:
    """The access rules a route depends on, in the order FastAPI resolves them; the OpenAPI
    document names the roles they admit."""
    return [call for call in _calls(dependant) if call in _RULES]


def unguarded_routes(app: FastAPI, prefix: str) -> list[str]:
    # FastAPI keeps an included router as one lazy entry of ``app.routes``; walk the
    # effective routes (full path, include-level dependencies) or the check sees nothing.
    missing = []
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute):
            continue
        path = route.path or ""
        if not path.startswith(prefix):
            continue
        dependant: Dependant = route.dependant
        if not any(call in _RULES for call in _calls(dependant)):
            missing.append(f"{sorted(route.methods or ())} {path}")
    return missing


def ensure_guarded(app: FastAPI, prefix: str) -> None:
    missing = unguarded_routes(app, prefix)
    if missing:
        raise UnguardedRouteError(f"routes without an access rule: {', '.join(missing)}")
