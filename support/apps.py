from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = "Support"

    def ready(self) -> None:
        from portal.dashboard import register
        from subscribers import panels

        from .dashboard import ticket_tiles
        from .subscriber_panels import PANELS

        register("support", ticket_tiles, permission="tickets.view")
        for panel in PANELS:
            panels.register(panel)
