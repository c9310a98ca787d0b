"""infra/kubernetes: every overlay renders (`kubectl kustomize`), every object it makes is valid
against the Kubernetes API's schemas (kubernetes-validate, offline), and the objects agree with
the services: commands their command lines accept, environment names their settings have,
probes on the paths and ports they serve, network policies that let in exactly the callers the
manifests wire up, memory at least what docs/deploy.md measured. So the manifests cannot rot
unnoticed. Rendering needs kubectl 1.21 or newer (kustomize v4+); docs/deploy.md says why."""

import copy
import functools
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy.services import API_KEYS, BACKENDS, ROOT, SETTINGS, parses, setting_of

KUBERNETES = ROOT / "infra" / "kubernetes"
OVERLAYS = sorted(p.parent for p in (KUBERNETES / "overlays").glob("*/kustomization.yaml"))
# The oldest Kubernetes release still maintained by the big managed offerings, and the newest the
# schemas know.
VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
SECRETS = {"cxloop-database", "cxloop-keys"}

Object = dict[str, Any]


@functools.cache
def render(overlay: Path) -> tuple[Object, ...]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl (1.21 or newer, for its kustomize v4+) renders the overlays")
    done = subprocess.run(
        [kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"kubectl kustomize {overlay.name}: {done.stderr}"
    return tuple(o for o in yaml.safe_load_all(done.stdout) if o)


@pytest.fixture(params=OVERLAYS, ids=lambda path: path.name)
def objects(request: pytest.FixtureRequest) -> tuple[Object, ...]:
    return render(request.param)


def of_kind(objects: tuple[Object, ...], kind: str) -> dict[str, Object]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def workloads(objects: tuple[Object, ...]) -> dict[str, Object]:
    """Every pod template by its workload's name: the Deployments and the Jobs."""
    return of_kind(objects, "Deployment") | of_kind(objects, "Job")


def the_container(workload: Object) -> Object:
    [container] = workload["spec"]["template"]["spec"]["containers"]
    return container


def pod_labels(workload: Object) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"]["labels"]


def selects(selector: Object, labels: dict[str, str] | None) -> bool:
    assert set(selector) <= {"matchLabels"}, f"only matchLabels is understood here: {selector}"
    wanted = selector.get("matchLabels", {})
    return labels is not None and all(labels.get(k) == v for k, v in wanted.items())


def env_of(workload: Object) -> dict[str, Object]:
    return {e["name"]: e for e in the_container(workload).get("env", [])}


def mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)(Mi|Gi)", quantity).groups()
    return float(number) * (1024 if unit == "Gi" else 1)


@functools.cache
def paths_served(service: str) -> frozenset[str]:
    """The paths a service answers: the backends' published OpenAPI (a contract test keeps it
    current), the gateway's app itself (it publishes none)."""
    if service == "gateway":
        from gateway.main import create_app

        return frozenset(create_app().openapi()["paths"])
    snapshot = ROOT / "services" / service / "openapi.json"
    return frozenset(json.loads(snapshot.read_text())["paths"])


def test_there_is_an_overlay_per_environment():
    assert {o.name for o in OVERLAYS} >= {"production", "staging"}


def test_every_object_is_valid_against_the_kubernetes_schemas(objects):
    for version in VERSIONS:
        for o in objects:
            kubernetes_validate.validate(o, version, strict=True)
    # The validation can fail: a misspelt field is refused.
    deployment = copy.deepcopy(of_kind(objects, "Deployment")["journey"])
    the_container(deployment)["readinesProbe"] = the_container(deployment).pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[0], strict=True)


