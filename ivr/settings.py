"""The controller's settings, from the environment (what `scripts/asterisk-sandbox env` prints)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, ValidationError, model_validator
from sqlalchemy.engine import make_url


class SettingsError(Exception):
    """A setting is missing or wrong; the message names the environment variable."""


class Settings(BaseModel):
    ari_url: str = "http://127.0.0.1:8088/ari"
    ari_user: str = "terugbel"
    ari_password: SecretStr
    app: str = "terugbel"
    menu: Path
    sounds_dir: Path
    prompts_texts: Path | None = None  # None: the packaged prompts/texts.yaml
    # Asterisk's stored recordings (voice notes, inspreeklijn); retention deletes old ones there.
    recordings_dir: Path | None = None
    practice_recordings: Path | None = None  # a practice's own recordings replace generated prompts
    # How an outside number is dialled (huisartsenpost, spoed overflow).
    outbound_template: str = "PJSIP/{number}@provider"
    # The practice's callback capacity (capacity/examples/demo-capacity.yaml); needed for `callback`.
    capacity: Path | None = None
    # Where the embedded SQLite database lives unless database_url points elsewhere (PostgreSQL).
    data_dir: Path = Path("var")
    database_url: str | None = None
    # AVG: callback requests and call events are deleted this many days after their slot / moment.
    retention_days: int = Field(90, ge=1, le=3650)
    ari_pool_size: int = Field(20, ge=1, le=90)
    heartbeat_seconds: float = Field(4.0, gt=0, le=30)
    # How long a caller can be left without the controller before the dialplan rings the headsets
    # (ivr/core/deadline.py); longer than a controller restart.
    caller_deadline_seconds: int = Field(120, ge=5, le=3600)
    log_format: str = Field("json", pattern="^(json|console)$")
    # The assistants' screen and admin pages (ivr/web). Only this machine by default: put a reverse proxy
    # with TLS in front, or give a certificate and key here, before opening it to the practice's network.
    web_host: str = "127.0.0.1"
    web_port: int = Field(8080, ge=0, le=65535)  # 0: any free port (tests)
    web_enabled: bool = True
    web_tls_cert: Path | None = None
    web_tls_key: Path | None = None
    # Cookies only over HTTPS: implied by web_tls_cert; set it when a TLS proxy is in front.
    web_secure_cookies: bool = False
    session_idle_minutes: int = Field(60, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(12, ge=1, le=7 * 24)

    @model_validator(mode="after")
    def _tls_pair(self) -> Settings:
        if (self.web_tls_cert is None) != (self.web_tls_key is None):
            raise ValueError(
                "TERUGBEL_WEB_TLS_CERT and TERUGBEL_WEB_TLS_KEY go together: set both or neither"
            )
        return self

    def resolved_database_url(self) -> str:
        """The database to use: database_url, else the SQLite file in data_dir."""
        from storage.db import default_url

        return self.database_url or default_url(self.data_dir)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read TERUGBEL_* variables; keyword overrides (from command-line flags) win."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for name in cls.model_fields:
            key = f"TERUGBEL_{name.upper()}"
            if key in env and env[key] != "":
                values[name] = env[key]
        values.update(secrets_from_files(env))
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"TERUGBEL_{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" if e["loc"] else e["msg"]
                for e in exc.errors()
            )
            raise SettingsError(problems) from None


def database_url_from_env(env: Mapping[str, str] | None = None) -> str:
    """TERUGBEL_DATABASE_URL, else SQLite in TERUGBEL_DATA_DIR (default ./var): for commands without ARI."""
    from storage.db import default_url

    env = os.environ if env is None else env
    from_files = secrets_from_files(env)
    if "database_url" in from_files:
        return from_files["database_url"]
    if env.get("TERUGBEL_DATABASE_URL"):
        return env["TERUGBEL_DATABASE_URL"]
    return default_url(env.get("TERUGBEL_DATA_DIR") or "var")


def secrets_from_files(env: Mapping[str, str]) -> dict[str, str]:
    """Passwords given as files (Docker secrets) rather than in the environment, where `ps` and logs see them.

    TERUGBEL_ARI_PASSWORD_FILE holds the ARI password; TERUGBEL_DATABASE_PASSWORD_FILE the password added
    to TERUGBEL_DATABASE_URL. A message names the variable and the file, never what is in it.
    """
    out: dict[str, str] = {}
    ari = _read_secret(env, "TERUGBEL_ARI_PASSWORD_FILE")
    if ari is not None:
        if env.get("TERUGBEL_ARI_PASSWORD"):
            raise SettingsError("set TERUGBEL_ARI_PASSWORD or TERUGBEL_ARI_PASSWORD_FILE, not both")
        out["ari_password"] = ari
    database = _read_secret(env, "TERUGBEL_DATABASE_PASSWORD_FILE")
    if database is not None:
        url = env.get("TERUGBEL_DATABASE_URL")
        if not url:
            raise SettingsError(
                "TERUGBEL_DATABASE_PASSWORD_FILE needs TERUGBEL_DATABASE_URL (without password)"
            )
        parsed = make_url(url)
        if parsed.password:
            raise SettingsError(
                "TERUGBEL_DATABASE_URL already holds a password; "
                "with TERUGBEL_DATABASE_PASSWORD_FILE leave it out"
            )
        out["database_url"] = parsed.set(password=database).render_as_string(hide_password=False)
    return out


def _read_secret(env: Mapping[str, str], variable: str) -> str | None:
    path = env.get(variable)
    if not path:
        return None
    try:
        value = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SettingsError(f"{variable}: cannot read {path} ({reason})") from None
    if not value:
        raise SettingsError(f"{variable}: {path} is empty")
    return value
