"""Who sits in the Conseil sees the participation results, a representative included."""

from datetime import timedelta

from participation.core.models import utcnow
from participation.core.permissions import has_perm
from participation.council import services
from tests import factories
from tests.council.conftest import centre


def test_a_representative_without_a_role_sees_the_results(council, admin, president,
                                                           inhabitant):
    deputy = factories.UserFactory(pseudonym="Suppléante")
    assert not has_perm(deputy, "results.view")
    today = services.paris_today(utcnow())
    services.name_representative(admin, council, centre("Espace Fort"), "president", deputy,
                                 today - timedelta(days=1), None)
    assert has_perm(deputy, "results.view")
    assert not has_perm(inhabitant, "results.view")
