"""The unzipped bundle serves a signed post-call and then a pre-call: under Python 3.12 as Lambda would run it
(code in /var/task, the layer in /opt/python, nothing else on ``sys.path``), and under functions-framework; and the
memory console, in a real browser, from the same bundle (issue 16, Must show 2).

Without a cloud, the entry points use their local ports (``ARCHIVE_BUCKET`` and the queue unset: files and
SQLite under ``AGENTIC_MEMORY_DATA_DIR``) and secrets from the environment (``SECRET_ARN`` unset).
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.bundle import build_bundle, unzip
from shared.ingest.local import SqliteQueue
from tests.functions.lambda_events import (
    AGENT_TYPE,
    SECRET_VALUES,
    http_event,
    load_event,
    post_call_body,
    post_call_event,
    pre_call_body,
    pre_call_event,
    sign,
)

DRIVER = Path(__file__).with_name("lambda_driver.py")
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Unzipped:
    task: Path  # Lambda's /var/task: the code zip
    opt: Path  # Lambda's /opt: the layer zip (python/ inside)
    layer_zip: Path


def python312() -> Path:
    try:
        prefix = subprocess.run(["pyenv", "prefix", "3.12"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("Python 3.12 (the Lambda runtime's) is not installed: pyenv prefix 3.12 failed")
    return Path(prefix) / "bin" / "python3.12"


@pytest.fixture(scope="session")
def unzipped(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Unzipped:
    """Build once per session; the layer is cached across sessions (named by its inputs' hash) in pytest's cache."""
    cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    layer_cache = Path(cache.mkdir("agentic-memory-layer")) if cache else tmp_path_factory.mktemp("layer-cache")
    out = tmp_path_factory.mktemp("dist")
    built = build_bundle(out, repo_root=REPO)
    from infra.bundle import build_layer

    layer_zip = build_layer(layer_cache)
    root = tmp_path_factory.mktemp("unzipped")
    return Unzipped(unzip(built.code_zip, root / "var-task"), unzip(layer_zip, root / "opt"), layer_zip)


def lambda_environ(data_dir: Path, task: Path) -> dict[str, str]:
    """What the stack sets, minus the cloud ports; plus what Lambda itself sets."""
    return {
        "AGENT_TYPE": AGENT_TYPE,
        "MEMORY_BACKEND": "sqlite",
        "AGENTIC_MEMORY_DATA_DIR": str(data_dir),
        "MEM0_DIR": str(data_dir / ".mem0"),
        "MEM0_TELEMETRY": "False",
        "LAMBDA_TASK_ROOT": str(task),
        "PATH": "/usr/bin:/bin",
        **SECRET_VALUES,
    }


def run_lambda(unzipped: Unzipped, invocations: list[dict[str, Any]], environ: dict[str, str]) -> dict[str, Any]:
    command = [str(python312()), "-I", "-S", str(DRIVER), str(unzipped.task), str(unzipped.opt / "python")]
    stdin = json.dumps(invocations)
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, env=environ, cwd="/", timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    output: dict[str, Any] = json.loads(done.stdout)
    return output


def response_body(result: dict[str, Any]) -> Any:
    raw = base64.b64decode(result["body"]) if result["isBase64Encoded"] else result["body"]
    return json.loads(raw)


def test_lambda_python312_serves_post_call_then_pre_call_from_the_unzipped_bundle(
    unzipped: Unzipped, tmp_path: Path
) -> None:
    invocations = [
        {"handler": "functions.aws.entry.http_handler", "event": pre_call_event(template="function_url.json")},
        {"handler": "functions.aws.entry.http_handler", "event": post_call_event(base64_body=True)},
        {"handler": "functions.aws.entry.worker_handler", "sqs_template": load_event("sqs_batch.json")["Records"][0]},
        {"handler": "functions.aws.entry.http_handler", "event": pre_call_event(template="function_url.json")},
        {"handler": "functions.aws.entry.sweeper_handler", "event": load_event("eventbridge_schedule.json")},
    ]
    output = run_lambda(unzipped, invocations, lambda_environ(tmp_path / "data", unzipped.task))
    first, post, worker, pre, sweep = (item["result"] for item in output["results"])

    assert first["statusCode"] == 200
    assert response_body(first)["dynamic_variables"]["returning_caller"] != "yes"
    assert post["statusCode"] == 200 and response_body(post) == {"status": "queued"}
    assert output["results"][2]["records"] == 1 and worker == {"batchItemFailures": []}
    assert pre["statusCode"] == 200
    variables = response_body(pre)["dynamic_variables"]
    assert (variables["returning_caller"], variables["caller_name"]) == ("yes", "Dana")
    assert sweep["memories"] == 0 and all(isinstance(n, int) for n in sweep.values())

    # Nothing came from anywhere but the task dir, the layer and the standard library.
    allowed = (str(unzipped.task), str(unzipped.opt / "python"), *output["stdlib"])
    outside = [origin for origin in output["origins"] if not origin.startswith(allowed)]
    assert outside == []
    assert not any("site-packages" in entry for entry in output["sys_path"])


def test_layer_is_reproducible_carries_bytecode_and_stays_small(unzipped: Unzipped, tmp_path: Path) -> None:
    """A fresh build equals the cached one (built in an earlier run or earlier in this session)."""
    from infra.bundle import build_layer

    fresh = build_layer(tmp_path / "fresh")
    assert fresh.name == unzipped.layer_zip.name
    assert fresh.read_bytes() == unzipped.layer_zip.read_bytes()
    names = zipfile.ZipFile(fresh).namelist()
    assert all(name.startswith("python/") for name in names)
    assert "python/pydantic_core/__pycache__/__init__.cpython-312.pyc" in names
    assert not any(name.startswith(("python/boto3/", "python/botocore/", "python/bin/")) for name in names)
    unzipped_bytes = sum(info.file_size for info in zipfile.ZipFile(fresh).infolist())
    print(f"layer: {fresh.stat().st_size:,} bytes zipped, {unzipped_bytes:,} unzipped")
    assert unzipped_bytes < 40 * 1024 * 1024


def test_lambda_cold_path_imports_nothing_heavy(unzipped: Unzipped, tmp_path: Path) -> None:
    invocations = [
        {"handler": "functions.aws.entry.http_handler", "event": pre_call_event(template="function_url.json")}
    ]
    output = run_lambda(unzipped, invocations, lambda_environ(tmp_path / "data", unzipped.task))
    heavy = ("mem0", "boto3", "botocore", "google", "pulumi", "typer", "rich", "flask", "functions_framework")
    loaded = [o for o in output["origins"] if any(f"/{name}/" in o or f"/{name}." in o for name in heavy)]
    assert loaded == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def framework(unzipped: Unzipped, tmp_path: Path) -> Iterator[Any]:
    """Starts ``functions-framework --source main.py --target T`` in the unzipped code dir; stops what it started."""
    executable = shutil.which("functions-framework", path=str(Path(sys.executable).parent))
    if executable is None:
        pytest.skip("functions-framework is not installed")
    started: list[subprocess.Popen[bytes]] = []
    environ = {**lambda_environ(tmp_path / "data", unzipped.task), "HOME": str(tmp_path)}
    environ.pop("LAMBDA_TASK_ROOT")

    def start(target: str, signature: str = "http") -> str:
        port = free_port()
        log = tmp_path / f"functions-framework-{target}.log"
        command = [executable, "--source", "main.py", "--target", target, "--signature-type", signature]
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [*command, "--host", "127.0.0.1", "--port", str(port)],
                cwd=unzipped.task,
                env={**environ, "PATH": f"{Path(executable).parent}:/usr/bin:/bin"},
                stdout=subprocess.DEVNULL,
                stderr=sink,
            )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(log.read_text()[-3000:])
            try:
                httpx.get(url, timeout=1.0)
                return url
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"functions-framework --target {target} did not start: {log.read_text()[-3000:]}")

    start.data_dir = tmp_path / "data"  # type: ignore[attr-defined]
    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def deliver_pending(framework: Any, worker: str) -> dict[str, str]:
    """Hands the one queued event to the worker target as Eventarc delivers a Pub/Sub message; returns the message."""
    [key] = SqliteQueue(framework.data_dir / "queue.db").keys("pending")
    message = {"data": base64.b64encode(json.dumps({"key": key}).encode()).decode(), "messageId": "1"}
    delivered = httpx.post(
        worker,
        json={"message": message, "subscription": "projects/p/subscriptions/s"},
        headers={
            "ce-specversion": "1.0",
            "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
            "ce-source": "//pubsub.googleapis.com/projects/p/topics/t",
            "ce-id": "1",
        },
    )
    assert delivered.status_code == 200, delivered.text
    return message


def test_functions_framework_serves_the_same_requests_from_the_unzipped_bundle(
    framework: Any, unzipped: Unzipped
) -> None:
    # functions-framework appends the source dir to sys.path; the repo's editable install must not win.
    code = f"import sys; sys.path.append({str(unzipped.task)!r}); import functions.gcp.entry as g; print(g.__file__)"
    probe = subprocess.run([sys.executable, "-c", code], cwd="/", capture_output=True, text=True, check=True)
    assert probe.stdout.strip().startswith(str(unzipped.task))

    http = framework("http")
    worker = framework("worker", "cloudevent")
    body = post_call_body()
    headers = {"ElevenLabs-Signature": sign(body), "Content-Type": "application/json"}
    posted = httpx.post(f"{http}/post-call", content=body, headers=headers)
    assert posted.status_code == 200 and posted.json() == {"status": "queued"}

    message = deliver_pending(framework, worker)
    # A push subscription straight to the function (no Eventarc) posts the raw Pub/Sub envelope; a redelivery.
    pushed = httpx.post(worker, json={"message": message, "subscription": "projects/p/subscriptions/push"})
    assert pushed.status_code == 200, pushed.text

    pre = httpx.post(
        f"{http}/client-data",
        content=pre_call_body(),
        headers={"X-Workspace-Key": SECRET_VALUES["ELEVENLABS_WORKSPACE_KEY"], "Content-Type": "application/json"},
    )
    assert pre.status_code == 200
    variables = pre.json()["dynamic_variables"]
    assert (variables["returning_caller"], variables["caller_name"]) == ("yes", "Dana")
    assert httpx.get(f"{http}/healthz").status_code == 200
    swept = httpx.post(framework("sweeper"))  # what Cloud Scheduler calls
    assert swept.status_code == 200 and swept.json()["memories"] == 0


def test_the_console_in_a_browser_from_the_unzipped_bundle_under_functions_framework(
    framework: Any, browser_context: Any
) -> None:
    from tests.console.pages import Console

    http = framework("http")
    body = post_call_body()
    posted = httpx.post(f"{http}/post-call", content=body, headers={"ElevenLabs-Signature": sign(body)})
    assert posted.status_code == 200
    deliver_pending(framework, framework("worker", "cloudevent"))

    console = Console(browser_context, http).open()
    assert console.page.url == f"{http}/console/index.html"
    console.sign_in(SECRET_VALUES["ADMIN_API_KEY"])
    console.signed_in()
    console.look_up("555.555.0123")
    workspace = {"X-Workspace-Key": SECRET_VALUES["ELEVENLABS_WORKSPACE_KEY"], "Content-Type": "application/json"}
    pre = httpx.post(f"{http}/client-data", content=pre_call_body(), headers=workspace)
    assert console.preview() == pre.json() and pre.json()["dynamic_variables"]["caller_name"] == "Dana"
    console.go("analytics")
    admin = {"X-Admin-Key": SECRET_VALUES["ADMIN_API_KEY"]}
    report = httpx.get(f"{http}/analytics/agent", params={"days": "30"}, headers=admin).json()
    chart = console.analytics_chart()
    assert chart["bars"] == 30 and chart["total"] == report["calls"] and report["total_callers"] == 1


def test_lambda_serves_the_console_from_the_unzipped_bundle(unzipped: Unzipped, tmp_path: Path) -> None:
    invocations = [
        {
            "handler": "functions.aws.entry.http_handler",
            "event": http_event("GET", path, {}, template="function_url.json"),
        }
        for path in ("/console", "/console/", "/console/console.js")
    ]
    output = run_lambda(unzipped, invocations, lambda_environ(tmp_path / "data", unzipped.task))
    moved, page, script = (item["result"] for item in output["results"])
    assert moved["statusCode"] == 308 and moved["headers"]["location"] == "console/index.html"
    shipped = unzipped.task / "shared" / "console" / "static"
    assert page["statusCode"] == 200 and page["body"] == (shipped / "index.html").read_text()
    assert script["headers"]["content-type"].startswith("text/javascript")
    assert "script-src 'self'" in page["headers"]["content-security-policy"]
