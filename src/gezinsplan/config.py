"""Settings, read from the environment with the ``GEZINSPLAN_`` prefix."""

import contextlib
import os
import secrets
import tempfile
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path("var")
DEV_SECRET_FILE = "jwt-secret"  # noqa: S105 - a file name, not a secret
ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"})
SYMMETRIC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})


def _create_private_file(path: Path, content: str) -> None:
    """Create ``path`` (mode 0600) with all of ``content`` at once, unless it already exists.

    Written to a private temporary file and hard-linked into place, so workers that start
    together agree on one secret and nobody ever reads a half-written or world-readable file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as file:
            file.write(content)
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


class ConfigurationError(RuntimeError):
    """The settings are unsafe or inconsistent; the service refuses to start."""


class Settings(BaseSettings):
    """Everything an operator can set. Defaults give a working local service."""

    model_config = SettingsConfigDict(env_prefix="GEZINSPLAN_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    var_dir: Path = Field(VAR_DIR, description="Where local state lives: database, dev secret.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default the SQLite file var/gezinsplan.db."
    )
    jwt_issuer: str = "gezinsplan-dev"
    jwt_audience: str = "gezinsplan"
    jwt_algorithms: list[str] = ["HS256"]
    jwt_secret: SecretStr | None = Field(
        None, description="HS256 secret; generated into var/ on first local run when unset."
    )
    jwt_jwks_url: str | None = Field(None, description="JWKS URL for RS256/ES256 tokens.")
    jwt_leeway_seconds: int = Field(30, ge=0, le=300)
    cors_origins: list[str] = []
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_body_bytes: int = Field(1_048_576, gt=0, description="Larger bodies get 413.")
    max_sync_body_bytes: int = Field(
        16_777_216, gt=0, description="The limit for bulk syncs (PUT /indications) instead."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(
        1, ge=1, le=64, description="Worker processes `gezinsplan serve` starts (1-64)."
    )
    database_connect_timeout: int = Field(
        5,
        ge=1,
        le=60,
        description="PostgreSQL: seconds a new connection may take; an unreachable database "
        "answers 503 after this, never a hang (1-60).",
    )
    database_statement_timeout_ms: int = Field(
        30_000,
        ge=100,
        le=600_000,
        description="PostgreSQL: milliseconds any one statement may run (statement_timeout; "
        "100-600000): bounds every request.",
    )
    database_pool_size: int = Field(
        15,
        ge=1,
        le=100,
        description="Connections each worker process keeps open to the database (1-100): as "
        "many requests at a time use it; more wait for one.",
    )
    database_pool_timeout: float = Field(
        10.0,
        gt=0,
        le=60,
        description="Seconds a request waits for a free pooled connection before it answers 503.",
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token Prometheus sends to GET /metrics. Unset: /metrics answers "
        "only while the service binds a loopback address (GEZINSPLAN_HOST), else 404.",
    )
    idempotency_ttl_hours: int = Field(
        24,
        ge=24,
        le=24 * 90,
        description="Hours a stored Idempotency-Key response is replayed (at least 24).",
    )
    audit_seal_interval: float = Field(
        1.0,
        ge=0,
        le=3600,
        description="Seconds between rounds of the audit sealer in the service; 0: no sealer.",
    )

    worklist_approval_days: int = Field(
        14,
        ge=0,
        le=365,
        description="Days a plan version may wait for the family's approval before the "
        "worklist signals `plan_not_approved` (0-365).",
    )
    worklist_evaluation_months: int = Field(
        3,
        ge=1,
        le=24,
        description="Months without an evaluation before the worklist signals "
        "`evaluation_due` (1-24).",
    )
    worklist_consent_days: int = Field(
        30,
        ge=0,
        le=365,
        description="Days before a consent ends that the worklist signals `consent_expiring`.",
    )
    worklist_indication_days: int = Field(
        30,
        ge=0,
        le=365,
        description="Days before an indication ends that the worklist signals `indication_ending`.",
    )

    event_source: str = Field(
        "urn:nld:gezinsplan:systeem:gezinsplan",
        min_length=1,
        max_length=200,
        description="The CloudEvents `source` of every event: a URN naming this installation.",
    )
    event_retention_days: int = Field(
        30, ge=1, le=3650, description="Days the feed keeps an event (1-3650); older is 410."
    )
    public_base_url: str = Field(
        "",
        max_length=200,
        description="Prefix of an event's `dataref` (e.g. https://gezinsplan.example.nl); "
        "empty: a path on this service.",
    )
    webhooks_allow_loopback: bool = Field(
        False,
        description="Allow http:// callbacks on loopback addresses: development and tests only.",
    )
    webhooks_secret_grace_hours: int = Field(
        24,
        ge=0,
        le=24 * 30,
        description="Hours the previous signing secret still signs after a rotation.",
    )
    webhooks_timeout_seconds: float = Field(
        10.0, gt=0, le=60, description="Seconds a callback may take to answer."
    )
    webhooks_disable_after_days: int = Field(
        3,
        ge=1,
        le=30,
        description="Days a subscription may fail without a success before it is disabled; "
        "at least 1, so every delivery is retried for at least 24 hours.",
    )
    webhooks_lease_seconds: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="Seconds a worker holds a subscription; a crashed worker's lease expires.",
    )
    webhooks_interval: float = Field(
        1.0,
        ge=0,
        le=3600,
        description="Seconds between delivery rounds of the worker in `gezinsplan serve`; "
        "0: none (run `gezinsplan worker`).",
    )

    retention_municipal_years: int = Field(
        15,
        ge=1,
        le=100,
        description="Years a municipal file without youth care is kept after it was closed "
        "(the municipality's selection list; youth care is 20 years by law).",
    )

    @model_validator(mode="after")
    def _check_algorithms(self) -> "Settings":
        allowed = SYMMETRIC_ALGORITHMS | ASYMMETRIC_ALGORITHMS
        unknown = [a for a in self.jwt_algorithms if a not in allowed]
        if unknown or not self.jwt_algorithms:
            raise ValueError(f"jwt_algorithms must be a non-empty subset of {sorted(allowed)}")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'gezinsplan.db'}"

    @property
    def dev_secret_path(self) -> Path:
        return self.var_dir / DEV_SECRET_FILE

    @cached_property
    def signing_secret(self) -> str | None:
        """The HS secret: the configured one, or in development one kept under var/."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        if self.environment == "production":
            return None
        path = self.dev_secret_path
        if not path.exists():
            _create_private_file(path, secrets.token_urlsafe(48))
        return path.read_text().strip()

    def check_safe(self) -> None:
        """Refuse to run production with development credentials."""
        if self.environment != "production":
            return
        uses_hs = bool(SYMMETRIC_ALGORITHMS & set(self.jwt_algorithms))
        uses_asymmetric = bool(ASYMMETRIC_ALGORITHMS & set(self.jwt_algorithms))
        if uses_asymmetric and not self.jwt_jwks_url:
            raise ConfigurationError("RS/ES algorithms need GEZINSPLAN_JWT_JWKS_URL")
        if not uses_hs:
            return
        secret = self.signing_secret
        if secret is None or len(secret) < 32:
            raise ConfigurationError("production needs GEZINSPLAN_JWT_SECRET of 32+ characters")
        dev_path = self.dev_secret_path
        if dev_path.exists() and dev_path.read_text().strip() == secret:
            raise ConfigurationError("production refuses the generated development secret")
