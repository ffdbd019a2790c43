"""Cold start of every function: handler import time and memory in a fresh process.

Each sample is a new interpreter that imports the handler exactly as Lambda does (its
CodeUri on sys.path, module `app`), so nothing is warm from an earlier run.
"""

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROBE = """
import json, sys, time
sys.path.insert(0, {code_dir!r})
start = time.perf_counter()
import app
elapsed = time.perf_counter() - start
rss_kb = 0
with open("/proc/self/status") as status:
    for line in status:
        if line.startswith("VmRSS:"):
            rss_kb = int(line.split()[1])
print(json.dumps({{"seconds": elapsed, "rss_kb": rss_kb, "genai": "google.genai" in sys.modules}}))
"""

LAMBDA_ENV = {
    "POWERTOOLS_SERVICE_NAME": "attendry-agents",
    "POWERTOOLS_METRICS_NAMESPACE": "Attendry",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "AWS_DEFAULT_REGION": "us-east-1",
    "DATABASE_URL": "postgresql+psycopg://bench@127.0.0.1:1/bench",
    # What the functions require at cold start (tests/unit/functions checks each by name);
    # nothing is sent to them here.
    **{
        name: f"https://sqs.us-east-1.amazonaws.com/123456789012/{name.lower()}"
        for name in (
            "AGENT_TASKS_QUEUE_URL",
            "AGENT_TASKS_DLQ_URL",
            "EMAIL_SEND_QUEUE_URL",
            "EMAIL_SEND_DLQ_URL",
            "SES_EVENTS_DLQ_URL",
            "INBOUND_MAIL_DLQ_URL",
        )
    },
    "INBOUND_MAIL_BUCKET": "bench-inbound-mail",
}


@dataclass(frozen=True)
class ColdStart:
    function: str
    median_ms: float
    rss_mb: float
    imports_genai: bool


def measure(code_dir: Path, samples: int) -> ColdStart:
    env = {**os.environ, **LAMBDA_ENV}
    runs = []
    for _ in range(samples):
        out = subprocess.run(  # noqa: S603
            [sys.executable, "-c", PROBE.format(code_dir=str(code_dir))],
            check=True,
            capture_output=True,
            text=True,
            env=env,
            cwd=code_dir,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return ColdStart(
        function=code_dir.name,
        median_ms=statistics.median(r["seconds"] for r in runs) * 1000,
        rss_mb=statistics.median(r["rss_kb"] for r in runs) / 1024,
        imports_genai=any(r["genai"] for r in runs),
    )


def run(root: Path, samples: int) -> list[ColdStart]:
    return [measure(d, samples) for d in sorted((root / "functions").iterdir()) if d.is_dir()]
