"""Minimal settings for the example (no database: the invoices live at SePay)."""

import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["invoicing"]
MIDDLEWARE: list = []
ROOT_URLCONF = "einvoice_site.urls"
DATABASES: dict = {}
USE_TZ = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The client reads SEPAY_EINVOICE_CLIENT_ID / _CLIENT_SECRET / _ENV / _BASE_URL from the
# environment. The API advises polling every 2-5 s; tests against the mock poll faster.
SEPAY_EINVOICE_POLL_INTERVAL = float(os.environ.get("EINVOICE_POLL_INTERVAL", "2.0"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # The SDK logs through the standard logger "sepay_einvoice" (personal data masked).
    "loggers": {"sepay_einvoice": {"handlers": ["console"], "level": os.environ.get("EINVOICE_LOG_LEVEL", "WARNING")}},
}
