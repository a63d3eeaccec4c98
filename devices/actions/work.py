"""What each action kind does on the device (one coroutine per kind, named in the kind's record).

Each coroutine gets the action row, an open driver, the run's recorder (for
step lines and cancellation checkpoints) and, for kinds that write or compare
a configuration, the rendered desired one. It returns the result stored on
the row. No database access here: the recorder does that from its own
thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from portal.secrets import masked

from ..choices import StepLevel
from ..drivers.base import CAP_CLIENTS, CAP_READ_CONFIG, CAP_SIGNAL, DeviceConfig, DeviceDriver
from ..models import DeviceAction
from ..provisioning import drift_report
from .recorder import Recorder

Work = Callable[[DeviceAction, DeviceDriver, Recorder, DeviceConfig | None], Awaitable[dict[str, Any]]]


async def reboot(action, driver: DeviceDriver, rec: Recorder, desired) -> dict[str, Any]:
    await rec.step(StepLevel.INFO, "sending reboot")
    await driver.reboot()
    await rec.step(StepLevel.INFO, "reboot accepted; the device restarts and is briefly unreachable")
    return {"rebooted": True}


async def factory_reset(action, driver: DeviceDriver, rec: Recorder, desired) -> dict[str, Any]:
    await rec.step(StepLevel.WARNING, "sending factory reset")
    await driver.factory_reset()
    await rec.step(StepLevel.INFO, "factory reset accepted; the device restarts with its defaults")
    return {"factory_reset": True}


async def write_config(action, driver: DeviceDriver, rec: Recorder, desired: DeviceConfig) -> dict[str, Any]:
    await rec.step(StepLevel.INFO, f"rendered {len(desired.sections)} configuration sections")
    report = await driver.apply(desired, on_step=rec.on_step)
    await rec.step(StepLevel.INFO, f"wrote {len(report.written)} sections, applied {len(report.applied)}")
    result: dict[str, Any] = {"written": report.written, "applied": report.applied}
    await rec.checkpoint("read-back")
    if driver.supports(CAP_READ_CONFIG):
        running = await driver.read_config([s.path for s in desired.sections])
        result["drift"] = drift_report(driver.vendor, desired, running)
        differences = result["drift"]["differences"]
        if differences:
            first = differences[0]
            await rec.step(
                StepLevel.WARNING,
                f"read-back differs in {len(differences)} field(s), e.g. {first['section']} {first['field']}",
            )
        else:
            await rec.step(StepLevel.INFO, f"read-back matches ({result['drift']['fields']} fields)")
    return result


async def diagnostic(action, driver: DeviceDriver, rec: Recorder, desired: DeviceConfig | None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    await rec.step(StepLevel.INFO, "reading info and status")
    result["info"] = asdict(await driver.info())
    result["status"] = asdict(await driver.status())
    if driver.supports(CAP_SIGNAL):
        signal = await driver.signal()
        result["signal"] = asdict(signal) if signal is not None else None
    if driver.supports(CAP_CLIENTS):
        result["clients"] = [asdict(c) for c in await driver.clients()]
        await rec.step(StepLevel.INFO, f"{len(result['clients'])} client(s) connected")
    if driver.supports(CAP_READ_CONFIG):
        if desired is not None:
            running = await driver.read_config([s.path for s in desired.sections])
            result["drift"] = drift_report(driver.vendor, desired, running)
            result["config"] = running.as_dict()
            n = len(result["drift"]["differences"])
            await rec.step(StepLevel.INFO if not n else StepLevel.WARNING, f"config read back: {n} field(s) drift")
        else:
            result["config"] = (await driver.read_config()).as_dict()
            result["drift"] = None
    # Read-back configuration goes into the result: never store device secrets there in clear.
    return masked(result)
