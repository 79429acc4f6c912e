"""Settings for the whole site, read from the environment.

Every variable is documented in README.md ("Configuration"). Without any of them the site runs locally
on an SQLite file in the project folder with DEBUG on and only loopback hosts allowed. With DEBUG off
(production mode) the site refuses to start unless SECRET_KEY is set to a real secret.
"""

import base64
import binascii
import hashlib
import ipaddress
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from braintrust_site.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)

_DEVELOPMENT_SECRET_KEY = "development-only-insecure-key-never-use-in-production"  # noqa: S105 (refused in production)
SECRET_KEY = env_str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (production mode).")
    SECRET_KEY = _DEVELOPMENT_SECRET_KEY
elif not DEBUG and (SECRET_KEY == _DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be a real secret of at least 50 characters in production mode.")

# Keys that encrypt AI secrets and environment variables at rest (Fernet keys, comma-separated): the first
# encrypts, every one decrypts, so a new key goes first and `manage.py rotate_secrets` moves every value to
# it (docs/deploy.md). Locally a key derived from SECRET_KEY is used; production refuses to start without one.
SECRETS_ENCRYPTION_KEYS = env_list("SECRETS_ENCRYPTION_KEYS", default=[])
if not SECRETS_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("SECRETS_ENCRYPTION_KEYS must be set when DEBUG is off (production mode).")
    SECRETS_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(hashlib.sha256(f"secrets_store:{SECRET_KEY}".encode()).digest()).decode()]
for _index, _key in enumerate(SECRETS_ENCRYPTION_KEYS, start=1):
    try:
        _valid_key = len(base64.urlsafe_b64decode(_key.encode("ascii"))) == 32
    except (binascii.Error, UnicodeEncodeError, ValueError):
        _valid_key = False
    if not _valid_key:
        raise ImproperlyConfigured(f"SECRETS_ENCRYPTION_KEYS: key {_index} is not a Fernet key (32 bytes in URL-safe base64).")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "accounts",
    "permissions",
    "projects",
    "secrets_store",
    "django_htmx",
    "web",
]

MIDDLEWARE = [
    "braintrust_site.health.HealthCheckMiddleware",
    "braintrust_site.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "braintrust_site.middleware.RefuseNulCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "permissions.middleware.AccessRequestMiddleware",
]

ROOT_URLCONF = "braintrust_site.urls"

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

WSGI_APPLICATION = "braintrust_site.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", default=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the scoring worker and the SDK clients write to the same file at once.
    from braintrust_site.sqlite import concurrent_writer_options

    DATABASES["default"]["OPTIONS"] = {**concurrent_writer_options(), **DATABASES["default"].get("OPTIONS", {})}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DATABASE_PREPARED_STATEMENTS", default=True):
    # The access engine prepares its statements (permissions/engine/statements.py) and, their text being
    # fixed, plans each once per connection, on a generic plan it asks for statement by statement (the
    # connection keeps PostgreSQL's own plan mode). Django's own queries are bound on the client and never
    # prepared. Off for a pooler that drops prepared statements.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["prepare_threshold"] = 5

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
AUTHENTICATION_BACKENDS = [
    # Logs people in by email and password; service accounts never log in.
    "accounts.backends.EmailBackend",
    # Answers user.has_perm(perm, obj) with the access engine's decision.
    "permissions.backends.AccessEngineBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-guardian stores direct object grants; the access engine, not guardian's backend, decides.
# Guardian's backend would ignore organization membership, nested groups, roles and inheritance,
# so it is deliberately not installed (hence the silenced guardian.W001), and no anonymous user exists.
ANONYMOUS_USER_NAME = None
SILENCED_SYSTEM_CHECKS = ["guardian.W001"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# In development static files are served straight from the apps, with no collectstatic step.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = env_str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="noreply@localhost")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "api.authentication.BrowserSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["api.json_bodies.StorableJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Access control API",
    "DESCRIPTION": "Braintrust-compatible /v1 API for organizations, groups, roles, ACLs and credentials.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page's scripts are served from this site, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# How deeply a JSON request body may nest (objects and arrays); deeper is a 400 naming where.
JSON_MAX_DEPTH = env_int("JSON_MAX_DEPTH", default=64)

# Proxies (addresses or networks) whose X-Forwarded-For names the client, for throttles and the audit log;
# empty: the connection's own address is the client's.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or network.") from _error

# Failed password sign-ins allowed per account and per client address within the window; past either, the
# sign-in is refused (even with the right password) until the window passes.
LOGIN_FAILURE_LIMIT_PER_ACCOUNT = env_int("LOGIN_FAILURE_LIMIT_PER_ACCOUNT", default=10)
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env_int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", default=50)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", default=900)

# Failed bearer authentications allowed per client address within the window, then 429.
AUTH_FAILURE_LIMIT = env_int("AUTH_FAILURE_LIMIT", default=20)
AUTH_FAILURE_WINDOW_SECONDS = env_int("AUTH_FAILURE_WINDOW_SECONDS", default=60)
# Largest request body accepted, in bytes (Django answers 400 past it).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if not env_str("REDIS_URL", default="")
    else {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env_str("REDIS_URL", default="")}
}

