"""Linli settings: one module, configured by LINLI_* environment variables.

Embedded mode (the default) needs nothing installed: SQLite under var/, an in-memory channel layer,
in-process background work. Production sets LINLI_DATABASE_URL (PostgreSQL) and LINLI_REDIS_URL.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("LINLI_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("LINLI_DEBUG", False)
SECRET_KEY = os.environ.get("LINLI_SECRET_KEY", "")
if not SECRET_KEY:
    # Embedded/demo mode: a per-installation key kept under var/ so sessions survive restarts.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(50))
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("LINLI_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("LINLI_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "ninja",
    "linli.core",
    "linli.places",
    "linli.activities",
    "linli.meals",
    "linli.cases",
    "linli.assistant",
    "linli.access",
    "linli.affairs",
    "linli.care",
    "linli.volunteers",
    "linli.jobs",
    "linli.voice",
    "linli.dashboard",
    "linli.demo",  # `linli demo`: the sample street, composed over every domain
    "linli.simulate",  # `linli simulate city`: a synthetic city for measuring growth, composed over every domain
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "linli.core.db.ReplicaPinMiddleware",  # reads after a write stay on the primary (no-op without a replica)
    # Sessions, the session user, CSRF and messages are Django's, skipped for a bearer-token API request (no
    # cookies: linli.core.middleware.bearer_api_request).
    "linli.core.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "linli.core.middleware.InputEdgeMiddleware",
    "linli.core.middleware.CsrfViewMiddleware",
    "linli.core.middleware.AuthenticationMiddleware",
    "linli.core.middleware.BearerTokenMiddleware",
    "linli.core.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "linli.core.middleware.SecurityHeadersMiddleware",
    "linli.core.middleware.ElderModeMiddleware",
    "linli.core.middleware.ResumeAfterSignInMiddleware",
]
# A form sent with an expired token: the sign-in page (or the same page), with what was chosen kept (core.resume).
CSRF_FAILURE_VIEW = "linli.core.views.csrf_failure"

ROOT_URLCONF = "linli.urls"
ASGI_APPLICATION = "linli.asgi.application"
WSGI_APPLICATION = "linli.wsgi.application"

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
                "linli.core.context_processors.linli",
            ],
            # Dates and translated names in the page's language, in every template (core/templatetags).
            "builtins": ["linli.core.templatetags.linli_l10n"],
        },
    }
]

# Database: SQLite (WAL) under var/ unless LINLI_DATABASE_URL says otherwise. The embedded mode's backend
# (linli.core.sqlite) is Django's, with BEGIN IMMEDIATE and this process's writers queued first come first
# served; other processes on the same file wait up to `timeout` seconds (SQLite's busy timeout).
DATABASE_URL = os.environ.get("LINLI_DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("LINLI_CONN_MAX_AGE", "60")))
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "linli.core.sqlite",
            "NAME": os.environ.get("LINLI_SQLITE_PATH", str(VAR_DIR / "linli.sqlite3")),
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith(("postgresql", "postgis"))
if IS_POSTGRES and env_bool("LINLI_PG_PREPARED_STATEMENTS", True):
    # Server-side binding lets psycopg prepare statements a connection repeats (PostgreSQL then skips parsing and
    # planning them): the booking storm halved PostgreSQL CPU per booking. Set it to 0 behind PgBouncer in
    # transaction mode, which cannot keep prepared statements.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
if IS_POSTGRES:
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("LINLI_TEST_DATABASE", "test_linli")
# A PostgreSQL streaming replica (hot standby of the primary) for the reads that may lag a little: exports,
# dashboards, reports opt in with linli.core.db.replica_reads(); everything else stays on the primary. In tests
# the alias mirrors the test database's name on the replica's server (TEST MIRROR keeps its host and port).
DATABASE_REPLICA_URL = os.environ.get("LINLI_DATABASE_REPLICA_URL", "") if IS_POSTGRES else ""
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=int(os.environ.get("LINLI_CONN_MAX_AGE", "60"))
    )
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["linli.core.db.ReplicaRouter"]
# Off: every read on the primary even with a replica configured. How long after a write a browser's reads stay on
# the primary (the pin cookie).
LINLI_REPLICA_READS = env_bool("LINLI_REPLICA_READS", True)
LINLI_REPLICA_PIN_SECONDS = int(os.environ.get("LINLI_REPLICA_PIN_SECONDS", "15"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "/login/"


def redis_channel_layer(url: str, **config: object) -> dict:
    """The channels_redis layer for `url`. channels_redis blocks up to 5 s waiting for a message and redis-py (8.x)
    times a read out after 5 s by default: without a longer socket timeout every idle WebSocket consumer dies."""
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [{"address": url, "socket_timeout": 30, "socket_connect_timeout": 5}], **config},
    }


# Redis: channel layer, cache and Celery broker in production.
REDIS_URL = os.environ.get("LINLI_REDIS_URL", "")
if REDIS_URL:
    # Redis away (stopped, restarting) reads as a miss and writes nothing: linli.core.cache.
    CACHES = {
        "default": {
            "BACKEND": "linli.core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
        }
    }
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "linli"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = os.environ.get("LINLI_CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = not bool(os.environ.get("LINLI_CELERY_BROKER_URL") or REDIS_URL)
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_BEAT_SCHEDULE = {
    # Activity reminders (day before, two hours before); the task is idempotent, so overlap is harmless.
    "activities-send-reminders": {"task": "activities.send_reminders", "schedule": 300.0},
    # Meals: lock the menus whose order cut-off has passed (orders become the production list).
    "meals-lock-due-menus": {"task": "meals.lock_due_menus", "schedule": 60.0},
    # Cases: SLA reminders at 75 % of the target and escalation to the street HQ at breach.
    "cases-sla-sweep": {"task": "cases.sla_sweep", "schedule": 60.0},
    # Gate access: alerts on unusual patterns (repeated denials, a gate offline at the lunch peak).
    "access-alert-sweep": {"task": "access.alert_sweep", "schedule": 60.0},
    # Care: the calls' clocks (60 s acknowledge), the missed check-in ladder, the 8-hour channel, follow-ups.
    "care-sweep": {"task": "care.sweep", "schedule": 15.0},
    # Jobs: employers reminded after 14 days without an answer; 60 days declines automatically.
    "jobs-sweep": {"task": "jobs.sweep", "schedule": 3600.0},
    # Voice: 日日清 actions past their due date escalate to the street (once each).
    "voice-escalate-actions": {"task": "voice.escalate_actions", "schedule": 600.0},
    # Affairs: appointment reminders, no-shows (and the no-show rule), pre-reviews past their review deadline
    # escalated to the centre's head, files deleted after retention, slots made for the next 60 days.
    "affairs-send-reminders": {"task": "affairs.send_reminders", "schedule": 300.0},
    "affairs-no-show-sweep": {"task": "affairs.no_show_sweep", "schedule": 600.0},
    "affairs-escalate-prereviews": {"task": "affairs.escalate_prereviews", "schedule": 300.0},
    "affairs-purge-prereview-files": {"task": "affairs.purge_prereview_files", "schedule": 3600.0},
    "affairs-purge-recordings": {"task": "affairs.purge_recordings", "schedule": 3600.0},
    "affairs-materialise-slots": {"task": "affairs.materialise_slots", "schedule": 3600.0 * 6},
    # Volunteers: shift reminders the day before, no-shows an hour after a shift, teachers' class hours.
    "volunteers-send-reminders": {"task": "volunteers.send_reminders", "schedule": 600.0},
    "volunteers-no-show-sweep": {"task": "volunteers.no_show_sweep", "schedule": 1800.0},
    "volunteers-credit-classes": {"task": "volunteers.credit_classes", "schedule": 1800.0},
    # Dashboard: the counters rebuilt from the source tables once a day, and checked against them hourly.
    "dashboard-rebuild": {"task": "dashboard.rebuild", "schedule": 86400.0},
    "dashboard-check": {"task": "dashboard.check", "schedule": 3600.0},
    # Partitions of the append-only tables made months ahead; old ones (and expired keys) dropped per retention.
    "core-partitions-maintain": {"task": "core.partitions_maintain", "schedule": 3600.0 * 6},
}
# Some entries at other intervals (seconds by entry name), e.g. '{"care-sweep": 30}': a city tunes its sweeps.
for _name, _seconds in json.loads(os.environ.get("LINLI_BEAT_INTERVALS", "") or "{}").items():
    if _name not in CELERY_BEAT_SCHEDULE:
        raise ImproperlyConfigured(f"LINLI_BEAT_INTERVALS names an unknown schedule entry: {_name!r}")
    CELERY_BEAT_SCHEDULE[_name]["schedule"] = float(_seconds)
# Several app nodes may each run `celery worker --beat`: each due entry is sent by one of them (core.schedules).
CELERY_BEAT_SCHEDULER = "linli.core.schedules:SingleSendScheduler"

# Languages: zh-Hans first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"  # collectstatic target in production
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000  # more fields: 400 `bad_request` (linli.api)
# A multipart upload's whole body (kitchen inspections: up to 12 photos of 10 MB each; deploy/nginx.conf agrees).
LINLI_MAX_UPLOAD_BYTES = int(os.environ.get("LINLI_MAX_UPLOAD_BYTES", str(130 * 1024 * 1024)))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("LINLI_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# LINLI_SECURE_COOKIES=1 says the site is served over HTTPS (off by default: `make demo` on http://127.0.0.1).
# Then the proxy's X-Forwarded-Proto tells HTTPS requests (deploy/nginx.conf sets it), and their answers carry
# Strict-Transport-Security for LINLI_HSTS_SECONDS (default one year; 0 sends none).
if SESSION_COOKIE_SECURE:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("LINLI_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("LINLI_HSTS_INCLUDE_SUBDOMAINS", False)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Linli's own settings.
LINLI_MODE = "production" if (IS_POSTGRES and REDIS_URL) else "embedded"
LINLI_PORT = int(os.environ.get("LINLI_PORT", "8000"))
LINLI_MAP_TILE_URL = os.environ.get("LINLI_MAP_TILE_URL", "")  # empty: plain background, no outside calls
LINLI_MAP_TILE_ATTRIBUTION = os.environ.get("LINLI_MAP_TILE_ATTRIBUTION", "")
LINLI_SMS_BACKEND = os.environ.get("LINLI_SMS_BACKEND", "linli.core.sms.ConsoleSmsBackend")
# The console backend prints sign-in codes (and phone numbers) to the server's log: a server refuses to start with
# it unless LINLI_DEBUG is on or this says the console is the intended inbox (`make demo` sets it).
LINLI_SMS_CONSOLE_ALLOWED = env_bool("LINLI_SMS_CONSOLE_ALLOWED", False)
LINLI_SMS_WEBHOOK_URL = os.environ.get("LINLI_SMS_WEBHOOK_URL", "")
LINLI_SMS_WEBHOOK_TOKEN = os.environ.get("LINLI_SMS_WEBHOOK_TOKEN", "")
LINLI_SMS_CODE_TTL_SECONDS = int(os.environ.get("LINLI_SMS_CODE_TTL_SECONDS", "300"))
LINLI_SMS_CODES_PER_HOUR = int(os.environ.get("LINLI_SMS_CODES_PER_HOUR", "5"))
LINLI_SMS_RESEND_SECONDS = int(os.environ.get("LINLI_SMS_RESEND_SECONDS", "60"))
LINLI_SMS_MAX_ATTEMPTS = int(os.environ.get("LINLI_SMS_MAX_ATTEMPTS", "5"))
# The back office's password sign-in, limited like the SMS sign-in: attempts per account and per address
# in a window of LINLI_ADMIN_LOGIN_WINDOW_SECONDS (a success clears the account's count).
LINLI_ADMIN_LOGIN_ATTEMPTS = int(os.environ.get("LINLI_ADMIN_LOGIN_ATTEMPTS", "5"))
LINLI_ADMIN_LOGIN_ATTEMPTS_PER_IP = int(os.environ.get("LINLI_ADMIN_LOGIN_ATTEMPTS_PER_IP", "20"))
LINLI_ADMIN_LOGIN_WINDOW_SECONDS = int(os.environ.get("LINLI_ADMIN_LOGIN_WINDOW_SECONDS", "900"))
LINLI_REQUIRE_SERVICES = env_bool("LINLI_REQUIRE_SERVICES", False)
# Gate controllers: the MQTT broker (Mosquitto) the platform sends open commands through; mqtts:// for TLS.
LINLI_MQTT_URL = os.environ.get("LINLI_MQTT_URL", "mqtt://127.0.0.1:1883")
# The public address of this deployment: the gates' QR codes point at <site>/access/tap/?t=...; unset, it follows
# LINLI_PORT (so `LINLI_PORT=8080 make demo` prints QR codes that work).
LINLI_SITE_URL_SET = bool(os.environ.get("LINLI_SITE_URL"))
LINLI_SITE_URL = (os.environ.get("LINLI_SITE_URL") or f"http://127.0.0.1:{LINLI_PORT}").rstrip("/")
# Remote video windows (affairs): the RTCIceServer list both browsers use, as JSON. None by default (browsers on
# one network find each other directly); where a NAT lies between a remote point and the centre, a TURN server
# such as coturn: '[{"urls": "turn:turn.example.org:3478", "username": "linli", "credential": "..."}]'.
# docs/affairs-window.md says how. Media never passes through Linli itself.
LINLI_ICE_SERVERS = json.loads(os.environ.get("LINLI_ICE_SERVERS", "") or "[]")
# Gate access: how far (metres) from the compound a tap with a location may be, how long a tap waits for the
# controller's "opened" report (seconds), and how many tap attempts a rider may make per minute.
LINLI_ACCESS_MAX_DISTANCE_M = int(os.environ.get("LINLI_ACCESS_MAX_DISTANCE_M", "300"))
LINLI_ACCESS_OPEN_TIMEOUT = float(os.environ.get("LINLI_ACCESS_OPEN_TIMEOUT", "1.0"))
LINLI_ACCESS_TAPS_PER_MINUTE = int(os.environ.get("LINLI_ACCESS_TAPS_PER_MINUTE", "30"))
# The assistant (问一问): offline engine by default; an OpenAI-compatible chat-completions server when a URL is set
# (e.g. http://127.0.0.1:8001/v1 for vLLM, http://127.0.0.1:11434/v1 for Ollama). On time-out or error the offline
# engine answers.
LINLI_ASSISTANT_LLM_URL = os.environ.get("LINLI_ASSISTANT_LLM_URL", "")
LINLI_ASSISTANT_LLM_MODEL = os.environ.get("LINLI_ASSISTANT_LLM_MODEL", "")
LINLI_ASSISTANT_LLM_API_KEY = os.environ.get("LINLI_ASSISTANT_LLM_API_KEY", "")
LINLI_ASSISTANT_LLM_TIMEOUT = float(os.environ.get("LINLI_ASSISTANT_LLM_TIMEOUT", "8"))
LINLI_ASSISTANT_ASKS_PER_MINUTE = int(os.environ.get("LINLI_ASSISTANT_ASKS_PER_MINUTE", "20"))
# Retention of the append-only tables (linli.core.partitions; `linli retention run`, the beat task
# core.partitions_maintain). On PostgreSQL they are partitioned by month, made LINLI_PARTITIONS_AHEAD_MONTHS ahead;
# the months wholly older than the retention are detached and dropped (kept as plain tables for an archive dump
# with LINLI_RETENTION_KEEP_DETACHED=1). On SQLite old rows are deleted LINLI_RETENTION_BATCH at a time. 0 keeps
# forever. PIPL minimisation: a gate tap (where a rider was) is kept half a year, a question a resident typed
# three months, the audit log three years; a case's or an order's timeline lives as long as the case or order.
LINLI_PARTITIONS_AHEAD_MONTHS = int(os.environ.get("LINLI_PARTITIONS_AHEAD_MONTHS", "3"))
LINLI_RETENTION_TAPS_DAYS = int(os.environ.get("LINLI_RETENTION_TAPS_DAYS", "180"))
LINLI_RETENTION_QUESTIONS_DAYS = int(os.environ.get("LINLI_RETENTION_QUESTIONS_DAYS", "90"))
LINLI_RETENTION_AUDIT_DAYS = int(os.environ.get("LINLI_RETENTION_AUDIT_DAYS", str(3 * 365)))
LINLI_RETENTION_TIMELINES_DAYS = int(os.environ.get("LINLI_RETENTION_TIMELINES_DAYS", "0"))
LINLI_RETENTION_SMS_CODES_DAYS = int(os.environ.get("LINLI_RETENTION_SMS_CODES_DAYS", "1"))
LINLI_RETENTION_KEEP_DETACHED = env_bool("LINLI_RETENTION_KEEP_DETACHED", False)
LINLI_RETENTION_BATCH = int(os.environ.get("LINLI_RETENTION_BATCH", "5000"))
# An Idempotency-Key answers its retries this long; after it, the key is forgotten (and purged).
LINLI_IDEMPOTENCY_TTL_HOURS = int(os.environ.get("LINLI_IDEMPOTENCY_TTL_HOURS", "24"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LINLI_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
