"""Settings for contentops, read from the environment (12-factor).

Every knob a deployment turns is an environment variable; the README's
configuration table lists them. Production (DEBUG off) refuses to start
without a real SECRET_KEY.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from botocore.config import Config
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from contentops.database import replica_database
from contentops.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_json,
    env_list,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (production mode). "
            "Set DEBUG=1 for local development."
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "contentops.apps.ContentopsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "csp",
    "django_filters",
    "pgtrigger",
    "pghistory",
    "axes",
    # The second factor (accounts.two_factor): TOTP apps, and backup codes as static tokens.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core.apps.CoreConfig",
    "contentops.apps.ContentopsConfig",
    "accounts",
    "personas",
    "videos",
    "safety",
    "publishing",
    "insights",
    "monitoring",
    "seeding",
]

MIDDLEWARE = [
    # Outermost of all, so every response, the 503 page included, carries the
    # security headers; none of them asks the database anything.
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.headers.SecurityHeadersMiddleware",
    # A request whose database is away answers 503, not 500.
    "core.unavailable.DatabaseUnavailableMiddleware",
    # Outermost after it, to time everything else; it removes itself unless SERVER_TIMING.
    "core.server_timing.ServerTimingMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After auth: whether the session passed the second factor, and, when it is
    # required, no page but enrolment and verification until it has.
    "django_otp.middleware.OTPMiddleware",
    "accounts.two_factor_middleware.RequireTwoFactorMiddleware",
    # After auth: history rows written during a request carry the admin user.
    "pghistory.middleware.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After auth and messages: ends sessions past their idle or absolute limit, saying so.
    "accounts.sessions.SessionLimitsMiddleware",
    # After URL resolution and the session checks: the listed pages' GETs read
    # from the replica (contentops/replicas.py); removes itself without one.
    "contentops.replicas.ReplicaReadsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, reading the user and their permissions in one query.
    "accounts.backends.PermissionsBackend",
]

# A Server-Timing header (app time, SQL queries and their time) on every response.
SERVER_TIMING = env_bool("SERVER_TIMING", False)
# A second, untuned admin at /stock-admin/, only for `make bench` to compare against.
BENCH_STOCK_ADMIN = env_bool("BENCH_STOCK_ADMIN", False)

# bench's URLconf adds the stock admin to ours; the project names it only as a string.
ROOT_URLCONF = "bench.urls" if BENCH_STOCK_ADMIN else "contentops.urls"
WSGI_APPLICATION = "contentops.wsgi.application"

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

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", "postgres://contentops:contentops@127.0.0.1:54320/contentops"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}

# The session and user reads every request makes are prepared once per
# connection (core/prepared.py). Off for a pooler that cannot keep prepared
# statements (PgBouncer before 1.21 in transaction mode).
DATABASE_PREPARED_READS = env_bool("DATABASE_PREPARED_READS", True)

# A streaming replica for the reads of lists, the gallery, the timeline and
# dashboards (core/replicas.py, contentops/replicas.py); unset, one server.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "").strip()
# Above the tolerable lag, so whoever wrote reads it back from the primary.
DATABASE_REPLICA_STICKY_SECONDS = env_int("DATABASE_REPLICA_STICKY_SECONDS", 30)
DATABASE_REPLICA_MAX_LAG_SECONDS = env_float("DATABASE_REPLICA_MAX_LAG_SECONDS", 10.0)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = replica_database(
        DATABASE_REPLICA_URL,
        primary=DATABASES["default"],
        sticky_seconds=DATABASE_REPLICA_STICKY_SECONDS,
        max_lag_seconds=DATABASE_REPLICA_MAX_LAG_SECONDS,
    )
    DATABASE_ROUTERS = ["core.replicas.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Artifacts live in S3 (any S3-compatible store), read through django-storages.
S3_ENDPOINT_URL = env_str("S3_ENDPOINT_URL", "") or None
# Where browsers reach the same S3, when that differs from where the app does
# (say, an internal hostname for the app, a public one for browsers).
S3_PUBLIC_ENDPOINT_URL = env_str("S3_PUBLIC_ENDPOINT_URL", "") or None
S3_BUCKET = env_str("S3_BUCKET", "contentops")
S3_REGION = env_str("S3_REGION", "us-east-1")
# Lifetime of the presigned GET URLs browsers are redirected to.
S3_PRESIGN_SECONDS = env_int("S3_PRESIGN_SECONDS", 300)
# boto3 >= 1.36 adds CRC checksums to every upload and checks them on downloads
# ("when_supported"); several S3-compatible stores reject or lack them, so by
# default they are sent and checked only where the operation requires them.
S3_REQUEST_CHECKSUM_CALCULATION = env_choice(
    "S3_REQUEST_CHECKSUM_CALCULATION", "when_required", ("when_required", "when_supported")
)
S3_RESPONSE_CHECKSUM_VALIDATION = env_choice(
    "S3_RESPONSE_CHECKSUM_VALIDATION", "when_required", ("when_required", "when_supported")
)
# Short, so a page whose S3 is down answers with a warning instead of hanging.
S3_CONNECT_TIMEOUT = env_int("S3_CONNECT_TIMEOUT", 2)
S3_READ_TIMEOUT = env_int("S3_READ_TIMEOUT", 20)
S3_MAX_ATTEMPTS = env_int("S3_MAX_ATTEMPTS", 2)
# A page asks S3 about its files at once, this many at a time, and waits at most
# S3_BATCH_SECONDS for all the answers: a slow S3 costs a warning, not a hung page.
S3_CONCURRENCY = env_int("S3_CONCURRENCY", 8)
S3_BATCH_SECONDS = env_float("S3_BATCH_SECONDS", 5.0)
if S3_CONCURRENCY < 1:
    raise ImproperlyConfigured("S3_CONCURRENCY must be at least 1.")
if not 0 < S3_BATCH_SECONDS <= 3600:
    raise ImproperlyConfigured("S3_BATCH_SECONDS must be above 0 and at most 3600.")
# Largest replacement file staff may upload for an artifact.
ARTIFACT_UPLOAD_MAX_BYTES = env_int("ARTIFACT_UPLOAD_MAX_BYTES", 256 * 1024 * 1024)
# Admin lists count matching rows up to this many: beyond it they say "more
# than N" and offer no further pages (people narrow with filters or search),
# so neither COUNT nor OFFSET grows with the table. Counting 10,000 rows cost
# 7-20 ms of a list's time at 1M videos (index entries checked against the
# heap); 1,000 cost 1-2 ms.
ADMIN_COUNT_LIMIT = env_int("ADMIN_COUNT_LIMIT", 1_000)
# The same for a list with a search term, whose count tests every row it reads.
ADMIN_SEARCH_COUNT_LIMIT = env_int("ADMIN_SEARCH_COUNT_LIMIT", 1_000)
# Largest JSON document (tone profile, task payload, report issues) a form accepts.
ADMIN_JSON_MAX_BYTES = env_int("ADMIN_JSON_MAX_BYTES", 256 * 1024)


def s3_options(endpoint_url: str | None) -> dict:
    return {
        "bucket_name": S3_BUCKET,
        "endpoint_url": endpoint_url,
        "access_key": env_str("S3_ACCESS_KEY_ID", ""),
        "secret_key": env_str("S3_SECRET_ACCESS_KEY", ""),
        "region_name": S3_REGION,
        "querystring_expire": S3_PRESIGN_SECONDS,
        "file_overwrite": False,
        # With a client_config, django-storages ignores its own signature_version
        # and addressing_style options: they are all here.
        "client_config": Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            region_name=S3_REGION,
            request_checksum_calculation=S3_REQUEST_CHECKSUM_CALCULATION,
            response_checksum_validation=S3_RESPONSE_CHECKSUM_VALIDATION,
            connect_timeout=S3_CONNECT_TIMEOUT,
            read_timeout=S3_READ_TIMEOUT,
            retries={"mode": "standard", "total_max_attempts": S3_MAX_ATTEMPTS},
            # One connection per request in flight, or urllib3 drops the extra ones.
            max_pool_connections=max(10, S3_CONCURRENCY),
        ),
    }


STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": s3_options(S3_ENDPOINT_URL),
    },
    # The same bucket as browsers reach it: presigned URLs for them are signed
    # for this endpoint (a signature covers the host).
    "browser": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": s3_options(S3_PUBLIC_ENDPOINT_URL or S3_ENDPOINT_URL),
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}

# Per process; it only holds what S3 said about objects (size, type, script
# excerpts), which every app server can ask again.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
}

LOGIN_URL = "admin:login"

# Lockout after failed sign-ins (django-axes; accounts/lockout.py holds the rules).
# Failures are forgotten LOCKOUT_COOLOFF_MINUTES after the latest one (of the same
# name, address and browser), which is also when a lockout ends. Three counts:
# one user name from one address (LOCKOUT_FAILURE_LIMIT), one address whatever
# the names (LOCKOUT_ADDRESS_FAILURE_LIMIT), one user name from every address
# (LOCKOUT_USER_FAILURE_LIMIT, 0 turns it off). A locked request is not counted,
# so one address adds at most LOCKOUT_FAILURE_LIMIT failures to any name: with
# the per-name limit above it, guessing names from one address locks that
# address, never a teammate signing in from elsewhere.
LOCKOUT_FAILURE_LIMIT = env_int("LOCKOUT_FAILURE_LIMIT", 5)
LOCKOUT_ADDRESS_FAILURE_LIMIT = env_int("LOCKOUT_ADDRESS_FAILURE_LIMIT", 20)
LOCKOUT_USER_FAILURE_LIMIT = env_int("LOCKOUT_USER_FAILURE_LIMIT", 50)
LOCKOUT_COOLOFF_MINUTES = env_int("LOCKOUT_COOLOFF_MINUTES", 15)
# Proxies in front of the app that append to X-Forwarded-For (a load balancer: 1).
# 0 takes the connection's address; behind a proxy that would be the proxy's,
# and one lockout would lock everybody out.
LOCKOUT_PROXY_COUNT = env_int("LOCKOUT_PROXY_COUNT", 0)
if not 0 < LOCKOUT_FAILURE_LIMIT <= LOCKOUT_ADDRESS_FAILURE_LIMIT:
    raise ImproperlyConfigured(
        "LOCKOUT_FAILURE_LIMIT must be at least 1 and at most LOCKOUT_ADDRESS_FAILURE_LIMIT."
    )
if LOCKOUT_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured("LOCKOUT_COOLOFF_MINUTES must be at least 1.")
if LOCKOUT_USER_FAILURE_LIMIT and LOCKOUT_USER_FAILURE_LIMIT <= LOCKOUT_FAILURE_LIMIT:
    raise ImproperlyConfigured(
        "LOCKOUT_USER_FAILURE_LIMIT must be above LOCKOUT_FAILURE_LIMIT (or 0, off): "
        "else one address could lock a user name out everywhere."
    )
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = "accounts.lockout.lockout_parameters"
# Axes compares one number with one limit; LockoutHandler reports the nearest rule's.
AXES_FAILURE_LIMIT = LOCKOUT_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOCKOUT_COOLOFF_MINUTES)
# Failures while locked out neither count nor extend the lockout (see above).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Our admin of attempts (accounts/admin.py) replaces axes's.
AXES_ENABLE_ADMIN = False

# Sessions end after SESSION_IDLE_MINUTES without a request, and
# SESSION_LIFETIME_MINUTES after signing in whatever happens, checked on the
# server (accounts/sessions.py); the cookie expires with the lifetime too.
SESSION_LIFETIME_MINUTES = env_int("SESSION_LIFETIME_MINUTES", 14 * 24 * 60 if DEBUG else 8 * 60)
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 3 * 24 * 60 if DEBUG else 30)
SESSION_COOKIE_AGE = SESSION_LIFETIME_MINUTES * 60
# Django's database sessions, read with one plain statement (accounts/session_store.py).
SESSION_ENGINE = "accounts.session_store"
# Every staff user must pass a second factor (TOTP or a backup code) to reach the
# admin; off with DEBUG, so `make run`'s demo users sign in with a password alone.
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", not DEBUG)
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = env_str("TWO_FACTOR_ISSUER", "contentops")

# Production hardening; `manage.py check --deploy` is clean with DEBUG off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Other sites (S3 included) learn nothing of our addresses, which name objects.
SECURE_REFERRER_POLICY = "same-origin"


def s3_browser_source(endpoint_url: str | None) -> str:
    """Where browsers fetch artifacts from: the bucket, path-style, at the
    endpoint they reach (boto3's own for the region when none is set)."""
    if not endpoint_url:
        host = "s3.amazonaws.com" if S3_REGION == "us-east-1" else f"s3.{S3_REGION}.amazonaws.com"
        endpoint_url = f"https://{host}"
    url = urlsplit(endpoint_url)
    return f"{url.scheme}://{url.netloc}{url.path.rstrip('/')}/{S3_BUCKET}/"


def content_security_policy(*, s3_source: str, report_uri: str) -> dict:
    """Everything from this site only, no inline code (templates load static
    files and hand data over in json_script blocks or data-* attributes); images
    and media also from the bucket, where artifact previews redirect."""
    directives = {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, s3_source],
        "media-src": [SELF, s3_source],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
    }
    if report_uri:
        directives |= {"report-uri": [report_uri], "report-to": ["csp"]}
    return {"DIRECTIVES": directives}


