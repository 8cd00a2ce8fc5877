"""Statements of general knowledge labelled true or false, built so the surface gives nothing away.

Every relation here is one-to-one (a country has one capital, a capital one
country), so a false statement is made by giving a subject another subject's
object through a random derangement of short cycles. In each round every
fact yields one true and one false statement; a quarter of the cycles are
negated as a whole ("The capital of Peru is not Lima" is false). So every
subject and every object has exactly as many true as false statements, words
like "not" appear on both sides, and templates and lead-ins are chosen
independently of the answer. Knowing the answer needs the fact itself: a
classifier over n-grams cannot reach the agreement bar.
"""

from __future__ import annotations

import math
import random

from .common import Record, Workload, classifier_machine, pick


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """Parse ``subject = object; subject = object`` pairs written over several lines."""
    items = (item.split(" = ") for item in " ".join(text.split()).split("; ") if item)
    return tuple((subject.strip(), obj.strip()) for subject, obj in items)


CAPITALS = _pairs(
    """
    France = Paris; Germany = Berlin; Italy = Rome; Spain = Madrid; Portugal = Lisbon;
    Peru = Lima; Chile = Santiago; Argentina = Buenos Aires; Colombia = Bogotá;
    Venezuela = Caracas; Ecuador = Quito; Uruguay = Montevideo; Paraguay = Asunción;
    Cuba = Havana; Canada = Ottawa; Japan = Tokyo; China = Beijing; South Korea = Seoul;
    Thailand = Bangkok; Vietnam = Hanoi; Philippines = Manila; India = New Delhi;
    Pakistan = Islamabad; Bangladesh = Dhaka; Nepal = Kathmandu; Iran = Tehran; Iraq = Baghdad;
    Saudi Arabia = Riyadh; Turkey = Ankara; Egypt = Cairo; Morocco = Rabat; Kenya = Nairobi;
    Ethiopia = Addis Ababa; Ghana = Accra; Nigeria = Abuja; Senegal = Dakar; Russia = Moscow;
    Poland = Warsaw; Ukraine = Kyiv; Hungary = Budapest; Austria = Vienna;
    Czech Republic = Prague; Greece = Athens; Sweden = Stockholm; Norway = Oslo;
    Finland = Helsinki; Denmark = Copenhagen; Iceland = Reykjavík; Ireland = Dublin;
    Belgium = Brussels; Romania = Bucharest; Bulgaria = Sofia; Serbia = Belgrade;
    Croatia = Zagreb; Australia = Canberra; New Zealand = Wellington; Mongolia = Ulaanbaatar;
    Jordan = Amman; Lebanon = Beirut; Qatar = Doha; Cambodia = Phnom Penh; Laos = Vientiane
    """
)
CITIES = _pairs(
    """
    Osaka = Japan; Marseille = France; Munich = Germany; Milan = Italy; Barcelona = Spain;
    Porto = Portugal; Cusco = Peru; Valparaíso = Chile; Mendoza = Argentina; Medellín = Colombia;
    Toronto = Canada; Shanghai = China; Busan = South Korea; Chiang Mai = Thailand;
    Mumbai = India; Karachi = Pakistan; Luxor = Egypt; Casablanca = Morocco; Mombasa = Kenya;
    Lagos = Nigeria; Novosibirsk = Russia; Kraków = Poland; Salzburg = Austria;
    Thessaloniki = Greece; Gothenburg = Sweden; Bergen = Norway; Aarhus = Denmark;
    Cork = Ireland; Antwerp = Belgium; Sydney = Australia; Auckland = New Zealand;
    Istanbul = Turkey; Ho Chi Minh City = Vietnam; Isfahan = Iran; Basra = Iraq;
    Jeddah = Saudi Arabia; Kumasi = Ghana; Lviv = Ukraine; Debrecen = Hungary;
    Brno = Czech Republic; Cluj-Napoca = Romania; Plovdiv = Bulgaria; Novi Sad = Serbia;
    Tampere = Finland; Guayaquil = Ecuador; Pokhara = Nepal; Chittagong = Bangladesh;
    Siem Reap = Cambodia
    """
)
SYMBOLS = _pairs(
    """
    hydrogen = H; helium = He; lithium = Li; carbon = C; nitrogen = N; oxygen = O; fluorine = F;
    neon = Ne; sodium = Na; magnesium = Mg; aluminium = Al; silicon = Si; phosphorus = P;
    sulfur = S; chlorine = Cl; argon = Ar; potassium = K; calcium = Ca; iron = Fe; copper = Cu;
    zinc = Zn; silver = Ag; tin = Sn; gold = Au; lead = Pb; uranium = U; nickel = Ni;
    cobalt = Co; titanium = Ti; platinum = Pt; tungsten = W; iodine = I; chromium = Cr;
    manganese = Mn
    """
)
NUMBERS = _pairs(
    """
    hydrogen = 1; helium = 2; lithium = 3; beryllium = 4; boron = 5; carbon = 6; nitrogen = 7;
    oxygen = 8; fluorine = 9; neon = 10; sodium = 11; magnesium = 12; aluminium = 13;
    silicon = 14; phosphorus = 15; sulfur = 16; chlorine = 17; argon = 18; potassium = 19;
    calcium = 20; iron = 26; copper = 29; zinc = 30; silver = 47; tin = 50; platinum = 78;
    gold = 79; lead = 82; uranium = 92; nickel = 28
    """
)
BOOKS = _pairs(
    """
    Pride and Prejudice = Jane Austen; 1984 = George Orwell; Moby-Dick = Herman Melville;
    War and Peace = Leo Tolstoy; Don Quixote = Miguel de Cervantes; Hamlet = William Shakespeare;
    The Odyssey = Homer; Crime and Punishment = Fyodor Dostoevsky; Frankenstein = Mary Shelley;
    Dracula = Bram Stoker; Jane Eyre = Charlotte Brontë; Wuthering Heights = Emily Brontë;
    Great Expectations = Charles Dickens; The Great Gatsby = F. Scott Fitzgerald;
    Ulysses = James Joyce; The Divine Comedy = Dante Alighieri;
    One Hundred Years of Solitude = Gabriel García Márquez; Madame Bovary = Gustave Flaubert;
    Les Misérables = Victor Hugo; The Trial = Franz Kafka; Brave New World = Aldous Huxley;
    To Kill a Mockingbird = Harper Lee; The Catcher in the Rye = J. D. Salinger;
    Beloved = Toni Morrison; The Old Man and the Sea = Ernest Hemingway;
    Mrs Dalloway = Virginia Woolf; The Picture of Dorian Gray = Oscar Wilde;
    Treasure Island = Robert Louis Stevenson; The Hobbit = J. R. R. Tolkien;
    Faust = Johann Wolfgang von Goethe; Things Fall Apart = Chinua Achebe;
    The Little Prince = Antoine de Saint-Exupéry; Lolita = Vladimir Nabokov;
    The Stranger = Albert Camus; Middlemarch = George Eliot;
    The Adventures of Tom Sawyer = Mark Twain
    """
)
PAINTINGS = _pairs(
    """
    the Mona Lisa = Leonardo da Vinci; The Starry Night = Vincent van Gogh;
    Guernica = Pablo Picasso; The Night Watch = Rembrandt;
    Girl with a Pearl Earring = Johannes Vermeer; The Persistence of Memory = Salvador Dalí;
    The Scream = Edvard Munch; The Kiss = Gustav Klimt; Water Lilies = Claude Monet;
    American Gothic = Grant Wood; The Garden of Earthly Delights = Hieronymus Bosch;
    Las Meninas = Diego Velázquez; The Creation of Adam = Michelangelo;
    Liberty Leading the People = Eugène Delacroix; The Great Wave off Kanagawa = Hokusai;
    Nighthawks = Edward Hopper; The Son of Man = René Magritte;
    The Arnolfini Portrait = Jan van Eyck; Olympia = Édouard Manet;
    The Third of May 1808 = Francisco Goya;
    Luncheon of the Boating Party = Pierre-Auguste Renoir
    """
)
PLANETS = _pairs(
    """
    Mercury = first; Venus = second; Earth = third; Mars = fourth; Jupiter = fifth;
    Saturn = sixth; Uranus = seventh; Neptune = eighth
    """
)

