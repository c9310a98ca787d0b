"""docker-compose.yml, infra/setup.sh and infra/Dockerfile agree with the services: commands
their command lines accept, ports and environment names their settings have, the keys each
service reads made by the setup. So the deployment files cannot rot unnoticed."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from tests.deploy.services import API_KEYS, ROOT, SETTINGS, SHARED_ENVIRONMENT, parses, setting_of


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_every_service_runs_a_command_its_command_line_accepts():
    services = compose()
    seen = set()
    for name, service in services.items():
        command = service.get("command")
        if name in ("postgres", "setup"):
            continue
        seen.add(parses(command))
        assert name.startswith(command[0].removeprefix("cx-")), (name, command)
    assert seen == set(SETTINGS)
    relays = {n for n, s in services.items() if s.get("command", [""])[-1] == "relay"}
    assert relays == {"journey-relay", "feedback-relay", "metrics-relay"}
    assert all(services[n]["deploy"]["replicas"] >= 2 for n in relays)


def test_ports_are_the_services_own_and_environment_names_are_settings():
    for name, service in compose().items():
        if name == "postgres":
            continue
        environment = service.get("environment", {})
        for variable in environment:
            if variable in SHARED_ENVIRONMENT:
                continue
            owner, _ = setting_of(variable)
            if name != "setup":
                assert name.startswith(owner), f"{name} sets {variable}"
        if "ports" in service:
            owner = service["command"][0].removeprefix("cx-")
            [mapping] = service["ports"]
            assert int(mapping.split(":")[-1]) == SETTINGS[owner]().port
            assert "--port" not in service["command"]
        if name in ("journey", "feedback", "metrics"):
            # Producers run their relays as processes of their own.
            relay_setting = f"{name.upper()}_RELAY_IN_PROCESS"
            assert environment.get(relay_setting) == "false"


def test_setup_migrates_everything_and_makes_every_key_a_service_reads():
    script = (ROOT / "infra" / "setup.sh").read_text().replace("\\\n", " ")
    # Shell defaults (${CX_ADMIN_EMAIL:-admin@example.com}) read as their default, and each
    # `for service in …; do …; done` as its body once per service.
    script = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", script)
    script = re.sub(
        r"for service in ([\w ]+); do(.*?)done",
        lambda m: "\n".join(
            re.sub(r"\$\{?service\}?", name, m.group(2)) for name in m.group(1).split()
        ),
        script,
        flags=re.S,
    )
    commands = [
        shlex.split(line.strip().rstrip(";").replace('"', ""))
        for line in script.splitlines()
        if line.strip().startswith("cx-")
    ]
    written = set()
    for command in commands:
        parses(command)
        if "--file" in command:
            written.add(Path(command[command.index("--file") + 1]).name)
    migrated = {c[0].removeprefix("cx-") for c in commands if c[1:2] == ["migrate"]}
    assert migrated == set(SETTINGS)
    assert written == API_KEYS
    for key in written:
        setting_of(key.upper())


def test_the_image_is_built_from_the_lock_with_the_makefiles_uv():
    dockerfile = (ROOT / "infra" / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    uv = re.search(r"UV_VERSION := (\S+)", makefile).group(1)
    assert f"uv=={uv}" in dockerfile
    assert "uv sync --frozen" in dockerfile
    assert "USER cxloop" in dockerfile
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.M):
        for path in source.split():
            assert (ROOT / path).exists(), path


def test_every_key_setup_writes_is_read_from_the_key_directory(tmp_path):
    # As the containers read them: files in CX_SECRETS_DIR, the directory fixed when the
    # settings are imported, hence in a process of its own. A feedback relay that read no key
    # was refused by metrics (401) although setup had written it.
    for key in API_KEYS:
        (tmp_path / key).write_text(f"cxk_{key}\n")
    program = (
        "from tests.deploy.services import API_KEYS, SETTINGS, setting_of\n"
        "for key in sorted(API_KEYS):\n"
        "    service, field = setting_of(key.upper())\n"
        "    value = getattr(SETTINGS[service](), field)\n"
        "    print(key, value.get_secret_value() if value else None)\n"
    )
    environment = {**os.environ, "CX_SECRETS_DIR": str(tmp_path)}
    printed = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed.splitlines() == [f"{key} cxk_{key}" for key in sorted(API_KEYS)]


def test_every_cxloop_container_runs_read_only_without_capabilities():
    # `make docker-test` runs them so (docs/deploy.md); this keeps a new service from
    # leaving out the shared settings.
    for name, service in compose().items():
        if name == "postgres":
            continue
        assert service["image"] == "cxloop:latest", name
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert service["tmpfs"] == ["/tmp"], name
