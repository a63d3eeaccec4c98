"""Enumerations of the portal package."""

from django.db import models


class Role(models.TextChoices):
    """What a member of a tenant may do; the map lives in portal/roles.py."""

    ADMIN = "admin", "Administrator"
    NOC = "noc", "NOC operator"
    SUPPORT = "support", "Support agent"
    BILLING = "billing", "Billing clerk"
    READONLY = "readonly", "Read-only"


class ClientScope(models.TextChoices):
    READ = "read", "Read only"
    READ_WRITE = "read write", "Read and write"
