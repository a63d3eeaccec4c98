from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = "Support"

    def ready(self) -> None:
        # ready() is Django's hook for modules that need the loaded app registry (they import models).
        from portal.dashboard import register  # noqa: PLC0415
        from subscribers import panels  # noqa: PLC0415

        from .dashboard import ticket_tiles  # noqa: PLC0415
        from .subscriber_panels import PANELS  # noqa: PLC0415

        register("support", ticket_tiles, permission="tickets.view")
        for panel in PANELS:
            panels.register(panel)