def test_each_service_runs_two_replicas_its_relay_apart_and_a_migration_job(objects):
    deployments = of_kind(objects, "Deployment")
    jobs = of_kind(objects, "Job")
    assert set(deployments) == set(SETTINGS) | {f"{s}-relay" for s in BACKENDS}
    assert set(jobs) == {f"{s}-migrate" for s in SETTINGS}
    for service, settings in SETTINGS.items():
        server = the_container(deployments[service])
        assert deployments[service]["spec"]["replicas"] >= 2
        assert parses(server["command"]) == service
        assert server["command"][1] == "serve" and "--port" not in server["command"]
        [port] = server["ports"]
        assert port["containerPort"] == settings().port
        migrate = the_container(jobs[f"{service}-migrate"])
        assert parses(migrate["command"]) == service and migrate["command"][1:] == ["migrate"]
        assert jobs[f"{service}-migrate"]["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    for service in BACKENDS:
        assert env_of(deployments[service])[f"{service.upper()}_RELAY_IN_PROCESS"]["value"] == (
            "false"
        )
        relay = deployments[f"{service}-relay"]
        assert relay["spec"]["replicas"] >= 2
        assert parses(the_container(relay)["command"]) == service
        assert the_container(relay)["command"][1:] == ["relay"]
    images = {the_container(w)["image"] for w in workloads(objects).values()}
    [image] = images
    assert re.fullmatch(r"[\w.\-/:]+:[\w.\-]+", image) and not image.endswith(":latest"), image


def test_environment_names_are_settings_and_secrets_are_referenced_not_embedded(objects):
    assert not of_kind(objects, "Secret"), "secrets are made apart (docs/deploy.md), never here"
    referenced: dict[str, set[str]] = {}
    for name, workload in workloads(objects).items():
        service = the_container(workload)["command"][0].removeprefix("cx-")
        for variable, entry in env_of(workload).items():
            assert setting_of(variable)[0] == service, f"{name} sets {variable}"
            if "valueFrom" in entry:
                ref = entry["valueFrom"]["secretKeyRef"]
                assert ref["name"] in SECRETS, ref
                # The key is named like the file the setting is read from under CX_SECRETS_DIR.
                assert ref["key"] == variable.lower(), ref
                referenced.setdefault(ref["key"], set()).add(name)
            else:
                assert "@" not in entry["value"], f"{name}: {variable} carries credentials"
        database = env_of(workload)[f"{service.upper()}_DATABASE_URL"]
        assert database["valueFrom"]["secretKeyRef"]["name"] == "cxloop-database"
    # Every key infra/setup.sh makes for compose is read here too, and nothing else.
    assert set(referenced) == API_KEYS | {f"{s}_database_url" for s in SETTINGS}
    # Metrics' ingest scope is the relays' alone: only they hold the keys that have it.
    for key in ("journey_ingest_api_key", "feedback_ingest_api_key"):
        assert referenced[key] == {key.removesuffix("_ingest_api_key") + "-relay"}


def service_port(objects: tuple[Object, ...], name: str, port: int | str) -> int:
    """The container port a Service's port (by number or name) leads to, checking the Service
    selects its Deployment's pods and no other's."""
    service = of_kind(objects, "Service")[name]
    selected = [
        w
        for w in of_kind(objects, "Deployment").values()
        if selects({"matchLabels": service["spec"]["selector"]}, pod_labels(w))
    ]
    assert [w["metadata"]["name"] for w in selected] == [name]
    [entry] = [p for p in service["spec"]["ports"] if port in (p["port"], p.get("name"))]
    [container_port] = [
        p["containerPort"]
        for p in the_container(selected[0])["ports"]
        if entry["targetPort"] in (p["containerPort"], p.get("name"))
    ]
    return container_port


def test_services_lead_to_the_ports_the_services_listen_on(objects):
    services = of_kind(objects, "Service")
    assert set(services) == set(SETTINGS)
    for name, settings in SETTINGS.items():
        assert services[name]["spec"].get("type", "ClusterIP") == "ClusterIP"
        [entry] = services[name]["spec"]["ports"]
        assert entry["port"] == service_port(objects, name, entry["port"]) == settings().port


def test_probes_ask_the_health_paths_on_the_port_served(objects):
    for service, settings in SETTINGS.items():
        container = the_container(of_kind(objects, "Deployment")[service])
        expected = {"readinessProbe": "/readyz", "livenessProbe": "/healthz"}
        for probe, path in expected.items():
            get = container[probe]["httpGet"]
            assert (get["path"], get["port"]) == (path, settings().port), (service, probe)
            assert path in paths_served(service)
        assert container["startupProbe"]["httpGet"]["path"] in paths_served(service)


def test_only_the_gateway_is_reachable_from_outside_through_its_ingress(objects):
    [ingress] = of_kind(objects, "Ingress").values()
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            port = backend["port"].get("number") or backend["port"]["name"]
            assert backend["name"] == "gateway"
            assert service_port(objects, "gateway", port) == SETTINGS["gateway"]().port
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    assert hosts == {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}
    public_url = env_of(of_kind(objects, "Deployment")["gateway"])["GATEWAY_PUBLIC_URL"]
    assert public_url["value"] in {f"https://{h}" for h in hosts}


def admits(policies: list[Object], source: dict[str, str] | None, target: Object, port: int):
    """Whether NetworkPolicies let `source` (a pod's labels, None from outside the namespace)
    reach `target`'s pods on `port`: allowed when no policy selects them, else when a rule of
    one that does admits both source and port (Kubernetes' semantics, for the peers used here)."""
    labels = pod_labels(target)
    chosen = [
        p
        for p in policies
        if "Ingress" in p["spec"]["policyTypes"] and selects(p["spec"]["podSelector"], labels)
    ]
    if not chosen:
        return True
    names = {p.get("name"): p["containerPort"] for p in the_container(target).get("ports", [])}
    for policy in chosen:
        for rule in policy["spec"].get("ingress", []):
            ports = [names.get(p["port"], p["port"]) for p in rule.get("ports", [])]
            assert all(p.get("protocol", "TCP") == "TCP" for p in rule.get("ports", []))
            peers = rule.get("from", [])
            assert all(set(peer) == {"podSelector"} for peer in peers), "unknown peer kind"
            if (not ports or port in ports) and (
                not peers or any(selects(peer["podSelector"], source) for peer in peers)
            ):
                return True
    return False


def calls(objects: tuple[Object, ...]) -> set[tuple[str, str, int]]:
    """(caller workload, callee Deployment, container port) for every service URL a process
    dials: the gateway's backends and the relays' destinations. An API whose relay runs apart
    only queues deliveries to its URLs; it does not dial them."""
    made = set()
    for name, workload in of_kind(objects, "Deployment").items():
        if name in BACKENDS:
            continue
        for variable, entry in env_of(workload).items():
            found = re.fullmatch(r"http://([a-z-]+):(\d+)(/\S*)?", entry.get("value", ""))
            if found and variable.endswith("_URL") and variable != "GATEWAY_PUBLIC_URL":
                callee, port, path = found.group(1), int(found.group(2)), found.group(3)
                assert path is None or path in paths_served(callee), (variable, path)
                made.add((name, callee, service_port(objects, callee, port)))
    return made


def test_network_policies_admit_exactly_the_callers_the_manifests_wire_up(objects):
    policies = list(of_kind(objects, "NetworkPolicy").values())
    pods = workloads(objects)
    sources: dict[str, dict[str, str] | None] = {n: pod_labels(w) for n, w in pods.items()}
    sources["outside"] = None
    gateway_port = SETTINGS["gateway"]().port
    wired = calls(objects)
    assert ("gateway", "metrics", SETTINGS["metrics"]().port) in wired
    assert ("journey-relay", "feedback", SETTINGS["feedback"]().port) in wired
    ports = {s().port for s in SETTINGS.values()} | {9999}
    for target_name, target in pods.items():
        for source_name, source in sources.items():
            for port in ports:
                allowed = admits(policies, source, target, port)
                expected = (source_name, target_name, port) in wired or (
                    target_name == "gateway" and port == gateway_port
                )
                assert allowed == expected, (source_name, target_name, port, allowed)
    # Metrics' ingest is dialled by the relays alone.
    ingest = {c for c, callee, _ in wired if callee == "metrics"} - {"gateway"}
    assert ingest == {"journey-relay", "feedback-relay"}


def test_every_service_autoscales_and_keeps_a_pod_through_disruptions(objects):
    deployments = of_kind(objects, "Deployment")
    scalers = of_kind(objects, "HorizontalPodAutoscaler")
    assert set(scalers) == set(SETTINGS)
    for name, scaler in scalers.items():
        spec = scaler["spec"]
        assert spec["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert 2 <= spec["minReplicas"] <= spec["maxReplicas"]
        resource = the_container(deployments[name])["resources"]
        assert {m["resource"]["name"] for m in spec["metrics"]} <= set(resource["requests"])
    budgets = of_kind(objects, "PodDisruptionBudget").values()
    for name, deployment in deployments.items():
        [budget] = [b for b in budgets if selects(b["spec"]["selector"], pod_labels(deployment))]
        assert budget["spec"]["minAvailable"] < deployment["spec"]["replicas"], name


def test_pods_run_as_the_images_user_unprivileged_on_a_read_only_root(objects):
    uid = int(re.search(r"--uid (\d+)", (ROOT / "infra" / "Dockerfile").read_text()).group(1))
    for name, workload in workloads(objects).items():
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == uid, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        container = the_container(workload)
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True, name
        assert context["allowPrivilegeEscalation"] is False, name
        assert context["capabilities"] == {"drop": ["ALL"]}, name
        # The one writable place: /tmp, on an emptyDir of the pod's own.
        [mount] = container["volumeMounts"]
        [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
        assert mount["mountPath"] == "/tmp" and "emptyDir" in volume, name


def measured() -> dict[str, dict[str, float]]:
    """docs/deploy.md's table of resident memory, by process (journey, journey-relay, …)."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    rows = re.findall(
        r"^\| `([\w-]+)` \| (\d+|—) \| (\d+) \| (\d+)Mi \| (\d+)Mi \|$", text, re.MULTILINE
    )
    assert rows, "docs/deploy.md has no table of measured memory"
    return {
        name: {"warm": float(warm), "request": float(request), "limit": float(limit)}
        for name, _, warm, request, limit in rows
    }


def test_memory_requests_and_limits_are_those_of_the_measured_table(objects):
    table = measured()
    assert set(table) == set(workloads(objects))
    for name, workload in workloads(objects).items():
        resources = the_container(workload)["resources"]
        request = mebibytes(resources["requests"]["memory"])
        limit = mebibytes(resources["limits"]["memory"])
        row = table[name]
        assert (request, limit) == (row["request"], row["limit"]), name
        assert request >= row["warm"] and limit >= 2 * row["warm"], name
        assert {"cpu"} <= set(resources["requests"]) and {"cpu"} <= set(resources["limits"])
