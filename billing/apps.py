from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # ready() is Django's hook for modules that need the loaded app registry (they import models).
        from portal.dashboard import register  # noqa: PLC0415
        from subscribers import panels  # noqa: PLC0415
        from subscribers.services import subscriber_status_changed  # noqa: PLC0415

        from . import services, subscriber_lists  # noqa: PLC0415
        from .dashboard import billing_tiles  # noqa: PLC0415
        from .subscriber_panels import PANELS  # noqa: PLC0415

        # A deactivated subscriber's subscriptions end that day (billing stops there).
        subscriber_status_changed.connect(
            services.on_subscriber_status_changed, dispatch_uid="billing.end_subscriptions_on_deactivate"
        )
        register("billing", billing_tiles, permission="billing.view")
        for panel in PANELS:
            panels.register(panel)
        subscriber_lists.register()
