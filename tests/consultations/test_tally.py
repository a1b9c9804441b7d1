"""Tallying on its own: counts, blanks, and majority judgment with its tie-break."""

from hypothesis import given, settings
from hypothesis import strategies as st

from participation.consultations import tally
from participation.consultations.tally import APPROVAL, JUDGMENT, SINGLE, QuestionSpec

SINGLE_Q = QuestionSpec(1, SINGLE, (10, 11, 12))
APPROVAL_Q = QuestionSpec(2, APPROVAL, (20, 21, 22, 23))
JUDGMENT_Q = QuestionSpec(3, JUDGMENT, (30, 31, 32), grade_count=7)


def test_counts_and_blanks():
    ballots = [
        {"1": [10], "2": [20, 21], "3": {"30": 0, "31": 6, "32": 3}},
        {"1": [10], "2": [21], "3": {"30": 1, "31": 5, "32": 3}},
        {"1": [], "2": [], "3": {}},
        {"1": [12]},  # a question missing from a ballot counts as blank
    ]
    result = tally.tally([SINGLE_Q, APPROVAL_Q, JUDGMENT_Q], ballots)
    assert result["ballots"] == 4
    assert result["questions"]["1"] == {"blank": 1, "counts": {"10": 2, "11": 0, "12": 1}}
    assert result["questions"]["2"] == {"blank": 2,
                                        "counts": {"20": 1, "21": 2, "22": 0, "23": 0}}
    assert result["questions"]["3"]["blank"] == 2
    assert result["questions"]["3"]["grades"]["30"] == [1, 1, 0, 0, 0, 0, 0]


def test_no_ballot_at_all():
    result = tally.tally([SINGLE_Q, JUDGMENT_Q], [])
    assert result["ballots"] == 0
    assert result["questions"]["1"]["counts"] == {"10": 0, "11": 0, "12": 0}
    assert tally.percent(0, 0) == 0.0
    assert tally.majority_grade([0] * 7) is None
    assert tally.judgment_ranking(result["questions"]["3"]["grades"]) == []


def test_percentages_and_ranking_with_ties():
    assert tally.percent(1, 3) == 33.3
    assert tally.ranking({"a": 5, "b": 7, "c": 5, "d": 0}) == [
        (1, "b"), (2, "a"), (2, "c"), (4, "d")]


# Grades as indexes, best first: 0 Excellent, 1 Très bien, 2 Bien, 3 Assez bien,
# 4 Passable, 5 Insuffisant, 6 À rejeter.
def counts(*judgments, grades=7):
    result = [0] * grades
    for grade in judgments:
        result[grade] += 1
    return result


def test_majority_grade_is_the_lower_median():
    # Balinski and Laraki (2007): with an even number of judgments, the majority grade
    # is the lower of the two middle ones.
    assert tally.majority_grade(counts(0, 4)) == 4
    assert tally.majority_grade(counts(0, 2, 6)) == 2
    assert tally.majority_grade(counts(0, 0, 1, 6)) == 1
    assert tally.merit_profile(counts(0, 0, 1, 6)) == [50.0, 25.0, 0.0, 0.0, 0.0, 0.0, 25.0]


def test_majority_value_removes_one_median_judgment_at_a_time():
    # Worked by hand from the definition: {TB, B, B, P} → B; {TB, B, P} → B; {TB, P} → P;
    # {TB} → TB.
    assert list(tally.majority_values(counts(1, 2, 2, 4))) == [2, 2, 4, 1]


def test_tie_on_majority_grade_broken_by_the_next_value():
    # Both have "Bien" as majority grade. Removing one "Bien": A keeps "Passable" (4),
    # B falls to "Insuffisant" (5): A ranks first.
    a = counts(2, 2, 4)
    b = counts(1, 2, 5)
    assert tally.majority_grade(a) == tally.majority_grade(b) == 2
    assert tally.compare_judgments(a, b) == -1
    assert tally.judgment_ranking({"b": b, "a": a}) == [(1, "a"), (2, "b")]


