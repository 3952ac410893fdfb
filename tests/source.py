"""The project's own source, read as syntax trees: for tests that hold a rule over every module."""
from __future__ import annotations

import ast
from typing import Callable, Dict, Iterable, Iterator, List

from tests.conftest import PROJECT_ROOT

FOLDERS = ("bot", "actions", "channels", "scripts")


def modules(folders: Iterable[str] = FOLDERS) -> Iterator[str]:
    """Every Python module of ``folders``, as a path relative to the project (migrations left out)."""
    for folder in folders:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            relative = str(path.relative_to(PROJECT_ROOT))
            if "migrations/versions" not in relative:
                yield relative


def offenders(find: Callable[[ast.AST], Iterable[int]], allowed: Dict[str, str]) -> List[str]:
    """``module:line`` for every place ``find`` reports, outside the modules ``allowed`` (with why)."""
    return [f"{module}:{line}" for module in modules() if module not in allowed
            for line in find(ast.parse((PROJECT_ROOT / module).read_text()))]
