from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"

    def ready(self) -> None:
        from portal.dashboard import register
        from subscribers import panels

        from .dashboard import action_tiles, device_tiles, monitoring_tiles
        from .subscriber_panels import PANELS

        register("devices", device_tiles, permission="devices.view")
        register("devices_monitoring", monitoring_tiles, permission="devices.view")
        register("device_actions", action_tiles, permission="devices.view")
        for panel in PANELS:
            panels.register(panel)
