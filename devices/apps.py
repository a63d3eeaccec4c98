from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"

    def ready(self) -> None:
        # ready() is Django's hook for modules that need the loaded app registry (they import models).
        from portal.dashboard import register  # noqa: PLC0415
        from subscribers import panels  # noqa: PLC0415

        # tasks: importing it registers devices.run_action, which the engine enqueues by name.
        from . import subscriber_lists, tasks  # noqa: F401, PLC0415
        from .actions.kinds import register_permissions  # noqa: PLC0415
        from .dashboard import action_tiles, device_tiles, monitoring_tiles  # noqa: PLC0415
        from .subscriber_panels import PANELS  # noqa: PLC0415

        register("devices", device_tiles, permission="devices.view")
        register("devices_monitoring", monitoring_tiles, permission="devices.view")
        register("device_actions", action_tiles, permission="devices.view")
        register_permissions()
        for panel in PANELS:
            panels.register(panel)
        subscriber_lists.register()
