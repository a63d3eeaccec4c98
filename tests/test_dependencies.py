"""App dependencies run one way: portal ← subscribers ← {billing, support, devices, network}.

Every product module is parsed with ``ast`` (never imported, so a lazy import
inside a function counts as much as one at the top): a lower app importing a
higher one fails, and so does billing or devices reaching into a sibling they
must stay independent of. The higher apps extend the lower ones' pages and
lists through registries instead (``portal.dashboard``,
``subscribers.panels``, ``subscribers.extensions``).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

LEVEL = {"portal": 0, "subscribers": 1, "billing": 2, "support": 2, "devices": 2, "network": 2}

# Siblings may import each other (support reads devices for a ticket's CPE), except these.
FORBIDDEN_SIBLINGS = {
    "devices": {"billing", "support"},
    "billing": {"devices", "support"},
}

# The composition root names every app on purpose: the ROOT_URLCONF mounts each app's URLs
# and the settings list the apps, their Celery tasks and their enums.
ALLOWED = {"portal/urls.py", "portal/settings.py"}


def _product_modules() -> list[Path]:
    return sorted(
        path
        for app in LEVEL
        if (REPO_ROOT / app).is_dir()
        for path in (REPO_ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    )


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_apps(path: Path) -> set[tuple[str, int]]:
    """(top-level package, line) of every import in the module, at any depth; relative ones resolved."""
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found: set[tuple[str, int]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update((alias.name.split(".")[0], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                found.add((base[0], node.lineno))
            elif node.module:
                found.add((node.module.split(".")[0], node.lineno))
    return found


def violations() -> list[str]:
    found = []
    for path in _product_modules():
        relative = path.relative_to(REPO_ROOT).as_posix()
        if relative in ALLOWED:
            continue
        app = relative.split("/")[0]
        for target, line in sorted(imported_apps(path)):
            if target not in LEVEL or target == app:
                continue
            if LEVEL[target] > LEVEL[app] or target in FORBIDDEN_SIBLINGS.get(app, ()):
                found.append(f"{relative}:{line} imports {target}")
    return found


def test_no_app_imports_a_higher_one():
    assert violations() == []


def test_the_check_sees_function_level_and_relative_imports(tmp_path, monkeypatch):
    module = tmp_path / "subscribers" / "services.py"
    module.parent.mkdir()
    module.write_text("from .models import Subscriber\n\n\ndef f():\n    from billing import selectors\n")
    monkeypatch.setattr(sys.modules[__name__], "REPO_ROOT", tmp_path)
    assert imported_apps(module) == {("subscribers", 1), ("billing", 5)}
    assert violations() == ["subscribers/services.py:5 imports billing"]
