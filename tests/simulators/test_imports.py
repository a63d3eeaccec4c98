"""The simulators stand alone: no Django, no portal app, no driver, so they stay the independent other side."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import simulators

REPO_ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("django", "portal", "devices", "subscribers", "billing", "support", "network")

# Runs in a fresh interpreter: this test process has Django and every app loaded already.
IMPORT_ALL = """
import importlib, json, pkgutil, sys
import simulators
names = [m.name for m in pkgutil.walk_packages(simulators.__path__, "simulators.") if m.name != "simulators.__main__"]
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": names, "loaded": sorted({key.split(".")[0] for key in sys.modules})}))
"""


def test_importing_every_simulators_module_loads_no_django_or_portal_app():
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    report = json.loads(result.stdout)
    assert {"simulators.fleet", "simulators.manifest", "simulators.cpe.peplink.router"} <= set(report["modules"])
    assert not set(FORBIDDEN) & set(report["loaded"])


def test_no_simulators_source_names_the_drivers():
    package = Path(simulators.__file__).parent
    offenders = [
        str(path.relative_to(package))
        for path in sorted(package.rglob("*.py"))
        if "devices.drivers" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
