"""Must show 2: variants compared over HTTP and on the command line, with counts and 95% intervals, from calls
ingested through ``/post-call`` of a running ``serve`` (the variant read from the pre-call answers)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from functions.cli import app
from shared.analytics.intervals import wilson
from shared.providers.base import NO_MATCHING_MEMORIES
from tests.conftest import TEST_SECRETS, elevenlabs_post_call, load_payload, sign_elevenlabs
from tests.experiments.helpers import EXPERIMENT, write_config

AGENT = "elevenlabs_customer_support"
ADMIN = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}
FOUND = json.dumps({"memories": [{"text": "x"}], "count": 1, "result": "- x"})
EMPTY = json.dumps({"memories": [], "count": 0, "result": NO_MATCHING_MEMORIES})


def test_variant_comparison_over_http_and_the_command_line(serve: Any, tmp_path: Path) -> None:
    config = write_config(tmp_path, experiments={"recall": EXPERIMENT})
    served = serve(AGENT, extra_args=["--config", str(config)])
    expected: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"callers": 0, "calls": 0, "returning": 0, "tools": 0, "found": 0, "known": 0, "degraded": 0}
    )
    sent = 0
    with served.client() as client:
        for n in range(20):
            caller = f"+1555555{1000 + n:04d}"
            request = {**load_payload("elevenlabs_client_data_request"), "caller_id": caller}
            answer = client.post(
                "/client-data", json=request, headers={"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
            )
            variables = answer.json()["dynamic_variables"]
            variant = variables["memory_variant"].split(":")[1]
            calls = 1 + n % 3
            figures = expected[variant]
            figures["callers"] += 1
            figures["calls"] += calls
            figures["returning"] += calls >= 2
            for index in range(calls):
                event = elevenlabs_post_call(caller=caller, conversation_id=f"conv-{n}-{index}")
                data = event["data"]
                degraded = n % 5 == 0 and index == 0
                data["conversation_initiation_client_data"]["dynamic_variables"].update(
                    {**variables, "memory_status": "degraded" if degraded else variables["memory_status"]}
                )
                result = FOUND if n % 2 == 0 else EMPTY
                data["transcript"].append(
                    {"role": "agent", "message": None, "tool_results": [{"result_value": result}]}
                )
                figures["tools"] += 1
                figures["found"] += result == FOUND
                figures["known"] += 1
                figures["degraded"] += degraded
                body = json.dumps(event).encode()
                posted = client.post(
                    "/post-call", content=body, headers={"ElevenLabs-Signature": sign_elevenlabs(body)}
                )
                assert posted.status_code == 200 and posted.json() == {"status": "queued"}
                sent += 1

        def report() -> dict[str, Any]:
            answer = client.get("/analytics/agent", params={"by": "variant", "days": 7}, headers=ADMIN)
            assert answer.status_code == 200, answer.text
            result: dict[str, Any] = answer.json()
            return result

        served.wait_for(lambda: sum(v["calls"] for v in report()["experiments"][0]["variants"]) == sent, timeout=30)
        over_http = report()
        assert client.get("/analytics/agent", params={"by": "caller"}, headers=ADMIN).status_code == 400
        assert client.get("/analytics/agent", params={"by": "variant"}).status_code == 401

    [experiment] = over_http["experiments"]
    assert (experiment["experiment"], experiment["baseline"]) == ("recall", "control")
    assert [v["variant"] for v in experiment["variants"]] == ["control", "long"]
    assert set(expected) == {"control", "long"}
    for shown in experiment["variants"]:
        mine = expected[shown["variant"]]
        assert (shown["callers"], shown["calls"]) == (mine["callers"], mine["calls"])
        assert shown["calls_per_caller"]["value"] == round(mine["calls"] / mine["callers"], 4)
        for metric, count, of in (
            ("returning_caller_rate", mine["returning"], mine["callers"]),
            ("tool_calls_found", mine["found"], mine["tools"]),
            ("degraded_pre_calls", mine["degraded"], mine["known"]),
        ):
            figure = shown[metric]
            assert (figure["count"], figure["of"]) == (count, of)
            low, high = wilson(count, of)
            assert (figure["low"], figure["high"]) == (round(low, 4), round(high, 4))
    assert {row["metric"] for row in experiment["comparisons"]} == {
        "calls_per_caller",
        "returning_caller_rate",
        "tool_calls_found",
        "degraded_pre_calls",
    }
    for row in experiment["comparisons"]:  # each verdict follows its interval, and says so in words
        assert row["meaningful"] == (row["low"] > 0 or row["high"] < 0)
        assert ("not yet meaningful" in row["statement"]) != row["meaningful"]

    options = [
        "--by",
        "variant",
        "--days",
        "7",
        "-a",
        AGENT,
        "--config",
        str(config),
        "--data-dir",
        str(served.data_dir),
    ]
    runner = CliRunner()
    as_json = runner.invoke(app, ["analytics", "agent", *options, "--json"], env={"AGENTIC_MEMORY_DATA_DIR": ""})
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output) == over_http
    table = runner.invoke(app, ["analytics", "agent", *options], env={"COLUMNS": "200", "AGENTIC_MEMORY_DATA_DIR": ""})
    assert table.exit_code == 0, table.output
    control = next(v for v in experiment["variants"] if v["variant"] == "control")
    rate = control["returning_caller_rate"]
    assert (
        f"{rate['value']:.1%} ({rate['count']}/{rate['of']}; 95% {rate['low']:.1%}-{rate['high']:.1%})" in table.output
    )
    assert experiment["comparisons"][0]["statement"] in " ".join(table.output.split())
    assert "control (baseline)" in table.output
