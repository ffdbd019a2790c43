"""The SharedLayer as `sam build` makes it (shared/Makefile): the attendry package with
bytecode that Lambda runs as it is, since /opt is read-only and a layer without bytecode
compiles every module it imports on every cold start."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.fixtures.paths import ROOT


def test_the_shared_layer_ships_bytecode_that_python_runs_without_the_source(
    tmp_path: Path,
) -> None:
    artifacts = tmp_path / "SharedLayer"
    scratch = tmp_path / "scratch"  # sam build runs make in a copy of the ContentUri
    shutil.copytree(ROOT / "shared", scratch, ignore=shutil.ignore_patterns("*.egg-info"))
    make = shutil.which("make")  # from PATH, as sam build runs it
    assert make is not None
    subprocess.run(  # noqa: S603 - the project's own Makefile
        [
            make,
            "-s",
            "build-SharedLayer",
            f"ARTIFACTS_DIR={artifacts}",
            f"PYTHON={sys.executable}",
        ],
        cwd=scratch,
        check=True,
    )

    package = artifacts / "python" / "attendry"
    sources = sorted(package.rglob("*.py"))
    assert sources
    tag = sys.implementation.cache_tag
    missing = [
        s for s in sources if not (s.parent / "__pycache__" / f"{s.stem}.{tag}.pyc").exists()
    ]
    assert missing == []
    # Proof that the bytecode is what runs: a source changed after the build is not read.
    errors = package / "errors.py"
    errors.write_text("raise RuntimeError('the source was compiled again')\n")
    imported = subprocess.run(
        [sys.executable, "-S", "-c", "import attendry.core.errors"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(artifacts / "python"), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
    )
    assert imported.returncode == 0, imported.stderr
