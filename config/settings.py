"""Angle Mort settings, driven by the environment.

Safe by default: DEBUG is off unless DJANGO_DEBUG=1, the secret key must come
from the environment (the demo writes one to .secret_key, which git ignores),
and no log line carries a client address.
"""

from __future__ import annotations

import os
from pathlib import Path

from config.env import (
    database_from_pg_environment,
    database_from_url,
    env_flag,
    env_float,
    env_list,
    env_optional_float,
    with_server_settings,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_flag("DJANGO_DEBUG", default=False)


def _secret_key() -> str:
    key = os.environ.get("DJANGO_SECRET_KEY", "")
    if key:
        return key
    key_file = Path(os.environ.get("DJANGO_SECRET_KEY_FILE", BASE_DIR / ".secret_key"))
    if key_file.exists():
        return key_file.read_text().strip()
    if DEBUG or os.environ.get("PYTEST_VERSION") or os.environ.get("ANGLEMORT_TESTING"):
        return "insecure-key-for-development-and-tests-only"
    raise RuntimeError(
        "Set DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE); `make demo` writes a local one."
    )


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "mapping.admin_apps.LoginLimitedAdminConfig",  # django.contrib.admin, logins limited
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "corsheaders",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "django_filters",
    "pgtrigger",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "mapping",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise (static files need no policy), above everything that may answer an
    # HTML page itself (CSRF failures): a policy on every HTML page (mapping/content_security.py).
    "mapping.content_security.ContentSecurityPolicyMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "api.parameters.RepeatedParametersRefused",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": (
        database_from_url(os.environ["DATABASE_URL"])
        if os.environ.get("DATABASE_URL")
        else database_from_pg_environment()
    )
}
# Parallel test runs (several developers on one machine) each get their own test database.
DATABASES["default"]["TEST"] = {
    "NAME": os.environ.get("TEST_DB_NAME", f"test_{DATABASES['default']['NAME']}")
}
# Parallel query costs more than it gives a web request: starting a worker takes 10-20 ms on
# a small host, longer than most of our queries, and every core is already serving another
# request. PostgreSQL has no statistics for `point <@ box` (mapping/plane_point.py) and
# guesses 2,500 rows for any box, which was enough to send a 34-camera viewport through a
# parallel plan (21 ms instead of 1). Ten times the default setup cost keeps parallel plans
# for the big scans only (a country-wide fallback count, the fields of view). Sent with each
# connection; DB_PARALLEL_SETUP_COST=off sends nothing (PgBouncer refuses `options`: set it
# on the role instead, docs/deployment.md).
DB_PARALLEL_SETUP_COST = env_optional_float("DB_PARALLEL_SETUP_COST", 10_000.0)
DATABASES["default"]["OPTIONS"] = with_server_settings(
    DATABASES["default"]["OPTIONS"],
    {}
    if DB_PARALLEL_SETUP_COST is None
    else {"parallel_setup_cost": f"{DB_PARALLEL_SETUP_COST:g}"},
    os.environ.get("PGOPTIONS", ""),
)
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "60"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The route planner prepares its two statements once per connection (mapping/prepared.py).
# Turn off behind a pooler in transaction mode that cannot keep them (PgBouncer < 1.21).
PREPARED_STATEMENTS = env_flag("DB_PREPARED_STATEMENTS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# GeoDjango finds the system libraries itself on Debian; these allow overriding.
if os.environ.get("GDAL_LIBRARY_PATH"):
    GDAL_LIBRARY_PATH = os.environ["GDAL_LIBRARY_PATH"]
if os.environ.get("GEOS_LIBRARY_PATH"):
    GEOS_LIBRARY_PATH = os.environ["GEOS_LIBRARY_PATH"]

# --- Caches ------------------------------------------------------------------
# "default" holds the submission throttle's and the admin login's counters; "responses" the
# map's cached camera pages and density answers (api/response_cache.py), shared by every
# worker of this host through files. Several hosts share one through Redis or Memcached: set
# RESPONSE_CACHE_BACKEND and RESPONSE_CACHE_LOCATION (docs/deployment.md).
CACHES = {
    # The submission throttle's and the admin login's counters, in files shared by every
    # worker of this host (a per-process memory cache would let a client submit, or try a
    # password, once per worker within the limit). Several hosts share them through Redis:
    # CACHE_BACKEND and CACHE_LOCATION.
    # Tests keep them in memory, emptied around each test (tests/submissions/conftest.py).
    "default": {
        "BACKEND": os.environ.get(
            "CACHE_BACKEND",
            "django.core.cache.backends.locmem.LocMemCache"
            if os.environ.get("PYTEST_VERSION")
            else "api.throttle_cache.ThrottleFileCache",
        ),
        "LOCATION": os.environ.get(
            "CACHE_LOCATION",
            "anglemort"
            if os.environ.get("PYTEST_VERSION")
            else str(BASE_DIR / "var" / "cache" / "throttle"),
        ),
        # Django's default of 300 entries culled a third of them, live counters included,
        # as soon as 300 clients had submitted within the hour: the limit leaked.
        "OPTIONS": {"MAX_ENTRIES": int(env_float("CACHE_MAX_ENTRIES", 100_000))},
    },
    "responses": {
        # Tests keep answers in memory (tests/conftest.py empties it before each test): a
        # file cache would outlive the run and serve one run's answers to the next.
        "BACKEND": os.environ.get(
            "RESPONSE_CACHE_BACKEND",
            "django.core.cache.backends.locmem.LocMemCache"
            if os.environ.get("PYTEST_VERSION")
            else "api.answer_cache.AnswerFileCache",  # Django's file cache, cheaper writes
        ),
        "LOCATION": os.environ.get(
            "RESPONSE_CACHE_LOCATION", str(BASE_DIR / "var" / "cache" / "responses")
        ),
        # Entries are keyed by the data token, so time only bounds the space stale ones use.
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": int(env_float("RESPONSE_CACHE_MAX_ENTRIES", 5000))},
    },
}

# --- Auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
MODERATORS_GROUP = "moderators"
# Failed logins to the admin allowed within ADMIN_LOGIN_WINDOW_S per client (an address or
# IPv6 /64, as the submission throttle counts them) and per username (from any number of
# clients); further attempts get 429, whatever the password, until the oldest failure
# leaves the window (mapping/admin_login.py). Counted in the "default" cache under keyed
# hashes, never by address. 0 turns that limit off.
ADMIN_LOGIN_FAILURES_PER_CLIENT = int(env_float("ADMIN_LOGIN_FAILURES_PER_CLIENT", 10))
ADMIN_LOGIN_FAILURES_PER_USERNAME = int(env_float("ADMIN_LOGIN_FAILURES_PER_USERNAME", 20))
ADMIN_LOGIN_WINDOW_S = max(1, int(env_float("ADMIN_LOGIN_WINDOW_S", 15 * 60)))
# Days a browser that logged in to the admin keeps its device cookie: with it, that
# username's lock does not refuse it, and its failures count against the cookie, as many
# as a client's (mapping/admin_device.py). 0, or a per-client limit of 0, turns it off.
ADMIN_DEVICE_COOKIE_DAYS = max(0, int(env_float("ADMIN_DEVICE_COOKIE_DAYS", 180)))

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
# Serve uploaded photos from Django itself (demo, single host). Behind a proxy, let it serve them.
SERVE_MEDIA = env_flag("SERVE_MEDIA", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or os.environ.get("PYTEST_VERSION")
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 80 * 1024 * 1024

# --- Security headers -----------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_flag("DJANGO_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Every visitor of the map gets a CSRF token (its forms post): kept until the browser
# closes, not Django's year, so it cannot serve as a lasting identifier of a reader.
CSRF_COOKIE_AGE = None
# Behind HTTPS only (docs/deployment.md): browsers then refuse plain HTTP to this host for
# that long, so a first request can no longer be downgraded. Off by default: a wrong value
# on a host without a certificate locks browsers out for as long.
SECURE_HSTS_SECONDS = int(env_float("DJANGO_HSTS_SECONDS", 0))
SECURE_SSL_REDIRECT = env_flag("DJANGO_SSL_REDIRECT", default=False)

# --- REST framework -------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "submissions": os.environ.get("SUBMISSION_THROTTLE_RATE", "20/hour"),
        "moderation": "600/hour",
    },
    "EXCEPTION_HANDLER": "api.errors.json_exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.FormatNamedNegotiation",
    # Throttles identify a client by REMOTE_ADDR unless this many trusted proxies sit in front
    # (then by the matching X-Forwarded-For entry); 0 means a client cannot pick its own
    # identity with a forged X-Forwarded-For header. Behind one reverse proxy, set it to 1.
    "NUM_PROXIES": int(os.environ.get("TRUSTED_PROXY_COUNT", "0")),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Behind trusted reverse proxies, the proxy's X-Forwarded-Proto says whether the visitor came
# over HTTPS, so that absolute links (a page's next and previous) keep https. Without one, a
# client could claim https with that header, so it is not read.
if REST_FRAMEWORK["NUM_PROXIES"] > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SPECTACULAR_SETTINGS = {
    "TITLE": "Angle Mort API",
    "DESCRIPTION": (
        "Surveillance cameras mapped from OpenStreetMap and by residents; density, "
        "camera-avoiding walking routes and open exports. Bounding boxes are always "
        "MINLON,MINLAT,MAXLON,MAXLAT (WGS 84)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Read endpoints are open to other origins (notebooks, other maps); only GET.
CORS_ALLOW_ALL_ORIGINS = True
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]

# --- Map ------------------------------------------------------------------
TILE_URL = os.environ.get("TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
TILE_ATTRIBUTION = os.environ.get(
    "TILE_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (60.1699, 24.9384),
    "DEFAULT_ZOOM": 15,
    "MIN_ZOOM": 2,
    "MAX_ZOOM": 19,
    "TILES": [("OpenStreetMap", TILE_URL, {"attribution": TILE_ATTRIBUTION, "maxZoom": 19})],
    "ATTRIBUTION_PREFIX": "Angle Mort",
    "RESET_VIEW": False,
    "NO_GLOBALS": False,
}

# --- OpenStreetMap import -------------------------------------------------
OVERPASS_URL = os.environ.get("OVERPASS_URL", "https://overpass-api.de/api/interpreter")
OVERPASS_TIMEOUT_S = env_float("OVERPASS_TIMEOUT_S", 180.0)
OVERPASS_TILE_DEGREES = env_float("OVERPASS_TILE_DEGREES", 0.25)
OVERPASS_MAX_RETRIES = int(os.environ.get("OVERPASS_MAX_RETRIES", "4"))
OVERPASS_BACKOFF_S = env_float("OVERPASS_BACKOFF_S", 5.0)
# A first import of at least this many cameras into an empty table is loaded by several
# database sessions at once into a table of its own, then swapped in (mapping.parallel_load);
# IMPORT_PARALLEL_SESSIONS of them (default: one per core, at least 2). 0 turns it off.
IMPORT_PARALLEL_MIN_CAMERAS = int(os.environ.get("IMPORT_PARALLEL_MIN_CAMERAS", "200000"))
IMPORT_PARALLEL_SESSIONS = int(
    os.environ.get("IMPORT_PARALLEL_SESSIONS", str(max(2, min(os.cpu_count() or 2, 8))))
)
# A .pbf file of at least this many bytes has its camera nodes read by as many processes
# (mapping.osm.parallel_read); below it, the processes would cost more than they save.
IMPORT_PARALLEL_READ_MIN_BYTES = int(
    os.environ.get("IMPORT_PARALLEL_READ_MIN_BYTES", str(16 * 1024 * 1024))
)

# --- Fields of view, exposure, routing (docs/routing.md explains each) -----
# Fixed cameras: reach = height / tan(tilt) (where the optical axis meets the ground),
# kept within [FOV_MIN_REACH_M, FOV_MAX_REACH_M]; 5 m and 15 degrees give 18.7 m.
FOV_DEFAULT_HEIGHT_M = 5.0
FOV_DEFAULT_TILT_DEG = 15.0
FOV_DEFAULT_ANGLE_DEG = 85.0
FOV_MIN_REACH_M = 5.0
FOV_MAX_REACH_M = 60.0
# Type unknown or no direction: a disc, larger than a dome's to stay on the safe side.
FOV_UNKNOWN_RADIUS_M = 25.0
FOV_DOME_RADIUS_M = 20.0
FOV_ALPR_ANGLE_DEG = 20.0
FOV_ALPR_REACH_M = 40.0
# A camera at most this far inside a building (or this close to it) hangs on its wall and
# looks from it; deeper inside it sees nothing outdoors.
FOV_WALL_TOLERANCE_M = 3.0
# Occlusion is computed along rays at most this far apart at full reach and this many
# degrees apart; rays start this far from the viewpoint (so a wall camera clears its wall).
FOV_RAY_SPACING_M = 1.0
FOV_RAY_STEP_DEG = 2.0
FOV_RAY_START_M = 0.3
# Outlines are then simplified within this distance (fewer points, same shape).
FOV_SIMPLIFY_M = 0.1
# Weight of one watched metre by what the camera can do; a piece of street seen by several
# cameras takes the highest weight among them (docs/routing.md).
EXPOSURE_WEIGHTS = {
    "plain": 1.0,
    "alpr": 2.0,
    "face_recognition": 3.0,
    "vsa": 3.0,
}
WALKING_SPEED_M_S = env_float("WALKING_SPEED_M_S", 1.3)
ROUTE_MAX_DISTANCE_M = env_float("ROUTE_MAX_DISTANCE_M", 20_000.0)
ROUTE_MAX_SNAP_DISTANCE_M = 500.0
# Avoidance level (0..1) -> lambda, the extra metres walked to avoid one weighted watched
# metre; linear between these points. Strict mode falls back to ROUTE_LEAST_WATCHED_LAMBDA.
ROUTE_DEFAULT_AVOIDANCE = 0.5
ROUTE_AVOIDANCE_LAMBDAS = ((0.0, 0.0), (0.25, 2.0), (0.5, 6.0), (0.75, 15.0), (1.0, 40.0))
ROUTE_LEAST_WATCHED_LAMBDA = 1000.0
# Routes are searched on the streets in the box around both ends, grown by this margin
# (at least MIN, else RATIO of the distance), times GROWTH per retry, at most TRIES times.
ROUTE_SEARCH_MARGIN_MIN_M = 200.0
ROUTE_SEARCH_MARGIN_RATIO = 0.25
ROUTE_SEARCH_GROWTH = 3.0
ROUTE_SEARCH_TRIES = 4

# --- API ------------------------------------------------------------------
API_MAX_BBOX_AREA_DEG2 = env_float("API_MAX_BBOX_AREA_DEG2", 400.0)
API_PAGE_SIZE = 500
API_MAX_PAGE_SIZE = 5000
# At street level the map draws markers where the area it loads (the view padded by 30 %)
# holds at most this many cameras, one page at most; more are shown as counts in squares.
# From 1 to one page.
MAP_MARKER_LIMIT = int(env_float("MAP_MARKER_LIMIT", API_MAX_PAGE_SIZE))
MAP_MARKER_LIMIT = min(max(1, MAP_MARKER_LIMIT), API_MAX_PAGE_SIZE)
# Cached camera pages and density answers (api/response_cache.py): off with
# API_RESPONSE_CACHE=0 (answers still carry ETags for revalidation); larger answers than
# API_RESPONSE_CACHE_MAX_KB are always computed. The default holds the map's own largest
# request: a full page of API_MAX_PAGE_SIZE cameras is about 2.4 MB.
API_RESPONSE_CACHE = env_flag("API_RESPONSE_CACHE", True)
API_RESPONSE_CACHE_MAX_KB = int(env_float("API_RESPONSE_CACHE_MAX_KB", 3072))
# Answers computed faster than this are not stored: storing one (a file written, or a
# network round trip to Redis) costs about as much as computing it again (docs/deployment.md).
API_RESPONSE_CACHE_MIN_MS = env_float("API_RESPONSE_CACHE_MIN_MS", 3.0)

# --- Submissions ----------------------------------------------------------
SUBMISSION_DUPLICATE_RADIUS_M = env_float("SUBMISSION_DUPLICATE_RADIUS_M", 15.0)
PHOTO_MAX_BYTES = 15 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000
PHOTO_MAX_COUNT = 5
PHOTO_MAX_SIDE_PX = 2048
PHOTO_THUMBNAIL_SIDE_PX = 320

# --- Logging: no client addresses, ever -----------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_client_address": {"()": "config.logging.DropClientAddress"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["no_client_address"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # runserver's access log names the client; we keep only method, path and status.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# Debian 12 ships GDAL 3.6; we never pass user-supplied spatial reference strings to GDAL
# (every geometry is built from numbers in SRID 4326), which is what this check guards.
SILENCED_SYSTEM_CHECKS = [
    "gis.W001",
    # Array CHECKs (directions, capabilities) are enforced by the database; the API and the
    # tag parser validate the same rules before writing, so full_clean need not.
    "models.W045",
]
