from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal (tenants and access)"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers system checks)
        from .api import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from .dashboard import portal_tiles, register, worker_tiles

        register("portal", portal_tiles)
        register("workers", worker_tiles)
