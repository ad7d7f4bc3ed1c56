"""Escalator's settings, read from the environment with safe defaults.

Embedded default: SQLite under var/, the in-process channel layer and
background work in the web process. Scale-out: DATABASE_URL (PostgreSQL),
REDIS_URL (channel layer and Celery broker), TASK_BACKEND=celery.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE

from escalator_site.env import (
    SettingError,
    env_bool,
    env_int,
    env_list,
    env_str,
    private_dir,
    private_file,
    secret_key,
)
from escalator_site.notify_config import load_receivers

BASE_DIR = Path(__file__).resolve().parent.parent
# var/ holds the database (with API token hashes and sessions), the secret key and
# clouds.yaml: owner-only, and the files in it 0600.
VAR_DIR = private_dir(Path(env_str("ESCALATOR_VAR_DIR", str(BASE_DIR / "var"))))

SECRET_KEY = secret_key(VAR_DIR)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "channels",
    "csp",
    "axes",
    "escalator_site",
    "inventory",
    "planner",
    "executor",
    "sandbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "escalator_site.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "escalator_site.time_zones.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lock-out into its page
]

# Content-Security-Policy: scripts only from our own static files, never inline,
# so a name from the cloud that slips into markup still cannot run. Inline
# style attributes stay allowed (bar widths); they cannot run script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

ROOT_URLCONF = "escalator_site.urls"
WSGI_APPLICATION = "escalator_site.wsgi.application"
ASGI_APPLICATION = "escalator_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "escalator_site.permissions.user_roles",
                "escalator_site.time_zones.time_zone_context",
            ],
        },
    },
]

_sqlite_path = VAR_DIR / "escalator.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{_sqlite_path}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] == str(_sqlite_path):
        private_file(_sqlite_path)
    # A file, not memory: browser tests serve pages from another process. One per
    # test process, so that concurrent test runs on one checkout do not collide.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test_escalator_{os.getpid()}.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
else:
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "test_escalator")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one
# user name from one address, that pair is refused for AXES_COOLOFF_MINUTES, even
# with the right password. Behind a proxy, run daphne with --proxy-headers.
AUTHENTICATION_BACKENDS = [
    "escalator_site.auth_backends.LoginThrottle",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False  # one warning line per lock-out, not a banner per attempt

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# "thread": background work in the web process (embedded); "celery": workers.
TASK_BACKEND = env_str("TASK_BACKEND", "thread")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Per user at once (planner/services.py): simulations queued or running, and plans
# searched in the background; more is refused with 429 naming the limit.
ESCALATOR_USER_MAX_SIMULATIONS = env_int("ESCALATOR_USER_MAX_SIMULATIONS", 8)
ESCALATOR_USER_MAX_SEARCHES = env_int("ESCALATOR_USER_MAX_SEARCHES", 2)

REST_FRAMEWORK = {
    # Token first: a request without credentials gets 401 with WWW-Authenticate: Token.
    # Tokens are stored hashed (django-rest-knox), shown once at creation.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "escalator_site.pagination.BoundedLimitOffsetPagination",
    "DEFAULT_PARSER_CLASSES": [
        "escalator_site.parsers.BoundedJSONParser",  # deep nesting: 400, not 500
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": env_int("API_PAGE_SIZE", 50),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 0)  # 0: tokens do not expire
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",  # the header scripts already send
    "TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS) if API_TOKEN_TTL_DAYS else None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Escalator API",
    "DESCRIPTION": "Inventory, pre-checks, upgrade plans, simulations and executions "
    "of rolling OpenStack NFV compute upgrades.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "escalator_site.openapi.add_error_responses",  # 400/401/403/404/409/413
    ],
    "ENUM_NAME_OVERRIDES": {
        "PlanStateEnum": "planner.choices.PlanState",
        "JobStateEnum": "planner.choices.JobState",
        "ExecutionStateEnum": "executor.choices.ExecutionState",
        "StepStateEnum": "executor.choices.StepState",
        "InputSourceEnum": "inventory.choices.InputSource",
        "MigrationTypeEnum": "inventory.choices.MigrationType",
    },
}

# The clouds.yaml that openstacksdk reads (OS_CLIENT_CONFIG_FILE is honoured too).
CLOUDS_YAML = env_str("OS_CLIENT_CONFIG_FILE", str(VAR_DIR / "clouds.yaml"))
if Path(CLOUDS_YAML).exists():
    private_file(Path(CLOUDS_YAML))  # it holds the cloud's passwords

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # 4xx refusals (403, 404, bad host) as one line, without a traceback.
    "filters": {"refusals": {"()": "escalator_site.log_filters.OneLineRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["refusals"]}},
    "loggers": {"django.request": {"filters": ["refusals"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
WHITENOISE_USE_FINDERS = True

# Bounded input: an inventory file (upload, API or command line) is at most
# INVENTORY_MAX_BYTES; any other request body at most REQUEST_MAX_BYTES. Bigger
# requests get 413 before anything reads them (escalator_site/middleware.py).
INVENTORY_MAX_BYTES = env_int("INVENTORY_MAX_BYTES", 32 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("REQUEST_MAX_BYTES", 8 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # larger uploads wait on disk, not in memory

# Monte Carlo fan-out: worker processes per simulation (1 = in the task's own process).
SIMULATION_PROCESSES = env_int("SIMULATION_PROCESSES", 1)

if env_bool("ESCALATOR_FAST_PASSWORD_HASHING", False):
    # Tests only: creating users with the real hasher costs seconds each.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# ESCALATOR_PROFILE=production: HTTPS behind a reverse proxy that terminates TLS and
# sets X-Forwarded-Proto (README, "Production"). `manage.py check --deploy` is clean.
PROFILE = env_str("ESCALATOR_PROFILE", "embedded")
if PROFILE not in {"embedded", "production"}:
    raise SettingError(f"ESCALATOR_PROFILE={PROFILE!r}: expected embedded or production")
if PROFILE == "production":
    if DEBUG:
        raise SettingError("DEBUG=1 with ESCALATOR_PROFILE=production: tracebacks would be public")
    if "ALLOWED_HOSTS" not in os.environ:
        raise SettingError("ESCALATOR_PROFILE=production needs ALLOWED_HOSTS: the site's host names")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)  # one working day
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True

# Outbound webhook notifications (escalator_site/notifications.py): receivers from
# ESCALATOR_NOTIFICATIONS_FILE (YAML) or ESCALATOR_NOTIFY_URL + ESCALATOR_NOTIFY_SECRET.
ESCALATOR_NOTIFICATIONS = load_receivers(os.environ)
NOTIFY_ATTEMPTS = env_int("ESCALATOR_NOTIFY_ATTEMPTS", 5)
NOTIFY_BACKOFF_S = float(env_str("ESCALATOR_NOTIFY_BACKOFF_S", "1"))
NOTIFY_BACKOFF_MAX_S = float(env_str("ESCALATOR_NOTIFY_BACKOFF_MAX_S", "60"))

# The executor's alarm gate (executor/alarms.py): a Prometheus Alertmanager's base URL.
ESCALATOR_ALERTMANAGER_URL = env_str("ESCALATOR_ALERTMANAGER_URL", "")
