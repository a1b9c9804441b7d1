"""Demo proposals: about sixty ideas across the three communes, in every status."""

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from participation.accounts.models import User
from participation.accounts.services import pseudonym_key
from participation.extensions import db
from participation.proposals import services
from participation.proposals.models import Theme
from participation.territory.models import Centre, Commune

IDEAS = [
    ("Santé et prévention", "Des ateliers de prévention du diabète au centre",
     "Beaucoup de voisins ne savent pas qu'ils sont à risque. Des ateliers avec une "
     "infirmière, une fois par mois, avec un goûter équilibré."),
    ("Santé et prévention", "Un bus de dépistage sur le marché",
     "Le jour du marché, un bus de dépistage (tension, vue, audition) toucherait des "
     "personnes qui ne vont jamais chez le médecin."),
    ("Jeunesse", "Un local pour les ados le samedi après-midi",
     "Les jeunes de 13 à 17 ans n'ont nulle part où aller le samedi. Un local avec des jeux, "
     "de la musique et un animateur."),
    ("Jeunesse", "Un échange avec des jeunes de Douvres",
     "Comme le voyage en Angleterre d'il y a quelques années : une semaine d'échange avec "
     "des jeunes de Douvres pour pratiquer l'anglais."),
    ("Familles", "Des sorties à la plage pour les familles en été",
     "Un car le mercredi en juillet et août pour aller à la plage avec pique-nique, pour "
     "les familles sans voiture."),
    ("Familles", "Une ludothèque ouverte le mercredi",
     "Prêter des jeux de société aux familles et jouer ensemble au centre le mercredi."),
    ("Seniors", "Un repas partagé chaque mois entre générations",
     "Les personnes âgées seules et les familles cuisinent et mangent ensemble une fois "
     "par mois."),
    ("Seniors", "Des visites de convivialité chez les personnes isolées",
     "Des bénévoles formés rendent visite aux personnes âgées isolées une fois par semaine."),
    ("Cadre de vie", "Des bancs le long de la digue",
     "Il manque des bancs pour se reposer en marchant le long de la digue, surtout pour les "
     "personnes âgées."),
    ("Cadre de vie", "Un jardin partagé derrière le centre",
     "Le terrain derrière le centre est vide. Des bacs de culture, un composteur et des "
     "ateliers jardinage avec les écoles."),
    ("Mobilité", "Un atelier de réparation de vélos",
     "Une fois par mois, apprendre à réparer son vélo avec des bénévoles et des outils "
     "partagés."),
    ("Mobilité", "Un covoiturage pour aller au marché",
     "Mettre en relation les personnes qui vont au marché en voiture et celles qui n'en "
     "ont pas."),
    ("Culture et loisirs", "Une fête des voisins entre les trois communes",
     "Une grande fête commune à Calais, Marck et Sangatte, avec les associations."),
    ("Culture et loisirs", "Du cinéma en plein air l'été",
     "Trois soirées de cinéma en plein air dans les quartiers, avec des films choisis par "
     "les habitant·es."),
    ("Solidarité", "Une boîte à dons devant chaque centre",
     "Une armoire où chacun dépose et prend vêtements, livres et objets en bon état."),
    ("Solidarité", "Une épicerie solidaire à Marck",
     "Il n'y a pas d'épicerie solidaire à Marck ; les familles doivent aller à Calais."),
    ("Emploi et formation", "Des ateliers CV et entretiens d'embauche",
     "Préparer son CV et s'entraîner aux entretiens avec des professionnels bénévoles."),
    ("Numérique", "Une permanence d'aide aux démarches en ligne",
     "Beaucoup de démarches (CAF, impôts, santé) se font sur Internet ; une aide chaque "
     "semaine au centre."),
    ("Numérique", "Des cours d'initiation au smartphone pour les seniors",
     "Apprendre à envoyer des photos, faire une visio avec ses petits-enfants, se protéger "
     "des arnaques."),
    ("Environnement", "Un ramassage des déchets sur la plage",
     "Un samedi par mois, ramasser les déchets sur la plage avec les écoles et les "
     "associations."),
]
PEOPLE = ["Amina", "Bruno", "Chloé", "Dylan", "Emma", "Farid", "Gaëlle", "Hugo", "Inaya",
          "Jules", "Kevin", "Laura", "Mehdi", "Nathalie", "Océane", "Patrick", "Quentin",
          "Rachida", "Sébastien", "Thérèse", "Ulysse", "Valérie", "William", "Yasmina",
          "Zoé"]
COMMENTS = [
    "Très bonne idée, je suis partante pour aider.",
    "Il faudrait aussi penser aux personnes qui ne peuvent pas se déplacer.",
    "On en a parlé à la réunion des parents, beaucoup sont intéressés.",
    "Pourquoi pas, mais qui s'en occupera le week-end ?",
    "Je connais une association qui fait déjà ça, je peux faire le lien.",
    "Oui ! Et ce serait bien que ce soit gratuit.",
]


