"""Kill rate per module of the last `make mutate` run, and every mutant that survived.

Reads mutmut's result files (`.mutmut/mutants/**/*.py.meta`) and prints each survivor's
change, sorted into what needs a reader and what does not: a survivor that only rewords
an error or log message is listed by name (the tests check the refusal and its code, not
its wording); every other survivor is printed with its diff, to be explained or killed
(docs/mutation.md holds the explanations of the last full run). Run from `.mutmut/`
(mutmut reads its mutants relative to it): `python -m tests.mutation_report mutants`.
"""

import json
import re
import sys
from collections import Counter
from pathlib import Path

from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code

_STRING = re.compile(r"""[rbfu]{0,2}("([^"\\]|\\.)*"|'([^'\\]|\\.)*')""", re.IGNORECASE)
_MESSAGE_CONTEXT = ("Error(", "raise ", "logger.", "warning(", "message=", "reason=")
MESSAGE_TEXT = "error or log message text"
_KILLED = ("killed", "caught by type check")


def _without_text(line: str) -> str:
    return _STRING.sub("''", line).replace("None", "''").strip()


def kind_of(diff: str) -> str | None:
    """MESSAGE_TEXT when the mutant changes nothing but a message's words, else None."""
    lines = diff.splitlines()[2:]
    removed = [line[1:] for line in lines if line.startswith("-")]
    added = [line[1:] for line in lines if line.startswith("+")]
    if not removed or len(removed) != len(added):
        return None
    if any(_without_text(a) != _without_text(b) for a, b in zip(removed, added, strict=True)):
        return None
    first = next(i for i, line in enumerate(lines) if line.startswith("-"))
    nearby = "\n".join(lines[max(0, first - 3) : first + 1])
    return MESSAGE_TEXT if any(context in nearby for context in _MESSAGE_CONTEXT) else None


def main(mutants: Path) -> None:
    survivors: list[str] = []
    totals: Counter[str] = Counter()
    print(f"{'module':<48} {'killed':>7} {'survived':>9} {'other':>6} {'total':>6} {'rate':>7}")
    for meta in sorted(mutants.rglob("*.py.meta")):
        results = json.loads(meta.read_text())["exit_code_by_key"]
        checked = {k: c for k, c in results.items() if status_by_exit_code[c] != "not checked"}
        if not checked:
            continue
        statuses = Counter(status_by_exit_code[code] for code in checked.values())
        killed = sum(statuses[status] for status in _KILLED)
        survived = statuses["survived"]
        total = sum(statuses.values())
        totals.update(killed=killed, survived=survived, total=total)
        module = next(iter(checked)).split(".x", 1)[0]
        rate = f"{killed / total:.1%}" if total else "-"
        other = total - killed - survived
        print(f"{module:<48} {killed:>7} {survived:>9} {other:>6} {total:>6} {rate:>7}")
        survivors += sorted(
            k for k, code in checked.items() if status_by_exit_code[code] not in _KILLED
        )
    if totals["total"]:
        rate = totals["killed"] / totals["total"]
        print(f"\nall: {totals['killed']} killed of {totals['total']} checked ({rate:.1%})")
    by_kind: dict[str, list[str]] = {}
    to_read: list[tuple[str, str]] = []
    for name in survivors:
        diff = get_diff_for_mutant(name)
        kind = kind_of(diff)
        if kind is None:
            to_read.append((name, diff))
        else:
            by_kind.setdefault(kind, []).append(name)
    for kind, names in by_kind.items():
        print(f"\n{len(names)} not killed, {kind}:")
        for name in names:
            print(f"  {name}")
    print(f"\n{len(to_read)} not killed, to explain or kill:")
    for name, diff in to_read:
        print(f"\n## {name}")
        print("\n".join(diff.splitlines()[2:]))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "mutants"))
