"""Vapi and Retell request cost beside ElevenLabs, measured in the same run (ratios, not absolute times).

For each platform's example agent type, on the embedded store with one remembered caller: the pre-call hook, the
tool call and the post-call intake through ``App.handle`` (verification, JSON, provider, service), median of
--runs. Also the signature checks alone against ``json.loads`` of the same body. The pre-call budgets are Vapi
7.5 s and Retell 10 s end to end, so the target is parity: each ratio to ElevenLabs at most 1.5, once the
``json.loads`` of each body (Retell's call objects carry word-level transcripts) is taken out.

    python benchmarks/bench_vapi_retell.py [--runs 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.auth.elevenlabs import ElevenLabsSignature  # noqa: E402
from shared.auth.retell import RetellSignature  # noqa: E402
from shared.http import Request  # noqa: E402
from shared.secrets import Secret  # noqa: E402
from tests.conftest import TEST_SECRETS, elevenlabs_post_call, make_local_runtime, sign_elevenlabs  # noqa: E402
from tests.providers.events import (  # noqa: E402
    VAPI_HEADERS,
    retell_call_analyzed,
    retell_call_inbound,
    retell_function,
    retell_signed,
    vapi_assistant_request,
    vapi_end_of_call,
    vapi_tool_calls,
)

TARGET_RATIO = 1.5
WORKSPACE = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}


def median_ms(action: Callable[[], object], runs: int) -> float:
    for _ in range(min(20, runs)):
        action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def requests(platform: str) -> dict[str, Callable[[], tuple[str, dict[str, str], bytes]]]:
    """Per hook, a function giving a fresh (path, headers, body), signed now where the platform signs."""

    def plain(path: str, payload: dict[str, object], headers: dict[str, str]) -> Callable[[], tuple]:
        body = json.dumps(payload).encode()
        return lambda: (path, headers, body)

    def retell(path: str, payload: dict[str, object]) -> Callable[[], tuple]:
        return lambda: (path, *reversed(retell_signed(payload)))  # type: ignore[return-value]

    if platform == "elevenlabs":
        post_body = json.dumps(elevenlabs_post_call(conversation_id="bench")).encode()
        return {
            "pre-call": plain("/client-data", {"caller_id": "+15555550123", "agent_id": "a"}, WORKSPACE),
            "tool": plain("/retrieve", {"query": "dog", "user_id": "+15555550123"}, WORKSPACE),
            "post-call": lambda: ("/post-call", {"ElevenLabs-Signature": sign_elevenlabs(post_body)}, post_body),
        }
    if platform == "vapi":
        return {
            "pre-call": plain("/client-data", vapi_assistant_request(), VAPI_HEADERS),
            "tool": plain("/retrieve", vapi_tool_calls("dog"), VAPI_HEADERS),
            "post-call": plain("/post-call", vapi_end_of_call(call_id="bench"), VAPI_HEADERS),
        }
    return {
        "pre-call": retell("/client-data", retell_call_inbound()),
        "tool": retell("/retrieve", retell_function("dog")),
        "post-call": retell("/post-call", retell_call_analyzed(call_id="bench")),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    runs = parser.parse_args().runs
    agent_types = {
        "elevenlabs": "elevenlabs_customer_support",
        "vapi": "vapi_receptionist",
        "retell": "retell_appointments",
    }
    samples: dict[tuple[str, str], list[float]] = {}
    sizes: dict[tuple[str, str], int] = {}
    parse: dict[tuple[str, str], float] = {}  # json.loads of the same body: the part that grows with its size
    with tempfile.TemporaryDirectory() as tmp:
        locals_ = {p: make_local_runtime(Path(tmp) / p, agent_type) for p, agent_type in agent_types.items()}
        made = {p: requests(p) for p in agent_types}
        for platform, local in locals_.items():
            path, headers, body = made[platform]["post-call"]()
            local.runtime.app.handle(Request.build("POST", path, headers, body))
            local.drain()
        # interleaved, so that noise from the machine falls on every platform alike
        for index in range(runs + 20):
            for platform, local in locals_.items():
                for hook, make in made[platform].items():
                    path, headers, body = make()  # signing is the platform's work: outside the timing
                    request = Request.build("POST", path, headers, body)
                    started = time.perf_counter()
                    response = local.runtime.app.handle(request)
                    elapsed = time.perf_counter() - started
                    assert response.status == 200, response.body
                    if index >= 20:
                        samples.setdefault((platform, hook), []).append(elapsed)
                    sizes[(platform, hook)] = len(body)
        for platform, hook in sizes:
            body = made[platform][hook]()[2]
            parse[(platform, hook)] = median_ms(lambda body=body: json.loads(body), runs)
        for local in locals_.values():
            local.runtime.store.close()
            local.queue.close()
    results = {key: statistics.median(values) * 1000 for key, values in samples.items()}

    failed = False
    print("ratio to ElevenLabs: whole request, then without json.loads of the body (the platforms' bodies differ)")
    print(f"{'hook':10} {'elevenlabs ms':>14} {'vapi':>12} {'retell':>12}   body bytes (elevenlabs/vapi/retell)")
    for hook in ("pre-call", "tool", "post-call"):
        base = results[("elevenlabs", hook)]
        own = base - parse[("elevenlabs", hook)]
        cells = []
        for platform in ("vapi", "retell"):
            whole = results[(platform, hook)] / base
            adjusted = (results[(platform, hook)] - parse[(platform, hook)]) / own
            failed |= adjusted > TARGET_RATIO
            cells.append(f"{whole:5.2f}/{adjusted:5.2f}")
        body_sizes = "/".join(str(sizes[(p, hook)]) for p in ("elevenlabs", "vapi", "retell"))
        print(f"{hook:10} {base:14.3f} {cells[0]:>12} {cells[1]:>12}   {body_sizes}")

    body = json.dumps(retell_call_analyzed()).encode()
    now_ms = int(time.time() * 1000)
    retell_verifier = RetellSignature(Secret(TEST_SECRETS["RETELL_API_KEY"]))
    retell_headers = {"x-retell-signature": retell_verifier.sign(body, now_ms)}
    eleven = ElevenLabsSignature(Secret(TEST_SECRETS["ELEVENLABS_HMAC_KEY"]))
    eleven_headers = {"elevenlabs-signature": eleven.sign(body, now_ms // 1000)}
    baseline = median_ms(lambda: json.loads(body), runs)
    retell_ms = median_ms(lambda: retell_verifier.verify(body, retell_headers), runs)
    eleven_ms = median_ms(lambda: eleven.verify(body, eleven_headers), runs)
    print(f"\nsignature check over a {len(body)}-byte body, as a ratio to json.loads of it ({baseline * 1000:.1f} us):")
    print(f"  retell {retell_ms / baseline:.2f}   elevenlabs {eleven_ms / baseline:.2f}")
    print(f"\ntarget: every ratio without parsing <= {TARGET_RATIO}: {'FAILED' if failed else 'ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
