"""Deploy checks of our own (run by ``manage.py check --deploy``)."""

from cryptography.fernet import Fernet
from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def encryption_keys_configured(app_configs, **kwargs):
    errors = []
    if not settings.FIELD_ENCRYPTION_KEYS:
        errors.append(
            checks.Error(
                "FIELD_ENCRYPTION_KEYS is not set: device and subscriber secrets would be encrypted with a key "
                "derived from SECRET_KEY.",
                hint="Generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'",
                id="portal.E001",
            )
        )
    else:
        for key in settings.FIELD_ENCRYPTION_KEYS:
            try:
                Fernet(key.encode())
            except (ValueError, TypeError):
                errors.append(
                    checks.Error("A FIELD_ENCRYPTION_KEYS entry is not a valid Fernet key.", id="portal.E002")
                )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        errors.append(
            checks.Warning("The portal runs on SQLite; production needs PostgreSQL (DATABASE_URL).", id="portal.W001")
        )
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        errors.append(
            checks.Warning(
                "Celery uses the filesystem broker; production needs Redis or RabbitMQ (CELERY_BROKER_URL).",
                id="portal.W002",
            )
        )
    return errors
