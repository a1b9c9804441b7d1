"""Small numbers: what a public breakdown may say about how many people did something."""

# Below this many people, a cell of a breakdown (by commune, centre, channel…) could
# single someone out in a small commune: it is published as "< 5", never exactly.
THRESHOLD = 5
SMALL = "< 5"


def small_number(n: int) -> int | str:
    """``n`` for a breakdown cell of people, or ``"< 5"`` when fewer than five.

    Totals are published exactly; only the cells that split them go through here
    (issue 8, item 6), in the API, the public pages and the exports alike.
    """
    return SMALL if n < THRESHOLD else n
