"""Must show 3: the example plugin, installed with pip into a fresh virtual environment, is found by its entry
points and used by ``serve`` (over HTTP) and by the unzipped Lambda bundle built from that environment.

The fresh environment has no pip and no packages of its own: the project and its dependencies come from the
test environment through a ``.pth`` (installing them again would take minutes); the example is installed into
it by pip (``--no-deps --no-build-isolation``: seconds, no network), from a copy so no build files land in the
repository. The test environment never has the example installed, so finding it proves the fresh install is
what is used.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRETS, elevenlabs_post_call, load_payload, sign_elevenlabs
from tests.experiments.helpers import write_config
from tests.http.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "processors"
AGENT = "elevenlabs_customer_support"
CARD = "4242 4242 4242 4242"
PROCESSORS = {"post_call": ["appointments", "redact_card_numbers"], "pre_call": ["appointments"]}
SUMMARY = f"Dana paid the invoice with card {CARD} and rescheduled her cleaning to Thursday the 29th at 2:30 PM."
TURNS = (f"My card number is {CARD}.", "Can we move the cleaning to Thursday the 29th at 2:30 PM?")


@dataclass(frozen=True)
class Fresh:
    python: Path
    site: Path


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Fresh:
    root = tmp_path_factory.mktemp("fresh-venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    source = shutil.copytree(EXAMPLE, root / "example-src", ignore=shutil.ignore_patterns("build", "*.egg-info"))
    (site / "_agentic_memory_dev.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n"
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            str(source),
        ],
        check=True,
        capture_output=True,
        cwd=root,
    )
    return Fresh(python, site)


def test_the_example_is_installed_in_the_fresh_environment_only(fresh: Fresh) -> None:
    probe = (
        "import example_processors, importlib.metadata as m; print(example_processors.__file__); "
        "print(sorted(e.name for e in m.entry_points(group='agentic_memory.processors')))"
    )
    shown = subprocess.run([fresh.python, "-c", probe], capture_output=True, text=True, check=True, cwd="/").stdout
    origin, names = shown.splitlines()
    assert origin.startswith(str(fresh.site))
    assert names == "['appointments', 'redact_card_numbers']"
    here = subprocess.run(
        [
            sys.executable,
            "-c",
            "import importlib.metadata as m; print(len(list(m.entry_points(group='agentic_memory.processors'))))",
        ],
        capture_output=True,
        text=True,
        cwd="/",
        check=True,
    )
    assert here.stdout.strip() == "0"


def _start(fresh: Fresh, tmp_path: Path, config: Path, attempt: int) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in TEST_SECRETS and k != "AGENT_TYPE"} | TEST_SECRETS
    env["FUNCTION_SIGNATURE_TYPE"] = "cloudevent"  # as functions-framework leaves it after an in-process worker test
    command = [str(fresh.python), "-c", "from functions.cli import main; main()", "serve", "--port", str(port)]
    command += ["-a", AGENT, "--config", str(config), "--data-dir", str(tmp_path / "data"), "--threads", "4"]
    log = tmp_path / f"serve-{attempt}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    return process, f"http://127.0.0.1:{port}", log


def _ours(url: str) -> bool | None:
    """True once our serve answers; False if something else holds the port; None while nothing answers."""
    try:
        answer = httpx.get(f"{url}/healthz", timeout=10)
    except httpx.TransportError:
        return None
    try:
        if answer.status_code == 200 and answer.json().get("agent_type") == AGENT:
            return True
    except ValueError:
        pass
    print(f"healthz answered {answer.status_code}: {answer.text[:300]!r}")
    return False


@pytest.fixture
def served(fresh: Fresh, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``serve`` from the fresh environment. The port is chosen, then bound seconds later (start-up): on a machine
    where other test runs start servers too, another process can take it in between; then start again elsewhere."""
    config = write_config(tmp_path, processors=PROCESSORS)
    started: list[subprocess.Popen[bytes]] = []
    try:
        for attempt in range(3):
            process, url, log = _start(fresh, tmp_path, config, attempt)
            started.append(process)
            deadline = time.monotonic() + 90  # the machine may be busy: start-up imports through the .pth
            while (state := _ours(url)) is None and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            if state:
                yield url, log
                return
            print(f"serve attempt {attempt}: port taken or no answer:\n{log.read_text()[-2000:]}")
            os.killpg(process.pid, signal.SIGTERM)
        raise AssertionError("serve did not start on three ports")
    finally:
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=10)


