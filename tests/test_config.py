"""Settings: local defaults that work out of the box, and a production mode that refuses
development credentials."""

import os
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from gezinsplan.config import ConfigurationError, Settings
from gezinsplan.main import create_app

STRONG_SECRET = "production-secret-" + "k" * 32


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sets counts, not the environment the suite happens to run in."""
    for name in os.environ:
        if name.upper().startswith("GEZINSPLAN_"):
            monkeypatch.delenv(name)


def production(tmp_path: Path, **values: object) -> Settings:
    return Settings.model_validate({"environment": "production", "var_dir": tmp_path} | values)


def test_defaults_use_sqlite_under_var_dir(tmp_path: Path) -> None:
    assert Settings().environment == "development"
    assert Settings().sqlalchemy_url == "sqlite:///var/gezinsplan.db"
    assert Settings(var_dir=tmp_path).sqlalchemy_url == f"sqlite:///{tmp_path}/gezinsplan.db"
    configured = Settings(var_dir=tmp_path, database_url="postgresql://db/gezinsplan")
    assert configured.sqlalchemy_url == "postgresql://db/gezinsplan"


def test_dev_secret_is_generated_once_private_and_reused(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    first = Settings(var_dir=var_dir).signing_secret
    secret_file = var_dir / "jwt-secret"
    assert first is not None
    assert len(first) >= 32
    assert secret_file.read_text().strip() == first
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600

    assert Settings(var_dir=var_dir).signing_secret == first
    assert Settings(var_dir=tmp_path / "elsewhere").signing_secret != first


def test_dev_secret_written_by_a_concurrent_start_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers starting together must agree: whoever creates the file second adopts it."""
    secret_file = tmp_path / "jwt-secret"
    secret_file.write_text("written-by-the-other-worker-" + "w" * 20)
    # This worker checked before the other one wrote.
    monkeypatch.setattr(Path, "exists", lambda _self: False)
    secret = Settings(var_dir=tmp_path).signing_secret
    monkeypatch.undo()
    assert secret == "written-by-the-other-worker-" + "w" * 20
    assert secret_file.read_text() == secret
    assert [p.name for p in tmp_path.iterdir()] == ["jwt-secret"]  # no temporary left behind


def test_configured_secret_wins_and_writes_nothing(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, jwt_secret=STRONG_SECRET)
    assert settings.signing_secret == STRONG_SECRET
    assert not (tmp_path / "jwt-secret").exists()


def test_production_never_generates_a_secret(tmp_path: Path) -> None:
    settings = production(tmp_path)
    assert settings.signing_secret is None
    assert not (tmp_path / "jwt-secret").exists()
    with pytest.raises(ConfigurationError, match="32\\+ characters"):
        settings.check_safe()
    with pytest.raises(ConfigurationError):
        create_app(settings)


def test_development_settings_are_not_checked(tmp_path: Path) -> None:
    Settings(var_dir=tmp_path, jwt_secret="short").check_safe()
    Settings(var_dir=tmp_path, jwt_algorithms=["RS256"]).check_safe()


def test_production_refuses_the_generated_dev_secret(tmp_path: Path) -> None:
    dev_secret = Settings(var_dir=tmp_path).signing_secret
    assert dev_secret is not None
    assert len(dev_secret) >= 32  # refused for where it came from, not for its length
    settings = production(tmp_path, jwt_secret=dev_secret)
    with pytest.raises(ConfigurationError, match="development secret"):
        settings.check_safe()
    with pytest.raises(ConfigurationError, match="development secret"):
        create_app(settings)


def test_production_refuses_a_short_secret(tmp_path: Path) -> None:
    settings = production(tmp_path, jwt_secret="x" * 31)
    with pytest.raises(ConfigurationError, match="32\\+ characters"):
        settings.check_safe()
    with pytest.raises(ConfigurationError, match="32\\+ characters"):
        create_app(settings)


