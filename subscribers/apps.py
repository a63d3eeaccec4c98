from django.apps import AppConfig


class SubscribersConfig(AppConfig):
    name = "subscribers"

    def ready(self) -> None:
        # ready() is Django's hook for modules that need the loaded app registry (they import models).
        from portal.dashboard import register  # noqa: PLC0415

        from . import panels  # noqa: PLC0415
        from .dashboard import subscriber_tiles  # noqa: PLC0415

        register("subscribers", subscriber_tiles, permission="subscribers.view")
        for panel in panels.PANELS:
            panels.register(panel)
