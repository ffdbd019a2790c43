"""Kill rate per module of the last `make mutate` run, and every mutant that survived.

Reads mutmut's result files (`.mutmut/mutants/**/*.py.meta`); `mutmut show <name>`
prints a survivor's change. Run as `python -m tests.mutation_report .mutmut/mutants`.
"""

import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code


def main(mutants: Path) -> None:
    survivors: list[str] = []
    print(f"{'module':<48} {'killed':>7} {'survived':>9} {'other':>6} {'total':>6} {'rate':>7}")
    for meta in sorted(mutants.rglob("*.py.meta")):
        results = json.loads(meta.read_text())["exit_code_by_key"]
        if not results:
            continue
        statuses = Counter(status_by_exit_code[code] for code in results.values())
        killed = statuses["killed"] + statuses["caught by type check"]
        survived = statuses["survived"]
        total = sum(statuses.values())
        module = next(iter(results)).split(".x", 1)[0]
        rate = f"{killed / total:.1%}" if total else "-"
        other = total - killed - survived
        print(f"{module:<48} {killed:>7} {survived:>9} {other:>6} {total:>6} {rate:>7}")
        survivors += sorted(
            k for k, code in results.items() if status_by_exit_code[code] != "killed"
        )
    print("\nNot killed (survived, no tests, timeout, not checked):")
    for name in survivors:
        print(f"  {name}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ".mutmut/mutants"))
