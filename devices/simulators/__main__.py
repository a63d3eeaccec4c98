"""``python -m devices.simulators`` serves the simulated fleet (see fleet.py)."""

import sys

from devices.simulators.fleet import main

sys.exit(main())
