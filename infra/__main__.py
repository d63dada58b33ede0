"""Pulumi's entry point. With ``main: infra/`` Pulumi runs this file with cwd = infra/ and infra/ on sys.path.

So it puts the repository root on sys.path itself (and takes infra/ off, so ``aws.py`` or ``gcp.py`` can
never shadow a library's top-level module), then only composes and exports.
"""

import sys
from pathlib import Path

_INFRA_DIR = Path(__file__).resolve().parent
_REPO_ROOT = _INFRA_DIR.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _INFRA_DIR]
if str(_REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(_REPO_ROOT))

import pulumi  # noqa: E402

from infra.program import run_program  # noqa: E402
from infra.stack_config import read_stack_config  # noqa: E402

for _key, _value in run_program(read_stack_config(_REPO_ROOT / "config" / "agent_types.json")).items():
    pulumi.export(_key, _value)