# relation -> (facts, [(affirmative, negated), ...]); {s} is the subject, {o} the object.
RELATIONS: dict[str, tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]] = {
    "capital": (
        CAPITALS,
        (
            ("The capital of {s} is {o}.", "The capital of {s} is not {o}."),
            ("{o} is the capital of {s}.", "{o} is not the capital of {s}."),
            ("{s}'s capital city is {o}.", "{s}'s capital city isn't {o}."),
            ("The capital city of {s} is {o}.", "The capital city of {s} is not {o}."),
            ("{s} has {o} as its capital.", "{s} does not have {o} as its capital."),
            ("{o} serves as the capital of {s}.", "{o} does not serve as the capital of {s}."),
        ),
    ),
    "city": (
        CITIES,
        (
            ("{s} is a city in {o}.", "{s} is not a city in {o}."),
            ("{s} is located in {o}.", "{s} is not located in {o}."),
            ("The city of {s} is in {o}.", "The city of {s} is not in {o}."),
            ("You will find {s} in {o}.", "You will not find {s} in {o}."),
            ("{o} is the country where {s} lies.", "{o} is not the country where {s} lies."),
        ),
    ),
    "symbol": (
        SYMBOLS,
        (
            ("The chemical symbol for {s} is {o}.", "The chemical symbol for {s} is not {o}."),
            ("{o} is the chemical symbol of {s}.", "{o} is not the chemical symbol of {s}."),
            (
                "The element {s} has the symbol {o}.",
                "The element {s} does not have the symbol {o}.",
            ),
            (
                "In the periodic table, {s} is written {o}.",
                "In the periodic table, {s} is not written {o}.",
            ),
        ),
    ),
    "number": (
        NUMBERS,
        (
            ("The atomic number of {s} is {o}.", "The atomic number of {s} is not {o}."),
            ("{s} has atomic number {o}.", "{s} does not have atomic number {o}."),
            ("Element number {o} is {s}.", "Element number {o} is not {s}."),
            ("An atom of {s} has {o} protons.", "An atom of {s} does not have {o} protons."),
        ),
    ),
    "author": (
        BOOKS,
        (
            ("{s} was written by {o}.", "{s} was not written by {o}."),
            ("{o} wrote {s}.", "{o} did not write {s}."),
            ("{o} is the author of {s}.", "{o} is not the author of {s}."),
            ("The author of {s} is {o}.", "The author of {s} is not {o}."),
            ("The novel {s} is by {o}.", "The novel {s} is not by {o}."),
        ),
    ),
    "painter": (
        PAINTINGS,
        (
            ("{s} was painted by {o}.", "{s} was not painted by {o}."),
            ("{o} painted {s}.", "{o} did not paint {s}."),
            ("The painter of {s} is {o}.", "The painter of {s} is not {o}."),
            ("{o} is the artist behind {s}.", "{o} is not the artist behind {s}."),
        ),
    ),
    "planet": (
        PLANETS,
        (
            ("{s} is the {o} planet from the Sun.", "{s} is not the {o} planet from the Sun."),
            ("The {o} planet from the Sun is {s}.", "The {o} planet from the Sun is not {s}."),
            (
                "Counting outward from the Sun, {s} comes {o}.",
                "Counting outward from the Sun, {s} does not come {o}.",
            ),
        ),
    ),
}
LEAD_INS = (
    "",
    "",
    "",
    "",
    "Fact: ",
    "I read that ",
    "Apparently ",
    "My friend says ",
    "Is it true that ",
    "I'm fairly sure ",
    "Quiz: ",
    "Someone told me ",
    "True or false: ",
)
NEGATION_RATE = 0.25
LABELS = ("true", "false")


