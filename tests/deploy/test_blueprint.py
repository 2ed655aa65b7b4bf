"""render.yaml against the code: start commands equal stack.service_commands, env vars exist, wiring resolves."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from screanalytics_dagster.deploy.commands import CODE_LOCATION, REPO, service_commands
from screanalytics_dagster.settings import Settings

pytestmark = pytest.mark.unit

BLUEPRINT = yaml.safe_load((REPO / "render.yaml").read_text())
SERVICES = {service["name"]: service for service in BLUEPRINT["services"]}
GROUPS = {group["name"]: group["envVars"] for group in BLUEPRINT.get("envVarGroups", [])}
DATABASES = {database["name"] for database in BLUEPRINT.get("databases", [])}

PORT = 10000  # Render's default $PORT for web services
TEST_ENV = {"WORKER_CONCURRENCY": "1"}  # values for the variables the start commands use
PREFIX = "screanalytics dagster-home"  # prepares $DAGSTER_HOME on the machine before each Dagster process
COMMAND_KEYS = {  # service -> its entry in stack.service_commands
    "screanalytics-code": "code_server",
    "screanalytics-api": "api",
    "screanalytics-dagster": "webserver",
    "screanalytics-daemon": "daemon",
    "screanalytics-worker": "worker",
    "screanalytics-ui": "ui",
}
DAGSTER_SERVICES = ["screanalytics-api", "screanalytics-code", "screanalytics-dagster", "screanalytics-daemon", "screanalytics-worker"]
SETTINGS_VARS = {name.upper() for name in Settings.model_fields}
EXTERNAL_VARS = {"DAGSTER_HOME", "PORT", "WORKER_CONCURRENCY", "API_BASE", "PYTHON_VERSION", "CODE_SERVER_HOST", "CODE_SERVER_PORT"}  # and AWS_*
SECRETS = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def env_entries(service: dict) -> list[dict]:
    """The service's env var entries, those of its groups included."""
    entries = []
    for entry in service.get("envVars", []):
        entries.extend(GROUPS[entry["fromGroup"]] if "fromGroup" in entry else [entry])
    return entries


def env_keys(service: dict) -> set[str]:
    return {entry["key"] for entry in env_entries(service)}


def commands(service: dict) -> list[str]:
    return [service[field] for field in ("buildCommand", "preDeployCommand", "startCommand") if field in service]


def substitute(command: str, env: dict[str, str]) -> str:
    """$PORT / ${PORT} as a number, every other $VAR / ${VAR} from env."""
    values = {"PORT": str(PORT), **env}

    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            pytest.fail(f"no test value for ${name} in {command!r}: add it to TEST_ENV")
        return values[name]

    return VARIABLE.sub(value, command)


def missing_modules(argv: list[str]) -> list[str]:
    """Files a command names (a script path, or a module:attribute) that are not in the repo."""
    missing = []
    for arg in argv:
        if arg.endswith(".py"):
            paths = [REPO / arg]
        elif re.fullmatch(r"[\w.]+:\w+", arg):
            module = Path(*arg.split(":")[0].split("."))
            paths = [REPO / module.with_suffix(".py"), REPO / module / "__init__.py"]
        else:
            continue
        if not any(path.is_file() for path in paths):
            missing.append(arg)
    return missing


def with_start_command() -> list[str]:
    return [name for name, service in SERVICES.items() if "startCommand" in service]


@pytest.mark.parametrize("name", with_start_command())
def test_start_command_is_the_command_of_stack_service_commands(name):
    parts = [part.strip() for part in SERVICES[name]["startCommand"].split("&&")]
    argv = shlex.split(substitute(parts[-1], TEST_ENV))
    if missing := missing_modules(argv):
        pytest.skip(f"{name}: {', '.join(missing)} is not in the repo yet, so its command cannot be checked")
    expected = service_commands(host="0.0.0.0", code_server_port=PORT, dagster_port=PORT, api_port=PORT, worker_concurrency=1, ui_port=PORT)
    key = COMMAND_KEYS.get(name)
    assert key in expected, f"{name} runs {argv}, but stack.service_commands has no entry {key!r} for it"
    assert argv == expected[key], (
        f"render.yaml and stack.service_commands disagree on {name}:\n"
        f"  render.yaml:      {shlex.join(argv)}\n"
        f"  service_commands: {shlex.join(expected[key])}"
    )
    assert parts[:-1] == ([PREFIX] if name in DAGSTER_SERVICES else []), f"{name} must start with `{PREFIX} && `"


def test_every_service_of_the_local_stack_is_in_the_blueprint():
    assert set(COMMAND_KEYS) <= set(with_start_command())
    assert set(COMMAND_KEYS.values()) == set(service_commands("0.0.0.0", PORT, PORT, PORT, 1, PORT))


@pytest.mark.parametrize("name", SERVICES)
def test_env_vars_are_settings_or_known_externals(name):
    service = SERVICES[name]
    used = env_keys(service) | {a or b for command in commands(service) for a, b in VARIABLE.findall(command)}
    unknown = {key for key in used if key not in SETTINGS_VARS | EXTERNAL_VARS and not key.startswith("AWS_")}
    assert not unknown, f"{name} uses {sorted(unknown)}: neither a Settings field nor a known external variable"


