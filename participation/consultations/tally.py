"""Counting ballots: pure functions, no database, no Flask.

A ballot's ``answers`` maps a question id (text) to:

- single choice: a list with at most one option id (empty: blank);
- approval (several choices): a list of option ids;
- majority judgment: a dict option id (text) -> grade index, 0 being the best
  grade; empty: blank.

``tally`` turns any number of ballots into counts in one pass (what is cached
when results are published); the other functions read those counts, so the
results page never needs the ballots again.
"""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cmp_to_key, lru_cache

SINGLE, APPROVAL, JUDGMENT = "single", "approval", "judgment"


@dataclass(frozen=True)
class QuestionSpec:
    """What the tally needs to know about a question."""

    id: int
    kind: str
    option_ids: tuple[int, ...]
    grade_count: int = 0  # majority judgment only


def empty_tally(questions: Sequence[QuestionSpec]) -> dict:
    result = {"ballots": 0, "questions": {}}
    for q in questions:
        if q.kind == JUDGMENT:
            grades = {str(o): [0] * q.grade_count for o in q.option_ids}
            result["questions"][str(q.id)] = {"blank": 0, "grades": grades}
        else:
            result["questions"][str(q.id)] = {"blank": 0,
                                              "counts": {str(o): 0 for o in q.option_ids}}
    return result


def add_ballot(result: dict, questions: Sequence[QuestionSpec], answers: Mapping) -> None:
    """Count one ballot into ``result`` (made by ``empty_tally``)."""
    result["ballots"] += 1
    for q in questions:
        counted = result["questions"][str(q.id)]
        answer = answers.get(str(q.id))
        if not answer:
            counted["blank"] += 1
        elif q.kind == JUDGMENT:
            for option, grade in answer.items():
                counted["grades"][str(option)][grade] += 1
        else:
            for option in answer:
                counted["counts"][str(option)] += 1


def tally(questions: Sequence[QuestionSpec], ballots: Iterable[Mapping]) -> dict:
    """Count every ballot: blanks, votes per option, grades per option."""
    result = empty_tally(questions)
    for answers in ballots:
        add_ballot(result, questions, answers)
    return result


def percent(part: int, whole: int) -> float:
    """Share of ``whole`` as a percentage with one decimal; 0 when nothing was counted."""
    return round(100 * part / whole, 1) if whole else 0.0


def ranking(counts: Mapping[str, int]) -> list[tuple[int, str]]:
    """Options by votes, most first, as (rank, option); equal counts share a rank."""
    ordered = sorted(counts.items(), key=lambda item: -item[1])
    ranks, previous, rank = [], None, 0
    for position, (option, count) in enumerate(ordered, start=1):
        if count != previous:
            rank, previous = position, count
        ranks.append((rank, option))
    return ranks


# --- Majority judgment (Balinski and Laraki, 2007) --------------------------------------

def merit_profile(grades: Sequence[int]) -> list[float]:
    """The share (in %) of each grade, best grade first."""
    total = sum(grades)
    return [percent(g, total) for g in grades]


def _median_index(grades: Sequence[int], total: int) -> int:
    # Judgments sorted from best to worst; the majority grade is the lower
    # median: the middle one for an odd number, the worse of the two middle
    # ones for an even number (position total // 2, counting from 0).
    position = total // 2
    seen = 0
    for grade, count in enumerate(grades):
        seen += count
        if seen > position:
            return grade
    raise AssertionError("unreachable: position lies within total")


def majority_grade(grades: Sequence[int]) -> int | None:
    """The majority grade (index, 0 = best), or None when nobody graded the option."""
    total = sum(grades)
    return _median_index(grades, total) if total else None


def majority_values(grades: Sequence[int]) -> Iterator[int]:
    """The majority value: the majority grade, then the majority grade once one
    judgment of that grade is removed, and so on until none is left."""
    remaining = list(grades)
    total = sum(remaining)
    while total:
        grade = _median_index(remaining, total)
        yield grade
        remaining[grade] -= 1
        total -= 1


def compare_judgments(a: Sequence[int], b: Sequence[int]) -> int:
    """-1 if ``a`` ranks above ``b``, 1 if below, 0 if tied (the usual MJ tie-break:
    compare majority values in lexicographic order, a lower index being better)."""
    for grade_a, grade_b in zip(majority_values(a), majority_values(b), strict=False):
        if grade_a != grade_b:
            return -1 if grade_a < grade_b else 1
    # One sequence may be longer when options were graded by different numbers of
    # people (not on our ballots, where every option is graded or none): the
    # shorter one is a prefix; treat them as tied.
    return 0


def judgment_ranking(grades_by_option: Mapping[str, Sequence[int]]) -> list[tuple[int, str]]:
    """Options ranked by majority judgment, as (rank, option); ties share a rank.

    Comparing majority values walks the judgments one by one (tens of milliseconds for
    tens of thousands of ballots), and a published tally never changes: each process
    keeps the rankings it computed, keyed by the counts themselves.
    """
    return list(_ranking(tuple((o, tuple(g)) for o, g in grades_by_option.items())))


@lru_cache(maxsize=256)
def _ranking(grades_by_option: tuple[tuple[str, tuple[int, ...]], ...]
             ) -> tuple[tuple[int, str], ...]:
    graded = {o: g for o, g in grades_by_option if sum(g)}
    order = sorted(graded, key=cmp_to_key(lambda x, y: compare_judgments(graded[x], graded[y])))
    ranks: list[tuple[int, str]] = []
    for position, option in enumerate(order, start=1):
        if ranks and compare_judgments(graded[ranks[-1][1]], graded[option]) == 0:
            ranks.append((ranks[-1][0], option))
        else:
            ranks.append((position, option))
    return tuple(ranks)


def majority_gauge(grades: Sequence[int]) -> tuple[float, int, float]:
    """Balinski and Laraki's majority gauge (p, α, q): the share of judgments better
    than the majority grade α, α, and the share worse than it."""
    total = sum(grades)
    alpha = majority_grade(grades)
    if alpha is None:
        return (0.0, 0, 0.0)
    better = sum(grades[:alpha]) / total
    worse = sum(grades[alpha + 1:]) / total
    return (better, alpha, worse)
