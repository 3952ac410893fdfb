"""One scheduler, enforced by the manifests (bot/jobs/scheduler.py).

The web service (``bot.web.app``) starts APScheduler unless ``LUZ_SCHEDULER`` is off. Two running schedulers
would send every notice twice, so the manifests allow the scheduler on in more than one pod only where
``SchedulerLeadership`` elects one: on PostgreSQL, where an advisory lock lets one run it and keeps the others
paused. Allowed:

- a workload whose pods may be several (replicas > 1, an autoscaler, a rolling update's surge, or another
  workload with the scheduler on) starts every pod behind an init container that refuses any database but
  PostgreSQL, or
- exactly one workload with the scheduler on, a Deployment of ``replicas: 1`` with ``strategy: Recreate`` (the
  old pod is gone before the new one starts) and no autoscaler.

And every pod behind the web Service has the scheduler on: a pod with it off refuses planned work (503) and
cannot plan an outage's fan-out or a restoration's follow-up.
"""
from __future__ import annotations

import copy
import os
import subprocess
import sys
from typing import List, Optional

import pytest

from bot.jobs.scheduler import SchedulerLeadership
from bot.settings import Settings
from tests.conftest import PROJECT_ROOT
from tests.deploy.manifests import (
    command_line,
    containers,
    documents,
    horizontal_autoscalers,
    literal_env,
    named,
    runs_web_service,
    selected_workloads,
    workloads,
)

GUARD = "scheduler-needs-postgresql"


def scheduler_on(value: str) -> bool:
    return Settings.from_environ({"LUZ_SCHEDULER": value}).scheduler  # the product's own reading


def guard_of(template: dict) -> Optional[dict]:
    return next((c for c in template["spec"].get("initContainers") or [] if c["name"] == GUARD), None)


def single_by_construction(doc: dict, docs: List[dict]) -> bool:
    spec = doc["spec"]
    return (doc["kind"] == "Deployment" and spec.get("replicas") == 1
            and (spec.get("strategy") or {}).get("type") == "Recreate" and not horizontal_autoscalers(docs, doc["metadata"]["name"]))


def scheduler_problems(docs: List[dict]) -> List[str]:
    """What breaks the single-scheduler rule in these manifests (empty: nothing)."""
    problems, running = [], []
    for doc, template in workloads(docs):
        name = f"{doc['kind']} {doc['metadata']['name']}"
        web = [c for c in containers(template, init=False) if runs_web_service(c)]
        for container in web:
            if "LUZ_SCHEDULER" not in literal_env(container):
                problems.append(f"{name}: container {container['name']} runs the web service without LUZ_SCHEDULER in "
                                "its env (it defaults to on, and a Secret or ConfigMap could set it unseen)")
        if any(scheduler_on(literal_env(c).get("LUZ_SCHEDULER", "on")) for c in web):
            running.append((doc, template, name))
    for doc, template, name in running:
        if len(running) == 1 and single_by_construction(doc, docs):
            continue
        guard = guard_of(template)
        if guard is None:
            problems.append(f"{name} runs the scheduler in pods that may be several at once, without the init container "
                            f"{GUARD} (PostgreSQL, where an advisory lock elects one)")
            continue
        web = next(c for c in containers(template, init=False) if runs_web_service(c))
        if guard.get("envFrom") != web.get("envFrom") or "DATABASE_URL" in {e["name"] for e in guard.get("env") or []}:
            problems.append(f"{name}: {GUARD} must read the same DATABASE_URL as the web service (the same envFrom)")
        if "DATABASE_URL" in {e["name"] for e in web.get("env") or []}:
            problems.append(f"{name}: DATABASE_URL set in the web container's env, unseen by {GUARD}")
    return problems


def test_the_manifests_keep_one_scheduler():
    docs = documents()
    assert scheduler_problems(docs) == []
    assert any(runs_web_service(c) for _, t in workloads(docs) for c in containers(t, init=False)), "no web service found"


def test_every_pod_behind_the_web_service_can_plan_jobs():
    docs = documents()
    behind = selected_workloads(docs, named(docs, "Service", "luz-web")["spec"]["selector"])
    assert behind
    for doc in behind:
        for container in containers(pod_template_of(doc), init=False):
            if runs_web_service(container):
                assert scheduler_on(literal_env(container).get("LUZ_SCHEDULER", "on")), (
                    f"{doc['metadata']['name']}: LUZ_SCHEDULER=off behind the web Service refuses planned work (503)")