def derangement(rng: random.Random, n: int) -> tuple[list[int], list[list[int]]]:
    """A permutation of ``range(n)`` (n >= 2) moving every index, made of cycles of two or three.

    Returns the permutation and its cycles. Short cycles let a whole cycle
    share one negation flag, which keeps every subject and every object
    exactly as often true as false.
    """
    order = list(range(n))
    rng.shuffle(order)
    sizes: list[int] = []
    remaining = n
    while remaining >= 5:
        sizes.append(rng.choice((2, 3)))
        remaining -= sizes[-1]
    sizes += [2, 2] if remaining == 4 else [remaining]
    perm = list(range(n))
    cycles: list[list[int]] = []
    start = 0
    for size in sizes:
        cycle = order[start : start + size]
        start += size
        for i, j in zip(cycle, cycle[1:] + cycle[:1], strict=True):
            perm[i] = j
        cycles.append(cycle)
    return perm, cycles


def _statement(
    rng: random.Random, templates: tuple[tuple[str, str], ...], s: str, o: str, negated: bool
) -> str:
    template = pick(rng, templates)[1 if negated else 0]
    text = template.format(s=s, o=o)
    text = text[:1].upper() + text[1:]
    lead = pick(rng, LEAD_INS)
    if lead:
        if template.startswith("The "):
            text = text[:1].lower() + text[1:]
        text = lead + text
        if lead.startswith("Is it true"):
            text = text[:-1] + "?"
    if rng.random() < 0.1:
        text = text.lower()
    if rng.random() < 0.1:
        text = text.rstrip(".")
    return text


