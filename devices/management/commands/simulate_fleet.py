"""``manage.py simulate_fleet``: serve the simulated device fleet until Ctrl-C.

A thin wrapper over ``devices.simulators.fleet`` (also runnable without
Django as ``python -m devices.simulators.fleet``): same options, same output.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from devices.simulators import fleet


class Command(BaseCommand):
    help = (
        "Serve a simulated fleet of HALNy ONTs, Peplink routers and Fanvil phones, each on its own "
        "127.x.y.z address, write its manifest (var/fleet/manifest.json) and run until Ctrl-C/SIGTERM."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: Any) -> None:
        fleet.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        def write(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        try:
            fleet.run(options, write=write)
        except (fleet.FleetStartError, OSError, ValueError, LookupError, ImportError) as exc:
            raise CommandError(str(exc)) from exc
