"""One settings module, configured from the environment.

Development (the default) keeps everything under ./var: the SQLite database,
the generated keys and the audit checkpoints. Production (ZHENGDUN_ENV=production)
requires every secret from the environment and refuses to start without them.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from zhengdun.keys import load_key

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("ZHENGDUN_VAR_DIR", PROJECT_DIR / "var"))


def envbool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("ZHENGDUN_ENV", "development") == "production"
TESTING = envbool("ZHENGDUN_TESTING") or "pytest" in sys.modules
# Off unless a developer asks for it (ZHENGDUN_DEBUG=1): the demo (`make run`) behaves like the
# product, with our Chinese error pages instead of Django's debug pages.
DEBUG = envbool("ZHENGDUN_DEBUG", False)

if TESTING:
    # Fixed keys for the test suite (never used outside it); checkpoints go to a per-run folder.
    for _name, _value in {
        "SECRET_KEY": "test-secret-key-not-for-production-use-0123456789abcdef",
        "ZHENGDUN_ID_ENCRYPTION_KEY": "dGVzdC1pZC1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcyE=",
        "ZHENGDUN_ID_HMAC_KEY": "dGVzdC1pZC1obWFjLWxvb2t1cC1rZXktMzItYnl0ZSE=",
        "ZHENGDUN_AUDIT_SIGNING_KEY": "dGVzdC1hdWRpdC1zaWduaW5nLWtleS0zMi1ieXRlcyE=",
    }.items():
        os.environ.setdefault(_name, _value)

SECRET_KEY = load_key("SECRET_KEY", "secret_key", production=PRODUCTION, var_dir=VAR_DIR, text=True)
# Keys for personal identifiers: the encryption key and the look-up (HMAC) key are held separately.
ID_ENCRYPTION_KEY = load_key("ZHENGDUN_ID_ENCRYPTION_KEY", "id_encryption", production=PRODUCTION, var_dir=VAR_DIR)
ID_HMAC_KEY = load_key("ZHENGDUN_ID_HMAC_KEY", "id_hmac", production=PRODUCTION, var_dir=VAR_DIR)
if PRODUCTION and ID_HMAC_KEY == ID_ENCRYPTION_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("ZHENGDUN_ID_HMAC_KEY 必须与 ZHENGDUN_ID_ENCRYPTION_KEY 不同且分开保管")
# Signs audit-chain checkpoints, which live outside the database.
AUDIT_SIGNING_KEY = load_key("ZHENGDUN_AUDIT_SIGNING_KEY", "audit_signing", production=PRODUCTION, var_dir=VAR_DIR)
AUDIT_CHECKPOINT_DIR = Path(os.environ.get("ZHENGDUN_AUDIT_CHECKPOINT_DIR", VAR_DIR / "audit-checkpoints"))
AUDIT_CHECKPOINT_EVERY = envint("ZHENGDUN_AUDIT_CHECKPOINT_EVERY", 500)  # entries between checkpoints

ALLOWED_HOSTS = envlist("ZHENGDUN_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("ZHENGDUN_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",  # static files go through WhiteNoise in development too
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves Swagger UI at /api/docs from its bundled static files (never from a CDN)
    "zhengdun.audit",
    "zhengdun.org",
    "zhengdun.screening",
    "zhengdun.campaigns",
    "zhengdun.activities",
    "zhengdun.learning",
    "zhengdun.stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files (and /favicon.ico) with DEBUG off
    "django.contrib.sessions.middleware.SessionMiddleware",
    "zhengdun.org.middleware.ChineseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "zhengdun.org.middleware.SessionSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "zhengdun.urls"
WSGI_APPLICATION = "zhengdun.wsgi.application"

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
                "zhengdun.org.context_processors.navigation",
            ],
        },
    },
]

_default_sqlite = f"sqlite:///{VAR_DIR / 'zhengdun.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["TEST"] = {"NAME": None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background tasks (Django tasks API): stored in the database and run by `zhengdun db_worker`
# (`make run` starts one); the test suite runs them immediately.
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend" if TESTING else "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

AUTH_USER_MODEL = "org.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    # Length over rotation: a long password, checked against common ones; no forced periodic change.
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": envint("ZHENGDUN_PASSWORD_MIN_LENGTH", 12)}},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login security (all configurable).
LOGIN_MAX_FAILURES = envint("ZHENGDUN_LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_MINUTES = envint("ZHENGDUN_LOGIN_LOCKOUT_MINUTES", 15)
SESSION_IDLE_TIMEOUT = envint("ZHENGDUN_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_ABSOLUTE_TIMEOUT = envint("ZHENGDUN_SESSION_ABSOLUTE_SECONDS", 12 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Roles that must use a TOTP second factor; the three administrators always do.
OTP_REQUIRED_ROLES = sorted(
    {"sysadmin", "secadmin", "auditor"} | set(envlist("ZHENGDUN_OTP_REQUIRED_ROLES"))
)
OTP_TOTP_ISSUER = "Zhengdun"
# Roles allowed to see full (unmasked) ID numbers; every such view is audited.
ID_UNMASK_ROLES = envlist("ZHENGDUN_ID_UNMASK_ROLES", "office_admin,clue_handler")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our date/time input formats (zhengdun/formats/<locale>/formats.py): ISO first, which is what
# <input type="date"> shows and sends; the locale's own forms (2026/12/02, 2026年12月2日) still parse.
FORMAT_MODULE_PATH = ["zhengdun.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("ZHENGDUN_STATIC_ROOT", VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves static files whatever DEBUG says. Outside production it reads them straight from
# the source folders (no collectstatic needed, so `make run` works on a fresh clone); production
# serves the collected, hashed and compressed copies (`zhengdun collectstatic`, see STORAGES below).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_ROOT = BASE_DIR / "webroot"  # files served at the site root: /favicon.ico
if not PRODUCTION:  # WhiteNoise warns about a missing STATIC_ROOT, which only collectstatic fills
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(os.environ.get("ZHENGDUN_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# Server folders clue handlers may register as screening data sets (large registry extracts).
SCREENING_SERVER_ROOTS = envlist("ZHENGDUN_SCREENING_SERVER_ROOTS", str(VAR_DIR / "screening-data"))
ROSTER_IMPORT_MAX_BYTES = envint("ZHENGDUN_ROSTER_IMPORT_MAX_BYTES", 200 * 1024 * 1024)
LEARNING_UPLOAD_MAX_BYTES = envint("ZHENGDUN_LEARNING_UPLOAD_MAX_BYTES", 50 * 1024 * 1024)  # study-material attachments
EVIDENCE_MAX_BYTES = envint("ZHENGDUN_EVIDENCE_MAX_BYTES", 20 * 1024 * 1024)  # per evidence file

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("ZHENGDUN_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("ZHENGDUN_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("ZHENGDUN_HSTS_PRELOAD", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ZHENGDUN_LOG_LEVEL", "WARNING")},
}
