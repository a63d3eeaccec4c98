from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal (tenants and access)"

    def ready(self) -> None:
        # ready() is Django's hook for modules that need the loaded app registry (they import models).
        from . import checks  # noqa: F401, PLC0415  (registers system checks)
        from .api import schema  # noqa: F401, PLC0415  (registers the OpenAPI auth extension)
        from .dashboard import portal_tiles, register, worker_tiles  # noqa: PLC0415

        register("portal", portal_tiles)
        register("workers", worker_tiles)
