"""``agentic-memory bundle``: the deployable handler bundle (code zip, Lambda layer, Cloud Functions requirements)."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path
from typing import Annotated

import typer

from functions.cli.options import console, fail


def _unzipped_size(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def bundle(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the bundle into.")] = Path("dist"),
    layer: Annotated[
        bool, typer.Option("--layer/--no-layer", help="Also build the Lambda layer (pip downloads wheels).")
    ] = True,
) -> None:
    """Build the byte-identical code zip for both clouds, the Lambda layer and the Cloud Functions requirements."""
    from infra.bundle import build_bundle

    try:
        built = build_bundle(out, with_layer=layer)
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        fail(f"bundle failed: {exc}")
        raise  # unreachable
    console.print(f"code zip      {built.code_zip}  ({built.code_zip.stat().st_size:,} bytes)", soft_wrap=True)
    console.print(f"sha256        {built.code_sha256}", soft_wrap=True)
    console.print(f"requirements  {built.requirements_txt}", soft_wrap=True)
    if built.layer_zip is not None:
        size, unzipped = built.layer_zip.stat().st_size, _unzipped_size(built.layer_zip)
        console.print(f"lambda layer  {built.layer_zip}  ({size:,} bytes, {unzipped:,} unzipped)", soft_wrap=True)
