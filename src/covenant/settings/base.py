"""Settings shared by every environment.

Values that differ per deployment come from the environment (`DATABASE_URL`,
`DJANGO_SECRET_KEY`, `DJANGO_ALLOWED_HOSTS`, `COVENANT_*`), so one codebase serves every node.
"""

import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from csp.constants import NONCE, SELF

# Lets admin and other generic classes be subscripted at run time (for mypy).
django_stubs_ext.monkeypatch()

SRC_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = SRC_DIR.parent.parent
VAR_DIR = Path(os.environ.get("COVENANT_VAR_DIR", PROJECT_DIR / "var"))

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h]

INSTALLED_APPS = [
    "covenant.core",
    "covenant.places",
    "covenant.api",
    "covenant.passport",
    "covenant.volunteering",
    "covenant.reserve",
    "covenant.supplies",
    "covenant.funds",
    "covenant.commissioning",
    "covenant.challenges",
    "covenant.transport",
    "covenant.core.admin_site.NodeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "csp",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "covenant.core.middleware.MfaRequiredMiddleware",
    "covenant.core.middleware.CovenantErrorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "covenant.urls"
WSGI_APPLICATION = "covenant.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "covenant.core.context_processors.node",
            ],
            "builtins": [
                "covenant.core.templatetags.govuk",
                "django.contrib.humanize.templatetags.humanize",
            ],
        },
    },
]


def database_from_env(default_sqlite: Path) -> dict[str, object]:
    """SQLite unless DATABASE_URL says otherwise.

    SQLite gets WAL (readers never block the writer), a busy timeout (a second writer waits
    instead of failing) and IMMEDIATE transactions (the write lock is taken at BEGIN, so two
    transactions cannot both read and then deadlock on upgrade).
    """
    url = os.environ.get("DATABASE_URL")
    if url:
        return dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": default_sqlite,
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=20000;"
            ),
        },
    }


DATABASES = {"default": database_from_env(VAR_DIR / "covenant.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "core:home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_SIGNUP_FORM_CLASS = "covenant.core.forms.VolunteerSignupForm"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Social Covenant"
# Roles that see other people's sensitive data must use a second factor (DESIGN: data
# protection by design). A demo node may switch this off so demo accounts sign in directly.
COVENANT_MFA_REQUIRED = os.environ.get("COVENANT_MFA_REQUIRED", "1") == "1"

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# The built front-end (scripts/build-frontend) lives beside the apps, not inside one.
STATICFILES_DIRS = [SRC_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("COVENANT_FROM_EMAIL", "no-reply@covenant.invalid")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": ["'none'"],
        "base-uri": [SELF],
        "object-src": ["'none'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 200

# The node: which body runs it and for which area. The demo sets these to a real borough.
COVENANT_NODE_NAME = os.environ.get("COVENANT_NODE_NAME", "Social Covenant")
COVENANT_NODE_AREA = [a for a in os.environ.get("COVENANT_NODE_AREA", "").split(",") if a]
# The passport: where the node is reached (issuer ids, did:web, status-list URLs are built on
# it; an origin such as https://passport.example.org, no trailing slash), and the key that
# encrypts private keys at rest (32 random bytes, base64; dev and tests derive one from
# SECRET_KEY). Old keys stay listed in ..._RETIRED (comma-separated) while blobs are rewrapped.
COVENANT_BASE_URL = os.environ.get("COVENANT_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
COVENANT_KEY_ENCRYPTION_KEY = os.environ.get("COVENANT_KEY_ENCRYPTION_KEY", "")
COVENANT_KEY_ENCRYPTION_KEYS_RETIRED = os.environ.get("COVENANT_KEY_ENCRYPTION_KEYS_RETIRED", "")
# The places data the product ships (a trimmed, compressed copy of ONS and MHCLG files).
COVENANT_PLACES_DIR = SRC_DIR / "places" / "data"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"covenant": {"level": "INFO"}},
}
