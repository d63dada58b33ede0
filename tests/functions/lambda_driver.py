"""Runs Lambda handlers the way the Lambda runtime would: code in a task dir, dependencies in a layer's python/.

Started as ``python3.12 -I -S lambda_driver.py TASK_DIR LAYER_PYTHON_DIR`` (no site-packages, no user site,
no PYTHONPATH), so ``sys.path`` is the two directories plus the standard library. Reads a JSON list of
invocations on stdin and prints the results and every imported module's origin as JSON on stdout.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import sysconfig

task, layer = sys.argv[1], sys.argv[2]
sys.path[:0] = [task, layer]


def queue_event(template: dict[str, object]) -> dict[str, object]:
    """An SQS batch with every key the HTTP handler enqueued on the local (SQLite) queue."""
    from shared.ingest.local import SqliteQueue

    queue = SqliteQueue(os.path.join(os.environ["AGENTIC_MEMORY_DATA_DIR"], "queue.db"))
    keys = queue.keys("pending")
    records = [{**template, "messageId": f"m{i}", "body": json.dumps({"key": k})} for i, k in enumerate(keys)]
    return {"Records": records}


results = []
for invocation in json.load(sys.stdin):
    module_name, function_name = invocation["handler"].rsplit(".", 1)
    handler = getattr(importlib.import_module(module_name), function_name)
    event = queue_event(invocation["sqs_template"]) if "sqs_template" in invocation else invocation["event"]
    result = handler(event, None)
    results.append({"handler": invocation["handler"], "records": len(event.get("Records", [])), "result": result})

stdlib = {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]}
modules = [m for name, m in list(sys.modules.items()) if name != "__main__"]
origins = sorted({getattr(m, "__file__", None) or "" for m in modules} - {""})
print(json.dumps({"results": results, "origins": origins, "sys_path": sys.path, "stdlib": sorted(stdlib)}))
