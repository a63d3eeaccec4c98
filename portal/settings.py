"""NOC Portal settings.

Everything comes from the environment (django-environ). With no environment
at all the portal runs on embedded defaults: a SQLite file and kombu's
filesystem broker, both under ``var/`` — so ``make run`` works on a laptop
with no services. Production values are documented in README.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("NOC_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "[::1]"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
    TIME_ZONE=(str, "UTC"),
    SECURE_SSL_REDIRECT=(bool, False),
    SECURE_HSTS_SECONDS=(int, 0),
    SESSION_COOKIE_SECURE=(bool, False),
    CSRF_COOKIE_SECURE=(bool, False),
)
# A .env file next to manage.py is read if present (never required).
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

TESTING = "pytest" in sys.modules or env.bool("NOC_TESTING", default=False)

# The embedded default key is only for the laptop demo; check --deploy and
# README insist on a real one in production.
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-noc-portal-demo-key-change-me")
DEBUG = env("DEBUG")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "oauth2_provider",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "simple_history",
    "axes",
    # ours
    "portal",
    "subscribers",
    "billing",
    "support",
    "devices",
    "network.ipam",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.tenancy.TenantMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes last, as its docs require, so it sees the authenticated request.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.portal",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
]

# --- database ---------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process, the worker's threads and beat share the demo database.
    # WAL lets readers run beside the one writer. IMMEDIATE makes every
    # transaction take the write lock at BEGIN, where SQLite waits up to the
    # busy timeout for it: a deferred transaction that reads and then writes
    # fails at once with "database is locked" instead (SQLite cannot upgrade
    # its read lock while another connection writes, and does not wait).
    # A read-only atomic block now queues behind writers too, so reads stay
    # outside transactions (ATOMIC_REQUESTS stays off). synchronous=NORMAL is
    # durable with WAL except for the last commits on power loss.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Login rate limiting (django-axes): lock a username+IP pair after repeated
# failures, for the UI login and Krill's /api/v2/auth/login alike.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.accounts.lockout_response"
AXES_VERBOSE = False

# --- i18n / time ------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE")
USE_I18N = True
USE_TZ = True

# --- static -----------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and not TESTING
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve straight from the finders when there is no collectstatic (demo, tests).
WHITENOISE_USE_FINDERS = DEBUG or TESTING or not any(STATIC_ROOT.iterdir())

# --- security (production values come from the environment) ---------------
SECURE_SSL_REDIRECT = env("SECURE_SSL_REDIRECT")
SECURE_HSTS_SECONDS = env("SECURE_HSTS_SECONDS")
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
SESSION_COOKIE_SECURE = env("SESSION_COOKIE_SECURE")
CSRF_COOKIE_SECURE = env("CSRF_COOKIE_SECURE")
# Under /api/ a CSRF failure answers JSON in the API error shape (portal.api.http_errors).
CSRF_FAILURE_VIEW = "portal.api.http_errors.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): no inline script or style anywhere — page glue lives in
# static/js, styles in static/css (htmx's indicator style too: includeIndicatorStyles is off in
# base.html). The nonce appears in the header only on a response that used one: the Swagger UI
# page (/api/docs/) starts itself with one inline script. data: images are Tabler's and Swagger
# UI's inline SVG icons; connect-src covers htmx and Swagger UI's "Try it out".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        # One style attribute by its hash, nothing else inline: django-simple-history's admin
        # history page has <p class="paginator" style="border-top: 0">.
        "style-src-attr": ["'unsafe-hashes'", "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='"],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}

# Key for secrets encrypted at rest (device passwords, PPPoE/Wi-Fi/SIP
# secrets). One Fernet key or several comma-separated (first encrypts, all
# decrypt: rotation). Derived from SECRET_KEY for the demo only.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# --- cache ------------------------------------------------------------------
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# --- REST framework / OpenAPI ---------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["portal.api.auth.BearerAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["portal.api.permissions.TenantGate"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.KrillPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.JSONParser",  # DRF's, with a 400 for absurd nesting
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "portal.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "NOC Portal API",
    "DESCRIPTION": (
        "Krill v2 (`/api/v2/`) and ISPChamp v1 (`/api/v1/`) compatible APIs of the NOC Portal. "
        "Authenticate with `Authorization: Bearer <token>`; choose the tenant with `X-Tenant-ID` "
        "(slug or id) unless the token belongs to an integration client bound to one tenant."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SECURITY": [{"bearer": []}],
    "APPEND_COMPONENTS": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "AUTHENTICATION_WHITELIST": ["portal.api.auth.BearerAuthentication"],
    # Several models have a "status" field; name their enums after the model.
    "ENUM_NAME_OVERRIDES": {
        "InvoiceStatusEnum": "billing.choices.InvoiceStatus",
        "TicketStatusEnum": "support.choices.TicketStatus",
        "SubscriberStatusEnum": "subscribers.choices.SubscriberStatus",
        "AlertKindEnum": "devices.models.monitoring.AlertKind",
        "ActionKindEnum": "devices.choices.ActionKind",
        "IpFamilyEnum": "network.ipam.choices.IpFamily",
    },
}

# --- OAuth2 tokens (django-oauth-toolkit is the token store) ----------------
OAUTH2_PROVIDER = {
    "SCOPES": {"read": "Read access", "write": "Write access"},
    "DEFAULT_SCOPES": ["read"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("API_TOKEN_TTL_SECONDS", default=3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env.int("API_REFRESH_TTL_SECONDS", default=14 * 24 * 3600),
    "ROTATE_REFRESH_TOKEN": True,
    # Only the client-credentials grant is used (integration clients); the
    # RFC 9700 hardening gates are all on so `check --deploy` stays clean.
    "OAUTH2_VALIDATOR_CLASS": "portal.api.auth.PortalOAuth2Validator",
    "PKCE_REQUIRED": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "ALLOW_URI_WILDCARDS": False,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    # Tokens are stored as SHA-256 checksums only (RFC 9700): a database
    # dump does not hand out working bearer tokens. Client secrets are
    # hashed too; both are shown once, at creation.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
}

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
# Tests get a broker folder of their own so they never consume (or leave)
# messages of a `make run` demo on the same checkout.
_broker_dir = VAR_DIR / (f"broker-test-{os.getpid()}" if TESTING else "broker")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("in", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
CELERY_BROKER_TRANSPORT_OPTIONS: dict = (
    {
        "data_folder_in": str(_broker_dir / "in"),
        "data_folder_out": str(_broker_dir / "in"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast/pidbox exchanges; kombu's default is ./control in the cwd.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem://")
    else {}
)
# Longest a device action may run; the Redis visibility timeout must exceed
# it or Redis redelivers a task that is still running (acks_late).
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=900)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=840)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = CELERY_TASK_TIME_LIMIT + 300
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Redelivery of a task whose worker died is bounded by our own counter
# (portal.celery.BoundedRedeliveryTask): reject_on_worker_lost alone would
# loop forever on a task that kills its worker.
NOC_TASK_MAX_DELIVERIES = env.int("NOC_TASK_MAX_DELIVERIES", default=3)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- logging ----------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # httpx/httpcore log every device request at INFO: at fleet scale that
        # costs more CPU than the polling itself and drowns the worker log.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# --- portal -----------------------------------------------------------------
# IPAM: a released address waits this long before it is handed out again (24 h: a freed IP
# is not given straight to someone else; 0 releases at once).
NOC_IPAM_QUARANTINE_SECONDS = env.int("NOC_IPAM_QUARANTINE_SECONDS", default=86400)
NOC_DASHBOARD_REFRESH_SECONDS = env.int("NOC_DASHBOARD_REFRESH_SECONDS", default=15)

# django-oauth-toolkit's models are swappable; name the stock ones so
# migrations can resolve the swappable references.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER_DEVICE_GRANT_MODEL = "oauth2_provider.DeviceGrant"

# Beat's static schedule; django-celery-beat's DatabaseScheduler copies it
# into the database where admins can tune it.
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "portal.heartbeat", "schedule": 30.0},
    "billing-dunning": {"task": "billing.run_dunning", "schedule": 24 * 3600.0},
}

# --- live polling (devices.polling) -----------------------------------------
NOC_POLL_INTERVAL_SECONDS = env.int("NOC_POLL_INTERVAL_SECONDS", default=30)
NOC_POLL_BATCH_SIZE = env.int("NOC_POLL_BATCH_SIZE", default=250)
# Devices in flight per batch task (a worker process runs one batch per pool slot).
NOC_POLL_CONCURRENCY = env.int("NOC_POLL_CONCURRENCY", default=100)
# Per request; a dead device costs one of these, never a retry within the round.
NOC_POLL_TIMEOUT_SECONDS = env.float("NOC_POLL_TIMEOUT_SECONDS", default=5.0)
# Whole device (status + signal + clients are several requests on a slow device).
NOC_POLL_DEVICE_DEADLINE_SECONDS = env.float("NOC_POLL_DEVICE_DEADLINE_SECONDS", default=20.0)
# A device claimed by a batch longer ago than this is taken over (its worker died).
NOC_POLL_CLAIM_TTL_SECONDS = env.int("NOC_POLL_CLAIM_TTL_SECONDS", default=300)
# Queue of the poll batches ("" = Celery's default). Production can give polling
# its own workers (NOC_POLL_QUEUE=polling; celery worker -Q polling) so a big
# round never delays device actions.
NOC_POLL_QUEUE = env.str("NOC_POLL_QUEUE", default="")
NOC_OFFLINE_AFTER_MISSES = env.int("NOC_OFFLINE_AFTER_MISSES", default=3)
NOC_SAMPLE_RETENTION_DAYS = env.int("NOC_SAMPLE_RETENTION_DAYS", default=7)
# Per alert kind: {"rx_low": {"open": -27.0, "clear": -26.0, "severity": "critical"}} (devices.alerting).
NOC_ALERT_THRESHOLDS: dict = env.json("NOC_ALERT_THRESHOLDS", default={})
CELERY_BEAT_SCHEDULE.update(
    {
        # expires: a round still queued when the next one is due is dropped, not piled up.
        "devices-poll-fleet": {
            "task": "devices.poll_fleet",
            "schedule": float(NOC_POLL_INTERVAL_SECONDS),
            "options": {"expires": NOC_POLL_INTERVAL_SECONDS},
        },
        "devices-prune-samples": {"task": "devices.prune_samples", "schedule": 3600.0},
    }
)

# --- device-address rules (devices.addresses) ----------------------------------
# The portal never contacts loopback, link-local, unspecified, multicast or
# reserved addresses, except inside these ranges, where the simulated fleets of
# the demo and the tests answer: 127.1 and 127.2 (the demo tenants, one /16
# each), 127.10/20/30 (driver tests), 127.50/52 (device fixtures), 127.60/62
# (perf), 127.70-79 (fleet tests), 127.90 (e2e). 127.0.0.1 and ::1 are never
# contacted, whatever this says. Production sets NOC_SIMULATOR_NETWORKS= (empty).
NOC_SIMULATOR_NETWORKS = [
    cidr
    for cidr in env.list(
        "NOC_SIMULATOR_NETWORKS",
        default=[
            "127.1.0.0/16",
            "127.2.0.0/16",
            "127.10.0.0/16",
            "127.20.0.0/16",
            "127.30.0.0/16",
            "127.50.0.0/16",
            "127.52.0.0/16",
            "127.60.0.0/16",
            "127.62.0.0/16",
            "127.70.0.0/15",
            "127.72.0.0/13",
            "127.90.0.0/16",
        ],
    )
    if cidr
]
# The portal's own services: these ports are refused on every loopback and
# simulator address (runserver/gunicorn 8000, the fleet control API 7999) ...
NOC_PORTAL_PORTS = [int(port) for port in env.list("NOC_PORTAL_PORTS", default=["8000", "7999"]) if port]
# ... and every port of the portal host's own addresses (its database, broker, web).
NOC_PORTAL_ADDRESSES = [address for address in env.list("NOC_PORTAL_ADDRESSES", default=[]) if address]

# --- device actions (read by devices.actions.config.ActionSettings) ----------
# Attempts of one action (retryable device errors: unreachable, timeout, 5xx/busy).
NOC_ACTION_MAX_ATTEMPTS = env.int("NOC_ACTION_MAX_ATTEMPTS", default=4)
# Backoff between attempts: base * 2^(n-1) seconds, capped, with full jitter.
NOC_ACTION_RETRY_BASE_S = env.float("NOC_ACTION_RETRY_BASE_S", default=5.0)
NOC_ACTION_RETRY_MAX_S = env.float("NOC_ACTION_RETRY_MAX_S", default=300.0)
# A batch of a kind that cannot be undone (factory, unprovision) over more devices than this needs confirm_count.
NOC_BATCH_CONFIRM_OVER = env.int("NOC_BATCH_CONFIRM_OVER", default=10)
# A running action renews its heartbeat and device lease this often; one
# silent for NOC_ACTION_LEASE_S counts as lost (the reaper requeues it).
NOC_ACTION_HEARTBEAT_S = env.float("NOC_ACTION_HEARTBEAT_S", default=10.0)
NOC_ACTION_LEASE_S = env.float("NOC_ACTION_LEASE_S", default=60.0)
# A mutating action waiting for another one on the same device looks again after ~this.
NOC_ACTION_BUSY_RETRY_S = env.float("NOC_ACTION_BUSY_RETRY_S", default=2.0)
# A queued action no worker took for this long gets its message sent again.
NOC_ACTION_REQUEUE_AFTER_S = env.float("NOC_ACTION_REQUEUE_AFTER_S", default=1800.0)
# Per-request device timeout for actions (None: the driver's default, 15 s).
NOC_ACTION_DEVICE_TIMEOUT_S = env.float("NOC_ACTION_DEVICE_TIMEOUT_S", default=15.0)
# Route device actions to their own queue (then run a worker with -Q <queue>); empty: the default queue.
NOC_ACTION_QUEUE = env.str("NOC_ACTION_QUEUE", default="") or None
CELERY_BEAT_SCHEDULE["devices-reap-lost-actions"] = {"task": "devices.reap_lost_actions", "schedule": 30.0}

if TESTING:
    # Hashing passwords at production strength dominates test time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
