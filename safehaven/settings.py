"""Django settings for Safe Haven, read from the environment.

Every variable is listed in `.env.example`. SAFEHAVEN_ENV chooses the profile:
`development` (default, also used by `make demo`), `test`, or `production`, which
refuses to start without real secrets.
"""

import os
from pathlib import Path

from safehaven.lib.env import (
    ConfigurationError,
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    sqlite_database,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SAFEHAVEN_VAR_DIR", str(BASE_DIR / "var")))

ENV = env_str("SAFEHAVEN_ENV", "development")
if ENV not in {"development", "test", "production"}:
    raise ConfigurationError("SAFEHAVEN_ENV must be development, test or production")
PRODUCTION = ENV == "production"

# Development secrets are public on purpose: they only ever protect synthetic data.
_DEV_SECRET = "dev-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"  # noqa: S105 (public on purpose: development only)
_DEV_FIELD_KEY = "dev1:ZGV2LW9ubHktZmllbGQta2V5LTAxMjM0NTY3ODlhYmM="
_DEV_AUDIT_KEY = "dev-only-audit-chain-key-not-secret"

SECRET_KEY = env_str("SAFEHAVEN_SECRET_KEY", "" if PRODUCTION else _DEV_SECRET) or ""
FIELD_ENCRYPTION_KEYS = env_str("SAFEHAVEN_FIELD_KEYS", "" if PRODUCTION else _DEV_FIELD_KEY) or ""
AUDIT_CHAIN_KEY = env_str("SAFEHAVEN_AUDIT_KEY", "" if PRODUCTION else _DEV_AUDIT_KEY) or ""
if PRODUCTION:
    for name, value, dev_value in (
        ("SAFEHAVEN_SECRET_KEY", SECRET_KEY, _DEV_SECRET),
        ("SAFEHAVEN_FIELD_KEYS", FIELD_ENCRYPTION_KEYS, _DEV_FIELD_KEY),
        ("SAFEHAVEN_AUDIT_KEY", AUDIT_CHAIN_KEY, _DEV_AUDIT_KEY),
    ):
        if value == dev_value or len(value) < 32:
            raise ConfigurationError(f"{name} must be set to a real secret in production")

DEBUG = env_bool("SAFEHAVEN_DEBUG", ENV == "development")
if PRODUCTION and DEBUG:
    raise ConfigurationError("SAFEHAVEN_DEBUG cannot be on in production")

ALLOWED_HOSTS = env_list(
    "SAFEHAVEN_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ConfigurationError("SAFEHAVEN_ALLOWED_HOSTS must name the host(s) in production")
CSRF_TRUSTED_ORIGINS = env_list("SAFEHAVEN_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks_db",
    "safehaven.core",
    "safehaven.accounts",
    "safehaven.audit",
    "safehaven.people",
    "safehaven.access",
    "safehaven.consent",
    "safehaven.screening",
    "safehaven.careplans",
    "safehaven.directory",
    "safehaven.referrals",
    "safehaven.followup",
    "safehaven.training",
    "safehaven.evaluation",
    "safehaven.fhir",
    "safehaven.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "safehaven.core.middleware.RefuseNullCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "safehaven.accounts.fastpath.OTPMiddleware",  # django-otp's, with a prepared device read
    "safehaven.accounts.middleware.SessionTimeoutMiddleware",
    "safehaven.accounts.middleware.RequireTwoFactorMiddleware",
    "safehaven.accounts.middleware.KioskMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "safehaven.core.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "safehaven.urls"
WSGI_APPLICATION = "safehaven.wsgi.application"

TEMPLATES = [
    {
        # Django's backend, with {% translate "constant" %} translated once per language and
        # {% static %} looked up once per file (safehaven/lib/templatefast.py)
        "BACKEND": "safehaven.lib.templatefast.Templates",
        "NAME": "django",
        "DIRS": [BASE_DIR / "safehaven" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["safehaven.lib.templatefast"],  # {% url %} built once per route
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "safehaven.core.context_processors.safehaven",
            ],
        },
    }
]

_database_url = os.environ.get("DATABASE_URL", "").strip()
if _database_url:
    _default_db = database_from_url(_database_url, base_dir=str(BASE_DIR))
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _default_db = sqlite_database(str(VAR_DIR / "safehaven.sqlite3"))
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "people:worklist"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions: automatic logoff after 30 minutes idle (HIPAA 164.312(a)(2)(iii)), and an
# absolute limit so a stolen session cannot live forever.
# Django's database sessions and ModelBackend, reading with prepared queries (accounts/fastpath.py).
SESSION_ENGINE = "safehaven.accounts.fastpath"
AUTHENTICATION_BACKENDS = [
    "safehaven.accounts.fastpath.ModelBackend",
    "django.contrib.auth.backends.ModelBackend",  # sessions signed in before the one above
]
SESSION_IDLE_TIMEOUT = env_int("SAFEHAVEN_IDLE_TIMEOUT_SECONDS", 30 * 60, minimum=60)
SESSION_ABSOLUTE_TIMEOUT = env_int("SAFEHAVEN_ABSOLUTE_TIMEOUT_SECONDS", 12 * 3600, minimum=300)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
# The idle timeout is measured to within this many seconds; the session is saved only when
# it changes, so an ordinary page view does not write the session row.
SESSION_ACTIVITY_RESOLUTION = 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

LOGIN_FAILURE_LIMIT = env_int("SAFEHAVEN_LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_FAILURE_WINDOW = env_int("SAFEHAVEN_LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60, minimum=60)
OTP_TOTP_ISSUER = env_str("SAFEHAVEN_TOTP_ISSUER", "Safe Haven")
# Only for the synthetic demo: show the current one-time code on the second-factor page.
DEMO_SHOW_TOTP = env_bool("SAFEHAVEN_DEMO_SHOW_TOTP", False)
if PRODUCTION and DEMO_SHOW_TOTP:
    raise ConfigurationError("SAFEHAVEN_DEMO_SHOW_TOTP cannot be on in production")

BREAK_GLASS_MINUTES = env_int("SAFEHAVEN_BREAK_GLASS_MINUTES", 60, minimum=5)
# The evaluation dashboard reuses figures read at most this many seconds ago (0: read each time).
EVALUATION_FIGURES_MAX_AGE = env_int("SAFEHAVEN_EVALUATION_FIGURES_MAX_AGE", 15 * 60, minimum=0)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "safehaven" / "locale"]
TIME_ZONE = env_str("SAFEHAVEN_TIME_ZONE", "America/Los_Angeles")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if ENV == "test"
            else "django_tasks_db.DatabaseBackend"
        ),
    }
}

SECURE_CONTENT_TYPE_NOSNIFF = True
# same-origin: nothing leaves for other sites, and browsers still send Origin on our own
# form posts (with no-referrer Chromium sends "Origin: null" and CSRF checks fail).
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SAFEHAVEN_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SAFEHAVEN_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

EMAIL_BACKEND = env_str("SAFEHAVEN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("SAFEHAVEN_FROM_EMAIL", "no-reply@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("SAFEHAVEN_LOG_LEVEL", "WARNING")},
}

if ENV == "test":
    # Fast hashing in tests only; production keeps argon2 (asserted in a test).
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
