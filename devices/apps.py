from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"

    def ready(self) -> None:
        from portal.dashboard import register
        from subscribers import panels

        from . import tasks  # noqa: F401  registers devices.run_action, which the engine enqueues by name
        from .actions.kinds import register_permissions
        from .dashboard import action_tiles, device_tiles, monitoring_tiles
        from .subscriber_panels import PANELS

        register("devices", device_tiles, permission="devices.view")
        register("devices_monitoring", monitoring_tiles, permission="devices.view")
        register("device_actions", action_tiles, permission="devices.view")
        register_permissions()
        for panel in PANELS:
            panels.register(panel)
