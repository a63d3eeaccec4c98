"""``manage.py simulate_fleet``: serve the simulated device fleet until Ctrl-C.

A thin wrapper over :mod:`simulators.cli` (also runnable without Django as
``python -m simulators``): same options, same output. Only ``--demo`` is its
own: it serves the manifest ``seed_demo`` wrote.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from devices.demo import demo_manifest_path
from simulators import cli
from simulators.fleet import FleetStartError


class Command(BaseCommand):
    help = (
        "Serve a simulated fleet of HALNy ONTs, Peplink routers and Fanvil phones, each on its own "
        "127.x.y.z address, write its manifest (var/fleet/manifest.json) and run until Ctrl-C/SIGTERM."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: Any) -> None:
        cli.add_arguments(parser)
        parser.add_argument(
            "--demo",
            action="store_true",
            help="serve exactly the devices seed_demo created CPEs for (devices.demo.demo_manifest_path()); "
            "what `make run` starts",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options.pop("demo"):
            path = demo_manifest_path()
            if not path.exists():
                raise CommandError(f"{path} does not exist: run `manage.py seed_demo` first")
            options["manifest"] = path

        def write(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        try:
            cli.run(options, write=write)
        except (FleetStartError, OSError, ValueError, LookupError, ImportError) as exc:
            raise CommandError(str(exc)) from exc
