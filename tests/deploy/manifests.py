"""Reading deploy/k8s/*.yaml as Kubernetes would: documents, pods, what selects what, and the benchmark's figures
(docs/benchmarks.md) the sizes come from."""
from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import yaml

from tests.conftest import PROJECT_ROOT

K8S = PROJECT_ROOT / "deploy" / "k8s"
BENCHMARKS = PROJECT_ROOT / "docs" / "benchmarks.md"
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod")


def manifest_files() -> List[Path]:
    return sorted(K8S.glob("*.yaml")) + sorted(K8S.glob("*.yml"))


def documents(paths: Optional[List[Path]] = None) -> List[dict]:
    """Every non-empty document of the manifests, in order."""
    found = []
    for path in paths or manifest_files():
        found += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return found


def named(docs: List[dict], kind: str, name: str) -> dict:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def of_kind(docs: List[dict], kind: str) -> List[dict]:
    return [d for d in docs if d["kind"] == kind]


def pod_template(doc: dict) -> Optional[dict]:
    """The pod a workload runs (metadata and spec), None for anything else."""
    if doc["kind"] == "Pod":
        return doc
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]
    if doc["kind"] in WORKLOADS:
        return doc["spec"]["template"]
    return None


def workloads(docs: List[dict]) -> Iterator[Tuple[dict, dict]]:
    for doc in docs:
        template = pod_template(doc)
        if template is not None:
            yield doc, template


def containers(template: dict, init: bool = True) -> List[dict]:
    spec = template["spec"]
    return list(spec.get("initContainers") or []) * init + list(spec.get("containers") or [])


def pod_labels(template: dict) -> Dict[str, str]:
    return dict((template.get("metadata") or {}).get("labels") or {})


def selects(selector: Optional[dict], labels: Dict[str, str]) -> bool:
    """A label selector (``matchLabels``/``matchExpressions``) or a Service's plain map, against pod labels."""
    if selector is None:
        return False
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        selector = {"matchLabels": selector}
    if not all(labels.get(key) == value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        holds = {"In": labels.get(key) in values, "NotIn": labels.get(key) not in values,
                 "Exists": key in labels, "DoesNotExist": key not in labels}[operator]
        if not holds:
            return False
    return True


def selected_workloads(docs: List[dict], selector: Optional[dict]) -> List[dict]:
    return [doc for doc, template in workloads(docs) if selects(selector, pod_labels(template))]


def command_line(container: dict) -> Optional[List[str]]:
    """What the container runs; None: the image's default command."""
    if container.get("command") is None and container.get("args") is None:
        return None
    return list(container.get("command") or []) + list(container.get("args") or [])


def image_default_command() -> str:
    """The Dockerfile's CMD (the web service), as one string."""
    text = (PROJECT_ROOT / "deploy" / "Dockerfile").read_text().replace("\\\n", " ")
    line = [ln for ln in text.splitlines() if ln.startswith("CMD ")][-1]
    return line[4:]


def runs_web_service(container: dict) -> bool:
    """The web service (bot.web.app) is the process that starts the scheduler."""
    command = command_line(container)
    return "bot.web.app" in (image_default_command() if command is None else shlex.join(command))


def literal_env(container: dict) -> Dict[str, str]:
    """Variables the container sets itself (``env``, which wins over ``envFrom``), with literal values."""
    return {item["name"]: item["value"] for item in container.get("env") or [] if "value" in item}


def horizontal_autoscalers(docs: List[dict], deployment: str) -> List[dict]:
    return [h for h in of_kind(docs, "HorizontalPodAutoscaler")
            if h["spec"]["scaleTargetRef"]["kind"] == "Deployment" and h["spec"]["scaleTargetRef"]["name"] == deployment]


# ---- quantities -------------------------------------------------------------------------------------------

_BINARY = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40}
_DECIMAL = {"k": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12, "": 1}


def cpu_millicores(quantity) -> float:
    text = str(quantity)
    return float(text[:-1]) if text.endswith("m") else float(text) * 1000


def memory_bytes(quantity) -> float:
    match = re.fullmatch(r"([\d.]+)([KMGT]i|[kMGT]|)", str(quantity))
    assert match, f"not a memory quantity: {quantity!r}"
    number, unit = match.groups()
    return float(number) * (_BINARY.get(unit) or _DECIMAL[unit])


# ---- the benchmark's figures (docs/benchmarks.md, written by scripts/bench.py) --------------------------------

PROCESS_OF_DEPLOYMENT = {"luz-rasa": "rasa server", "luz-actions": "action server", "luz-web": "web service",
                         "luz-kpi-consumer": "kpi consumer"}


def _measured() -> List[str]:
    text = BENCHMARKS.read_text()
    start, end = text.index("<!-- bench:start"), text.index("<!-- bench:end")
    return text[start:end].splitlines()


def _figures(items: str, unit: str = "") -> Iterator[Tuple[str, float]]:
    """``rasa server 29443 13.4, PostgreSQL 4.0`` → (label without the pid, figure)."""
    for item in items.split(", "):
        match = re.fullmatch(r"(.+?)(?: \d+)? ([\d.]+)" + re.escape(unit), item.strip())
        if match:
            yield match.group(1), float(match.group(2))


def cpu_ms_per_reply(run: str = "production, paced") -> Tuple[Optional[float], Dict[str, float]]:
    """(offered messages/s or None at capacity, CPU ms of one core per reply by process, replicas summed) of a run."""
    for line in _measured():
        if line.startswith(f"- {run}"):
            head, items = line[2:].split(": ", 1)
            rate = re.search(r"([\d.]+) msg/s", head)
            totals: Dict[str, float] = {}
            for label, ms in _figures(items.split(";")[0]):
                totals[label] = totals.get(label, 0.0) + ms
            return (float(rate.group(1)) if rate else None), totals
    raise AssertionError(f"docs/benchmarks.md has no CPU line for the run {run!r}")


def peak_rss_mib(profile: str = "production") -> Dict[str, float]:
    """Peak RSS by process (the largest replica), in MiB (scripts/bench.py divides bytes by 2**20 and writes MB)."""
    for line in _measured():
        if line.startswith(f"- {profile}: ") and line.rstrip().endswith("MB"):
            peaks: Dict[str, float] = {}
            for label, mb in _figures(line.split(": ", 1)[1], " MB"):
                peaks[label] = max(peaks.get(label, 0.0), mb)
            return peaks
    raise AssertionError(f"docs/benchmarks.md has no peak memory line for the {profile} profile")