def pod_template_of(doc: dict) -> dict:
    return next(t for d, t in workloads([doc]))


# ---- the rule catches what breaks it -----------------------------------------------------------------------

def web(docs: List[dict]) -> dict:
    return named(docs, "Deployment", "luz-web")


def test_without_the_guard_several_web_pods_are_refused():
    docs = copy.deepcopy(documents())
    del web(docs)["spec"]["template"]["spec"]["initContainers"]
    assert any("without the init container" in p for p in scheduler_problems(docs))


def test_a_guard_reading_another_database_is_refused():
    docs = copy.deepcopy(documents())
    guard = guard_of(web(docs)["spec"]["template"])
    assert guard is not None
    guard["env"] = [{"name": "DATABASE_URL", "value": "postgresql://elsewhere/luz"}]
    assert any("same DATABASE_URL" in p for p in scheduler_problems(docs))


def test_the_scheduler_left_to_its_default_is_refused():
    docs = copy.deepcopy(documents())
    web(docs)["spec"]["template"]["spec"]["containers"][0]["env"] = []
    assert any("without LUZ_SCHEDULER" in p for p in scheduler_problems(docs))


def dedicated(docs: List[dict], **spec) -> List[dict]:
    """The other way: web replicas with the scheduler off, and one Deployment that only runs it."""
    docs = copy.deepcopy(docs)
    for container in web(docs)["spec"]["template"]["spec"]["containers"]:
        container["env"] = [{"name": "LUZ_SCHEDULER", "value": "off"}]
    scheduler = copy.deepcopy(web(documents()))
    scheduler["metadata"]["name"] = "luz-scheduler"
    scheduler["spec"]["selector"]["matchLabels"] = scheduler["spec"]["template"]["metadata"]["labels"] = {"app": "luz-scheduler"}
    del scheduler["spec"]["template"]["spec"]["initContainers"]
    scheduler["spec"].update({"replicas": 1, "strategy": {"type": "Recreate"}, **spec})
    return docs + [scheduler]


def test_a_dedicated_single_scheduler_needs_one_replica_and_recreate():
    docs = documents()
    assert scheduler_problems(dedicated(docs)) == []
    assert scheduler_problems(dedicated(docs, replicas=2))
    assert scheduler_problems(dedicated(docs, strategy={"type": "RollingUpdate"}))  # old and new pod overlap
    autoscaled = dedicated(docs)
    autoscaled.append({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "x"},
                       "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "luz-scheduler"},
                                "minReplicas": 1, "maxReplicas": 3}})
    assert scheduler_problems(autoscaled)


def test_two_schedulers_without_the_lock_are_refused():
    docs = dedicated(documents())
    second = copy.deepcopy(docs[-1])
    second["metadata"]["name"] = "luz-scheduler-2"
    assert len(scheduler_problems(docs + [second])) == 2
    # web pods left on beside a dedicated scheduler: two workloads run it, the dedicated one has no guard
    docs = dedicated(documents())
    for container in web(docs)["spec"]["template"]["spec"]["containers"]:
        container["env"] = [{"name": "LUZ_SCHEDULER", "value": "on"}]
    assert any("luz-scheduler" in p for p in scheduler_problems(docs))


# ---- the guard itself, run as the pod would run it ---------------------------------------------------------

def run_guard(database_url: Optional[str]) -> subprocess.CompletedProcess:
    guard = guard_of(web(documents())["spec"]["template"])
    assert guard is not None
    command = command_line(guard)
    assert command is not None and command[0] == "python"
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(PROJECT_ROOT), "HOME": os.environ.get("HOME", "/tmp")}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, *command[1:]], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("url", ["postgresql+psycopg2://luz@db:5432/luz", "postgresql://luz@db/luz",
                                 "sqlite:////app/var/luz.db", "mysql+pymysql://luz@db/luz", None])
def test_the_guard_admits_exactly_the_databases_where_the_lock_elects(url):
    result = run_guard(url)
    leadership = SchedulerLeadership(None, url or Settings.from_environ({}).database_url)  # type: ignore[arg-type]
    elects = not leadership.leading  # on PostgreSQL a replica leads only once it holds the lock
    assert (result.returncode == 0) == elects, result.stderr
    if not elects:
        assert "PostgreSQL" in result.stderr