def test_production_refuses_asymmetric_algorithms_without_jwks(tmp_path: Path) -> None:
    settings = production(tmp_path, jwt_algorithms=["RS256"])
    with pytest.raises(ConfigurationError, match="JWKS"):
        settings.check_safe()
    with pytest.raises(ConfigurationError, match="JWKS"):
        create_app(settings)
    # Mixing in HS256 with a good secret does not excuse the missing JWKS URL.
    mixed = production(tmp_path, jwt_algorithms=["HS256", "ES256"], jwt_secret=STRONG_SECRET)
    with pytest.raises(ConfigurationError, match="JWKS"):
        mixed.check_safe()


def test_production_with_jwks_url_passes(tmp_path: Path) -> None:
    settings = production(
        tmp_path, jwt_algorithms=["RS256"], jwt_jwks_url="https://login.example.nl/jwks"
    )
    settings.check_safe()
    assert create_app(settings).state.settings is settings


def test_production_with_a_strong_secret_passes(tmp_path: Path) -> None:
    Settings(var_dir=tmp_path).signing_secret  # noqa: B018 - a dev secret exists, but differs
    settings = production(tmp_path, jwt_secret=STRONG_SECRET)
    settings.check_safe()
    app = create_app(settings)
    assert app.state.settings is settings


@pytest.mark.parametrize(
    "algorithms", [["none"], ["HS256", "none"], ["NONE"], ["None", "RS256"], [], ["HS1"]]
)
def test_unsafe_or_unknown_algorithms_are_rejected(algorithms: list[str]) -> None:
    with pytest.raises(ValidationError, match="jwt_algorithms"):
        Settings(jwt_algorithms=algorithms)


def test_environment_variables_with_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEZINSPLAN_ENVIRONMENT", "production")
    monkeypatch.setenv("GEZINSPLAN_VAR_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("GEZINSPLAN_DATABASE_URL", "postgresql://db.example.nl/gezinsplan")
    monkeypatch.setenv("GEZINSPLAN_JWT_SECRET", STRONG_SECRET)
    monkeypatch.setenv("GEZINSPLAN_JWT_ALGORITHMS", '["HS256", "HS512"]')
    monkeypatch.setenv("GEZINSPLAN_JWT_LEEWAY_SECONDS", "5")
    monkeypatch.setenv("GEZINSPLAN_CORS_ORIGINS", '["https://gezinsplan.example.nl"]')
    # Without the prefix a variable is not ours.
    monkeypatch.setenv("DATABASE_URL", "sqlite:///wrong.db")
    monkeypatch.setenv("ENVIRONMENT", "development")

    settings = Settings()
    assert settings.environment == "production"
    assert settings.var_dir == tmp_path / "state"
    assert settings.sqlalchemy_url == "postgresql://db.example.nl/gezinsplan"
    assert settings.signing_secret == STRONG_SECRET
    assert settings.jwt_algorithms == ["HS256", "HS512"]
    assert settings.jwt_leeway_seconds == 5
    assert settings.cors_origins == ["https://gezinsplan.example.nl"]
    settings.check_safe()


def test_environment_values_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEZINSPLAN_JWT_ALGORITHMS", '["none"]')
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.delenv("GEZINSPLAN_JWT_ALGORITHMS")
    monkeypatch.setenv("GEZINSPLAN_ENVIRONMENT", "staging")
    with pytest.raises(ValidationError):
        Settings()


def test_workers_default_to_one_and_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().workers == 1
    monkeypatch.setenv("GEZINSPLAN_WORKERS", "4")
    assert Settings().workers == 4
    for value in ("0", "65", "many"):
        monkeypatch.setenv("GEZINSPLAN_WORKERS", value)
        with pytest.raises(ValidationError, match="workers"):
            Settings()


def test_worklist_thresholds_have_defaults_and_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert (
        settings.worklist_approval_days,
        settings.worklist_evaluation_months,
        settings.worklist_consent_days,
        settings.worklist_indication_days,
    ) == (14, 3, 30, 30)
    monkeypatch.setenv("GEZINSPLAN_WORKLIST_EVALUATION_MONTHS", "0")
    with pytest.raises(ValidationError):
        Settings()