def test_the_majority_gauge_decides_when_p_and_q_differ():
    # Same majority grade "Bien"; A has more judgments above it than below it (Bien+),
    # B more below than above (Bien−): Bien+ ranks above Bien−.
    a = counts(0, 0, 0, 2, 2, 5, 6)
    b = counts(1, 2, 2, 2, 4, 5, 6)
    pa, alpha_a, qa = tally.majority_gauge(a)
    pb, alpha_b, qb = tally.majority_gauge(b)
    assert alpha_a == alpha_b == 2 and pa > qa and pb < qb
    assert tally.compare_judgments(a, b) == -1


def test_identical_profiles_tie_and_share_a_rank():
    ranking = tally.judgment_ranking({"x": counts(0, 3, 6), "y": counts(6, 0, 3),
                                      "z": counts(6, 6, 6)})
    assert ranking == [(1, "x"), (1, "y"), (3, "z")]


# --- Properties ---------------------------------------------------------------------------

grade_counts = st.integers(min_value=5, max_value=7)


@st.composite
def judgment_ballots(draw):
    grades = draw(grade_counts)
    options = draw(st.integers(min_value=2, max_value=4))
    ballots = draw(st.lists(st.lists(st.integers(0, grades - 1), min_size=options,
                                     max_size=options), min_size=1, max_size=40))
    return grades, options, ballots


def _judgment_tally(grades, options, ballots):
    spec = QuestionSpec(1, JUDGMENT, tuple(range(options)), grade_count=grades)
    return tally.tally([spec], [{"1": {str(o): g for o, g in enumerate(b)}} for b in ballots])


@given(st.lists(st.one_of(st.none(), st.sampled_from([10, 11, 12])), max_size=60),
       st.lists(st.lists(st.sampled_from([20, 21, 22, 23]), max_size=2, unique=True),
                max_size=60))
def test_totals_equal_the_number_of_ballots(singles, approvals):
    ballots = [{"1": [] if s is None else [s]} for s in singles]
    result = tally.tally([SINGLE_Q], ballots)
    counted = result["questions"]["1"]
    assert sum(counted["counts"].values()) + counted["blank"] == len(ballots) == \
        result["ballots"]
    result = tally.tally([APPROVAL_Q], [{"2": a} for a in approvals])
    counted = result["questions"]["2"]
    assert counted["blank"] == sum(1 for a in approvals if not a)
    assert sum(counted["counts"].values()) == sum(len(a) for a in approvals)


@given(judgment_ballots())
def test_every_option_is_graded_by_every_ballot(case):
    grades, options, ballots = case
    result = _judgment_tally(grades, options, ballots)
    for per_option in result["questions"]["1"]["grades"].values():
        assert sum(per_option) == len(ballots)


@settings(max_examples=300)
@given(judgment_ballots(), st.data())
def test_raising_a_grade_never_lowers_majority_grade_or_rank(case, data):
    grades, options, ballots = case
    which = data.draw(st.integers(0, len(ballots) - 1))
    option = data.draw(st.integers(0, options - 1))
    current = ballots[which][option]
    if current == 0:
        return  # already the best grade
    better = data.draw(st.integers(0, current - 1))
    before = _judgment_tally(grades, options, ballots)["questions"]["1"]["grades"]
    raised = [list(b) for b in ballots]
    raised[which][option] = better
    after = _judgment_tally(grades, options, raised)["questions"]["1"]["grades"]
    key = str(option)
    assert tally.majority_grade(after[key]) <= tally.majority_grade(before[key])
    rank_before = dict((o, r) for r, o in tally.judgment_ranking(before))[key]
    rank_after = dict((o, r) for r, o in tally.judgment_ranking(after))[key]
    assert rank_after <= rank_before


@given(judgment_ballots())
def test_ranking_agrees_with_the_majority_gauge(case):
    # Balinski and Laraki: with the same majority grade, an option with more judgments
    # above it than below ranks above one with more below than above.
    grades, options, ballots = case
    result = _judgment_tally(grades, options, ballots)["questions"]["1"]["grades"]
    for a in result.values():
        for b in result.values():
            pa, alpha_a, qa = tally.majority_gauge(a)
            pb, alpha_b, qb = tally.majority_gauge(b)
            if alpha_a == alpha_b and pa > qa and pb < qb:
                assert tally.compare_judgments(a, b) == -1
            if alpha_a < alpha_b:
                assert tally.compare_judgments(a, b) == -1
