"""Settings, all read from the environment (django-environ), with defaults that work on a developer's machine.

DATABASE_URL   PostgreSQL to use; unset: the embedded PostgreSQL in var/pgdata (futuresocial/embedded.py).
REDIS_URL      Celery broker; unset: kombu's filesystem transport in var/celery (a real worker, no server).
SECRET_KEY, DEBUG, ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS, EMAIL_URL (or EMAIL_BACKEND), DEFAULT_FROM_EMAIL.
Production: HTTPS (on unless DEBUG; HTTPS=false for plain HTTP), USE_X_FORWARDED_PROTO, AXES_FAILURE_LIMIT,
AXES_COOLOFF_MINUTES, TIMESHEET_UPLOAD_MAX_BYTES,
TIMESHEET_UPLOAD_MAX_ROWS, WORKFORCE_UPLOAD_MAX_BYTES and WORKFORCE_UPLOAD_MAX_ROWS (the security section at the end).
"""

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
# Production (DEBUG off) takes its key from the environment only, and refuses to start without one; test runs set
# a throwaway key (pyproject's pytest env, scripts/test.sh), `make run` sets DEBUG=true.
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY in the environment (or DEBUG=true on a developer's machine).")
    SECRET_KEY = "dev-only-insecure-key-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "futuresocial.api",  # the API's admin (revoking tokens)
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "django_celery_beat",
    "region",
    "accounts",
    "workforce",
    "mou",
    "agencies",
    "placements",
    "compliance",
    "dashboards",
    "dfe",
    "home",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # An API query parameter with no value is a 400 naming it, not an unfiltered answer (futuresocial/api).
    "futuresocial.api.middleware.EmptyQueryParametersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Refuses a body larger than the largest accepted upload before anything reads it (futuresocial/security.py).
    "futuresocial.security.RequestSizeLimitMiddleware",
    # A request whose database connection is lost mid-way answers 503 with what happened (nothing was stored).
    "futuresocial.security.DatabaseErrorMiddleware",
    # Records who made each change (and through which URL) in the history tables, for pages and API alike.
    "pghistory.middleware.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A form sent twice (a double click) is one submission: the repeat goes where the first went (futuresocial/).
    "futuresocial.submissions.OneSubmissionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# History context (who, which URL) is attached to writes only; reads change nothing and cost no extra query.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

ROOT_URLCONF = "futuresocial.urls"
WSGI_APPLICATION = "futuresocial.wsgi.application"

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
                "region.context_processors.region",
            ],
            "builtins": ["futuresocial.submissions"],
        },
    },
]

# --- Database: PostgreSQL only (constraints, partial unique indexes, triggers and the audit's SQL rely on it).
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from futuresocial.embedded import embedded_database_url

    DATABASES = {"default": environ.Env.db_url_config(embedded_database_url())}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if env("TEST_DATABASE_NAME", default=""):
    # Lets several test runs share one server without sharing a test database.
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files from the finders in development and tests, so no collectstatic is needed there.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Email: console by default; EMAIL_URL=smtp://user:pass@host:587 (django-environ) for real mail.
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="MoU coordinator <mou@futuresocial.invalid>")
# The address people reach the app at, for links in emails.
SITE_URL = env("SITE_URL", default="http://localhost:8000")
# Behind a reverse proxy that sets X-Forwarded-For, record its first address as a signer's IP (else REMOTE_ADDR).
USE_X_FORWARDED_FOR = env.bool("USE_X_FORWARDED_FOR", default=False)

# --- Celery: Redis when REDIS_URL is set; otherwise kombu's filesystem transport, so the run command still has a
# real worker (same code path, acks and retries) without a broker server to install.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "celery" / "broker"
    # Every process that sends or receives tasks needs the folders; creating them here is cheap and idempotent.
    _broker_dir.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "processed").mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),  # else kombu writes ./control wherever it runs
        "store_processed": False,
    }
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # every job records its own outcome in the database (e.g. AuditRun)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# The audit's chunk of line ids per transaction, and how long a running audit's worker may stay silent before the
# next run takes it for dead and finishes its work (compliance/audit.py; small values in the fault tests).
AUDIT_CHUNK_LINES = env.int("AUDIT_CHUNK_LINES", default=200_000)
AUDIT_STALE_AFTER_SECONDS = env.int("AUDIT_STALE_AFTER_SECONDS", default=300)
# A queued audit not taken by a worker this long after it was sent (its message lost by the broker) is sent again by
# beat (compliance.tasks.resend_stale_audits, every minute).
AUDIT_RESEND_AFTER_SECONDS = env.int("AUDIT_RESEND_AFTER_SECONDS", default=180)

# --- Cache: shared by every web worker (the API's throttles count in it): Redis when REDIS_URL is set, else files
# under var/cache.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": VAR_DIR / "cache"}
    }
CACHES["default"]["KEY_PREFIX"] = "futuresocial"

