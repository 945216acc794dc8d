"""Settings for the ENT timetable import, driven by environment variables (django-environ).

With no environment at all the project runs on its embedded default: SQLite, a filesystem
Celery broker and media files, all under ``var/``. ``DATABASE_URL`` and ``REDIS_URL`` switch to
PostgreSQL and Redis; every code path is the same in both modes.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

VAR_DIR = Path(env("ENT_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _embedded_secret_key() -> str:
    """Return the embedded mode's secret key, created once under ``var/``."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


# --- Core --------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="") or _embedded_secret_key()
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Public base URL used in messages (deposit URLs, reveal links).
ENT_PUBLIC_URL = env("ENT_PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tables2",
    "accounts",
    "ent",
    "imports",
    "deposits",
    # Development tooling (samples, writers, benches, demo): no production app imports it.
    "devtools",
]
# The project package imports no app: these dotted paths wire the apps into the WSGI entry
# point and into `manage.py run_embedded` (empty: nothing mounted or announced).
ENT_WSGI_WRAPPERS = ["deposits.webdav.app.mount_webdav"]
ENT_EMBEDDED_ANNOUNCEMENT = "devtools.demo.demo_announcement"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ent.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "ent.urls"
WSGI_APPLICATION = "ent.wsgi.application"

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
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'ent.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, WebDAV and the worker share the file: wait for locks, take them up front.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # The test database is a file too: server threads and child processes share it as in
    # production (an in-memory shared-cache database answers "table is locked" at once
    # instead of waiting for the lock).
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (login throttling, verified WebDAV credentials) --------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("ENT_CACHE_PREFIX", default="ent"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Authentication ----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
# People's passwords use the first hasher (Django's PBKDF2). Depositor accounts' generated
# passwords use ENT_DEPOSITOR_PASSWORD_HASHER (deposits/hashers.py: Argon2id at OWASP's
# minimum); hashes of earlier hashers still verify and are upgraded at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "deposits.hashers.DepositorPasswordHasher",
]
ENT_DEPOSITOR_PASSWORD_HASHER = "argon2_depositor"  # noqa: S105 (a hasher name)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (accounts/throttle.py; the same rule for the site, /admin/ and WebDAV).
# Failures of one login from one address within the window before that pair waits it out:
LOGIN_THROTTLE_ATTEMPTS = env.int("LOGIN_THROTTLE_ATTEMPTS", default=5)
LOGIN_THROTTLE_WINDOW_SECONDS = env.int("LOGIN_THROTTLE_WINDOW_SECONDS", default=900)
# Failures of one login (all addresses) / from one address (all logins) in the window past
# which attempts from addresses the login never succeeded from wait a growing delay.
LOGIN_THROTTLE_LOGIN_CEILING = env.int("LOGIN_THROTTLE_LOGIN_CEILING", default=20)
LOGIN_THROTTLE_ADDRESS_CEILING = env.int("LOGIN_THROTTLE_ADDRESS_CEILING", default=100)
LOGIN_THROTTLE_BASE_DELAY_SECONDS = env.int("LOGIN_THROTTLE_BASE_DELAY_SECONDS", default=5)
LOGIN_THROTTLE_MAX_DELAY_SECONDS = env.int("LOGIN_THROTTLE_MAX_DELAY_SECONDS", default=300)
# How long a successful login keeps its address exempt from those delays.
LOGIN_THROTTLE_TRUSTED_DAYS = env.int("LOGIN_THROTTLE_TRUSTED_DAYS", default=30)
# Reverse proxies (TLS front) whose X-Forwarded-For is believed for the client address;
# without this, every client behind the proxy would share one throttling counter.
ENT_TRUSTED_PROXIES = env.list("ENT_TRUSTED_PROXIES", default=[])

# --- Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Files -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"
# Deposited timetables name pupils and staff: readable by the service's own user and group only.
FILE_UPLOAD_PERMISSIONS = 0o640
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Deposited files in S3-compatible object storage (hosts then share nothing but PostgreSQL,
# Redis and the bucket); without a bucket they stay under MEDIA_ROOT.
ENT_S3_BUCKET = env("ENT_S3_BUCKET", default="")
if ENT_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ENT_S3_BUCKET,
            # Empty: AWS itself; else the S3-compatible server (MinIO, Ceph, Garage, OVH…).
            "endpoint_url": env("ENT_S3_ENDPOINT_URL", default="") or None,
            "region_name": env("ENT_S3_REGION", default="") or None,
            # Empty keys: boto3's own chain (AWS_* variables, instance role).
            "access_key": env("ENT_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env("ENT_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env("ENT_S3_PREFIX", default=""),
            "addressing_style": env("ENT_S3_ADDRESSING_STYLE", default="path"),
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
        },
    }