def facts_per_round() -> int:
    return sum(len(facts) for facts, _ in RELATIONS.values())


def build_labelled(rng: random.Random, count: int) -> list[tuple[Record, str, str, str]]:
    """``(record, relation, subject, object)`` for enough whole rounds to give ``count`` records."""
    rounds = math.ceil(count / (2 * facts_per_round()))
    out: list[tuple[Record, str, str, str]] = []
    for _ in range(rounds):
        for relation, (facts, templates) in RELATIONS.items():
            wrong, cycles = derangement(rng, len(facts))
            for cycle in cycles:
                negated = rng.random() < NEGATION_RATE
                for i in cycle:
                    s, right = facts[i]
                    for obj, truth in ((right, True), (facts[wrong[i]][1], False)):
                        label = "true" if truth != negated else "false"
                        statement = _statement(rng, templates, s, obj, negated)
                        out.append(({"statement": statement, "label": label}, relation, s, obj))
    rng.shuffle(out)
    return out


def build_records(rng: random.Random, count: int) -> list[Record]:
    return [record for record, *_ in build_labelled(rng, count)]


def build_machine() -> str:
    return classifier_machine(
        title="Fact check",
        comments=[
            'Each record is {"statement": ..., "label": ...}; "label" is the ground truth.',
            "Every subject is in as many true as false statements: the words give nothing away.",
        ],
        source="claim",
        ground_truth="label",
        task="verify",
        task_title="Verify statement",
        prompt="Is this statement true or false? Answer with one word, true or false. "
        "Statement: {{ input.statement }}",
        labels=LABELS,
        routes=[("supported", "Supported", "true"), ("refuted", "Refuted", "false")],
    )


WORKLOAD = Workload(
    name="fact-check",
    title="Fact check",
    description="General-knowledge statements to true or false. Each subject appears in true and "
    "false statements equally, so surface features give nothing away: code should not "
    "reach the agreement bar.",
    task="verify",
    input_fields=("statement",),
    ground_truth="label",
    labels=LABELS,
    seed=3104,
    count=2400,
    build_records=build_records,
    build_machine=build_machine,
)
