"""Small numbers: a breakdown cell of fewer than five people never shows its count."""

import pytest

from participation.core.privacy import small_number


@pytest.mark.parametrize("n, shown", [(0, "< 5"), (1, "< 5"), (4, "< 5"), (5, 5), (12, 12)])
def test_small_counts_read_less_than_five(n, shown):
    assert small_number(n) == shown