# --- API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's token, which dies with the password and expires unused (API_TOKEN_MAX_AGE_DAYS).
        "futuresocial.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "futuresocial.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "futuresocial.api.filters.FilterBackend",
        "futuresocial.api.filters.StableOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON only: the browsable API's forms would list related objects (every agency) to any caller. The
    # documentation lives at /api/v1/docs/.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "futuresocial.api.views.exception_handler",
    # Per user: writes on every API view, and asking for a token (futuresocial/api/throttling.py). Counted in the
    # default cache, shared by every web worker.
    "DEFAULT_THROTTLE_CLASSES": ["futuresocial.api.throttling.WriteRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "write": env("API_WRITE_RATE", default="300/minute"),
        "token": env("API_TOKEN_RATE", default="10/minute"),
    },
}
# An API token unused for this long expires (each use renews it); it also dies when its user's password changes.
API_TOKEN_MAX_AGE = timedelta(days=env.int("API_TOKEN_MAX_AGE_DAYS", default=30))
SPECTACULAR_SETTINGS = {
    "TITLE": "Agency MoU API",  # region.schema names the deployment's region in it
    "DESCRIPTION": "Placements, rates, timesheets, breaches and workforce figures under the regional Agency Protocol.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every operation's error answers (400/401/403/404/429), documented in one place.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "futuresocial.api.schema.add_error_responses",
        "region.schema.name_the_region",
    ],
    # Several models have a `status`; name each choice set after its model in the schema.
    "ENUM_NAME_OVERRIDES": {
        "AuditRunStatusEnum": "compliance.models.AuditRun.Status",
        "BreachStatusEnum": "compliance.models.Breach.Status",
        "CorrectiveActionStatusEnum": "compliance.models.CorrectiveAction.Status",
        "MouVersionStatusEnum": "mou.models.MouVersion.Status",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}

# --- Security (SPEC §6). Secure by default: with DEBUG off the site is reached over HTTPS only (redirect, secure
# cookies, HSTS), and `manage.py check --deploy` passes with no warning given only DEBUG off, a real SECRET_KEY and
# ALLOWED_HOSTS (tests/hardening/test_deploy_settings.py). Plain HTTP must be asked for with HTTPS=false, as the
# tests (pyproject.toml, scripts/test.sh), the benches and a local `docker compose up` do; `make run` has DEBUG on.
HTTPS = env.bool("HTTPS", default=not DEBUG)
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and drops any the client sent). Without it,
    # SECURE_SSL_REDIRECT behind such a proxy would redirect forever.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
# A year; the app's own host and its subdomains. Preload only permits a submission to the browsers' lists.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A working day, then sign in again; shared council machines: the session also ends with the browser.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)

# Content-Security-Policy (django-csp): nothing inline, nothing from elsewhere. Pages keep their scripts in
# static/js and their styles in static/css; charts are inline SVG with presentation attributes only. The API docs
# page alone allows inline styles (futuresocial/security.py says why).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Sign-in throttling (django-axes): AXES_FAILURE_LIMIT wrong passwords for one username from one address lock that
# pair out for AXES_COOLOFF_MINUTES, on the sign-in page, the admin's and the API token endpoint alike.
AUTHENTICATION_BACKENDS = [
    "futuresocial.security.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "futuresocial.security.lockout_response"
if USE_X_FORWARDED_FOR:
    # The address the proxy saw (the right-most): the left-most is whatever the client claims.
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_ORDER = "right-most"
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# Uploads: the app takes two files, an agency's timesheet lines and a council's workforce returns, each with its own
# limits, both read row by row by futuresocial/uploads.py. Bodies larger than the larger file limit are refused before
# they are read (RequestSizeLimitMiddleware); a file streamed past it is not stored (UploadSizeLimitHandler); a file
# above FILE_UPLOAD_MAX_MEMORY_SIZE is spooled to a temporary file.
TIMESHEET_UPLOAD_MAX_BYTES = env.int("TIMESHEET_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
TIMESHEET_UPLOAD_MAX_ROWS = env.int("TIMESHEET_UPLOAD_MAX_ROWS", default=100_000)
WORKFORCE_UPLOAD_MAX_BYTES = env.int("WORKFORCE_UPLOAD_MAX_BYTES", default=2 * 1024 * 1024)
WORKFORCE_UPLOAD_MAX_ROWS = env.int("WORKFORCE_UPLOAD_MAX_ROWS", default=10_000)
# What an XLSX's shared-strings table may unpack to (openpyxl holds it in memory): far above any real file's.
XLSX_MAX_SHARED_STRINGS_BYTES = env.int("XLSX_MAX_SHARED_STRINGS_BYTES", default=32 * 1024 * 1024)
# What one cell and one row of an XLSX sheet may hold, counted in the sheet's XML as it streams (inline strings, long
# attributes and any cell type alike): a cell holds at most 32,767 characters (under 192 KB as XML, escaped); a row
# of either upload is a few hundred bytes.
XLSX_MAX_CELL_BYTES = env.int("XLSX_MAX_CELL_BYTES", default=256 * 1024)
XLSX_MAX_ROW_BYTES = env.int("XLSX_MAX_ROW_BYTES", default=2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # a body that is not a file (a JSON timesheet is a few hundred bytes)
FILE_UPLOAD_HANDLERS = [
    "futuresocial.security.UploadSizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