@pytest.mark.parametrize("name", with_start_command())
def test_variables_in_commands_are_set_on_the_service(name):
    service = SERVICES[name]
    provided = env_keys(service) | ({"PORT"} if service["type"] == "web" else set())  # Render sets PORT on web services
    used = {a or b for command in commands(service) for a, b in VARIABLE.findall(command)}
    assert used <= provided, f"{name} uses {sorted(used - provided)} without setting it"


@pytest.mark.parametrize("name", DAGSTER_SERVICES)
def test_dagster_services_share_the_instance_broker_and_storage(name):
    entries = {entry["key"]: entry for entry in env_entries(SERVICES[name])}
    assert entries["REDIS_URL"]["fromService"] == {"type": "keyvalue", "name": "screanalytics-redis", "property": "connectionString"}
    assert entries["DATABASE_URL"]["fromDatabase"] == {"name": "screanalytics-db", "property": "connectionString"}
    assert entries["STORAGE_BACKEND"]["value"] == "s3"
    assert {"S3_BUCKET", "DAGSTER_HOME", "JOB_SOFT_TIME_LIMIT_S", "JOB_TIME_LIMIT_S"} <= set(entries)
    assert Path(entries["DAGSTER_HOME"]["value"]).is_absolute()  # Dagster refuses a relative DAGSTER_HOME


def test_wiring_names_what_the_file_defines():
    for name, service in SERVICES.items():
        for entry in service.get("envVars", []):
            if "fromGroup" in entry:
                assert entry["fromGroup"] in GROUPS, f"{name}: no envVarGroup {entry['fromGroup']!r}"
            if "fromService" in entry:
                target = entry["fromService"]
                assert target["name"] in SERVICES, f"{name}.{entry['key']}: no service {target['name']!r}"
                assert SERVICES[target["name"]]["type"] == target["type"], f"{name}.{entry['key']}: wrong type"
            if "fromDatabase" in entry:
                assert entry["fromDatabase"]["name"] in DATABASES, f"{name}.{entry['key']}: no database"


@pytest.mark.parametrize(
    ("service", "variable", "target", "prop"),
    [
        ("screanalytics-api", "DAGSTER_WEBSERVER_URL", "screanalytics-dagster", "hostport"),
        ("screanalytics-ui", "API_BASE", "screanalytics-api", "hostport"),
        ("screanalytics-dagster", "CODE_SERVER_HOST", "screanalytics-code", "host"),
        ("screanalytics-dagster", "CODE_SERVER_PORT", "screanalytics-code", "port"),
        ("screanalytics-daemon", "CODE_SERVER_HOST", "screanalytics-code", "host"),
        ("screanalytics-daemon", "CODE_SERVER_PORT", "screanalytics-code", "port"),
    ],
)

def test_private_network_addresses(service, variable, target, prop):
    entry = next(entry for entry in env_entries(SERVICES[service]) if entry["key"] == variable)
    assert (entry["fromService"]["name"], entry["fromService"]["property"]) == (target, prop)


def test_a_bare_host_port_webserver_url_is_plain_http():
    assert Settings(dagster_webserver_url="screanalytics-dagster-x1y2:10000").dagster_webserver_url == "http://screanalytics-dagster-x1y2:10000"
    assert Settings(dagster_webserver_url="https://dagster.example.com").dagster_webserver_url == "https://dagster.example.com"


def test_secrets_are_never_in_the_file():
    entries = [entry for service in SERVICES.values() for entry in service.get("envVars", [])]
    entries += [entry for group in GROUPS.values() for entry in group]
    for entry in entries:
        if entry.get("key") in SECRETS or re.search(r"SECRET|PASSWORD|TOKEN", entry.get("key", "")):
            assert entry.get("sync") is False and "value" not in entry, f"{entry['key']} must be `sync: false`"
    assert SECRETS <= {entry.get("key") for entry in entries}


@pytest.mark.parametrize(("field", "value"), [("type", "keyvalue"), ("maxmemoryPolicy", "noeviction"), ("ipAllowList", [])])
def test_key_value_is_a_queue_on_the_private_network(field, value):
    assert SERVICES["screanalytics-redis"][field] == value


def test_the_code_server_is_private_and_named_by_the_workspace():
    assert SERVICES["screanalytics-code"]["type"] == "pserv"
    grpc_server = yaml.safe_load((REPO / "workspace.yaml").read_text())["load_from"][0]["grpc_server"]
    assert grpc_server == {"host": {"env": "CODE_SERVER_HOST"}, "port": {"env": "CODE_SERVER_PORT"}, "location_name": CODE_LOCATION}


def test_health_checks():
    assert SERVICES["screanalytics-api"]["healthCheckPath"] == "/healthz"
    assert SERVICES["screanalytics-dagster"]["healthCheckPath"] == "/server_info"


def test_the_dagster_service_creates_the_instance_tables_before_it_starts():
    assert SERVICES["screanalytics-dagster"]["preDeployCommand"] == PREFIX


@pytest.mark.parametrize("name", [name for name, service in SERVICES.items() if service.get("runtime") == "python"])
def test_builds_use_the_install_script_of_the_makefile(name):
    build = shlex.split(SERVICES[name]["buildCommand"])
    assert build[:3] == ["sh", "scripts/install.sh", "python"], f"{name} must build with `sh scripts/install.sh python ...`"
    assert "-e" in build, f"{name}: the install must be editable (the package reads dagster.yaml from the checkout)"
    assert "scripts/install.sh" in (REPO / "Makefile").read_text()
    assert (REPO / "scripts" / "install.sh").is_file()
