"""Run ``infra/`` the way Pulumi's Python language host does, under Pulumi's mocks, in a clean process.

Usage: ``python pulumi_main_driver.py <run.json>`` with ``{"stack", "config", "secret_keys"}`` (a file, so that
even invented secrets stay off the command line). The repository is NOT on
sys.path (only infra/, as ``runpy.run_path`` puts it), cwd is infra/: the program must find its own way.
Prints one JSON line: the stack's exports, the recorded resource types and the names in the AWS stack secret.
"""

from __future__ import annotations

import importlib.util
import json
import os
import runpy
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
INFRA = REPO / "infra"


def main(stack: str, config: dict[str, str], secret_keys: list[str]) -> None:
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() not in (REPO, HERE)]
    spec = importlib.util.spec_from_file_location("infra_test_mocks", HERE / "mocks.py")
    assert spec and spec.loader
    mocks_module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mocks_module
    spec.loader.exec_module(mocks_module)

    import pulumi
    import pulumi.runtime
    from pulumi.runtime.settings import get_root_resource

    mocks = mocks_module.RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="agentic-memory", stack=stack, preview=False)
    pulumi.runtime.set_all_config(config, secret_keys=secret_keys)
    os.chdir(INFRA)
    result: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output[None]:
        runpy.run_path(str(INFRA), run_name="__main__")
        root = get_root_resource()
        assert root is not None
        return pulumi.Output.all(**root.outputs).apply(lambda exports: result.update(exports=exports))

    program()
    result["types"] = sorted({resource.typ for resource in mocks.resources})
    result["secret_names"] = sorted(  # the names in the AWS stack secret, never its values
        name
        for resource in mocks.of_type("aws:secretsmanager/secretVersion:SecretVersion")
        for name in json.loads(mocks_module.unwrap(resource.inputs["secretString"]))
    )
    result["infra_modules"] = sorted(name for name in sys.modules if name == "infra" or name.startswith("infra."))
    print(json.dumps(result))


if __name__ == "__main__":
    run = json.loads(Path(sys.argv[1]).read_text())
    main(run["stack"], run["config"], run["secret_keys"])
