from django.apps import AppConfig


class IpamConfig(AppConfig):
    name = "network.ipam"
    label = "ipam"
    verbose_name = "IPAM"

    def ready(self) -> None:
        # ready() is Django's hook for modules that need the loaded app registry (they import models).
        from devices import extensions as device_extensions  # noqa: PLC0415
        from portal.dashboard import register  # noqa: PLC0415
        from subscribers import panels  # noqa: PLC0415

        from .dashboard import ipam_tiles  # noqa: PLC0415
        from .device_links import FIELD_NAME, CpeIpAddressesField, prefetch_addresses, static_wan_of  # noqa: PLC0415
        from .subscriber_panels import PANELS  # noqa: PLC0415

        register("ipam", ipam_tiles, permission="ipam.view")
        for panel in PANELS:
            panels.register(panel)
        # The CPE record's addresses and the static WAN's address (devices never imports IPAM).
        device_extensions.register_cpe_field(FIELD_NAME, CpeIpAddressesField, prefetch_addresses, "ipam.view")
        device_extensions.register_static_wan(static_wan_of)