S3_BROWSER_SOURCE = s3_browser_source(S3_PUBLIC_ENDPOINT_URL or S3_ENDPOINT_URL)
# Where browsers send reports of what the policy blocked (a path or a URL).
# Lower-case names: django-csp 4 refuses settings named CSP_* (its 3.x format, csp.E001).
_csp_report_uri = env_url("CSP_REPORT_URI")
_csp = content_security_policy(s3_source=S3_BROWSER_SOURCE, report_uri=_csp_report_uri)
# Report-only: browsers report what the policy would block, and block nothing.
if env_bool("CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_REPORT_ONLY = None, _csp
else:
    CONTENT_SECURITY_POLICY = _csp
# The report-to group of the policy (core/headers.py sends them in Reporting-Endpoints).
REPORTING_ENDPOINTS = {"csp": _csp_report_uri} if _csp_report_uri else {}
# Browser features no page uses, refused to every page (core/headers.py).
PERMISSIONS_POLICY = {
    feature: []
    for feature in [
        "accelerometer",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
    ]
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# pghistory: record the request's user and URL on every event written in it.
PGHISTORY_MIDDLEWARE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# History events older than this many days are pruned (manage.py prune_history
# and the publish worker's sweep); 0 keeps them forever. A year holds a video's
# whole life many times over; the review log is kept whatever this says.
HISTORY_RETENTION_DAYS = env_int("HISTORY_RETENTION_DAYS", 365)
# Events deleted per table per batch, each batch its own short transaction.
HISTORY_PRUNE_BATCH = env_int("HISTORY_PRUNE_BATCH", 1000)
if not 0 <= HISTORY_RETENTION_DAYS <= 36500:
    raise ImproperlyConfigured("HISTORY_RETENTION_DAYS must be from 0 (keep forever) to 36500.")
if not 1 <= HISTORY_PRUNE_BATCH <= 100_000:
    raise ImproperlyConfigured("HISTORY_PRUNE_BATCH must be from 1 to 100000.")

# The safety review queue (moderators).
SAFETY_LEASE_SECONDS = env_int("SAFETY_LEASE_SECONDS", 15 * 60)
SAFETY_LEASE_RENEW_SECONDS = env_int("SAFETY_LEASE_RENEW_SECONDS", 60)
SAFETY_SLA_WARNING_MINUTES = env_int("SAFETY_SLA_WARNING_MINUTES", 60)
SAFETY_SLA_BREACH_MINUTES = env_int("SAFETY_SLA_BREACH_MINUTES", 4 * 60)
SAFETY_BULK_APPROVE_MAX_SCORE = env_float("SAFETY_BULK_APPROVE_MAX_SCORE", 0.3)
# QA by blind second review: the share of final decisions drawn (exact per
# moderator and category), of bulk approvals, and of reports the pipeline
# cleared without a human (per category). Each between 0 and 1.
SAFETY_QA_SAMPLE_RATE = env_float("SAFETY_QA_SAMPLE_RATE", 0.05)
SAFETY_QA_BULK_SAMPLE_RATE = env_float("SAFETY_QA_BULK_SAMPLE_RATE", 0.2)
SAFETY_QA_PIPELINE_SAMPLE_RATE = env_float("SAFETY_QA_PIPELINE_SAMPLE_RATE", 0.02)
# Reason codes per decision: (code, label). Reports and the log keep the code.
SAFETY_REASON_CODES = {
    "approve": [
        ("no_violation", "No policy violation"),
        ("false_positive", "Detector false positive"),
        ("acceptable_in_context", "Acceptable in context"),
    ],
    "reject": [
        ("violence", "Graphic violence"),
        ("hate", "Hate or harassment"),
        ("sexual", "Sexual content"),
        ("self_harm", "Self-harm"),
        ("misinformation", "Misinformation"),
        ("copyright", "Copyright"),
        ("other_violation", "Other policy violation"),
    ],
    "escalate": [
        ("policy_unclear", "Policy unclear"),
        ("legal_review", "Needs legal review"),
        ("high_profile", "High-profile subject"),
        ("other", "Other"),
    ],
}

# Publishing (editors and the publish worker). PUBLISH_CHANNELS is a JSON object,
# channel name -> {"adapter": ..., options}; publishing/channels.py documents it.
# Local development publishes to folders under var/publish/, one per channel.
DEV_CHANNELS = {
    name: {"adapter": "local", "label": label, "folder": f"var/publish/{name}"}
    for name, label in [("youtube", "YouTube"), ("tiktok", "TikTok"), ("local", "Local folder")]
}
PUBLISH_CHANNELS = env_json("PUBLISH_CHANNELS", DEV_CHANNELS if DEBUG else {})
# A worker holds a task for this long, renewing it while the channel works.
PUBLISH_LEASE_SECONDS = env_int("PUBLISH_LEASE_SECONDS", 60)
PUBLISH_MAX_ATTEMPTS = env_int("PUBLISH_MAX_ATTEMPTS", 5)
# The wait before the first retry; it doubles with each attempt, up to an hour.
PUBLISH_RETRY_SECONDS = env_int("PUBLISH_RETRY_SECONDS", 30)
# An idle worker looks at the queue this often at the latest (and sweeps): it
# wakes at once for work queued (a notification) and at each scheduled time.
PUBLISH_POLL_SECONDS = env_float("PUBLISH_POLL_SECONDS", 5.0)
# Publishes one worker keeps in flight, each a thread with a database connection.
PUBLISH_CONCURRENCY = env_int("PUBLISH_CONCURRENCY", 4)
if not 1 <= PUBLISH_CONCURRENCY <= 64:
    raise ImproperlyConfigured(
        f"PUBLISH_CONCURRENCY={PUBLISH_CONCURRENCY} must be from 1 to 64 (publishes "
        "one worker keeps in flight, each with a database connection of its own)."
    )
# How far ahead an editor may schedule a publish.
PUBLISH_SCHEDULE_MAX_DAYS = env_int("PUBLISH_SCHEDULE_MAX_DAYS", 365)

# Monitoring (manage.py monitor, /health/, /metrics): alerts, health, metrics.
# The monitor looks at the queue, the publish queue and the channels this often.
MONITOR_INTERVAL_SECONDS = env_float("MONITOR_INTERVAL_SECONDS", 30.0)
# A publish due and not started for this long means no worker is running.
MONITOR_PUBLISH_OVERDUE_MINUTES = env_int("MONITOR_PUBLISH_OVERDUE_MINUTES", 10)
# A channel whose last N finished publishes all failed keeps failing.
MONITOR_CHANNEL_FAILURES = env_int("MONITOR_CHANNEL_FAILURES", 3)
# Where alerts go: a JSON POST (headers, say, an Authorization), and email.
MONITOR_WEBHOOK_URL = env_str("MONITOR_WEBHOOK_URL", "")
MONITOR_WEBHOOK_HEADERS = env_json("MONITOR_WEBHOOK_HEADERS", {})
MONITOR_WEBHOOK_TIMEOUT = env_float("MONITOR_WEBHOOK_TIMEOUT", 5.0)
MONITOR_EMAIL_RECIPIENTS = env_list("MONITOR_EMAIL_RECIPIENTS", [])
# A failed notification is tried again after this, doubling, up to an hour.
MONITOR_NOTIFY_RETRY_SECONDS = env_int("MONITOR_NOTIFY_RETRY_SECONDS", 60)
MONITOR_NOTIFY_MAX_ATTEMPTS = env_int("MONITOR_NOTIFY_MAX_ATTEMPTS", 10)
# Heartbeats of workers gone this long are deleted.
WORKER_HEARTBEAT_PRUNE_SECONDS = env_int("WORKER_HEARTBEAT_PRUNE_SECONDS", 24 * 3600)
# /health/ fails when the newest worker heartbeat is older than this.
HEALTH_HEARTBEAT_MAX_AGE_SECONDS = env_int("HEALTH_HEARTBEAT_MAX_AGE_SECONDS", 120)
# /metrics wants "Authorization: Bearer <token>"; unset, it is open with
# DEBUG and refused without.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# Load balancers probe /health/ over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]

# Mail (alerts), through Django's SMTP backend.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "contentops@localhost")
