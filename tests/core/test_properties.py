"""Properties of the services that user input goes through, checked on many generated
inputs by hypothesis (issue 10, item 2): text cleaning, Markdown rendering, money,
Paris time, small numbers and tallies."""

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from participation.actions.services import parse_euros
from participation.consultations import tally
from participation.consultations.tally import APPROVAL, JUDGMENT, SINGLE, QuestionSpec
from participation.core.errors import DomainError
from participation.core.forms import PARIS, to_paris, to_utc
from participation.core.http import clean_input
from participation.core.privacy import SMALL, THRESHOLD, small_number
from participation.core.text import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, clean_line, render_markdown

# Pieces attackers put together: tags, handlers, schemes, entities, Markdown syntax.
PIECES = st.sampled_from([
    "<", ">", "</", "/>", "script", "SCRIPT", "ScRiPt", "img", "svg", "math", "iframe",
    "a", "style", "noscript", "template", "details", " src=x", " onerror=", " onload=",
    " ONMOUSEOVER=", "alert(1)", "\"", "'", "`", "=", " href=", "javascript:", "JaVaScRiPt:",
    "java\tscript:", "java&#x09;script:", "&#106;avascript:", "data:text/html,", "vbscript:",
    "&lt;", "&#60;", "\\u003c", "%3C", "[", "]", "(", ")", "](", "![", "<!--", "-->", "]]>",
    "<![CDATA[", "\n", "\n\n", " ", "*", "_", "`", "```", "> ", "- ", "1. ", "#", "http://x.fr",
    "mailto:a@b.fr", "\x00", "\u202e", "\ufeff", "é", "😀",
])
HOSTILE_TEXT = st.one_of(st.lists(PIECES, max_size=40).map("".join), st.text(max_size=200))

SAFE_SCHEMES = ("http://", "https://", "mailto:")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


@settings(max_examples=400, deadline=None)
@given(HOSTILE_TEXT)
@example("<script>alert(1)</script>")
@example("[x](javascript:alert(1))")
@example("[x](&#106;avascript:alert(1))")
@example("<a href=\"java\tscript:alert(1)\">x</a>")
@example("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>")
@example("<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">")
@example("![x](x\" onerror=\"alert(1))")
def test_markdown_never_outputs_script_handlers_or_dangerous_links(text):
    html = str(render_markdown(text))
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, (tag, html)
        for name, value in attrs:
            assert name in ALLOWED_ATTRIBUTES.get(tag, []), (tag, name, html)
            assert not name.startswith("on")
            if name == "href":
                assert value.startswith(SAFE_SCHEMES) or not re.match(
                    r"\s*[a-z][a-z0-9+.-]*:", value, re.I), (value, html)
    assert "<script" not in html.lower()


INVISIBLE = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


@settings(max_examples=300, deadline=None)
@given(HOSTILE_TEXT)
def test_clean_line_leaves_one_visible_line(text):
    line = clean_line(text)
    assert not INVISIBLE.search(line)
    assert line == line.strip() and "  " not in line
    assert unicodedata.is_normalized("NFC", line)
    assert clean_line(line) == line  # cleaning twice changes nothing


@given(st.text(max_size=200))
def test_clean_input_removes_controls_and_keeps_the_rest(text):
    cleaned = clean_input(text)
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", cleaned)
    assert cleaned == "".join(c for c in text if not re.match(
        r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", c))
    assert clean_input(cleaned) == cleaned


# ------------------------------------------------------------------ money

CENTS = st.integers(min_value=0, max_value=999_999_999 * 100 + 99)


def _french(cents):
    euros, rest = divmod(cents, 100)
    grouped = f"{euros:,}".replace(",", "\u202f")
    return f"{grouped},{rest:02d} €"


@given(CENTS)
def test_euros_round_trip_through_the_ways_people_write_them(cents):
    euros, rest = divmod(cents, 100)
    assert parse_euros(_french(cents)) == cents
    assert parse_euros(f"{euros}.{rest:02d}") == cents
    assert parse_euros(f"{euros:,}".replace(",", " ") + f",{rest:02d}") == cents
    if rest % 10 == 0:
        assert parse_euros(f"{euros},{rest // 10}") == cents
    if rest == 0:
        assert parse_euros(f"{euros}") == cents


@given(st.text(max_size=40))
@example("1e309")
@example("-12")
@example("10" * 30)
@example("NaN")
@example("12,345")
def test_anything_else_is_refused_or_a_plausible_amount(text):
    try:
        cents = parse_euros(text)
    except DomainError:
        return
    assert cents is None or 0 <= cents <= 999_999_999 * 100 + 99


# ------------------------------------------------------------------ Paris time

UTC_TIMES = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 12, 30),
                         timezones=st.just(UTC))
PARIS_WALL = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 12, 30))


