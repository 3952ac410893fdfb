"""The public surface of the manifests stays as docs/security.md describes: the Ingress sends to Rasa only the
webhooks of the channels in credentials.yml (never the REST channel, which trusts its sender), everything else
to the web service; no Service is reachable from outside the cluster; only Rasa pods reach the action servers."""
from __future__ import annotations

import importlib
from typing import Dict, List

import yaml

from tests.conftest import PROJECT_ROOT
from tests.deploy.manifests import (
    command_line,
    documents,
    named,
    of_kind,
    pod_labels,
    selected_workloads,
    selects,
    workloads,
)


def channel_names() -> List[str]:
    """The URL names of the channels the production Rasa server loads (credentials.yml)."""
    names = []
    for path in yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text()):
        module, _, cls = path.rpartition(".")
        names.append(getattr(importlib.import_module(module), cls).name())
    return names


def routes() -> Dict[str, str]:
    """Ingress path -> Service, over every Ingress of the manifests."""
    found: Dict[str, str] = {}
    for ingress in of_kind(documents(), "Ingress"):
        assert "defaultBackend" not in ingress["spec"]
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                assert path["path"] not in found, f"{path['path']} routed twice"
                found[path["path"]] = path["backend"]["service"]["name"]
    return found


def test_the_ingress_sends_rasa_only_the_channels_webhooks():
    to_rasa = {path for path, service in routes().items() if service == "luz-rasa"}
    expected = {f"/webhooks/{name}/" for name in channel_names()}
    assert "rest" not in channel_names()
    missing = expected - to_rasa
    assert not missing, (f"channels of credentials.yml without an Ingress route to luz-rasa: {sorted(missing)} "
                         "(add them to deploy/k8s/luz.yaml)")
    assert to_rasa == expected, f"routes to Rasa that are no channel's webhook: {sorted(to_rasa - expected)}"


def test_everything_else_goes_to_the_web_service():
    others = {path: service for path, service in routes().items() if service != "luz-rasa"}
    assert set(others.values()) == {"luz-web"}
    assert not any(path.startswith("/webhooks") for path in others)
    assert "/" in others  # the console, the API and the signed files


def test_no_service_is_exposed_but_through_the_ingress():
    for service in of_kind(documents(), "Service"):
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", service["metadata"]["name"]
    for doc, template in workloads(documents()):
        assert not template["spec"].get("hostNetwork"), doc["metadata"]["name"]
        for container in template["spec"]["containers"]:
            assert not any("hostPort" in port for port in container.get("ports") or []), doc["metadata"]["name"]


def test_rasa_runs_without_its_http_api():
    rasa = named(documents(), "Deployment", "luz-rasa")["spec"]["template"]["spec"]["containers"][0]
    command = command_line(rasa)
    assert command is not None and command[:2] == ["rasa", "run"]
    assert "--enable-api" not in command


def test_only_rasa_pods_reach_the_action_servers():
    docs = documents()
    actions = named(docs, "Deployment", "luz-actions")
    rasa = named(docs, "Deployment", "luz-rasa")
    policies = [p for p in of_kind(docs, "NetworkPolicy")
                if selects(p["spec"]["podSelector"], pod_labels(actions["spec"]["template"]))]
    assert policies, "no NetworkPolicy selects the action server pods"
    for policy in policies:
        assert "Ingress" in policy["spec"]["policyTypes"]
        for rule in policy["spec"].get("ingress") or []:
            sources = rule.get("from")
            assert sources, "a rule without `from` admits every pod"
            for source in sources:
                assert set(source) == {"podSelector"}, "no namespaces or address blocks"
                assert selected_workloads(docs, source["podSelector"]) == [rasa]
            assert [port["port"] for port in rule.get("ports") or []] == [5055]
