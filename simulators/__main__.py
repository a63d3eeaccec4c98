"""``python -m simulators`` serves the simulated fleet until Ctrl-C (see :mod:`simulators.cli`)."""

import sys

from simulators.cli import main

sys.exit(main())
