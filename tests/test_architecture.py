"""The folders are the architecture: the core depends on no outer room, and sending needs no Rasa."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator, Tuple

from tests.conftest import PROJECT_ROOT

OUTER = ("bot.web", "bot.jobs", "bot.ops", "bot.demo", "bot.rasa_plugins", "channels", "actions")


def core_modules() -> Iterator[Path]:
    yield from (p for p in (PROJECT_ROOT / "bot").glob("*.py") if p.name != "__main__.py")
    yield from (PROJECT_ROOT / "bot" / "db").glob("*.py")


def imports(path: Path) -> Iterator[Tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module


def offenders(paths, forbidden) -> list:
    return [f"{path.name}:{line} {name}" for path in paths for line, name in imports(path)
            if any(name == f or name.startswith(f + ".") for f in forbidden)]


def test_the_core_imports_no_outer_room():
    assert offenders(list(core_modules()), OUTER) == []


def test_the_web_service_jobs_and_providers_send_without_rasa():
    rooms = [*(PROJECT_ROOT / "bot" / "web").rglob("*.py"), *(PROJECT_ROOT / "bot" / "jobs").rglob("*.py"),
             *(PROJECT_ROOT / "channels" / "providers").rglob("*.py"), PROJECT_ROOT / "channels" / "outbound.py"]
    assert offenders(rooms, ("rasa", "rasa_sdk", "sanic", "actions")) == []


def test_the_guard_sees_a_forbidden_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom bot.web import app\nfrom channels.outbound import deliver\n")
    assert [entry.split(" ", 1)[1] for entry in offenders([module], OUTER)] == ["bot.web", "channels.outbound"]
