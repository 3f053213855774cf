#!/usr/bin/python3
"""Checks deploy/k8s/: every document of the set kustomization.yaml applies.

    check_k8s.py DIR IMAGE [RENDERED.yaml]     RENDERED: `kubectl kustomize DIR`, when there is a kubectl
    check_k8s.py --mutate NAME DIR             breaks the copy DIR in one way (for the test of this check)

Prints one line per problem and exits 1 if there is any.
"""
import os
import re
import sys

import yaml

problems = []


def problem(msg):
    problems.append(msg)


SECRET_NAME = re.compile(r"(?i)pass(word)?|secret|token|api_?key|credential")
PLACEHOLDER = "REPLACE_ME"


def load_set(d):
    kust = yaml.safe_load(open(os.path.join(d, "kustomization.yaml")))
    docs = []
    for f in kust.get("resources", []):
        path = os.path.join(d, f)
        if not os.path.isfile(path):
            problem(f"kustomization: {f} does not exist")
            continue
        for doc in yaml.safe_load_all(open(path)):
            if doc:
                doc["__file"] = f
                docs.append(doc)
    return kust, docs


def pod_specs(docs):
    """(document, pod spec) of every Deployment, Job and CronJob."""
    for d in docs:
        if d["kind"] in ("Deployment", "Job"):
            yield d, d["spec"]["template"]["spec"]
        elif d["kind"] == "CronJob":
            yield d, d["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def named(docs, kind, name=None):
    return [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]


def port_of(container, port):
    if isinstance(port, int):
        return port
    for p in container.get("ports", []):
        if p.get("name") == port:
            return p["containerPort"]
    return None


def check(d, image, rendered):
    kust, docs = load_set(d)
    listed = set(kust.get("resources", []))
    here = {f for f in os.listdir(d) if f.endswith((".yaml", ".yml"))} - {"kustomization.yaml"}
    for f in sorted(here - listed):
        if ".example." not in f:
            problem(f"{f} is in the directory but not in kustomization.yaml")
    for f in sorted(listed):
        if ".example." in f:
            problem(f"kustomization.yaml applies the example {f}")
    if "namespace" in kust:
        problem("kustomization.yaml fixes a namespace")

    for doc in docs:
        where = f"{doc['__file']}: {doc['kind']}/{doc['metadata'].get('name')}"
        if "namespace" in doc["metadata"]:
            problem(f"{where}: names a namespace (the set is namespace-agnostic)")
        if doc["kind"] == "Secret":
            problem(f"{where}: a Secret in the applied set")
        if doc["kind"] == "ConfigMap":
            for k, v in (doc.get("data") or {}).items():
                if SECRET_NAME.search(k):
                    problem(f"{where}: {k} is a secret in a ConfigMap")
                if re.search(r"(?i)password\s*=", str(v)):
                    problem(f"{where}: {k} holds a password")

    cms = named(docs, "ConfigMap", "sigmabatch-config")
    if len(cms) != 1:
        problem("no ConfigMap sigmabatch-config")
        return
    cfg = cms[0].get("data") or {}
    for k in ("PGHOST", "PGDATABASE", "PGUSER", "SIGMA_BROKERS", "SIGMA_BUS_PARTITIONS", "SIGMA_SERVE_PORT"):
        if not cfg.get(k):
            problem(f"ConfigMap: no {k}")
    if cfg.get("SIGMA_SERVE_PORT") != "8080":
        problem(f"ConfigMap: SIGMA_SERVE_PORT {cfg.get('SIGMA_SERVE_PORT')!r}, not 8080")
    partitions = int(cfg.get("SIGMA_BUS_PARTITIONS", 0))

    # the Secrets referenced: each documented in secret.example.yaml, whose values are placeholders
    example = {}
    ex_path = os.path.join(d, "secret.example.yaml")
    if os.path.isfile(ex_path):
        for s in yaml.safe_load_all(open(ex_path)):
            if not s:
                continue
            if s.get("kind") != "Secret":
                problem(f"secret.example.yaml: a {s.get('kind')}")
            values = {**(s.get("data") or {}), **(s.get("stringData") or {})}
            for k, v in values.items():
                if v != PLACEHOLDER:
                    problem(f"secret.example.yaml: {s['metadata']['name']}.{k} is not the placeholder {PLACEHOLDER}")
            example[s["metadata"]["name"]] = set(values)
    else:
        problem("no secret.example.yaml")

    workloads = list(pod_specs(docs))
    if sorted(w["metadata"]["name"] for w, _ in workloads) != sorted(
            ["sigma-producer", "sigma-coordinator", "sigma-worker", "sigmabatch-migrate", "sigmabatch-nightly"]):
        problem(f"workloads: {[w['metadata']['name'] for w, _ in workloads]}")
    for w, spec in workloads:
        where = f"{w['kind']}/{w['metadata']['name']}"
        psc = spec.get("securityContext") or {}
        if spec.get("automountServiceAccountToken") is not False:
            problem(f"{where}: mounts a service account token")
        for c in spec.get("containers", []) + spec.get("initContainers", []):
            cw = f"{where} container {c['name']}"
            if c.get("image") != image:
                problem(f"{cw}: image {c.get('image')}, not {image}")
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    if not (res.get(part) or {}).get(r):
                        problem(f"{cw}: no {part}.{r}")
            csc = c.get("securityContext") or {}
            if not (csc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True):
                problem(f"{cw}: not runAsNonRoot")
            if csc.get("runAsUser", psc.get("runAsUser")) != 10001:
                problem(f"{cw}: not uid 10001")
            if csc.get("readOnlyRootFilesystem") is not True:
                problem(f"{cw}: the root filesystem is writable")
            if csc.get("allowPrivilegeEscalation") is not False:
                problem(f"{cw}: privilege escalation allowed")
            if "ALL" not in ((csc.get("capabilities") or {}).get("drop") or []):
                problem(f"{cw}: capabilities not dropped")
            if not any((e.get("configMapRef") or {}).get("name") == "sigmabatch-config" for e in c.get("envFrom", [])):
                problem(f"{cw}: not configured from sigmabatch-config")
            env = {e["name"]: e for e in c.get("env", [])}
            if "PGPASSWORD" not in env:
                problem(f"{cw}: no PGPASSWORD")
            for name, e in env.items():
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if SECRET_NAME.search(name) and ("value" in e or not ref):
                    problem(f"{cw}: {name} is not a secretKeyRef")
                if ref and not ref.get("optional") and ref.get("key") not in example.get(ref.get("name"), set()):
                    problem(f"{cw}: {name} refers to {ref.get('name')}/{ref.get('key')}, not in secret.example.yaml")
                if re.search(r"(?i)password\s*=", str(e.get("value", ""))):
                    problem(f"{cw}: {name} holds a password")
            for a in c.get("args", []) + c.get("command", []):
                if re.search(r"(?i)password\s*=\s*[^$]", str(a)):
                    problem(f"{cw}: a password on the command line")
            if w["kind"] == "Deployment":
                for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
                    h = (c.get(probe) or {}).get("httpGet") or {}
                    if h.get("path") != path or port_of(c, h.get("port")) != 8080:
                        problem(f"{cw}: {probe} is not httpGet {path} on 8080: {c.get(probe)}")

    deps = {w["metadata"]["name"]: w for w, _ in workloads if w["kind"] == "Deployment"}
    coord = deps.get("sigma-coordinator", {}).get("spec", {})
    if coord.get("replicas") != 2:
        problem(f"sigma-coordinator: {coord.get('replicas')} replicas, not 2 (one leads, one waits)")
    worker = deps.get("sigma-worker", {})
    if "replicas" in worker.get("spec", {}):
        problem("sigma-worker: a replicas field (the ScaledObject owns the count)")
    wlabels = worker.get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {})
    clabels = deps.get("sigma-coordinator", {}).get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {})

    # KEDA
    sos = named(docs, "ScaledObject")
    if len(sos) != 1:
        problem(f"{len(sos)} ScaledObjects, expected 1")
    for so in sos:
        spec = so["spec"]
        if spec.get("scaleTargetRef", {}).get("name") != "sigma-worker":
            problem(f"ScaledObject: scales {spec.get('scaleTargetRef')}, not sigma-worker")
        if spec.get("maxReplicaCount") != partitions:
            problem(f"ScaledObject: maxReplicaCount {spec.get('maxReplicaCount')} != SIGMA_BUS_PARTITIONS {partitions}")
        if not 1 <= spec.get("minReplicaCount", 0) <= spec.get("maxReplicaCount", 0):
            problem(f"ScaledObject: minReplicaCount {spec.get('minReplicaCount')}")
        kafka = [t for t in spec.get("triggers", []) if t.get("type") == "kafka"]
        if len(kafka) != 1:
            problem("ScaledObject: not one kafka trigger")
        for t in kafka:
            m = t.get("metadata", {})
            want = {"bootstrapServers": cfg.get("SIGMA_BROKERS"),
                    "consumerGroup": cfg.get("SIGMA_BUS_GROUP", "sigma-workers"),
                    "topic": cfg.get("SIGMA_TOPIC_TASKS", "sigma.tasks")}
            for k, v in want.items():
                if m.get(k) != v:
                    problem(f"ScaledObject: {k} {m.get(k)!r}, the workers use {v!r}")
            if not str(m.get("lagThreshold", "")).isdigit():
                problem(f"ScaledObject: lagThreshold {m.get('lagThreshold')!r}")

    # PodDisruptionBudgets, the Service
    pdbs = named(docs, "PodDisruptionBudget")
    for labels, who in ((wlabels, "sigma-worker"), (clabels, "sigma-coordinator")):
        if not any(labels and p["spec"]["selector"]["matchLabels"].items() <= labels.items() for p in pdbs):
            problem(f"no PodDisruptionBudget selects {who}")
    svcs = named(docs, "Service", "sigma-coordinator")
    if len(svcs) != 1:
        problem("no Service sigma-coordinator")
    for s in svcs:
        if not s["spec"]["selector"].items() <= clabels.items():
            problem("Service sigma-coordinator does not select the coordinators")
        ann = s["metadata"].get("annotations") or {}
        if ann.get("prometheus.io/scrape") != "true" or ann.get("prometheus.io/port") != "8080":
            problem(f"Service sigma-coordinator: scrape annotations {ann}")
        c = deps.get("sigma-coordinator", {}).get("spec", {}).get("template", {}).get("spec", {}).get("containers", [{}])[0]
        if any(port_of(c, p.get("targetPort")) != 8080 for p in s["spec"]["ports"]):
            problem("Service sigma-coordinator: not to port 8080")

    # the migration Job and the nightly CronJob
    for w, spec in workloads:
        c = spec["containers"][0]
        line = " ".join(c.get("command", []) + c.get("args", []))
        if w["kind"] == "Job":
            if not re.search(r"\bsigmactl migrate up$", line):
                problem(f"Job: runs {line!r}, not sigmactl migrate up")
            env = {e["name"]: e for e in c.get("env", [])}
            if (env.get("PGUSER", {}).get("valueFrom") or {}).get("secretKeyRef", {}).get("name") != "sigmabatch-db-owner":
                problem("Job: does not migrate as the owner (sigmabatch-db-owner)")
        if w["kind"] == "CronJob":
            if not re.search(r"\bsigmactl run --date today$", line):
                problem(f"CronJob: runs {line!r}, not sigmactl run --date today")
            s = w["spec"]
            if len(str(s.get("schedule", "")).split()) != 5 or s.get("timeZone") != "America/New_York":
                problem(f"CronJob: schedule {s.get('schedule')!r} timeZone {s.get('timeZone')!r}")
            if s.get("concurrencyPolicy") != "Forbid":
                problem("CronJob: concurrencyPolicy is not Forbid")

    if rendered:
        got = sorted((x["kind"], x["metadata"]["name"]) for x in yaml.safe_load_all(open(rendered)) if x)
        want = sorted((x["kind"], x["metadata"]["name"]) for x in docs)
        if got != want:
            problem(f"kubectl kustomize renders {got}, the files hold {want}")


