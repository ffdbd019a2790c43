"""The schema fuzzer: schemathesis against the local system, from the API's own document.

Every operation of `/openapi.json` is run in every phase that needs no examples of ours
(coverage, fuzzing, stateful), with valid and invalid data, every check on, as two users
who must never see each other's objects (the WFC auth file's `peers`). A server error, a
status or body the document does not state, invalid data accepted or valid data refused,
one user reading the other's object: each is a failure. What the API rightly does and
the document cannot say is exempted in tests/fuzz/exemptions.py, each with its reason.

`make fuzz` runs it thoroughly; `tests/fuzz/test_api_fuzz.py` runs a bounded pass in
`make test`. Both start the local system themselves, on a throw-away database
(DATABASE_URL's server if set, else the machine's, else an embedded one).
"""

import argparse
import json
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attendry_local.postgres import scratch_database, scratch_server
from attendry_local.system import local_system
from tests.fuzz.exemptions import (
    EXEMPTIONS,
    PUBLIC_OPERATIONS,
    REJECTING_STATUSES,
    UNEXPECTED_METHODS,
    Exemption,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
PHASES = "coverage,fuzzing,stateful"
USERS = ("alice", "bob")
REPORT = "report.json"
HAR = "requests.har"


@dataclass(frozen=True)
class FuzzSettings:
    """How hard to try: `max_examples` per operation and phase, `max_time` seconds in all."""

    max_examples: int
    max_time: int | None = None
    seed: int | None = None
    workers: int = 2
    report_dir: Path | None = None
    phases: str = PHASES


@dataclass
class FuzzResult:
    """What a run found, as schemathesis reported it."""

    exit_code: int
    operations: int
    requests: int
    test_cases: int
    failures: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    output: str = ""
    statuses: Counter[int] = field(default_factory=Counter)
    """Every answer's status, from the HAR report: the 5xx are counted whatever the checks."""

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    @property
    def clean(self) -> bool:
        return (
            self.exit_code == 0 and not self.failures and not self.errors and not self.server_errors
        )

    def summary(self) -> str:
        lines = [
            f"operations tested: {self.operations}",
            f"requests sent:     {self.requests}",
            f"test cases:        {self.test_cases}",
            f"5xx answers:       {self.server_errors}",
            f"failures:          {sum(self.failures.values())}",
        ]
        lines += [f"  {title}: {count}" for title, count in sorted(self.failures.items())]
        lines += [f"error: {error}" for error in self.errors]
        return "\n".join(lines)


def _auth_file(directory: Path, tokens: dict[str, str]) -> Path:
    """The Web Fuzzing Commons auth document: one fixed bearer header per user."""
    path = directory / "auth.json"
    document = {
        "schemaVersion": "0.2.0",
        "auth": [
            {
                "name": name,
                "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}],
            }
            for name, token in tokens.items()
        ],
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _toml_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(json.dumps(value) for value in values) + "]"


def config_text(auth_file: Path, exemptions: Sequence[Exemption] = EXEMPTIONS) -> str:
    """schemathesis.toml: the two users, and what tests/fuzz/exemptions.py exempts.

    NUL is not generated as valid data: the API refuses it everywhere (PostgreSQL cannot
    store it) and the document says so; invalid data still tries it.
    """
    lines = [
        "[generation]",
        "allow-x00 = false",
        "",
        "[phases.coverage]",
        f"unexpected-methods = {_toml_list(UNEXPECTED_METHODS)}",
        "",
        "[auth.wfc]",
        f"path = {json.dumps(str(auth_file))}",
        f"peers = {_toml_list(USERS)}",
        "",
        "[checks.negative_data_rejection]",
        f"expected-statuses = {_toml_list(REJECTING_STATUSES)}",
    ]
    for exemption in exemptions:
        lines += [
            "",
            f"# {exemption.reason}",
            "[[operations]]",
            f"include-name = {json.dumps(exemption.name)}",
            "checks.positive_data_acceptance.expected-statuses = "
            + _toml_list(exemption.expected_statuses),
        ]
    for name in PUBLIC_OPERATIONS:
        lines += [
            "",
            "[[operations]]",
            f"include-name = {json.dumps(name)}",
            "checks.unsupported_method.enabled = false",
        ]
    return "\n".join(lines) + "\n"


def _config_file(directory: Path, auth_file: Path) -> Path:
    path = directory / "schemathesis.toml"
    path.write_text(config_text(auth_file), encoding="utf-8")
    return path


def _command(api_url: str, config: Path, reports: Path, settings: FuzzSettings) -> list[str]:
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(config),
        "run",
        f"{api_url}/openapi.json",
        "--checks",
        "all",
        "--mode",
        "all",
        "--phases",
        settings.phases,
        "--max-examples",
        str(settings.max_examples),
        "--workers",
        str(settings.workers),
        "--report",
        "json,har",
        "--report-json-path",
        str(reports / REPORT),
        "--report-har-path",
        str(reports / HAR),
        "--generation-database",
        "none",
        "--no-color",
    ]
    if settings.max_time is not None:
        command += ["--max-time", str(settings.max_time)]
    if settings.seed is not None:
        command += ["--seed", str(settings.seed)]
    return command


def _result(exit_code: int, output: str, reports: Path) -> FuzzResult:
    if not (reports / REPORT).exists():
        return FuzzResult(
            exit_code, 0, 0, 0, errors=["schemathesis wrote no report"], output=output
        )
    report: dict[str, Any] = json.loads((reports / REPORT).read_text(encoding="utf-8"))
    failures: Counter[str] = Counter()
    for group in report.get("failures", []):
        failures[str(group["title"])] += int(group["count"])
    errors = [f"{group['title']} (x{group['count']})" for group in report.get("errors", [])]
    statuses = _statuses(reports / HAR)
    return FuzzResult(
        exit_code=exit_code,
        operations=int(report["operations"]["tested"]),
        requests=statuses.total(),
        test_cases=int(report["test_cases"]["generated"]),
        failures=failures,
        errors=errors,
        output=output,
        statuses=statuses,
    )


def _statuses(har: Path) -> Counter[int]:
    if not har.exists():
        return Counter()
    document = json.loads(har.read_text(encoding="utf-8"))
    return Counter(int(entry["response"]["status"]) for entry in document["log"]["entries"])


def fuzz_api(api_url: str, tokens: dict[str, str], settings: FuzzSettings) -> FuzzResult:
    """Run schemathesis against a running API as the given users."""
    with tempfile.TemporaryDirectory(prefix="attendry-fuzz-") as scratch:
        directory = Path(scratch)
        reports = settings.report_dir or directory / "reports"
        reports.mkdir(parents=True, exist_ok=True)
        config = _config_file(directory, _auth_file(directory, tokens))
        completed = subprocess.run(  # noqa: S603 - our own venv's schemathesis, our arguments
            _command(api_url, config, reports, settings),
            capture_output=True,
            text=True,
            check=False,
        )
        return _result(completed.returncode, completed.stdout + completed.stderr, reports)


def fuzz_local_system(settings: FuzzSettings, database_url: str) -> FuzzResult:
    """Start the local system on a migrated database and fuzz its API as two new users."""
    run = uuid.uuid4().hex[:8]
    with local_system(
        TEMPLATE, database_url=database_url, api_port=0, aws_port=0, run_schedules=False
    ) as system:
        tokens = {name: system.make_token(f"fuzz-{name}-{run}") for name in USERS}
        return fuzz_api(system.api_url, tokens, settings)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--max-time", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--phases", default=PHASES)
    parser.add_argument("--report-dir", type=Path, default=ROOT / ".fuzz")
    parser.add_argument("--verbose", action="store_true", help="print schemathesis' own output")
    args = parser.parse_args(argv)
    settings = FuzzSettings(
        max_examples=args.max_examples,
        max_time=args.max_time,
        seed=args.seed,
        workers=args.workers,
        report_dir=args.report_dir,
        phases=args.phases,
    )
    with scratch_server() as server, scratch_database(server, "attendry_fuzz") as database_url:
        result = fuzz_local_system(settings, database_url)
    if args.verbose or not result.clean:
        print(result.output)
    print(result.summary())
    print(f"reports: {args.report_dir}")
    return 0 if result.clean else 1


if __name__ == "__main__":
    sys.exit(main())
