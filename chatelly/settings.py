"""Chatelly settings: everything comes from the environment (or a `.env` file).

With nothing set, the embedded default runs: SQLite, the in-memory channel
layer and the local-memory cache, all in one process. `DATABASE_URL` and
`REDIS_URL` switch to PostgreSQL and Redis. `DJANGO_ENV=production` refuses to
start without its secrets and turns on the `check --deploy` settings.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from chatelly import logs

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in ("development", "production"):
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'.")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    _missing = [
        name for name in ("DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL") if not env.str(name, default="")
    ]
    if _missing:
        raise ImproperlyConfigured("DJANGO_ENV=production needs these variables: " + ", ".join(_missing))

SECRET_KEY = (
    env.str("DJANGO_SECRET_KEY", default="")
    or "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
)
DEBUG = env.bool("DJANGO_DEBUG", default=False)


def _list(name: str, default: list[str]) -> list[str]:
    """A comma-separated variable; an empty value means the empty list."""
    return [item.strip() for item in env.list(name, default=default) if item.strip()]


ALLOWED_HOSTS = _list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    # chatelly first: its `runserver` (daphne's, plus the periodic jobs of
    # `make run`) must win over daphne's, which must win over Django's.
    "chatelly",
    # daphne next: its `runserver` serves HTTP and WebSockets (ASGI).
    "daphne",
    # accounts before django.contrib.auth: its `changepassword` (which revokes
    # tokens, issue 16) must win over Django's.
    "accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_celery_results",
    "mail",
    "websites",
    "chat",
    "analytics",
    "reports",
    "notifications",
    "visitor_mail",
    "widget",
    "loadtest",
]

MIDDLEWARE = [
    "chatelly.logs.RequestLogMiddleware",
    "chatelly.metrics.HttpMetricsMiddleware",
    # Django's stock middleware, without a thread hop per hook under ASGI.
    "chatelly.stock_middleware.SecurityMiddleware",
    "chatelly.middleware.StaticFilesMiddleware",  # WhiteNoise, in the handler's mode
    "corsheaders.middleware.CorsMiddleware",
    "chatelly.stock_middleware.SessionMiddleware",
    "chatelly.stock_middleware.CommonMiddleware",
    "chatelly.stock_middleware.CsrfViewMiddleware",
    "chatelly.stock_middleware.AuthenticationMiddleware",
    "chatelly.stock_middleware.MessageMiddleware",
    "chatelly.stock_middleware.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "chatelly.urls"
ASGI_APPLICATION = "chatelly.asgi.application"
# Every path answers with and without a trailing slash (routes list both), so
# an unknown path is a JSON 404, never a redirect.
APPEND_SLASH = False

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that server processes started by tests share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test_db.sqlite3")}
    # IMMEDIATE: a write transaction takes the lock at BEGIN, so two writers
    # queue instead of failing with "database is locked" halfway through.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
elif env.bool("DJANGO_DB_POOL", default=True):
    # A pool per process (psycopg_pool). Under ASGI every concurrent sync request
    # runs in a thread of its own, and persistent per-thread connections
    # (CONN_MAX_AGE) piled up until PostgreSQL refused clients under load.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": env.int("DJANGO_DB_POOL_MAX", default=20),
        # Seconds to wait for a connection: past it the request answers 503 `unavailable`.
        "timeout": env.float("DJANGO_DB_POOL_TIMEOUT", default=2.0),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # Behind PgBouncer in transaction mode: no server-side cursors (and DJANGO_DB_POOL=false,
    # CONN_MAX_AGE=0).
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
        "DJANGO_DISABLE_SERVER_SIDE_CURSORS", default=False
    )
    if not DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"]:
        # Django's default (None) turns prepared statements off for the whole
        # connection, so the hot raw statements (chatelly.db.execute,
        # chatelly.async_db) were parsed and planned on every run. With a
        # threshold they are prepared after a few; the ORM's client-side-binding
        # cursors never prepare either way. Behind PgBouncer it stays off.
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, rate-limit counters, presence, tickets, channel layer ---
REDIS_URL = env.str("REDIS_URL", default="")
CACHE_KEY_PREFIX = env.str("CHATELLY_CACHE_PREFIX", default="chatelly")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "chatelly.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
    # The pub/sub layer by default: the core layer drops group messages
    # silently when a receiver is over capacity (see docs/benchmarks.md).
    CHANNEL_LAYER_KIND = env.str("CHATELLY_CHANNEL_LAYER", default="pubsub")
    if CHANNEL_LAYER_KIND not in ("pubsub", "core"):
        raise ImproperlyConfigured("CHATELLY_CHANNEL_LAYER must be 'pubsub' or 'core'.")
    # The channel layer may shard over several Redis hosts, or find its master
    # through Redis Sentinel; the cache and presence use REDIS_URL.
    _sentinels = _list("CHATELLY_CHANNEL_SENTINELS", [])
    if _sentinels:
        _layer_hosts = [
            {
                "sentinels": [(h.rsplit(":", 1)[0], int(h.rsplit(":", 1)[1])) for h in _sentinels],
                "master_name": env.str("CHATELLY_CHANNEL_SENTINEL_MASTER", default="mymaster"),
            }
        ]
    else:
        _layer_hosts = _list("CHATELLY_CHANNEL_REDIS_URLS", []) or [REDIS_URL]
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": {
                # channels-redis' pub/sub layer, sockets' own channels kept in-process.
                "pubsub": "chatelly.channel_layer.RedisPubSubChannelLayer",
                "core": "channels_redis.core.RedisChannelLayer",
            }[CHANNEL_LAYER_KIND],
            "CONFIG": {"hosts": _layer_hosts, "prefix": f"{CACHE_KEY_PREFIX}:asgi"},
        }
    }
    if CHANNEL_LAYER_KIND == "core":
        # Members of dead processes leave groups after 5 minutes, not a day.
        CHANNEL_LAYERS["default"]["CONFIG"].update({"capacity": 1000, "group_expiry": 300})
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "chatelly",
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Background jobs (Celery; chatelly/jobs.py, docs/operations.md) ---------
# With Redis, jobs go to a Redis queue that `manage.py worker` processes take;
# without it (`make run`), or with CHATELLY_JOBS_EAGER=true, each job runs in
# the process that queued it, right after the commit that queued it.
CHATELLY_JOBS_EAGER = env.bool("CHATELLY_JOBS_EAGER", default=not REDIS_URL)
CELERY_BROKER_URL = env.str("CHATELLY_JOBS_BROKER_URL", default="") or REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = CHATELLY_JOBS_EAGER
CELERY_TASK_EAGER_PROPAGATES = False
# Each deployment (and each test run) has its own queue and its own keys.
CELERY_TASK_DEFAULT_QUEUE = f"{CACHE_KEY_PREFIX}-jobs"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "global_keyprefix": f"{CACHE_KEY_PREFIX}-jobs:",
    # A job taken by a worker that dies goes back to the queue after this many
    # seconds: longer than the longest job, or a slow job would run twice.
    "visibility_timeout": env.int("CHATELLY_JOBS_VISIBILITY_TIMEOUT", default=3600),
    # Look for such jobs every second (kombu's default: about every 100 s).
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
# A job is acknowledged when it ends, so a worker killed mid-job leaves it queued.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queuing must not hold a request long when Redis is away (the row stays; see
# mail.requeue_unsent).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# Failures, with their traceback, in the database: the admin's "Task
# results" page lists failed jobs.
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_RESULT_EXPIRES = timedelta(days=env.int("CHATELLY_JOBS_RESULT_DAYS", default=14))
# Only failures are kept: a success's arguments (an email address asking for
# a reset, say) are not worth storing for two weeks.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_STORE_ERRORS_EVEN_IF_IGNORED = True
# Periodic jobs: `manage.py worker --beat` runs them (exactly one such worker);
# `make run` runs them in-process (chatelly/jobs.py).
# (Filled in below, once the periods are read.)

# --- Email (Django's backends; docs/operations.md) ---------------------------
# EMAIL_URL: smtp://user:pass@host:25, smtp+tls://...:587 (STARTTLS),
# smtps://...:465 or smtp+ssl://...:465 (implicit TLS), consolemail:// (the
# development default). django-environ reads smtps:// as STARTTLS; here it means
# implicit TLS, as port 465 does everywhere else.
_email = env.email_url("EMAIL_URL", default="consolemail://")
if env.str("EMAIL_URL", default="").lower().startswith("smtps://"):
    _email.update(EMAIL_USE_TLS=False, EMAIL_USE_SSL=True)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Chatelly <chatelly@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in emails start with this (no trailing slash).
CHATELLY_PUBLIC_URL = env.str("CHATELLY_PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")
# A send that fails for a passing reason (connection refused, 4xx) is retried
# with back-off this many times; a refused address (5xx) is never retried.
CHATELLY_EMAIL_MAX_RETRIES = env.int("CHATELLY_EMAIL_MAX_RETRIES", default=8)
# The first retry's pause; each next one doubles it (capped at an hour).
CHATELLY_EMAIL_RETRY_SECONDS = env.float("CHATELLY_EMAIL_RETRY_SECONDS", default=30.0)
CHATELLY_PASSWORD_RESET_MINUTES = env.int("CHATELLY_PASSWORD_RESET_MINUTES", default=60)
CHATELLY_INVITATION_DAYS = env.int("CHATELLY_INVITATION_DAYS", default=7)
CHATELLY_RATE_PASSWORD_RESET = env.str("CHATELLY_RATE_PASSWORD_RESET", default="10/h")
CHATELLY_RATE_PASSWORD_RESET_EMAIL = env.str("CHATELLY_RATE_PASSWORD_RESET_EMAIL", default="3/h")
CHATELLY_RATE_INVITATIONS = env.str("CHATELLY_RATE_INVITATIONS", default="30/h")

# --- Notifications (agents) and follow-up email (visitors) --------------------
CHATELLY_NOTIFY_DEFAULT_MINUTES = env.int("CHATELLY_NOTIFY_DEFAULT_MINUTES", default=3)
CHATELLY_NOTIFY_SWEEP_SECONDS = env.int("CHATELLY_NOTIFY_SWEEP_SECONDS", default=30)
# Web Push (`manage.py vapid_keys` makes a pair): raw base64url keys.
CHATELLY_VAPID_PUBLIC_KEY = env.str("CHATELLY_VAPID_PUBLIC_KEY", default="")
CHATELLY_VAPID_PRIVATE_KEY = env.str("CHATELLY_VAPID_PRIVATE_KEY", default="")
CHATELLY_VAPID_SUBJECT = env.str("CHATELLY_VAPID_SUBJECT", default="mailto:admin@localhost")
# An agent's reply the visitor has not seen for this long, while away, is emailed.
CHATELLY_REPLY_EMAIL_MINUTES = env.int("CHATELLY_REPLY_EMAIL_MINUTES", default=2)
CHATELLY_RESUME_LINK_DAYS = env.int("CHATELLY_RESUME_LINK_DAYS", default=7)
# Push endpoints come from browsers: only https to public addresses, unless
# this is set (the tests' local push service).
CHATELLY_PUSH_ALLOW_PRIVATE = env.bool("CHATELLY_PUSH_ALLOW_PRIVATE", default=False)
# Retries of a push the push service did not take (back-off as for email).
CHATELLY_PUSH_MAX_RETRIES = env.int("CHATELLY_PUSH_MAX_RETRIES", default=6)
CHATELLY_RATE_TRANSCRIPT = env.str("CHATELLY_RATE_TRANSCRIPT", default="5/h")

CELERY_BEAT_SCHEDULE = {
    "notify-unread-chats": {"task": "notifications.sweep_unread", "schedule": CHATELLY_NOTIFY_SWEEP_SECONDS},
    "email-unseen-replies": {
        "task": "visitor_mail.sweep_unseen_replies",
        "schedule": CHATELLY_NOTIFY_SWEEP_SECONDS,
    },
    "requeue-unsent-email": {"task": "mail.requeue_unsent", "schedule": 300},
    "forget-old-job-results": {"task": "celery.backend_cleanup", "schedule": 3600},
}

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default="") or SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}
# The dashboard's refresh token lives in this HttpOnly cookie, sent only to
# /api/v1/auth/session/ (accounts/views.py), out of reach of page scripts.
CHATELLY_REFRESH_COOKIE = "chatelly_refresh"

# Per-plan limits, in one place (websites: None = unlimited).
CHATELLY_PLANS: dict[str, dict[str, Any]] = {
    "free": {"websites": 3, "max_users": 100},
    "pro": {"websites": 20, "max_users": 1_000},
    "business": {"websites": None, "max_users": 100_000},
}

# --- DRF and OpenAPI ------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["chatelly.api.throttling.ApiRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["chatelly.api.parsers.JSONParser"],  # depth and NUL limits
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "chatelly.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "chatelly.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # ?format= is ours (analytics CSV), not DRF's renderer override.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Chatelly API",
    "DESCRIPTION": (
        "The HTTP API of Chatelly, a self-hostable live-chat backend. "
        "Errors always have the shape "
        '`{"error", "message", "code", "details"?}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["chatelly.api.schema.drop_slash_duplicates"],
    # The cookie session endpoints (auth/session/*) authenticate by this cookie.
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "refreshCookie": {"type": "apiKey", "in": "cookie", "name": CHATELLY_REFRESH_COOKIE}
        }
    },
    "ENUM_NAME_OVERRIDES": {
        "AssignableRoleEnum": ["admin", "agent"],
        "RoleEnum": "websites.models.Role",
    },
}

# --- Rate limits (django-ratelimit rates: N/period, period s, m, h, d) ----
RATELIMIT_USE_CACHE = "default"
RATELIMIT_IP_META_KEY = "chatelly.api.client_ip.client_ip_for_request"
CHATELLY_RATE_LOGIN = env.str("CHATELLY_RATE_LOGIN", default="10/m")
CHATELLY_RATE_LOGIN_EMAIL = env.str("CHATELLY_RATE_LOGIN_EMAIL", default="5/m")
CHATELLY_RATE_REGISTER = env.str("CHATELLY_RATE_REGISTER", default="20/h")
CHATELLY_RATE_API = env.str("CHATELLY_RATE_API", default="600/m")
CHATELLY_RATE_WIDGET = env.str("CHATELLY_RATE_WIDGET", default="120/m")
CHATELLY_WS_MSG_RATE = env.str("CHATELLY_WS_MSG_RATE", default="20/10s")
CHATELLY_WS_CONN_PER_IP = env.int("CHATELLY_WS_CONN_PER_IP", default=20)
# Budgets of the other frame types (docs/protocol.md, "Flooding"); `invalid`
# counts frames that are not JSON or name no type the socket takes.
CHATELLY_WS_FRAME_RATES = env.str(
    "CHATELLY_WS_FRAME_RATES",
    default="typing=60/10s,read=60/10s,resume=20/10s,sync=20/10s,identify=10/10s,"
    "page_view=30/10s,end=10/10s,close_chat=30/10s,ping=30/10s,invalid=30/10s",
)
# Socket handshakes per client IP (IPv6 by its /64), refused before accept.
CHATELLY_WS_CONNECT_RATE = env.str("CHATELLY_WS_CONNECT_RATE", default="60/m")
# The share of a website's max_users that one client IP may take (at least one visitor).
CHATELLY_WS_IP_SHARE = env.float("CHATELLY_WS_IP_SHARE", default=0.25)
# Visitor messages wait at most this long for the batched writer; later ones
# are refused with `unavailable` (nothing stored) instead of queueing on.
CHATELLY_WRITE_MAX_WAIT = env.float("CHATELLY_WRITE_MAX_WAIT", default=1.0)
CHATELLY_MAX_MESSAGE_CHARS = env.int("CHATELLY_MAX_MESSAGE_CHARS", default=4000)
CHATELLY_MAX_UPLOAD_MB = env.int("CHATELLY_MAX_UPLOAD_MB", default=10)
# Upload quotas: MB stored over the last 24 hours (0 = no quota), counted from
# the attachment rows, so every process sees the same figure.
CHATELLY_UPLOAD_QUOTA_USER_MB_PER_DAY = env.int("CHATELLY_UPLOAD_QUOTA_USER_MB_PER_DAY", default=200)
CHATELLY_UPLOAD_QUOTA_WEBSITE_MB_PER_DAY = env.int("CHATELLY_UPLOAD_QUOTA_WEBSITE_MB_PER_DAY", default=500)
CHATELLY_UPLOAD_QUOTA_VISITOR_MB_PER_DAY = env.int("CHATELLY_UPLOAD_QUOTA_VISITOR_MB_PER_DAY", default=50)
# Uploads never attached to a message are deleted by purge_data after this.
CHATELLY_UNUSED_UPLOAD_HOURS = env.int("CHATELLY_UNUSED_UPLOAD_HOURS", default=24)
# Uploads above this size go to a temporary file, not memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Visitor tokens (the widget's localStorage) older than this are refused and the
# visitor starts afresh; every connect re-issues one, so only absent visitors lose it.
CHATELLY_VISITOR_TOKEN_DAYS = env.int("CHATELLY_VISITOR_TOKEN_DAYS", default=30)
CHATELLY_TRUSTED_PROXY_COUNT = env.int("CHATELLY_TRUSTED_PROXY_COUNT", default=0)
# A header the proxy sets to the visitor's ISO 3166 country (nginx's geoip2
# module, Cloudflare's CF-IPCountry): the visitor panel's location. Empty: none.
CHATELLY_COUNTRY_HEADER = env.str("CHATELLY_COUNTRY_HEADER", default="")
CHATELLY_METRICS_TOKEN = env.str("CHATELLY_METRICS_TOKEN", default="")
# Record analytics events (off only to measure what recording costs).
CHATELLY_ANALYTICS_ENABLED = env.bool("CHATELLY_ANALYTICS_ENABLED", default=True)
# /readyz fails below these free amounts.
CHATELLY_READY_MIN_DISK_MB = env.int("CHATELLY_READY_MIN_DISK_MB", default=100)
CHATELLY_READY_MIN_MEMORY_MB = env.int("CHATELLY_READY_MIN_MEMORY_MB", default=50)

# --- CORS: only the dashboard origins, only on /api/ -----------------------
CORS_ALLOWED_ORIGINS = _list("CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False

# --- Files ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media")))
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    # Uploads in S3 (or an S3-compatible store), private, fetched by signed URL.
    DEFAULT_STORAGE = {
        "BACKEND": "chat.uploads.storage.AttachmentS3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=3600),
            "file_overwrite": False,
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security -------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SILENCED_SYSTEM_CHECKS = [
    # Django's own RedisCache has an atomic incr(); django-ratelimit's list of
    # supported backends predates it.
    "django_ratelimit.W001",
    # Our subclasses of Django's middleware: chatelly.stock_middleware runs
    # these checks (and the ones that depend on them) as chatelly.W001-W003.
    "security.W001",
    "security.W002",
    "security.W003",
]
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    # The embedded default is one process, so a per-process cache is shared
    # by everything that counts.
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    if not SECURE_SSL_REDIRECT:
        # TLS ends at the proxy, which sets X-Forwarded-Proto; redirecting here
        # would loop, so W008 (no SSL redirect) is expected and silenced.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        SILENCED_SYSTEM_CHECKS.append("security.W008")
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = _list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# JSON lines (structlog); DJANGO_LOG_FORMAT=console for a readable terminal.
LOGGING = logs.logging_config(
    env.str("DJANGO_LOG_LEVEL", default="INFO"), env.str("DJANGO_LOG_FORMAT", default="json")
)
logs.configure()

if not PRODUCTION:
    # Serve static files straight from the apps, no collectstatic needed.
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True