# Deposits larger than this are refused before anything is kept.
ENT_MAX_DEPOSIT_BYTES = env.int("ENT_MAX_DEPOSIT_BYTES", default=50 * 1024 * 1024)
# Body limits (ent.limits, checked before anything reads the body): forms of the site other
# than the manual import upload, and WebDAV requests other than PUT (XML bodies).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("ENT_MAX_FORM_BYTES", default=1024 * 1024)
ENT_WEBDAV_MAX_XML_BYTES = env.int("ENT_WEBDAV_MAX_XML_BYTES", default=64 * 1024)

# --- Retention (imports.services.retention, deposits.retention; nightly by beat) ---------
# Deposited files of the current school year and the previous ones, up to this count.
ENT_RETENTION_DEPOSIT_SCHOOL_YEARS = env.int("ENT_RETENTION_DEPOSIT_SCHOOL_YEARS", default=2)
# Records of runs never integrated (bilans included) are kept this many years.
ENT_RETENTION_BILAN_YEARS = env.int("ENT_RETENTION_BILAN_YEARS", default=5)
# School years are counted from the first day of this month (August: between two years).
ENT_SCHOOL_YEAR_START_MONTH = env.int("ENT_SCHOOL_YEAR_START_MONTH", default=8)

# --- WebDAV deposit (/webdav/, or `manage.py serve_webdav`) ------------------------------
# Per-account deposit folders; shared between WebDAV processes when there are several.
ENT_WEBDAV_SPOOL_DIR = Path(env("ENT_WEBDAV_SPOOL_DIR", default=str(VAR_DIR / "webdav")))
# Lock keys in Redis start with this; locks never outlive the cap (seconds).
ENT_WEBDAV_LOCK_PREFIX = env("ENT_WEBDAV_LOCK_PREFIX", default="ent-webdav")
ENT_WEBDAV_LOCK_TIMEOUT_MAX = env.int("ENT_WEBDAV_LOCK_TIMEOUT_MAX", default=3600)
# A lock's <owner> element larger than this is refused (400).
ENT_WEBDAV_LOCK_OWNER_MAX_BYTES = env.int("ENT_WEBDAV_LOCK_OWNER_MAX_BYTES", default=1024)
# Locked empty files (locks taken on new names before the upload) allowed per folder.
ENT_WEBDAV_MAX_PLACEHOLDERS = env.int("ENT_WEBDAV_MAX_PLACEHOLDERS", default=5)

# --- Index Education partnership (encrypted EDT/PRONOTE exports) ------------------------
PRONOTE_PARTNER_NAME = env("PRONOTE_PARTNER_NAME", default="ENT-EDT-IMPORT")
PRONOTE_PRIVATE_KEY_PATH = env(
    "PRONOTE_PRIVATE_KEY_PATH", default=str(VAR_DIR / "keys" / "pronote_private.pem")
)

# --- E-mail ------------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="ENT <ne-pas-repondre@ent.invalid>")

# --- Celery ------------------------------------------------------------------------------
# The longest import run: the hard time limit; Redis must not redeliver before it.
CELERY_IMPORT_TIME_LIMIT = env.int("CELERY_IMPORT_TIME_LIMIT", default=30 * 60)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * CELERY_IMPORT_TIME_LIMIT}
else:
    _broker_dir = VAR_DIR / "celery" / "broker"
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Broadcast (remote control) messages; kombu would otherwise write ./control.
        "control_folder": str(VAR_DIR / "celery" / "control"),
    }
# A RUNNING import whose heartbeat is older than this is taken as abandoned by a dead worker.
IMPORT_STALE_AFTER_SECONDS = env.int("IMPORT_STALE_AFTER_SECONDS", default=300)
# Re-plan only the teaching services whose courses changed when nothing else did
# (imports.services.incremental); False forces the full plan of every service.
IMPORT_INCREMENTAL = env.bool("IMPORT_INCREMENTAL", default=True)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = CELERY_IMPORT_TIME_LIMIT
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_IMPORT_TIME_LIMIT - 60
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = (Queue("default"), Queue("imports"))
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Beat keeps its schedule here, in every mode (created now: beat does not create it).
(VAR_DIR / "celery").mkdir(parents=True, exist_ok=True)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
# How often the sweep requeues abandoned runs and re-enqueues waiting ones.
ENT_SWEEP_INTERVAL_SECONDS = env.int("ENT_SWEEP_INTERVAL_SECONDS", default=60)
CELERY_BEAT_SCHEDULE = {
    "imports-sweep": {
        "task": "imports.import_run_sweep",
        "schedule": dt.timedelta(seconds=ENT_SWEEP_INTERVAL_SECONDS),
        "options": {"expires": max(ENT_SWEEP_INTERVAL_SECONDS - 10, 1)},
    },
    "deposits-retention": {
        "task": "deposits.retention_apply",
        "schedule": crontab(hour=3, minute=30),
        "options": {"expires": 3600},
    },
}

# --- Logging -----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"wsgidav": {"level": "WARNING"}},
}

# --- Security (production sets DJANGO_SECURE=1 behind TLS) -------------------------------
SECURE = env.bool("DJANGO_SECURE", default=False)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = SECURE
LANGUAGE_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# No inline script or style anywhere (admin included): only the site's own files.
ENT_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"
