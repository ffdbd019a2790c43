"""The Lambda dependency layer installs what the package declares, nothing more or less."""

import tomllib

from tests.fixtures.paths import ROOT

RUNTIME_PROVIDED = {"boto3"}


def _requirements(lines: list[str]) -> set[str]:
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def _name(requirement: str) -> str:
    for stop in "[<>=~!; ":
        requirement = requirement.split(stop, 1)[0]
    return requirement.lower()


def test_layer_matches_the_packages_runtime_dependencies() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    layer = (ROOT / "layers/dependencies/requirements.txt").read_text().splitlines()

    expected = {r for r in declared if _name(r) not in RUNTIME_PROVIDED}

    assert _requirements(layer) == expected
