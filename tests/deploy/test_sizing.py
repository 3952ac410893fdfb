"""Sizes taken from the measurements (docs/benchmarks.md, written by `make bench`): every container has requests
and limits, the measured processes fit in them, the autoscalers' floor carries the measured load without
scaling, and the disruption budgets leave every service running. deploy/README.md gives the arithmetic."""
from __future__ import annotations

import pytest

from tests.deploy.manifests import (
    PROCESS_OF_DEPLOYMENT,
    containers,
    cpu_millicores,
    cpu_ms_per_reply,
    documents,
    horizontal_autoscalers,
    memory_bytes,
    named,
    of_kind,
    peak_rss_mib,
    selected_workloads,
    workloads,
)

MIB = 2 ** 20
AUTOSCALED = ("luz-rasa", "luz-actions")
BUDGETED = ("luz-rasa", "luz-actions", "luz-web")


def test_every_container_has_requests_and_limits():
    problems = []
    for doc, template in workloads(documents()):
        for container in containers(template):
            where = f"{doc['kind']} {doc['metadata']['name']} / {container['name']}"
            resources = container.get("resources") or {}
            for resource in ("cpu", "memory"):
                request = (resources.get("requests") or {}).get(resource)
                limit = (resources.get("limits") or {}).get(resource)
                if request is None or limit is None:
                    problems.append(f"{where}: {resource} request and limit")
                    continue
                amount = cpu_millicores if resource == "cpu" else memory_bytes
                if amount(limit) < amount(request):
                    problems.append(f"{where}: {resource} limit {limit} below its request {request}")
    assert problems == []


@pytest.mark.parametrize("deployment", sorted(PROCESS_OF_DEPLOYMENT))
def test_the_measured_process_fits_its_memory(deployment):
    """Request at least the peak RSS the benchmark measured, limit at least 1.25 times it (longer conversations,
    documents and charts than the benchmark's)."""
    peak = peak_rss_mib()[PROCESS_OF_DEPLOYMENT[deployment]] * MIB
    container = named(documents(), "Deployment", deployment)["spec"]["template"]["spec"]["containers"][0]
    assert memory_bytes(container["resources"]["requests"]["memory"]) >= peak
    assert memory_bytes(container["resources"]["limits"]["memory"]) >= 1.25 * peak


@pytest.mark.parametrize("deployment", AUTOSCALED)
def test_an_autoscaler_owns_the_replicas(deployment):
    docs = documents()
    autoscalers = horizontal_autoscalers(docs, deployment)
    assert len(autoscalers) == 1
    hpa = autoscalers[0]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    [metric] = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu" and metric["resource"]["target"]["type"] == "Utilization"
    # `kubectl apply` of a replica count would undo the autoscaler's on every release
    assert "replicas" not in named(docs, "Deployment", deployment)["spec"]


@pytest.mark.parametrize("deployment", AUTOSCALED)
def test_the_floor_carries_the_measured_load_below_the_target(deployment):
    """The benchmark's paced run (25 messages/s, production profile) on minReplicas replicas stays below the CPU
    target: the load the product was measured at needs no scaling, and leaves room for a failed replica."""
    docs = documents()
    rate, cpu = cpu_ms_per_reply("production, paced")
    assert rate
    hpa = horizontal_autoscalers(docs, deployment)[0]["spec"]
    request = cpu_millicores(named(docs, "Deployment", deployment)["spec"]["template"]["spec"]["containers"][0]
                             ["resources"]["requests"]["cpu"])
    per_replica = rate * cpu[PROCESS_OF_DEPLOYMENT[deployment]] / hpa["minReplicas"]  # millicores
    target = hpa["metrics"][0]["resource"]["target"]["averageUtilization"] / 100 * request
    assert per_replica < target
    # and one replica alone (the other drained or lost) still carries it within its request
    assert rate * cpu[PROCESS_OF_DEPLOYMENT[deployment]] <= request


@pytest.mark.parametrize("deployment", BUDGETED)
def test_a_disruption_budget_keeps_each_service_up(deployment):
    docs = documents()
    target = named(docs, "Deployment", deployment)
    budgets = [b for b in of_kind(docs, "PodDisruptionBudget") if target in selected_workloads(docs, b["spec"]["selector"])]
    assert len(budgets) == 1
    budget = budgets[0]
    assert budget["apiVersion"] == "policy/v1"
    assert selected_workloads(docs, budget["spec"]["selector"]) == [target]  # no other pods counted in it
    autoscalers = horizontal_autoscalers(docs, deployment)
    fewest = autoscalers[0]["spec"]["minReplicas"] if autoscalers else target["spec"]["replicas"]
    allowed = budget["spec"].get("maxUnavailable")
    if allowed is None:
        allowed = fewest - budget["spec"]["minAvailable"]
    assert isinstance(allowed, int), "an integer budget: a percentage of two rounds unexpectedly"
    assert 1 <= allowed < fewest  # drains can proceed, and never take the last pod
