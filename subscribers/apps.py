from django.apps import AppConfig


class SubscribersConfig(AppConfig):
    name = "subscribers"

    def ready(self) -> None:
        from portal.dashboard import register

        from . import panels
        from .dashboard import subscriber_tiles

        register("subscribers", subscriber_tiles, permission="subscribers.view")
        for panel in panels.PANELS:
            panels.register(panel)
