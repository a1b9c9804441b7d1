"""The territory: the three communes and the organisations of the charter."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.models import TimestampMixin
from participation.extensions import db


class Commune(TimestampMixin, db.Model):
    """One of the communes of the Calaisis where the centres work.

    People living elsewhere register with "autre commune" (no commune).
    """

    __tablename__ = "communes"
    __table_args__ = (sa.CheckConstraint("population >= 0", name="population_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    postal_code: Mapped[str] = mapped_column(sa.String(5))
    # Entered by an admin; used to compare turnout with the population.
    population: Mapped[int | None] = mapped_column(sa.Integer)

    def __str__(self) -> str:
        return f"{self.name} ({self.postal_code})"


class Organisation(TimestampMixin, db.Model):
    """A social centre, the federation, or a partner named by the charter.

    One table, told apart by ``kind``: ``Centre``, ``Federation`` and
    ``Partner`` are the classes the rest of the code uses.
    """

    __tablename__ = "organisations"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('centre', 'federation', 'partner')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(160), unique=True)
    short_name: Mapped[str] = mapped_column(sa.String(60))
    commune_id: Mapped[int | None] = mapped_column(sa.ForeignKey("communes.id"))
    # Where it is when not one of our communes (the federation sits in Arques).
    town: Mapped[str | None] = mapped_column(sa.String(80))
    address: Mapped[str | None] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    description: Mapped[str | None] = mapped_column(sa.Text)

    commune: Mapped[Commune | None] = relationship()

    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_abstract": True}

    @property
    def place(self) -> str:
        return self.commune.name if self.commune else (self.town or "")

    def __str__(self) -> str:
        return self.name


class Centre(Organisation):
    """One of the four social centres of the charter."""

    __mapper_args__ = {"polymorphic_identity": "centre"}


class Federation(Organisation):
    """The Fédération des Centres Sociaux du Pas-de-Calais."""

    __mapper_args__ = {"polymorphic_identity": "federation"}


class Partner(Organisation):
    """An institution the centres work with (CAF, Département, Région, EPCI)."""

    __mapper_args__ = {"polymorphic_identity": "partner"}
