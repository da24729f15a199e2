"""Read settings from the environment.

Kept apart from settings.py so the parsing rules (what counts as true, how a
DATABASE_URL maps onto Django's dict) are small pure functions with tests.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, unquote, urlparse

TRUE_WORDS = {"1", "true", "yes", "on"}


def env_flag(name: str, default: bool = False) -> bool:
    """True when the variable holds 1/true/yes/on (any case); the default when unset."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in TRUE_WORDS


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated variable as a list, blanks dropped."""
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return default if value in (None, "") else float(value)


def database_from_url(url: str) -> dict:
    """Django DATABASES entry for a postgres:// or postgis:// URL.

    Query parameters other than ``sslmode`` are passed to psycopg as OPTIONS.
    """
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "postgis", "pgsql"}:
        raise ValueError(f"DATABASE_URL must be a postgres:// URL, not {parsed.scheme}://")
    options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    return {
        "ENGINE": "django.contrib.gis.db.backends.postgis",
        "NAME": unquote(parsed.path.lstrip("/")),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "OPTIONS": options,
    }


def database_from_pg_environment() -> dict:
    """Django DATABASES entry from the libpq PG* variables, with the project's local defaults."""
    return {
        "ENGINE": "django.contrib.gis.db.backends.postgis",
        "NAME": os.environ.get("PGDATABASE", "anglemort"),
        "USER": os.environ.get("PGUSER", "anglemort"),
        "PASSWORD": os.environ.get("PGPASSWORD", "anglemort"),
        "HOST": os.environ.get("PGHOST", "127.0.0.1"),
        "PORT": os.environ.get("PGPORT", "5432"),
        "OPTIONS": {},
    }


def env_optional_float(name: str, default: float) -> float | None:
    """A number, or None when the variable is set to "" or "off" (the feature turned off)."""
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in ("", "off"):
        return None
    return float(value)


def with_server_settings(
    options: dict, server_settings: dict[str, str], environment_options: str = ""
) -> dict:
    """OPTIONS with server settings put in libpq's ``options`` (``-c name=value``).

    libpq reads PGOPTIONS only when no ``options`` parameter is given, so the caller passes
    it (``environment_options``) to be kept. Ours come first, then PGOPTIONS, then any
    already in OPTIONS (a DATABASE_URL's ``?options=``): the later ones win. Nothing is
    added when there is nothing to add (a pooler such as PgBouncer refuses ``options``).
    """
    ours = " ".join(f"-c {name}={value}" for name, value in server_settings.items())
    combined = " ".join(
        part for part in (ours, environment_options, options.get("options", "")) if part
    )
    return {**options, "options": combined} if combined else dict(options)
