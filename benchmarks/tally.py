"""Tally 100,000 ballots of a consultation with three questions (one of each kind).

Run: .venv/bin/python benchmarks/tally.py [number of ballots]
Prints the time and the peak memory (tracemalloc) of counting ballots stored as the
database stores them (canonical JSON text, decoded one at a time, as publish_results
does), then of ranking the majority-judgment options. Not part of `make test`.
Measured on the 2-core dev machine: tally 0.55 s, ranking 34 ms, peak 4 KiB
(the ballots are read one at a time; only the counts are kept).
"""

import json
import random
import sys
import time
import tracemalloc

from participation.consultations import tally
from participation.consultations.tally import APPROVAL, JUDGMENT, SINGLE, QuestionSpec

QUESTIONS = [
    QuestionSpec(1, SINGLE, (10, 11, 12, 13)),
    QuestionSpec(2, APPROVAL, (20, 21, 22, 23, 24, 25)),
    QuestionSpec(3, JUDGMENT, (30, 31, 32, 33, 34), grade_count=7),
]


def ballots(count: int, seed: int = 2026):
    rng = random.Random(seed)  # noqa: S311 (reproducible test data, not secrets)
    for _ in range(count):
        answers = {
            "1": [] if rng.random() < 0.05 else [rng.choice((10, 11, 12, 13))],
            "2": sorted(rng.sample((20, 21, 22, 23, 24, 25), rng.randint(0, 3))),
            "3": {} if rng.random() < 0.05 else
                 {str(o): min(6, int(rng.triangular(0, 7, o - 30))) for o in range(30, 35)},
        }
        yield json.dumps(answers, sort_keys=True, separators=(",", ":"))


def count_all(stored):
    result = tally.empty_tally(QUESTIONS)
    for text in stored:
        tally.add_ballot(result, QUESTIONS, json.loads(text))
    return result


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    stored = list(ballots(count))  # what the database would hand over
    started = time.perf_counter()
    result = count_all(stored)
    counted = time.perf_counter()
    ranking = tally.judgment_ranking(result["questions"]["3"]["grades"])
    ranked = time.perf_counter()
    assert result["ballots"] == count
    # Memory measured on a second pass: tracemalloc slows every allocation down.
    tracemalloc.start()
    count_all(stored)
    tally.judgment_ranking(result["questions"]["3"]["grades"])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"ballots: {count:,}")
    print(f"tally: {counted - started:.2f} s")
    print(f"majority judgment ranking: {(ranked - counted) * 1000:.1f} ms -> {ranking}")
    print(f"peak memory while counting and ranking: {peak / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