def load_proposals_demo(cast: dict[str, User], now: datetime) -> None:
    rng = random.Random(2026)  # noqa: S311  # nosec B311 — demo data, same every time
    communes = {c.name: c for c in db.session.scalars(sa.select(Commune))}
    centres = list(db.session.scalars(sa.select(Centre).order_by(Centre.id)))
    themes = {t.name_fr: t for t in db.session.scalars(sa.select(Theme))}
    people = [cast["habitant"], cast["nouvelle"]]
    for name in PEOPLE:
        commune = rng.choice(list(communes.values()))
        person = User(email=f"{pseudonym_key(name)}@example.org", email_confirmed_at=now,
                      pseudonym=name, pseudonym_key=pseudonym_key(name), commune=commune,
                      birth_year=rng.randint(1945, 2008), locale="fr", privacy_accepted_at=now,
                      password_hash=cast["habitant"].password_hash)
        db.session.add(person)
        people.append(person)
    db.session.flush()
    staff = {c.id: services.moderators_of(c.id) for c in centres}
    admin = cast["admin"]

    def moderator_for(centre):
        return (staff[centre.id] or [admin])[0]

    # Every status, in proportions a real territory would show.
    plan = (["published"] * 18 + ["under_study"] * 10 + ["retained"] * 9
            + ["not_retained"] * 6 + ["submitted"] * 6 + ["changes_requested"] * 2
            + ["rejected"] * 2 + ["withdrawn"] * 3 + ["draft"] * 4)
    for index, status in enumerate(plan):
        theme_name, title, body = IDEAS[index % len(IDEAS)]
        commune = rng.choice([*communes.values(), None])
        centre = next((c for c in centres if commune and c.commune_id == commune.id),
                      rng.choice(centres))
        if status == "submitted" or (commune and commune.name == "Calais" and index % 2):
            # Matisse, where the demo animator works, has its own queue to moderate.
            centre = next(c for c in centres if c.short_name == "Matisse")
        author = people[index % len(people)]
        # Ideas still waiting for an answer are recent, as the 30-day promise wants;
        # one is left late on purpose, to show what a late answer looks like.
        age = rng.randint(3, 26) if status in ("published", "submitted", "draft") else \
            rng.randint(30, 120)
        if index == 0:
            age = 45
        start = now - timedelta(days=age, hours=rng.randint(0, 12))
        suffix = "" if index < len(IDEAS) else f" ({commune.name if commune else 'Calaisis'})"
        data = services.ProposalData(title=(title + suffix)[:120], body=body,
                                     theme=themes[theme_name], commune=commune, centre=centre)
        proposal = services.create_proposal(author, data, start)
        if status == "draft":
            continue
        services.submit(proposal, author, start + timedelta(minutes=5))
        moderator = moderator_for(centre)
        moderated = start + timedelta(days=1)
        if status == "submitted":
            continue
        if status == "changes_requested":
            services.request_changes(proposal, moderator, "Pouvez-vous préciser le lieu et "
                                     "le public visé ?", moderated)
            continue
        if status == "rejected":
            services.reject(proposal, moderator, "Cette proposition vise une personne "
                            "nommément ; reformulez-la sans nom.", moderated)
            continue
        services.publish(proposal, moderator, moderated)
        for supporter in rng.sample(people, rng.randint(0, 14)):
            if supporter.id != author.id:
                services.set_support(supporter, proposal, True, moderated + timedelta(hours=3))
        for n in range(rng.randint(0, 3)):
            services.add_comment(rng.choice(people), proposal, rng.choice(COMMENTS),
                                 moderated + timedelta(hours=5 + n))
        answered = moderated + timedelta(days=rng.randint(2, 25))
        if status == "withdrawn":
            services.withdraw(proposal, author, answered)
        elif status in ("under_study", "retained", "not_retained"):
            services.answer(proposal, moderator, "under_study",
                            "Nous étudions cette idée avec l'équipe du centre ; réponse "
                            "détaillée au prochain Conseil.", answered)
            if status == "retained":
                services.answer(proposal, moderator, "retained",
                                "Retenue : elle sera présentée au Conseil des Centres Sociaux "
                                "pour devenir une fiche action.", answered + timedelta(days=9))
            elif status == "not_retained":
                services.answer(proposal, moderator, "not_retained",
                                "Non retenue pour cette année : le budget et les locaux ne le "
                                "permettent pas. Nous la gardons pour l'an prochain.",
                                answered + timedelta(days=9))
    # One comment hidden by reports from three people, as happens.
    target = services.add_comment(people[3], proposal_with_comments(), "Ce voisin du 12 est "
                                  "un escroc, méfiez-vous de lui !", now - timedelta(days=2))
    for reporter in people[5:8]:
        services.report(reporter, target.proposal, "insult", None, now - timedelta(days=1),
                        comment=target)


def proposal_with_comments():
    from participation.proposals.models import Proposal

    return db.session.scalars(sa.select(Proposal).where(Proposal.status == "published")
                              .order_by(Proposal.support_count.desc())).first()
