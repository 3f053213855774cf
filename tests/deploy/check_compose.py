#!/usr/bin/python3
"""Checks deploy/compose.yaml: the file as written (no password in it) and as
`docker-compose config` resolved it (images, health checks, environment, the
order of the migrations, Kafka in KRaft mode, the topics, the workers).

    check_compose.py SOURCE.yaml RESOLVED.yaml IMAGE SENTINEL...
    check_compose.py --mutate NAME SOURCE.yaml OUT.yaml    (a broken copy, for the test of this check)

SENTINEL: the password values the test exported; they may appear in the
resolved configuration only as the values of the password variables.
Prints one line per problem and exits 1 if there is any.
"""
import re
import sys

import yaml

problems = []


def problem(msg):
    problems.append(msg)


def strings(node, path=""):
    """Every string of a YAML tree, with where it is."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from strings(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from strings(v, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def env_of(svc):
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, None) for e in env)
    return env


SECRET_KEY = re.compile(r"(?i)pass(word)?|secret|token|api_?key|credential")
REFERENCE = re.compile(r"^\$\{[A-Z_][A-Z0-9_]*:\?[^}]+\}$")
# A password written in a string: a conninfo or option (password=text), an SQL
# literal (PASSWORD 'text'), a URL's user:text@. A reference ($VAR, ${VAR},
# psql's :'var') is what may stand there.
INLINE = [re.compile(r"(?i)password\s*=\s*(?P<v>[^\s'\"]+|'[^']*'|\"[^\"]*\")"),
          re.compile(r"(?i)\bpassword\s+(?P<v>'[^']*')"),
          re.compile(r"://[^/\s:@]+:(?P<v>[^@\s/]+)@")]
ALLOWED_SECRET_ENV = {"PGPASSWORD", "POSTGRES_PASSWORD", "SIGMA_APP_PASSWORD"}


def check_source(src):
    for name, svc in src["services"].items():
        for key, value in env_of(svc).items():
            if SECRET_KEY.search(key) and not (isinstance(value, str) and REFERENCE.match(value)):
                problem(f"source: {name}: environment {key} is not a required reference ${{VAR:?...}}: {value!r}")
    for where, text in strings(src):
        if REFERENCE.match(text):
            continue
        for pattern in INLINE:
            for m in pattern.finditer(text):
                if not m.group("v").lstrip("'\"").startswith("$"):
                    problem(f"source: {where}: a literal password: {m.group(0)!r}")


def argv(svc):
    """What a service runs: its entrypoint, then its command."""
    parts = []
    for k in ("entrypoint", "command"):
        v = svc.get(k) or []
        parts += [v] if isinstance(v, str) else list(map(str, v))
    return " ".join(parts)


def depends(svc):
    d = svc.get("depends_on") or {}
    if isinstance(d, list):
        return {k: "service_started" for k in d}
    return {k: (v or {}).get("condition", "service_started") for k, v in d.items()}


def check_resolved(cfg, image, sentinels):
    services = cfg["services"]
    sigma = {n: s for n, s in services.items() if str(s.get("image", "")).startswith(image.split(":")[0])}
    for n, s in services.items():
        cmd = argv(s)
        if re.search(r"\bsigma(ctl|-producer|-worker|-coordinator)\b", cmd) and n not in sigma:
            problem(f"{n}: runs a sigmabatch program from image {s.get('image')}")
    for want in ("migrate", "producer", "coordinator", "worker"):
        if want not in sigma:
            problem(f"no sigmabatch service {want}")
    images = {s["image"] for s in sigma.values()}
    if images != {image}:
        problem(f"sigmabatch services use {sorted(images)}, not only {image}")

    programs = {n: s for n, s in sigma.items() if s.get("restart", "no") != "no"}
    partitions = None
    for n, s in sigma.items():
        if not s.get("read_only"):
            problem(f"{n}: the root filesystem is writable")
        if "ALL" not in (s.get("cap_drop") or []):
            problem(f"{n}: capabilities not dropped")
        if not any("no-new-privileges" in o for o in s.get("security_opt") or []):
            problem(f"{n}: no-new-privileges not set")
        if not str(s.get("user", "")).startswith("10001"):
            problem(f"{n}: not uid 10001: {s.get('user')}")
    for n, s in programs.items():
        env = env_of(s)
        for k in ("PGHOST", "PGDATABASE", "PGUSER", "PGPASSWORD", "SIGMA_BROKERS", "SIGMA_SERVE_PORT",
                  "SIGMA_BUS_PARTITIONS"):
            if not env.get(k):
                problem(f"{n}: no {k} in its environment")
        test = s.get("healthcheck", {}).get("test") or []
        if isinstance(test, str):
            test = ["CMD-SHELL", test]
        line = " ".join(map(str, test))
        port = env.get("SIGMA_SERVE_PORT")
        if not re.search(rf"\bsigmactl probe\b.*http://127\.0\.0\.1:{port}/healthz\b", line):
            problem(f"{n}: its healthcheck is not sigmactl probe on /healthz at port {port}: {line!r}")
        if env.get("PGUSER") == env_of(sigma.get("migrate", {})).get("PGUSER"):
            problem(f"{n}: connects as the owner (the migration role), not the programs' role")
        p = env.get("SIGMA_BUS_PARTITIONS")
        if partitions not in (None, p):
            problem(f"{n}: SIGMA_BUS_PARTITIONS {p}, another service has {partitions}")
        partitions = p
    if set(programs) != {"producer", "coordinator", "worker"}:
        problem(f"long-running sigmabatch services: {sorted(programs)}")

    # the migrations before the programs
    mig = sigma.get("migrate", {})
    if not re.fullmatch(r"(/usr/local/bin/)?sigmactl migrate up", argv(mig)) or mig.get("restart") != "no":
        problem(f"migrate: not a one-shot 'sigmactl migrate up': {argv(mig)!r} restart {mig.get('restart')}")
    if depends(mig).get("postgres") != "service_healthy":
        problem(f"migrate: does not wait for postgres to be healthy: {depends(mig)}")
    for n in programs:
        # a path of depends_on edges to migrate, each waiting for a result, the edge into
        # migrate waiting for its completion
        seen, todo, ok = set(), [n], False
        while todo:
            cur = todo.pop()
            for dep, cond in depends(services[cur]).items():
                if dep == "migrate" and cond == "service_completed_successfully":
                    ok = True
                if cond in ("service_completed_successfully", "service_healthy") and dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        if not ok:
            problem(f"{n}: does not wait for the migrations to complete")
        if "kafka" not in seen:
            problem(f"{n}: does not wait for kafka")
    grants = services.get("grants", {})
    if "grants.sql" not in argv(grants):
        problem("grants: does not apply grants.sql")
    if depends(grants).get("migrate") != "service_completed_successfully":
        problem("grants: does not run after the migrations")

    # Kafka in KRaft mode, the topics
    kafka = services.get("kafka", {})
    kenv = env_of(kafka)
    if "controller" not in str(kenv.get("KAFKA_PROCESS_ROLES", "")) or not kenv.get("KAFKA_CONTROLLER_QUORUM_VOTERS"):
        problem("kafka: not in KRaft mode (process.roles with controller, controller.quorum.voters)")
    if any("zookeeper" in n.lower() or "zookeeper" in str(s.get("image", "")) for n, s in services.items()) or any(
            "ZOOKEEPER" in k for k in kenv):
        problem("a ZooKeeper in a KRaft deployment")
    if str(kenv.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE")).lower() != "false":
        problem("kafka: auto.create.topics.enable is not false")
    topics = services.get("topics", {})
    tcmd = argv(topics)
    for t in ("sigma.tasks", "sigma.onboarding", "sigma.events", "sigma.deadletter"):
        if t not in tcmd:
            problem(f"topics: {t} is not created")
    if env_of(topics).get("PARTITIONS") != partitions or str(kenv.get("KAFKA_NUM_PARTITIONS")) != partitions:
        problem(f"topics: partitions {env_of(topics).get('PARTITIONS')} / broker default "
                f"{kenv.get('KAFKA_NUM_PARTITIONS')} != SIGMA_BUS_PARTITIONS {partitions}")
    if env_of(topics).get("RETENTION_MS") != str(7 * 24 * 3600 * 1000):
        problem(f"topics: retention {env_of(topics).get('RETENTION_MS')} ms, not 7 days")
    for n in programs:
        if "topics" not in depends(services[n]) and n != "topics":
            problem(f"{n}: does not wait for the topics")

    # the workers
    replicas = (sigma.get("worker", {}).get("deploy") or {}).get("replicas", 1)
    if not 2 <= int(replicas) <= int(partitions or 0):
        problem(f"worker: {replicas} replicas (2..SIGMA_BUS_PARTITIONS {partitions} expected)")

    # the passwords given: only as the values of the password variables
    for where, text in strings(cfg):
        for s in sentinels:
            if s in text and where.rsplit(".", 1)[-1] not in ALLOWED_SECRET_ENV:
                problem(f"resolved: the password appears at {where}")
    for n, s in services.items():
        env = env_of(s)
        for k in ALLOWED_SECRET_ENV & set(env):
            if env[k] not in sentinels:
                problem(f"resolved: {n}: {k} is not the password from the environment")


# Broken copies the check must refuse (compose_test.sh): name -> change.
def _inline_password(c): c["services"]["producer"]["environment"]["PGPASSWORD"] = "hunter2"
def _conninfo_password(c): c["services"]["migrate"]["command"] = ["migrate", "up", "-d", "password=hunter2"]
def _other_image(c): c["services"]["worker"]["image"] = "ghcr.io/sigmasight/sigmabatch:latest"
def _no_healthcheck(c): del c["services"]["coordinator"]["healthcheck"]
def _readyz_healthcheck(c):
    c["services"]["worker"]["healthcheck"] = dict(c["services"]["worker"]["healthcheck"])
    c["services"]["worker"]["healthcheck"]["test"] = ["CMD", "sigmactl", "probe", "http://127.0.0.1:8080/readyz"]
def _no_migrate_wait(c): c["services"]["worker"]["depends_on"] = {"topics": {"condition": "service_completed_successfully"}}
def _started_only(c): c["services"]["grants"]["depends_on"] = {"migrate": {"condition": "service_started"}}
def _partitions(c): c["services"]["topics"]["environment"]["PARTITIONS"] = "24"
def _zookeeper(c): c["services"]["kafka"]["environment"] = {"KAFKA_ZOOKEEPER_CONNECT": "zookeeper:2181"}
def _owner_programs(c):
    c["services"]["producer"]["environment"] = dict(c["services"]["producer"]["environment"], PGUSER="sigma_owner")


MUTATIONS = {k[1:]: v for k, v in dict(globals()).items() if k.startswith("_") and not k.startswith("__") and callable(v)}


def main():
    if sys.argv[1] == "--mutate":
        name, src_path, out_path = sys.argv[2:]
        cfg = yaml.safe_load(open(src_path))
        MUTATIONS[name](cfg)
        yaml.safe_dump(cfg, open(out_path, "w"), sort_keys=False)
        return
    src_path, resolved_path, image, *sentinels = sys.argv[1:]
    text = open(src_path).read()
    for s in sentinels:
        if s in text:
            problem(f"source: the test's password {s!r} is in the file")
    check_source(yaml.safe_load(text))
    check_resolved(yaml.safe_load(open(resolved_path)), image, sentinels)
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print("compose: ok")


main()