# ---- broken copies the check must refuse (k8s_test.sh) -------------------------------------
def _edit(d, f, fn):
    path = os.path.join(d, f)
    docs = [x for x in yaml.safe_load_all(open(path)) if x]
    for x in docs:
        fn(x)
    yaml.safe_dump_all(docs, open(path, "w"), sort_keys=False)


def _container(x):
    return x["spec"]["template"]["spec"]["containers"][0]


def _no_readiness(d): _edit(d, "producer.yaml", lambda x: _container(x).pop("readinessProbe"))
def _liveness_readyz(d): _edit(d, "worker.yaml", lambda x: _container(x)["livenessProbe"]["httpGet"].update(path="/readyz"))
def _other_image(d): _edit(d, "nightly-cronjob.yaml", lambda x: x["spec"]["jobTemplate"]["spec"]["template"]["spec"][
    "containers"][0].update(image="ghcr.io/sigmasight/sigmabatch:latest"))
def _inline_password(d): _edit(d, "worker.yaml", lambda x: _container(x)["env"].__setitem__(0, {"name": "PGPASSWORD",
                                                                                              "value": "hunter2"}))
def _keda_cap(d): _edit(d, "worker-scaledobject.yaml", lambda x: x["spec"].update(maxReplicaCount=24))
def _keda_group(d): _edit(d, "worker-scaledobject.yaml", lambda x: x["spec"]["triggers"][0]["metadata"].update(
    consumerGroup="workers"))
