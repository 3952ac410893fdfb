"""Every document of deploy/k8s/*.yaml is valid against the Kubernetes OpenAPI schemas (as JSON schemas), strict:
an unknown field (a misspelt `resource:`) is an error, not ignored as `kubectl apply` would.

The validator is kubernetes-validate (requirements.in), which bundles the schemas of each Kubernetes version:
nothing is downloaded, and the test refuses the network to show it.
"""
from __future__ import annotations

import copy
import socket

import pytest

from tests.deploy.manifests import K8S, documents, manifest_files, named

KUBERNETES = "1.28"  # the newest schemas kubernetes-validate 1.28.3 bundles (the last on jsonschema 4.17, our pin)


@pytest.fixture
def validate(monkeypatch):
    try:
        import kubernetes_validate
    except ImportError:
        pytest.fail("kubernetes-validate is not installed: it is in requirements.in; reinstall the environment (make)")

    def refuse(*args, **kwargs):
        raise AssertionError("the schema validator tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)

    def check(doc: dict) -> str:
        try:
            kubernetes_validate.validate(doc, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as error:
            return f"{doc.get('kind')} {doc.get('metadata', {}).get('name')}: {error.message} at {list(error.path)}"
        except kubernetes_validate.SchemaNotFoundError as error:
            return f"{doc.get('kind')} {doc.get('metadata', {}).get('name')}: {error.message}"
        return ""

    return check


def test_there_are_manifests():
    assert "luz.yaml" in [p.name for p in manifest_files()], f"manifests in {K8S}"


def test_every_manifest_is_valid_kubernetes(validate):
    docs = documents()
    assert len(docs) >= 10
    assert [problem for problem in map(validate, docs) if problem] == []


def test_the_validator_refuses_a_misspelt_field_and_an_unknown_version(validate):
    docs = copy.deepcopy(documents())
    rasa = named(docs, "Deployment", "luz-rasa")["spec"]["template"]["spec"]["containers"][0]
    rasa["resource"] = rasa.pop("resources")
    assert "'resource' was unexpected" in validate(named(docs, "Deployment", "luz-rasa"))
    hpa = copy.deepcopy(named(docs, "HorizontalPodAutoscaler", "luz-rasa"))
    hpa["spec"]["minReplicas"] = "2"
    assert "is not of type 'integer'" in validate(hpa)
    hpa["apiVersion"] = "autoscaling/v2beta1"  # gone since Kubernetes 1.25
    assert "Couldn't find schema" in validate(hpa)
