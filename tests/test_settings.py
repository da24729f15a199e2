"""Environment parsing and the privacy of logs."""

from __future__ import annotations

import logging

import pytest

from config.env import database_from_url, env_flag, env_optional_float, with_server_settings
from config.logging import DropClientAddress, scrub_addresses


def test_database_url_is_parsed_into_a_postgis_entry():
    entry = database_from_url("postgis://user:p%40ss@db.example:6543/maps?sslmode=require")
    assert entry["ENGINE"] == "django.contrib.gis.db.backends.postgis"
    assert (entry["USER"], entry["PASSWORD"], entry["HOST"], entry["PORT"], entry["NAME"]) == (
        "user",
        "p@ss",
        "db.example",
        "6543",
        "maps",
    )
    assert entry["OPTIONS"] == {"sslmode": "require"}


def test_server_settings_go_first_in_libpq_options_so_pgoptions_and_the_urls_own_win():
    options = with_server_settings(
        {"options": "-c parallel_setup_cost=5"},
        {"parallel_setup_cost": "10000"},
        "-c work_mem=64MB",
    )
    assert options == {
        "options": "-c parallel_setup_cost=10000 -c work_mem=64MB -c parallel_setup_cost=5"
    }
    assert with_server_settings({}, {"a": "1", "b": "2"}) == {"options": "-c a=1 -c b=2"}


def test_nothing_is_sent_when_there_is_nothing_to_send():
    assert with_server_settings({"sslmode": "require"}, {}) == {"sslmode": "require"}


@pytest.mark.parametrize(("value", "expected"), [("off", None), ("", None), ("2500", 2500.0)])
def test_the_parallel_setup_cost_can_be_turned_off(monkeypatch, value, expected):
    monkeypatch.setenv("DB_PARALLEL_SETUP_COST", value)
    assert env_optional_float("DB_PARALLEL_SETUP_COST", 10_000.0) == expected


def test_connections_plan_with_the_raised_parallel_setup_cost(db, settings):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW parallel_setup_cost")
        assert float(cursor.fetchone()[0]) == settings.DB_PARALLEL_SETUP_COST == 10_000


def test_database_url_of_another_engine_is_refused():
    with pytest.raises(ValueError, match="postgres"):
        database_from_url("mysql://u:p@h/db")


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("yes", True), ("0", False), ("", False)]
)
def test_env_flag(monkeypatch, value, expected):
    monkeypatch.setenv("SOME_FLAG", value)
    assert env_flag("SOME_FLAG") is expected


def test_debug_is_off_by_default(settings):
    assert settings.DEBUG is False


@pytest.mark.parametrize(
    "line",
    [
        '203.0.113.7 - - [23/Nov/2026] "GET /api/cameras/ HTTP/1.1" 200',
        'client 2001:db8::1 said "GET /"',
    ],
)
def test_client_addresses_are_scrubbed_from_log_lines(line):
    scrubbed = scrub_addresses(line)
    assert "203.0.113.7" not in scrubbed and "2001:db8::1" not in scrubbed
    assert "[address]" in scrubbed


def test_log_filter_rewrites_message_arguments():
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s', ("198.51.100.4 GET /", 200), None
    )
    assert DropClientAddress().filter(record)
    assert "198.51.100.4" not in record.getMessage()


def test_query_strings_are_dropped_from_request_lines():
    line = '"GET /api/routes/?from=24.93,60.17&to=24.95,60.16 HTTP/1.1" 200 1234'
    scrubbed = scrub_addresses(line)
    assert "24.93" not in scrubbed
    assert scrubbed == '"GET /api/routes/ HTTP/1.1" 200 1234'


def _production_setting(name: str, **environment: str):
    """A setting as a server process sees it (no pytest in its environment), as JSON."""
    import json
    import os
    import subprocess
    import sys

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTEST_VERSION", "CACHE_BACKEND", "CACHE_LOCATION", "TRUSTED_PROXY_COUNT")
    }
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_SECRET_KEY": "x", **environment}
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps(getattr(settings, {name!r}, None)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_throttle_counters_are_shared_by_the_workers_of_a_host():
    caches = _production_setting("CACHES")
    assert caches["default"]["BACKEND"] == "api.throttle_cache.ThrottleFileCache"
    assert caches["default"]["LOCATION"].endswith("var/cache/throttle")
    # Room for many clients: at Django's 300, culling dropped live counters (the limit leaked).
    assert caches["default"]["OPTIONS"]["MAX_ENTRIES"] == 100_000
    assert caches["responses"]["BACKEND"] == "api.answer_cache.AnswerFileCache"


def test_the_forwarded_scheme_is_read_only_behind_a_trusted_proxy():
    assert _production_setting("SECURE_PROXY_SSL_HEADER") is None
    assert _production_setting("SECURE_PROXY_SSL_HEADER", TRUSTED_PROXY_COUNT="1") == [
        "HTTP_X_FORWARDED_PROTO",
        "https",
    ]


def test_https_hardening_is_set_from_the_environment():
    """HSTS and the HTTPS redirect could not be switched on (manage.py check --deploy
    warned W004 and W008 on every deployment)."""
    assert _production_setting("SECURE_HSTS_SECONDS") == 0
    assert _production_setting("SECURE_HSTS_SECONDS", DJANGO_HSTS_SECONDS="31536000") == 31536000
    assert _production_setting("SECURE_SSL_REDIRECT", DJANGO_SSL_REDIRECT="1") is True


@pytest.mark.django_db
def test_the_map_answers_head_as_uptime_checks_send_it(client):
    response = client.head("/")
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.django_db
def test_the_map_sets_no_lasting_cookie(client):
    """Every visitor got a unique CSRF cookie for a year: a reader's identifier."""
    response = client.get("/")
    cookie = response.cookies["csrftoken"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    assert "sessionid" not in response.cookies


def test_the_admin_login_limits_are_read_from_the_environment():
    assert _production_setting("ADMIN_LOGIN_FAILURES_PER_USERNAME") == 20
    assert _production_setting("ADMIN_LOGIN_WINDOW_S", ADMIN_LOGIN_WINDOW_S="300") == 300
    assert _production_setting("ADMIN_DEVICE_COOKIE_DAYS") == 180
    assert _production_setting("ADMIN_DEVICE_COOKIE_DAYS", ADMIN_DEVICE_COOKIE_DAYS="0") == 0