def _no_limits(d): _edit(d, "migrate-job.yaml", lambda x: _container(x)["resources"].pop("limits"))
def _root(d): _edit(d, "coordinator.yaml", lambda x: x["spec"]["template"]["spec"]["securityContext"].update(
    runAsNonRoot=False))
def _writable(d): _edit(d, "producer.yaml", lambda x: _container(x)["securityContext"].update(readOnlyRootFilesystem=False))
def _namespace(d): _edit(d, "pdb.yaml", lambda x: x["metadata"].update(namespace="prod"))
def _coordinator_one(d): _edit(d, "coordinator.yaml", lambda x: x["spec"].update(replicas=1))


def _secret_applied(d):
    with open(os.path.join(d, "kustomization.yaml"), "a") as f:
        f.write("  - secret.example.yaml\n")


def _secret_with_data(d):
    with open(os.path.join(d, "configmap.yaml"), "a") as f:
        f.write("---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: sigmabatch-db\ndata:\n  PGPASSWORD: aHVudGVyMg==\n")


def _password_in_configmap(d): _edit(d, "configmap.yaml", lambda x: x["data"].update(PGPASSWORD="hunter2"))


MUTATIONS = {k[1:]: v for k, v in dict(globals()).items()
             if k.startswith("_") and not k.startswith("__") and k not in ("_edit", "_container") and callable(v)}


def main():
    if sys.argv[1] == "--mutate":
        MUTATIONS[sys.argv[2]](sys.argv[3])
        return
    d, image = sys.argv[1], sys.argv[2]
    check(d, image, sys.argv[3] if len(sys.argv) > 3 else None)
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print("k8s: ok")


main()