@given(UTC_TIMES)
def test_a_stored_time_shown_in_paris_and_read_back_is_the_same_instant(moment):
    assert to_utc(to_paris(moment)) == moment


def _exists_in_paris(wall: datetime) -> bool:
    aware = wall.replace(tzinfo=PARIS)
    return aware.astimezone(UTC).astimezone(PARIS).replace(tzinfo=None) == wall


@given(PARIS_WALL)
def test_a_time_typed_in_paris_is_shown_as_typed(wall):
    stored = to_utc(wall)
    assert stored.utcoffset() == timedelta(0)
    shown = to_paris(stored)
    if _exists_in_paris(wall):
        assert shown == wall
    else:  # in the hour skipped when clocks go forward: shown an hour later, not lost
        assert shown - wall == timedelta(hours=1)


def test_the_spring_gap_and_the_autumn_fold():
    assert not _exists_in_paris(datetime(2027, 3, 28, 2, 30))
    assert to_paris(to_utc(datetime(2027, 3, 28, 2, 30))) == datetime(2027, 3, 28, 3, 30)
    # 2:30 happens twice on 31 October 2027: the first one is taken, consistently.
    assert to_utc(datetime(2027, 10, 31, 2, 30)) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


# ------------------------------------------------------------------ small numbers

@given(st.integers(min_value=0, max_value=10**12))
def test_small_numbers_never_say_how_few(n):
    shown = small_number(n)
    if n < THRESHOLD:
        assert shown == SMALL
    else:
        assert shown == n


# ------------------------------------------------------------------ tallies

QUESTIONS = [QuestionSpec(1, SINGLE, (10, 11, 12)), QuestionSpec(2, APPROVAL, (20, 21, 22)),
             QuestionSpec(3, JUDGMENT, (30, 31), grade_count=5)]
BALLOTS = st.lists(st.fixed_dictionaries({
    "1": st.one_of(st.just([]), st.sampled_from([10, 11, 12]).map(lambda o: [o])),
    "2": st.lists(st.sampled_from([20, 21, 22]), unique=True, max_size=2),
    "3": st.one_of(st.just({}), st.fixed_dictionaries({"30": st.integers(0, 4),
                                                       "31": st.integers(0, 4)})),
}), max_size=40)


@settings(deadline=None)
@given(BALLOTS, st.randoms(use_true_random=False))
def test_the_tally_does_not_depend_on_the_order_of_the_ballots(ballots, random):
    shuffled = list(ballots)
    random.shuffle(shuffled)
    assert tally.tally(QUESTIONS, ballots) == tally.tally(QUESTIONS, shuffled)


@settings(deadline=None)
@given(BALLOTS)
def test_every_ballot_is_counted_once_per_question(ballots):
    result = tally.tally(QUESTIONS, ballots)
    assert result["ballots"] == len(ballots)
    single = result["questions"]["1"]
    assert single["blank"] + sum(single["counts"].values()) == len(ballots)
    judged = result["questions"]["3"]
    for option in ("30", "31"):
        assert judged["blank"] + sum(judged["grades"][option]) == len(ballots)


@given(st.lists(st.integers(0, 50), min_size=5, max_size=5),
       st.lists(st.integers(0, 50), min_size=5, max_size=5))
def test_comparing_judgments_is_antisymmetric(a, b):
    assume(sum(a) and sum(b))
    assert tally.compare_judgments(a, b) == -tally.compare_judgments(b, a)
    assert tally.compare_judgments(a, a) == 0
    assert 0 <= tally.majority_grade(a) < 5


@pytest.mark.parametrize("text", ["1e309", str(10**30), "-5", "12,345", "1.2.3", "NaN"])
def test_amounts_people_should_not_type_are_refused_in_words(text):
    with pytest.raises(DomainError):
        parse_euros(text)
