"""The import contract (pyproject's [tool.importlinter]) holds, and it catches a wrong import.

`make lint` runs the same contract; this proves it is not a contract that cannot fail.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.paths import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own venv's lint-imports on a temporary copy
        [str(LINT_IMPORTS), "--no-cache", str(project / "pyproject.toml")],
        cwd=project,
        env={"PYTHONPATH": str(project / "shared"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def copy_of_the_package(tmp_path: Path) -> Path:
    for package in ("attendry", "attendry_local"):
        shutil.copytree(
            ROOT / "shared" / package,
            tmp_path / "shared" / package,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_package_keeps_its_import_contract(copy_of_the_package: Path) -> None:
    result = _lint(copy_of_the_package)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import", "named"),
    [
        # A feature importing a sibling of its own layer
        ("attendry/planning/rules.py", "from attendry.inbound import service", "inbound"),
        # A lower feature importing a higher one (the Sender calling follow-ups directly)
        ("attendry/sending/policy.py", "from attendry.followups import stops", "followups"),
        # The product importing the local runtime
        ("attendry/email/message.py", "import attendry_local.outbox", "attendry_local"),
    ],
)
def test_a_wrong_import_breaks_the_contract(
    copy_of_the_package: Path, module: str, wrong_import: str, named: str
) -> None:
    path = copy_of_the_package / "shared" / module
    path.write_text(path.read_text() + f"\n{wrong_import}  # noqa\n")

    result = _lint(copy_of_the_package)

    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert named in result.stdout
