"""`make bench`: print every figure the issues set a target for, with the target beside it."""

import argparse
from pathlib import Path

from attendry_local.postgres import scratch_database, scratch_server
from benchmarks import api_latency, cold_start, followup_sweep, pipeline, ses_events

ROOT = Path(__file__).resolve().parents[1]
IMPORT_TARGET_MS = 700
LIST_RATIO_TARGET = 3.0
CLAIM_TARGET_MS = 20
CLAIM_GROWTH_TARGET = 2.0
SES_EVENTS_RATIO_TARGET = 0.5
PIPELINE_RATE_TARGET = 25
AGENT_WORK_TARGET_MS = 20


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--samples", type=int, default=7, help="fresh processes per function")
    parser.add_argument("--runs", type=int, default=300, help="requests per latency figure")
    parser.add_argument("--claims", type=int, default=200, help="sweep claims per figure")
    parser.add_argument("--tasks", type=int, default=500, help="outreaches through the pipeline")
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

    with scratch_server() as server:
        with scratch_database(server, "attendry_bench") as url:
            latency = api_latency.run(ROOT, url, options.runs)
        claims = followup_sweep.measure(server, options.claims)
        with (
            scratch_database(server, "attendry_bench_ses") as function_url,
            scratch_database(server, "attendry_bench_raw") as raw_url,
        ):
            ses = ses_events.run(ROOT, function_url, raw_url)
        with scratch_database(server, "attendry_bench_pipeline") as pipeline_url:
            flow = pipeline.run(ROOT, pipeline_url, options.tasks)
    print(
        f"GET /agents ({api_latency.PAGE} of {api_latency.ROWS_OF_USER:,} rows of one user): "
        f"API {latency.api_median_ms:.2f} ms, raw SQL {latency.sql_median_ms:.2f} ms, "
        f"ratio {latency.ratio:.1f}x (target within {LIST_RATIO_TARGET:.0f}x)"
    )
    print()
    print(
        f"Follow-up sweep: claim {followup_sweep.BATCH} due rows (FOR UPDATE SKIP LOCKED, median)"
    )
    print(f"{'sent rows':>11}{'scheduled':>11}{'claimed':>9}{'claim ms':>10}")
    for claim in claims:
        print(
            f"{claim.sent_rows:>11,}{claim.scheduled:>11,}{claim.claimed:>9,}{claim.median_ms:>10.2f}"
        )
    small, large = claims
    print(f"plan at {large.sent_rows:,}: {followup_sweep.plan_nodes(large.plan)}")
    print(
        f"target: under {CLAIM_TARGET_MS} ms; {large.sent_rows:,} within "
        f"{CLAIM_GROWTH_TARGET:.0f}x of {small.sent_rows:,} "
        f"(now {large.median_ms / small.median_ms:.1f}x)"
    )
    print()
    print(
        f"SES events ({ses_events.EVENTS:,}, SQS batches of {ses_events.BATCH}): "
        f"ses_events function {ses.function_events_per_s:,.0f}/s, raw psycopg "
        f"{ses.baseline_events_per_s:,.0f}/s, ratio {ses.ratio:.2f} "
        f"(target at least {SES_EVENTS_RATIO_TARGET})"
    )
    print()
    print(
        f"Pipeline ({flow.count} outreaches, offline drafter, local runtime): "
        f"{flow.drafts_per_s:.1f} drafts/s, {flow.sends_per_s:.1f} sends/s "
        f"(target at least {PIPELINE_RATE_TARGET}/s each)"
    )
    for stage in flow.stages:
        print(f"  {stage.name:<30} median {stage.median_ms:8.1f} ms   p95 {stage.p95_ms:8.1f} ms")
    print(f"target: agent work under {AGENT_WORK_TARGET_MS} ms median")


if __name__ == "__main__":
    main()
