"""A believable local node on real places: the data behind `manage.py demo`.

Names of organisations are made up from the real ward names of the borough; volunteers are
placed in real LSOAs in proportion to their population (IoD2019 denominators), so dashboards
by deprivation decile look like the borough does. Nothing here is a real person or body.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module

from django.contrib.auth.hashers import make_password
from django.db import transaction

from covenant.places.models import LSOA, LocalAuthority

from . import audit, authz, services
from .models import (
    ContactChannel,
    NodeRoleName,
    Organisation,
    OrganisationKind,
    OrgRole,
    User,
    VerificationStatus,
    VolunteerProfile,
)

DEMO_PASSWORD = "covenant-demo-2026"
DEMO_DOMAIN = "example.org"

FIRST_NAMES = [
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Mia",
    "Ivy",
    "Lily",
    "Isabella",
    "Rosie",
    "Sophia",
    "Grace",
    "Freya",
    "Willow",
    "Emily",
    "Ella",
    "Poppy",
    "Evie",
    "Charlotte",
    "Sienna",
    "Daisy",
    "Phoebe",
    "Ruby",
    "Evelyn",
    "Sophie",
    "Florence",
    "Alice",
    "Harper",
    "Jessica",
    "Noah",
    "Oliver",
    "George",
    "Leo",
    "Arthur",
    "Muhammad",
    "Harry",
    "Oscar",
    "Archie",
    "Henry",
    "Theodore",
    "Jack",
    "Charlie",
    "Freddie",
    "Alfie",
    "Thomas",
    "Jacob",
    "Finley",
    "Lucas",
    "Isaac",
    "Joshua",
    "Tommy",
    "Teddy",
    "Mohammed",
    "Reggie",
    "Albert",
    "Jude",
    "Roman",
    "Ezra",
    "Ronnie",
    "Hugo",
    "Elijah",
    "Edward",
    "Max",
    "Frankie",
    "Ali",
    "Omar",
    "Priya",
    "Aisha",
    "Fatima",
    "Zara",
    "Margaret",
    "Patricia",
    "Susan",
    "Linda",
    "Barbara",
    "Elizabeth",
    "Jean",
    "Maureen",
    "John",
    "David",
    "Michael",
    "Paul",
    "Peter",
    "Kevin",
    "Brian",
    "Anthony",
    "Christopher",
    "Sean",
    "Siobhan",
    "Bernadette",
    "Kathleen",
    "Eileen",
    "Ian",
    "Gary",
    "Stephen",
]
SURNAMES = [
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Davis",
    "Parker",
    "Price",
    "Bennett",
    "Young",
    "Griffiths",
    "Mitchell",
    "Kelly",
    "Cook",
    "Carter",
    "Richardson",
    "Bailey",
    "Collins",
    "Bell",
    "Shaw",
    "Murphy",
    "Miller",
    "Cox",
    "Richards",
    "Khan",
    "Marshall",
    "Anderson",
    "Simpson",
    "Ellis",
    "Adams",
    "Singh",
    "Begum",
    "Wilkinson",
    "Foster",
    "Chapman",
    "Powell",
    "Webb",
    "Rogers",
    "Gray",
    "Mason",
    "Ali",
    "Hunt",
    "Hussain",
    "Campbell",
    "Matthews",
    "Owen",
    "Palmer",
    "Holmes",
    "Mills",
    "Barnes",
    "Knight",
    "Lloyd",
    "Butler",
    "Russell",
    "Barker",
    "Fisher",
    "Stevens",
    "Jenkins",
    "Murray",
    "Dixon",
    "Harvey",
    "Doyle",
    "McCarthy",
    "Byrne",
    "Quinn",
    "Gallagher",
]

# (kind, how many, name patterns; {place} is a real ward of the borough, {la} its name)
ORGANISATION_PLAN: list[tuple[str, int, list[str]]] = [
    (
        OrganisationKind.CHARITY,
        11,
        [
            "{place} Community Pantry",
            "{la} Carers' Centre",
            "{place} Older People's Lunch Club",
            "{la} Mental Health Support",
            "{place} Youth Trust",
            "{la} Citizens Advice Partnership",
            "{place} Foodbank",
            "{la} Hospice at Home",
            "{place} Family Hub",
            "{la} Sight Support",
            "{place} Debt and Money Advice",
        ],
    ),
    (
        OrganisationKind.CIO,
        8,
        [
            "{place} Community Hub CIO",
            "{la} Refugee Welcome",
            "{place} Dementia Friends",
            "{la} Bereavement Service",
            "{place} Play Association",
            "{la} Domestic Abuse Support",
            "{place} Gardening Together",
            "{la} Autism Parents' Network",
        ],
    ),
    (
        OrganisationKind.CIC,
        6,
        [
            "{place} Repair Café CIC",
            "{la} Wellbeing Walks CIC",
            "{place} Community Kitchen CIC",
            "{la} Digital Inclusion CIC",
            "{place} Arts Collective CIC",
            "{la} Bike Recycling CIC",
        ],
    ),
    (
        OrganisationKind.COMMUNITY_GROUP,
        12,
        [
            "{place} Residents' Association",
            "{place} Men's Shed",
            "Friends of {place} Park",
            "{place} Knit and Natter",
            "{place} Litter Pickers",
            "{place} Toddler Group",
            "{place} Mutual Aid",
            "{place} Allotment Society",
            "{place} Good Neighbours",
            "{place} Tenants' Forum",
            "{place} Walking Football",
            "{place} Community Choir",
        ],
    ),
    (
        OrganisationKind.FAITH_GROUP,
        8,
        [
            "St Mary's Church, {place}",
            "{place} Methodist Church",
            "{place} Mosque and Community Centre",
            "St Joseph's Parish, {place}",
            "{place} Baptist Church",
            "{place} Gurdwara",
            "Salvation Army {place}",
            "{place} Quaker Meeting",
        ],
    ),
    (
        OrganisationKind.COMMUNITY_TRANSPORT,
        3,
        ["{la} Community Transport", "{place} Dial-a-Ride", "{place} Hospital Car Scheme"],
    ),
    (
        OrganisationKind.SOCIAL_ENTERPRISE,
        5,
        [
            "{place} Community Café",
            "{la} Furniture Reuse",
            "{place} Laundrette Co-operative",
            "{la} Training Kitchen",
            "{place} Community Energy",
        ],
    ),
    (
        OrganisationKind.PUBLIC_BODY,
        3,
        [
            "{la} Borough Council",
            "{la} Integrated Care Partnership",
            "{place} Primary Care Network",
        ],
    ),
    (OrganisationKind.FUNDER, 2, ["{la} Community Foundation", "{place} Big Local Trust"]),
    (
        OrganisationKind.COMPANY,
        3,
        ["{place} Builders Ltd", "{la} Cleaning Services Ltd", "{place} Print and Design Ltd"],
    ),
]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    where: str


@dataclass(frozen=True)
class DemoContext:
    """What each app's demo builder (`covenant.<app>.demo.build`) starts from: the node's
    place, its organisations by kind (verified ones first), the named staff accounts and the
    volunteers. Builders run in APP_DEMOS order inside the demo's transaction, so a later app
    may use what an earlier one made; each should take a few seconds at most."""

    la: LocalAuthority
    lsoas: list[LSOA]
    seed: int
    node_admin: User
    cvs_staff: User
    cvs: Organisation
    organisations: dict[str, list[Organisation]]
    people: dict[str, User]
    volunteer: User

    def rng(self, app: str) -> random.Random:
        """A generator of its own for each app, so one app's demo does not shift another's."""
        return random.Random(f"{self.seed}:{app}")

    def organisation(self, kind: str) -> Organisation:
        """The first organisation of a kind (the demo accounts work for it)."""
        return self.organisations[kind][0]


# Apps whose demo builders run after the core's, in this order.
APP_DEMOS = (
    "volunteering",
    "reserve",
    "supplies",
    "funds",
    "commissioning",
    "challenges",
    "transport",
)


@dataclass(frozen=True)
class DemoResult:
    organisations: int
    volunteers: int
    accounts: list[DemoAccount]


def _places(la: LocalAuthority) -> tuple[list[LSOA], list[str]]:
    lsoas = list(LSOA.objects.filter(local_authority=la).select_related("ward").order_by("code"))
    wards = sorted({lsoa.ward.name for lsoa in lsoas if lsoa.ward is not None})
    if not wards:
        wards = sorted({lsoa.name.rsplit(" ", 1)[0] for lsoa in lsoas})
    return lsoas, wards


def demo_accounts() -> list[DemoAccount]:
    return [
        DemoAccount(f"{name}@{DEMO_DOMAIN}", role, where)
        for name, role, where in (
            ("nodeadmin", "Node administrator and CVS staff", "the node"),
            ("cvs", "CVS staff (verifies organisations)", "the CVS"),
            ("admin", "Organisation administrator", "a community pantry"),
            ("coordinator", "Coordinator", "a community pantry"),
            ("verifier", "Verifier (checks volunteers)", "the CVS"),
            ("assessor", "Grant assessor", "the community foundation"),
            ("funds", "Funds officer", "the community foundation"),
            ("commissioner", "Commissioner", "the borough council"),
            ("transport", "Administrator and coordinator", "the community transport operator"),
            ("volunteer", "Volunteer", "signed up with a profile"),
        )
    ]


def _charity_number(rng: random.Random, used: set[str]) -> str:
    while True:
        number = str(rng.randint(1_100_000, 1_209_999))
        if number not in used:
            used.add(number)
            return number


def _company_number(rng: random.Random, used: set[str]) -> str:
    while True:
        number = f"{rng.randint(9_000_000, 14_999_999):08d}"
        if number not in used:
            used.add(number)
            return number


def _make_user(email: str, full_name: str) -> User:
    user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=full_name)
    return user


def build_demo(
    *,
    la_code: str,
    volunteers: int,
    seed: int = 2020,
    progress: Callable[[Iterable[int], int], Iterable[int]] | None = None,
) -> DemoResult:
    """Build the demo node for one local authority. The caller ensures places are imported."""
    rng = random.Random(seed)
    la = LocalAuthority.objects.filter(code=la_code).first()
    if la is None:
        from .errors import NotFound

        raise NotFound(f"Local authority {la_code} is not imported. Import places first.")
    lsoas, wards = _places(la)
    if not lsoas:
        from .errors import NotFound

        raise NotFound(f"No LSOAs are imported for {la.name} ({la_code}). Import places first.")

    with transaction.atomic():
        system = authz.Actor(user_id=None, label="demo")
        node_admin = _make_user(f"nodeadmin@{DEMO_DOMAIN}", "Nadia Admin")
        services.node_admin_bootstrap(user=node_admin)
        services.node_role_grant(actor=node_admin, user=node_admin, role=NodeRoleName.CVS_STAFF)
        cvs_staff = _make_user(f"cvs@{DEMO_DOMAIN}", "Colin Verity")
        services.node_role_grant(actor=node_admin, user=cvs_staff, role=NodeRoleName.CVS_STAFF)

        cvs = services.organisation_register(
            actor=cvs_staff,
            name=f"{la.name} Council for Voluntary Service",
            kind=OrganisationKind.CHARITY,
            charity_number="1101010",
            description=f"The infrastructure body for the voluntary sector in {la.name}, "
            "running this node.",
            email=f"hello@{DEMO_DOMAIN}",
            local_authority=la.code,
            lsoa=lsoas[len(lsoas) // 2].code,
        )
        Organisation.objects.filter(pk=cvs.pk).update(runs_node=True)
        services.organisation_verify(
            notify=False, actor=cvs_staff, organisation=cvs, verified=True, is_member=True
        )

        used_charity: set[str] = {"1101010"}
        used_company: set[str] = set()
        created: dict[str, list[Organisation]] = {}
        for kind, count, patterns in ORGANISATION_PLAN:
            for i in range(count):
                place = wards[(i * 7 + len(created)) % len(wards)]
                name = patterns[i % len(patterns)].format(place=place, la=la.name)
                lsoa = rng.choice(lsoas)
                details: dict[str, str] = {
                    "name": name,
                    "kind": kind,
                    "description": f"Serving people in {place} and across {la.name}.",
                    "local_authority": la.code,
                    "lsoa": lsoa.code,
                }
                if kind in (OrganisationKind.CHARITY, OrganisationKind.CIO) or (
                    kind == OrganisationKind.COMMUNITY_TRANSPORT and i == 0
                ):
                    details["charity_number"] = _charity_number(rng, used_charity)
                if kind in (OrganisationKind.CIC, OrganisationKind.COMPANY) or (
                    kind == OrganisationKind.SOCIAL_ENTERPRISE and i % 2 == 0
                ):
                    details["company_number"] = _company_number(rng, used_company)
                slug = "".join(c for c in name.lower() if c.isalnum())[:20]
                registrant = _make_user(
                    f"{slug}.{i}@{DEMO_DOMAIN}",
                    f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                )
                organisation = services.organisation_register(actor=registrant, **details)
                created.setdefault(kind, []).append(organisation)

        # Most are checked; a few wait in the queue and one was turned down with a reason.
        everyone = [o for orgs in created.values() for o in orgs]
        rng.shuffle(everyone)
        for index, organisation in enumerate(everyone):
            if index < 6:
                continue
            if index == 6:
                services.organisation_verify(
                    notify=False,
                    actor=cvs_staff,
                    organisation=organisation,
                    verified=False,
                    note="The charity number given belongs to a different charity on the "
                    "register. Please check it and update your details.",
                )
                continue
            services.organisation_verify(
                notify=False,
                actor=cvs_staff,
                organisation=organisation,
                verified=True,
                is_member=organisation.is_voluntary,
            )

        def verified_of(kind: str) -> Organisation:
            for organisation in created[kind]:
                organisation.refresh_from_db()
                if organisation.verification_status == VerificationStatus.VERIFIED:
                    return organisation
            return created[kind][0]

        pantry = verified_of(OrganisationKind.CHARITY)
        funder = verified_of(OrganisationKind.FUNDER)
        council = verified_of(OrganisationKind.PUBLIC_BODY)
        transport = verified_of(OrganisationKind.COMMUNITY_TRANSPORT)
        staff = [
            ("admin", "Amira Khan", pantry, [OrgRole.ADMIN]),
            ("coordinator", "Connor Doyle", pantry, [OrgRole.COORDINATOR]),
            ("verifier", "Vera Okafor", cvs, [OrgRole.VERIFIER]),
            ("assessor", "Asha Patel", funder, [OrgRole.ASSESSOR]),
            ("funds", "Fergus Byrne", funder, [OrgRole.FUNDS_OFFICER]),
            ("commissioner", "Carol Mills", council, [OrgRole.COMMISSIONER]),
            ("transport", "Terry Quinn", transport, [OrgRole.ADMIN, OrgRole.COORDINATOR]),
        ]
        people: dict[str, User] = {}
        for name, full_name, organisation, roles in staff:
            person = _make_user(f"{name}@{DEMO_DOMAIN}", full_name)
            people[name] = person
            for role in roles:
                services.membership_grant(
                    actor=node_admin, organisation=organisation, email=person.email, role=role
                )
        volunteer = _make_user(f"volunteer@{DEMO_DOMAIN}", "Val Unteer")
        services.volunteer_register(
            user=volunteer,
            postcode="",
            full_name="Val Unteer",
            contact_channels=[ContactChannel.EMAIL, ContactChannel.SMS],
            lsoa_code=lsoas[0].code,
        )

        made = _volunteers(rng, lsoas, volunteers, progress)
        _passports(node_admin, cvs, transport, pantry, people["verifier"], volunteer, seed)
        for organisation in everyone:
            organisation.refresh_from_db()
        # Stable sort: the first verified organisation of each kind (the one verified_of chose,
        # where the demo accounts work) comes first.
        by_kind = {
            kind: sorted(orgs, key=lambda o: o.verification_status != VerificationStatus.VERIFIED)
            for kind, orgs in created.items()
        }
        context = DemoContext(
            la=la,
            lsoas=lsoas,
            seed=seed,
            node_admin=node_admin,
            cvs_staff=cvs_staff,
            cvs=cvs,
            organisations=by_kind,
            people=people,
            volunteer=volunteer,
        )
        for app in APP_DEMOS:
            import_module(f"covenant.{app}.demo").build(context)
        audit.record(
            actor=system,
            action="demo.load",
            local_authority=la.code,
            organisations=Organisation.objects.count(),
            volunteers=made,
        )
    return DemoResult(Organisation.objects.count(), made + 1, demo_accounts())


def _passports(
    node_admin: User,
    cvs: Organisation,
    transport: Organisation,
    pantry: Organisation,
    verifier: User,
    volunteer: User,
    seed: int,
) -> None:
    """Every demo volunteer's passport (see `covenant.passport.demo`)."""
    from covenant.passport.demo import build_passports, demo_issuers

    build_passports(
        node_admin=node_admin,
        cvs=cvs,
        transport=transport,
        issuers=demo_issuers(pantry),
        cvs_verifier=verifier,
        named_volunteer=volunteer,
        volunteers=list(
            User.objects.filter(volunteer__isnull=False).exclude(pk=volunteer.pk).order_by("email")
        ),
        seed=seed,
    )


