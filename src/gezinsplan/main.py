"""``create_app()``: routers, middleware and problem+json handlers, wired once."""

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import multiprocess
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from gezinsplan import __version__
from gezinsplan.access.guard import ensure_guarded
from gezinsplan.audit.router import router as audit_router
from gezinsplan.audit.sealer import Sealer
from gezinsplan.auth.router import router as me_router
from gezinsplan.auth.tokens import TokenValidator
from gezinsplan.codelists.router import router as codelists_router
from gezinsplan.config import Settings
from gezinsplan.consents.router import router as consents_router
from gezinsplan.db import SessionFactory, make_session_factory, service_engine
from gezinsplan.episodes.router import router as episodes_router
from gezinsplan.errors import install_handlers
from gezinsplan.events.router import router as events_router
from gezinsplan.export.router import router as export_router
from gezinsplan.health.router import router as health_router
from gezinsplan.households.router import router as households_router
from gezinsplan.indications.router import router as indications_router
from gezinsplan.kit.api_version import API_VERSION_HEADER, ApiVersion
from gezinsplan.kit.body_guard import BodyGuard
from gezinsplan.kit.read_retry import RetryReads
from gezinsplan.kit.request_id import RequestId
from gezinsplan.members.router import router as members_router
from gezinsplan.observability.metrics import Metrics, multiprocess_mode
from gezinsplan.observability.metrics import router as metrics_router
from gezinsplan.observability.middleware import NoteRoute, ObserveRequests
from gezinsplan.openapi import (
    API_PREFIX,
    OPENAPI_PATH,
    build_openapi,
    install_docs,
    operation_id,
)
from gezinsplan.organizations.router import router as organizations_router
from gezinsplan.plans.approvals_router import router as approvals_router
from gezinsplan.plans.router import router as plans_router
from gezinsplan.plans.versions_router import router as versions_router
from gezinsplan.progress.router import router as progress_router
from gezinsplan.rectification.router import router as rectification_router
from gezinsplan.rights.erasure.router import router as erasure_router
from gezinsplan.rights.requests.router import router as rights_requests_router
from gezinsplan.rights.restrictions.router import router as restrictions_router
from gezinsplan.rights.router import router as rights_router
from gezinsplan.roles.router import router as roles_router
from gezinsplan.steering.router import router as steering_router
from gezinsplan.tariffs.router import router as tariffs_router
from gezinsplan.webhooks.delivery.service import callback_guard
from gezinsplan.webhooks.router import router as subscriptions_router
from gezinsplan.webhooks.worker import DeliveryWorker
from gezinsplan.worklist.router import router as worklist_router

# Bulk endpoints whose bodies may be larger than any other's.
BULK_PATHS = frozenset({f"{API_PREFIX}/indications", f"{API_PREFIX}/tariffs"})

ROUTERS = (
    health_router,
    me_router,
    codelists_router,
    organizations_router,
    households_router,
    episodes_router,
    members_router,
    plans_router,
    versions_router,
    approvals_router,
    progress_router,
    roles_router,
    consents_router,
    indications_router,
    tariffs_router,
    audit_router,
    worklist_router,
    steering_router,
    events_router,
    rights_router,
    export_router,
    subscriptions_router,
    rights_requests_router,
    rectification_router,
    erasure_router,
    restrictions_router,
)


def create_app(
    settings: Settings | None = None,
    *,
    bind: Engine | Connection | None = None,
    session_factory: SessionFactory | None = None,
    extra_routers: tuple[APIRouter, ...] = (),
) -> FastAPI:
    """Build the application; refuses unsafe settings and routes without an access rule."""
    settings = settings or Settings()
    settings.check_safe()
    logging.getLogger("gezinsplan").setLevel(settings.log_level)
    # The service seals its own audit records and delivers its webhooks; an app handed a
    # session factory (tests, tools) shares a connection that a background thread must not
    # touch.
    owns_database = session_factory is None and bind is None
    metrics = Metrics()
    if session_factory is None:
        bind = bind or service_engine(settings)
        if isinstance(bind, Engine):
            metrics.watch_pool(bind)
        session_factory = make_session_factory(bind)
    sealing = owns_database and settings.audit_seal_interval > 0
    sealer = Sealer(session_factory, interval=settings.audit_seal_interval) if sealing else None
    delivering = owns_database and settings.webhooks_interval > 0
    worker = (
        DeliveryWorker(session_factory, settings, callback_guard(settings)) if delivering else None
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if sealer is not None:
            sealer.start()
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            if sealer is not None:
                sealer.stop()
            if multiprocess_mode():
                # This worker's live gauges (its pool) no longer count.
                multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]

    app = FastAPI(
        title="gezinsplan",
        version=__version__,
        openapi_url=OPENAPI_PATH,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.token_validator = TokenValidator(settings)
    app.state.metrics = metrics
    app.state.connection_wait = metrics.waiting_for_connection
    install_handlers(app)
    # Each router straight under the prefix: FastAPI builds a route's dependencies once per
    # level of inclusion, so an intermediate router would double the cost of every start.
    for router in (*ROUTERS, *extra_routers):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(metrics_router)
    ensure_guarded(app, API_PREFIX)
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    install_docs(app)

    # Outermost last: RequestId, ObserveRequests, BodyGuard, RetryReads, NoteRoute.
    app.add_middleware(NoteRoute)
    app.add_middleware(RetryReads)
    app.add_middleware(
        BodyGuard,
        max_bytes=settings.max_body_bytes,
        bulk_paths=BULK_PATHS,
        bulk_max_bytes=settings.max_sync_body_bytes,
    )
    app.add_middleware(ObserveRequests, metrics=metrics)
    app.add_middleware(RequestId)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "Idempotency-Key",
                "X-Request-ID",
                "traceparent",
            ],
            expose_headers=[
                "ETag",
                "Location",
                "X-Request-ID",
                "Idempotent-Replayed",
                "traceparent",
                "Link",
                API_VERSION_HEADER,
            ],
        )
    app.add_middleware(ApiVersion, version=__version__)
    return app
