"""`make bench`: print every figure the issues set a target for, with the target beside it."""

import argparse
from pathlib import Path

from attendry.local.postgres import scratch_database, scratch_server
from benchmarks import api_latency, cold_start

ROOT = Path(__file__).resolve().parents[1]
IMPORT_TARGET_MS = 700
LIST_RATIO_TARGET = 3.0


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--samples", type=int, default=7, help="fresh processes per function")
    parser.add_argument("--runs", type=int, default=300, help="requests per latency figure")
    options = parser.parse_args()

    print("Cold start: handler import in a fresh process (median)")
    print(f"{'function':<16}{'import ms':>11}{'RSS MB':>9}  google.genai")
    for row in cold_start.run(ROOT, options.samples):
        print(
            f"{row.function:<16}{row.median_ms:>11.0f}{row.rss_mb:>9.1f}  "
            f"{'imported' if row.imports_genai else 'no'}"
        )
    print(f"target: API under {IMPORT_TARGET_MS} ms; only the LLM function imports google.genai")
    print()

    with scratch_server() as server, scratch_database(server, "attendry_bench") as url:
        latency = api_latency.run(ROOT, url, options.runs)
    print(
        f"GET /agents ({api_latency.PAGE} of {api_latency.ROWS_OF_USER:,} rows of one user): "
        f"API {latency.api_median_ms:.2f} ms, raw SQL {latency.sql_median_ms:.2f} ms, "
        f"ratio {latency.ratio:.1f}x (target within {LIST_RATIO_TARGET:.0f}x)"
    )


if __name__ == "__main__":
    main()
