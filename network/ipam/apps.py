from django.apps import AppConfig


class IpamConfig(AppConfig):
    name = "network.ipam"
    label = "ipam"
    verbose_name = "IPAM"

    def ready(self) -> None:
        # ready() is Django's hook for modules that need the loaded app registry (they import models).
        from portal.dashboard import register  # noqa: PLC0415
        from subscribers import panels  # noqa: PLC0415

        from .dashboard import ipam_tiles  # noqa: PLC0415
        from .subscriber_panels import PANELS  # noqa: PLC0415

        register("ipam", ipam_tiles, permission="ipam.view")
        for panel in PANELS:
            panels.register(panel)
