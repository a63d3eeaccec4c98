"""Enumerations of the devices app."""

from django.db import models


class DeviceFamily(models.TextChoices):
    """Vendor family: its row in the vendor registry (devices.vendors) names the driver, renderer and drift comparer."""

    HALNY = "halny", "HALNy (GPON ONT)"
    PEPLINK = "peplink", "Peplink (router)"
    FANVIL = "fanvil", "Fanvil (IP phone)"


class Tech(models.TextChoices):
    """Krill's access technology of a CPE."""

    GPON = "gpon", "GPON"
    ETHERNET = "ethernet", "Ethernet"
    LTE = "lte", "LTE"
    VOIP = "voip", "VoIP"


class ManagementScheme(models.TextChoices):
    HTTP = "http", "HTTP"
    HTTPS = "https", "HTTPS"


class WanMode(models.TextChoices):
    PPPOE = "pppoe", "PPPoE"
    DHCP = "dhcp", "DHCP"
    STATIC = "static", "Static"


class WifiSecurity(models.TextChoices):
    WPA2 = "wpa2", "WPA2-Personal"
    WPA2_WPA3 = "wpa2-wpa3", "WPA2/WPA3-Personal"
    WPA3 = "wpa3", "WPA3-Personal"
    OPEN = "open", "Open"


class WifiBands(models.TextChoices):
    BAND_24 = "2.4", "2.4 GHz"
    BAND_5 = "5", "5 GHz"
    DUAL = "dual", "2.4 + 5 GHz"


# --- device actions -------------------------------------------------------------


class ActionKind(models.TextChoices):
    """Krill's device actions (values and labels); the rest of each kind is its record in devices.actions.kinds."""

    REBOOT = "reboot", "Reboot"
    FACTORY = "factory", "Factory reset"
    RECONFIG = "reconfig", "Reconfigure"
    REPROVISION = "reprovision", "Reprovision"
    UNPROVISION = "unprovision", "Unprovision"
    DIAGNOSTIC = "diagnostic", "Diagnostic"


class ActionStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class ActionSource(models.TextChoices):
    """Where an action was asked for."""

    UI = "ui", "Portal UI"
    API = "api", "API"
    SCHEDULE = "schedule", "Schedule"
    BATCH = "batch", "Batch"


class StepLevel(models.TextChoices):
    DEBUG = "debug", "Debug"
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"