def _volunteers(
    rng: random.Random,
    lsoas: list[LSOA],
    count: int,
    progress: Callable[[Iterable[int], int], Iterable[int]] | None,
) -> int:
    """Bulk-create volunteers placed by population. They share one password hash: hashing
    2,000 passwords would take minutes and they are demo accounts."""
    weights = [lsoa.population or 1 for lsoa in lsoas]
    homes = rng.choices(lsoas, weights=weights, k=count)
    password = make_password(DEMO_PASSWORD)
    channels = [
        [ContactChannel.EMAIL],
        [ContactChannel.EMAIL, ContactChannel.SMS],
        [ContactChannel.PHONE],
        [ContactChannel.SMS, ContactChannel.EMAIL],
    ]
    batch = 500
    steps: Iterable[int] = range(0, count, batch)
    if progress is not None:
        steps = progress(steps, (count + batch - 1) // batch)
    for start in steps:
        users = [
            User(
                email=f"volunteer{n:05d}@{DEMO_DOMAIN}",
                full_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                password=password,
            )
            for n in range(start + 1, min(start + batch, count) + 1)
        ]
        User.objects.bulk_create(users)
        saved = User.objects.filter(email__in=[u.email for u in users]).order_by("email")
        VolunteerProfile.objects.bulk_create(
            [
                VolunteerProfile(
                    user=user,
                    lsoa=homes[start + i],
                    contact_channels=rng.choice(channels),
                )
                for i, user in enumerate(saved)
            ]
        )
    return count