def test_serve_from_the_fresh_environment_redacts_and_extracts(served: tuple[str, Path]) -> None:
    url, log = served
    event = elevenlabs_post_call(conversation_id="conv-fresh-venv", summary=SUMMARY, user_turns=TURNS)
    body = json.dumps(event).encode()
    admin = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}
    with httpx.Client(base_url=url, timeout=10) as client:
        posted = client.post("/post-call", content=body, headers={"ElevenLabs-Signature": sign_elevenlabs(body)})
        assert posted.status_code == 200, f"{posted.status_code} {posted.text}\n{log.read_text()[-3000:]}"
        assert posted.json() == {"status": "queued"}
        deadline = time.monotonic() + 20
        while not (listed := client.get("/admin/users/+15555550123/memories", headers=admin).json()["memories"]):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        request = {**load_payload("elevenlabs_client_data_request"), "caller_id": "+15555550123"}
        variables = client.post(
            "/client-data", json=request, headers={"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
        ).json()
    texts = [memory["text"] for memory in listed]
    assert not any("4242 4242" in text or "4242424242424242" in text for text in texts)
    assert any("[card ending 4242]" in text for text in texts)
    [appointment] = [text.removeprefix("Appointment: ") for text in texts if text.startswith("Appointment: ")]
    assert appointment == "2026-01-29T14:30:00-05:00"  # the platform's own extraction wins over the summary
    assert variables["dynamic_variables"]["next_appointment"] == appointment


def test_the_unzipped_lambda_bundle_built_from_the_fresh_environment_runs_the_plugin(
    fresh: Fresh, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from tests.functions.lambda_events import AGENT_TYPE, load_event, post_call_event, pre_call_event
    from tests.functions.test_bundle_serves import Unzipped, lambda_environ, python312, response_body, run_lambda

    python312()  # skips without the Lambda runtime's Python
    from infra.bundle import build_bundle, unzip

    cache = getattr(request.config, "cache", None)
    layer_cache = Path(cache.mkdir("agentic-memory-layer")) if cache else tmp_path / "layer-cache"
    built = subprocess.run(
        [
            fresh.python,
            "-c",
            "import sys; from pathlib import Path; from infra.bundle import build_layer; "
            "print(build_layer(Path(sys.argv[1])))",
            str(layer_cache),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    layer_zip = Path(built.stdout.strip())
    assert "-plugins-" in layer_zip.name
    code = build_bundle(tmp_path / "dist", repo_root=REPO)
    unzipped = Unzipped(unzip(code.code_zip, tmp_path / "var-task"), unzip(layer_zip, tmp_path / "opt"), layer_zip)
    assert (unzipped.opt / "python" / "example_processors" / "redactor.py").is_file()
    assert (
        unzipped.opt / "python" / "agentic_memory_example_processors-0.1.0.dist-info" / "entry_points.txt"
    ).is_file()

    config = write_config(tmp_path, processors=PROCESSORS)
    post = json.loads((REPO / "tests/functions/events/elevenlabs_post_call.json").read_text())
    post["data"]["analysis"]["transcript_summary"] = SUMMARY
    post["data"]["transcript"].append({"role": "user", "message": TURNS[0], "time_in_call_secs": 30})
    invocations = [
        {"handler": "functions.aws.entry.http_handler", "event": post_call_event(json.dumps(post).encode())},
        {"handler": "functions.aws.entry.worker_handler", "sqs_template": load_event("sqs_batch.json")["Records"][0]},
        {"handler": "functions.aws.entry.http_handler", "event": pre_call_event(template="function_url.json")},
    ]
    environ = {**lambda_environ(tmp_path / "data", unzipped.task), "AGENTIC_MEMORY_CONFIG": str(config)}
    output = run_lambda(unzipped, invocations, environ)
    posted, worker, pre = (item["result"] for item in output["results"])
    assert response_body(posted) == {"status": "queued"} and worker == {"batchItemFailures": []}
    assert response_body(pre)["dynamic_variables"]["next_appointment"] == "Thursday the 29th at 2:30 PM"
    assert any(origin.startswith(str(unzipped.opt / "python" / "example_processors")) for origin in output["origins"])
    with sqlite3.connect(tmp_path / "data" / "memories.db") as db:
        texts = [row[0] for row in db.execute("SELECT text FROM memories WHERE agent_type = ?", (AGENT_TYPE,))]
    assert texts and not any("4242 4242" in text for text in texts)
    assert any("[card ending 4242]" in text for text in texts)
    shutil.rmtree(tmp_path / "opt")
