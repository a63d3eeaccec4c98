"""The simulated network behind the demo and the tests: the other side of every device protocol.

Layout:

``base``      what every device simulator shares: the manifest record
              (:class:`~simulators.base.SimDevice`), injectable faults, TLS,
              binding a device's sites on its own 127.x.y.z address
``manifest``  which devices exist: generated from a seed or read from JSON
``fleet``     the runner: every manifest device on one event loop
              (``Fleet``), or in a background thread (``FleetThread``)
``control``   the fleet's control API (change a device's faults at run time)
``cli``       ``python -m simulators`` / ``manage.py simulate_fleet``
``cpe/``      customer premises equipment, one sub-package per vendor:
              ``halny`` (GPON ONT), ``peplink`` (router), ``fanvil`` (IP phone)

The network's own equipment (the OLTs' SNMP agents, the BNG as a RADIUS NAS)
will sit beside ``cpe/``. This package imports nothing from Django, the portal
apps or the device drivers (a test checks it): each simulator reads its
vendor's specification in ``shared/seeds/`` independently, so a driver bug is
not mirrored by the oracle it is tested against.
"""
