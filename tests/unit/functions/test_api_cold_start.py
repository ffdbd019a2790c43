"""The API function's import leaves the heavy clients to the requests that use them.

Lambda bills and users wait for a cold start's imports; the API needs no AWS SDK, LLM
client or database driver until a request reaches one.
"""

import json
import os
import subprocess
import sys

from tests.fixtures.paths import ROOT

API = ROOT / "functions/api"
DEFERRED = ("boto3", "google.genai", "psycopg")


def test_importing_the_api_handler_defers_sdk_llm_and_driver() -> None:
    probe = (
        "import json, sys; sys.path.insert(0, '.'); import app; "
        f"print(json.dumps([m for m in {DEFERRED!r} if m in sys.modules]))"
    )
    env = {**os.environ, "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    out = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, "-c", probe], cwd=API, env=env, capture_output=True, text=True
    )

    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[-1]) == []
