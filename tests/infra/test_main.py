"""The program run as Pulumi runs it: ``infra/__main__.py`` with cwd = infra/, under Pulumi's mocks; a bad stack
config stops it before any resource."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime.settings import get_root_resource

from infra.spec import DASHBOARD_URLS
from shared.errors import ConfigError
from tests.infra.conftest import PROJECT, TEST_SECRET_VALUES, RecordingMocks, after_all

INFRA = Path(__file__).resolve().parents[2] / "infra"
DRIVER = Path(__file__).resolve().parent / "pulumi_main_driver.py"


def _layer(tmp_path: Path) -> Path:
    path = tmp_path / "layer.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("python/placeholder.txt", "layer\n")
    return path


def stack_config(cloud: str, tmp_path: Path, **overrides: str) -> tuple[dict[str, str], list[str]]:
    """A stack file's worth of config, as ``pulumi config set [--secret]`` would leave it."""
    secrets = {"genericApiKey": "GENERIC_API_KEY", "adminApiKey": "ADMIN_API_KEY", "mem0ApiKey": "MEM0_API_KEY"}
    config = {f"{PROJECT}:{key}": TEST_SECRET_VALUES[name] for key, name in secrets.items()}
    config.update({f"{PROJECT}:cloud": cloud, f"{PROJECT}:agentType": "generic_voice_agent"})
    if cloud == "aws":
        config.update({"aws:region": "eu-west-1", f"{PROJECT}:layerZip": str(_layer(tmp_path))})
    else:
        config.update({"gcp:project": "am-test-project", "gcp:region": "europe-west1"})
    config.update({f"{PROJECT}:{key}": value for key, value in overrides.items()})
    return config, [f"{PROJECT}:{key}" for key in secrets]


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
@pulumi.runtime.test
def test_main_exports_the_dashboard_urls(
    cloud: str, use_stack: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> pulumi.Output[None]:
    mocks: RecordingMocks = use_stack("dev", *stack_config(cloud, tmp_path))
    monkeypatch.chdir(INFRA)
    monkeypatch.setattr(sys, "path", list(sys.path))  # __main__ edits sys.path; keep the test process's intact
    runpy.run_path(str(INFRA), run_name="__main__")
    root = get_root_resource()
    assert root is not None

    def check(exports: dict[str, Any]) -> None:
        assert exports["agentType"] == "generic_voice_agent" and exports["cloud"] == cloud
        for key, path in DASHBOARD_URLS.items():
            assert exports[key] == exports["baseUrl"] + path
        assert len(exports["bundleHash"]) == 64
        assert any(resource.typ == f"agentic-memory:{cloud}:MemoryService" for resource in mocks.resources)

    return after_all(dict(root.outputs)).apply(check)


@pytest.mark.parametrize(
    ("overrides", "drop", "named"),
    [
        ({"agentType": "no_such_agent"}, None, "no_such_agent"),
        ({"memoryBackend": "mem0"}, "mem0ApiKey", "mem0ApiKey"),
        ({"memoryBackend": "sqlite"}, None, "sqlite cannot work deployed: .* separate /tmp disks"),
        ({"agentType": "elevenlabs_customer_support"}, None, "elevenlabsWorkspaceKey"),
        ({"memorybackend": "mem0"}, None, "memorybackend is not a key of this program; did you mean .*memoryBackend"),
    ],
)
@pulumi.runtime.test
def test_main_stops_before_any_resource(
    overrides: dict[str, str],
    drop: str | None,
    named: str,
    use_stack: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> pulumi.Output[None]:
    config, secret_keys = stack_config("aws", tmp_path, **overrides)
    if drop:
        del config[f"{PROJECT}:{drop}"]
    mocks: RecordingMocks = use_stack("dev", config, secret_keys)
    monkeypatch.chdir(INFRA)
    monkeypatch.setattr(sys, "path", list(sys.path))
    with pytest.raises(ConfigError, match=named):
        runpy.run_path(str(INFRA), run_name="__main__")
    return pulumi.Output.from_input(list(mocks.resources)).apply(lambda recorded: _none(recorded))


def _none(recorded: list[Any]) -> None:
    assert recorded == []


def test_main_runs_in_a_clean_process_from_infra(tmp_path: Path) -> None:
    """Nothing imported beforehand, the repository not on sys.path, cwd = infra/: exactly Pulumi's situation."""
    config, secret_keys = stack_config("aws", tmp_path, httpEndpoint="url")
    run = tmp_path / "run.json"
    run.write_text(json.dumps({"stack": "clean-process", "config": config, "secret_keys": secret_keys}))
    done = subprocess.run(
        [sys.executable, str(DRIVER), str(run)], cwd=INFRA, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    exports = result["exports"]
    assert exports["preCallUrl"].startswith("https://") and exports["preCallUrl"].endswith("/client-data")
    assert exports["agentType"] == "generic_voice_agent"
    assert "aws:lambda/functionUrl:FunctionUrl" in result["types"]
    assert {"infra.program", "infra.aws", "infra.stack_config"} <= set(result["infra_modules"])
    assert not any(value in done.stdout + done.stderr for value in TEST_SECRET_VALUES.values())


def run_driver(tmp_path: Path, stack: str, config: dict[str, str], secret_keys: list[str]) -> dict[str, Any]:
    """``infra/__main__.py`` in a clean process; a dependency cycle never resolves, so it is bounded by a timeout."""
    run = tmp_path / "run.json"
    run.write_text(json.dumps({"stack": stack, "config": config, "secret_keys": secret_keys}))
    try:
        done = subprocess.run(
            [sys.executable, str(DRIVER), str(run)], cwd=INFRA, capture_output=True, text=True, timeout=60, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the program never finished: a dependency cycle between its resources")
    assert done.returncode == 0, done.stderr[-3000:]
    assert not any(value in done.stdout + done.stderr for value in TEST_SECRET_VALUES.values())
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("endpoint", ["url", "api"])
def test_elevenlabs_wiring_finishes_behind_either_endpoint(tmp_path: Path, endpoint: str) -> None:
    """The webhook needs the endpoint's URL and generates the HMAC key the secret stores: with a Function URL, which
    needs the HTTP function, the HTTP function must not wait for that secret (it reads it when it runs)."""
    config, secret_keys = stack_config("aws", tmp_path, httpEndpoint=endpoint, elevenlabsAgentId="agent_abc")
    del config[f"{PROJECT}:genericApiKey"], config[f"{PROJECT}:mem0ApiKey"]
    config[f"{PROJECT}:agentType"] = "elevenlabs_sales_agent"
    secrets = {
        "elevenlabsApiKey": "leakcheck-elevenlabs-api-key-5e21",
        "elevenlabsWorkspaceKey": TEST_SECRET_VALUES["ELEVENLABS_WORKSPACE_KEY"],
    }
    config.update({f"{PROJECT}:{key}": value for key, value in secrets.items()})
    secret_keys = [f"{PROJECT}:{key}" for key in ("adminApiKey", *secrets)]
    result = run_driver(tmp_path, "wired", config, secret_keys)
    exports = result["exports"]
    assert exports["elevenlabsWired"] == "memory-elevenlabs-wiring_id"
    host = ".lambda-url." if endpoint == "url" else ".execute-api."
    assert host in exports["postCallUrl"] and exports["postCallUrl"].endswith("/post-call")
    assert {"ELEVENLABS_HMAC_KEY", "ELEVENLABS_WORKSPACE_KEY", "ADMIN_API_KEY"} <= set(result["secret_names"])
    assert "ELEVENLABS_API_KEY" not in result["secret_names"]