# Online scoring runs on the built-in worker (manage.py run_scoring_worker) unless a Celery broker is set.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", default="")
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = False

# How long a new invitation stays valid.
INVITATION_TTL_DAYS = env_int("INVITATION_TTL_DAYS", default=14)

# Span iframes embed https pages only; plain http on a loopback address (a tool developed on the same
# machine) is accepted while DEBUG is on, or with this setting.
SPAN_IFRAME_ALLOW_LOOPBACK_HTTP = env_bool("SPAN_IFRAME_ALLOW_LOOPBACK_HTTP", default=False)

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    # HTTPS only: plain HTTP is redirected, and browsers are told to use HTTPS for a year. Behind a proxy
    # that terminates TLS, set TRUST_FORWARDED_HEADERS so that its requests count as secure.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # probes (answered before the redirect anyway)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # Preloading asks browsers' built-in lists to hold the domain, which cannot be undone quickly: the
    # domain's owner decides it, so it is off unless asked for, and Django's reminder about it is silenced.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")

# This server's own public base URL (scheme and host, no path), e.g. https://braintrust.example.com: what
# the SDK's login answers as an organization's api_url when the organization sets none, and what the pages
# show in snippets. Empty: the request's own scheme and host.
PUBLIC_URL = env_str("PUBLIC_URL", default="").rstrip("/")
# Behind a reverse proxy that sets them, X-Forwarded-Host, -Port and -Proto name the request's public host
# and scheme. They are spoofable by any client, so they count only when this says the proxy is trusted.
if env_bool("TRUST_FORWARDED_HEADERS", default=False):
    USE_X_FORWARDED_HOST = True
    USE_X_FORWARDED_PORT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs go to the console, as text or (LOG_FORMAT=json) one JSON object per line, each with its request's id.
LOG_FORMAT = env_str("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "braintrust_site.log_format.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "braintrust_site.log_format.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="INFO")},
}

# /logs3 overflow: a batch too big for one POST /logs3 is uploaded to a signed URL first (see
# projects.events.overflow). Largest payload accepted, how long a URL (and its key) stays usable, and
# where payloads wait until /logs3 takes them: a local folder, or an S3-compatible bucket (django-storages,
# which then needs boto3 installed) when LOGS3_OVERFLOW_S3_BUCKET is set.
LOGS3_OVERFLOW_MAX_BYTES = env_int("LOGS3_OVERFLOW_MAX_BYTES", default=104_857_600)
LOGS3_OVERFLOW_URL_TTL_SECONDS = env_int("LOGS3_OVERFLOW_URL_TTL_SECONDS", default=3600)
if env_str("LOGS3_OVERFLOW_S3_BUCKET", default=""):
    _s3_options = {"bucket_name": env_str("LOGS3_OVERFLOW_S3_BUCKET", default="")}
    for _option, _variable in [
        ("endpoint_url", "LOGS3_OVERFLOW_S3_ENDPOINT_URL"),
        ("region_name", "LOGS3_OVERFLOW_S3_REGION"),
        ("access_key", "AWS_ACCESS_KEY_ID"),
        ("secret_key", "AWS_SECRET_ACCESS_KEY"),
    ]:
        if env_str(_variable, default=""):
            _s3_options[_option] = env_str(_variable, default="")
    STORAGES["logs3_overflow"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3_options}
else:
    STORAGES["logs3_overflow"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env_str("LOGS3_OVERFLOW_DIR", default=str(BASE_DIR / "var" / "logs3-overflow"))},
    }
