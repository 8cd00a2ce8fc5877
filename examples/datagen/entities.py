"""Messy company and product names mapped to one of 40 canonical names.

Variants change case and spacing, swap or drop the legal suffix (Inc. /
Incorporated / inc, Ltd / Limited, ...), abbreviate words (Intl, Mfg,
Tech), add "The", initials, typos, departments, country tags or a web
domain. Several entities are near neighbours (two Northwinds, two Blue
Harbors, two Redwoods) and products are sometimes written with their
vendor's name, so exact lookup is not enough but normalisation plus
character n-grams is.
"""

from __future__ import annotations

import random

from .common import (
    Record,
    Workload,
    balanced_labels,
    classifier_machine,
    pick,
    typo,
    unique_records,
)

# (core name, legal form, extra aliases written by hand)
ENTITIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Acme", "Corporation", ("ACME",)),
    ("Globex", "Corporation", ("Globex Intl",)),
    ("Initech", "Inc.", ("Initech Software",)),
    ("Northwind Traders", "Ltd", ("NW Traders", "Northwind Trading")),
    ("Northwind Logistics", "LLC", ("NW Logistics", "Northwind Freight")),
    ("Blue Harbor Shipping", "GmbH", ("BH Shipping", "Blue Harbour Shipping")),
    ("Blue Harbor Foods", "Inc.", ("BH Foods", "Blue Harbour Foods")),
    ("Contoso Systems", "Inc.", ("Contoso",)),
    ("Fabrikam Manufacturing", "Corporation", ("Fabrikam",)),
    ("Tailspin Aviation", "Ltd", ("Tailspin Air",)),
    ("Wingtip Toys", "LLC", ("Wingtip",)),
    ("Litware Software", "Inc.", ("Litware",)),
    ("Adatum Technologies", "Corporation", ("A. Datum", "Adatum")),
    ("Proseware", "Inc.", ("ProseWare",)),
    ("Woodgrove Bank", "plc", ("Woodgrove", "Woodgrove Banking Group")),
    ("Fourth Coffee", "Ltd", ("4th Coffee",)),
    ("Alpine Ski House", "AG", ("Alpine Ski",)),
    ("Margie's Travel", "LLC", ("Margies Travel", "Margie Travel")),
    ("Lamna Healthcare", "Inc.", ("Lamna Health",)),
    ("Trey Research", "Inc.", ("Trey",)),
    ("Coho Winery", "Ltd", ("Coho Wines",)),
    ("Relecloud", "Corporation", ("Rele Cloud",)),
    ("Humongous Insurance", "plc", ("Humongous",)),
    ("Southridge Video", "Inc.", ("Southridge",)),
    ("Nod Publishers", "Ltd", ("Nod Publishing",)),
    ("Lucerne Publishing", "GmbH", ("Lucerne Verlag",)),
    ("Wide World Importers", "Ltd", ("WWI", "Wide World Imports")),
    ("City Power & Light", "Corporation", ("CP&L", "City Power and Light")),
    ("Consolidated Messenger", "LLC", ("Consolidated Msgr",)),
    ("Vanarsdel", "Ltd", ("Van Arsdel",)),
    ("Fenwick & Hale Engineering", "LLC", ("Fenwick and Hale", "F&H Engineering")),
    ("Pinecrest Medical Group", "Inc.", ("Pinecrest Medical", "Pinecrest")),
    ("Redwood Analytics", "Inc.", ("Redwood Data",)),
    ("Redwood Capital Partners", "LLC", ("Redwood Capital", "RCP")),
    ("Silverline International", "S.A.", ("Silverline Intl", "Silverline")),
    ("Quantum Dynamics", "AG", ("QD AG", "Quantum Dyn")),
    ("Photon Editor", "", ("PhotonEdit", "Litware Photon Editor")),
    ("Vireo Notes", "", ("Vireo", "Proseware Vireo Notes")),
    ("CloudDesk Pro", "", ("CloudDesk", "Relecloud CloudDesk Pro")),
    ("Nimbus Drive", "", ("Nimbus", "Contoso Nimbus Drive")),
)

LEGAL_VARIANTS = {
    "Inc.": ("Inc.", "Inc", "inc", "INC", "Incorporated", ", Inc.", ", Inc"),
    "Corporation": ("Corporation", "Corp.", "Corp", "CORP", "corp.", "Co.", "Corp. "),
    "Ltd": ("Ltd", "Ltd.", "Limited", "LTD", "ltd.", ", Ltd"),
    "LLC": ("LLC", "L.L.C.", "llc", "Llc", ", LLC"),
    "GmbH": ("GmbH", "Gmbh", "GMBH", "G.m.b.H."),
    "plc": ("plc", "PLC", "p.l.c.", "Public Limited Company"),
    "AG": ("AG", "A.G.", "ag"),
    "S.A.": ("S.A.", "SA", "s.a."),
}
ABBREVIATIONS = {
    "International": ("Intl", "Int'l", "Intl."),
    "Technologies": ("Tech", "Techs", "Technology"),
    "Systems": ("Sys", "Sys.", "System"),
    "Manufacturing": ("Mfg", "Mfg.", "Manuf."),
    "Engineering": ("Eng", "Engg", "Eng."),
    "Publishing": ("Pub.", "Publ."),
    "Insurance": ("Ins.", "Insur."),
    "Healthcare": ("Health Care", "HC"),
    "Partners": ("Ptnrs", "Partner"),
    "Group": ("Grp", "Grp."),
    "Medical": ("Med", "Med."),
    "Importers": ("Imp.", "Importer"),
    "Shipping": ("Shpg", "Ship."),
    "Research": ("Res.", "Rsrch"),
    "Dynamics": ("Dyn.", "Dynamic"),
    "Messenger": ("Msgr", "Messengers"),
    "Software": ("Soft", "SW"),
    "Logistics": ("Log.", "Logistic"),
    "Aviation": ("Avn", "Aviat."),
    "Traders": ("Trading", "Trdrs"),
    "Bank": ("Bk", "Banking"),
    "Analytics": ("Analytic",),
    "Capital": ("Cap.", "Cptl"),
}
DECORATIONS = (
    " (UK)",
    " (US)",
    " - Accounts Payable",
    " HQ",
    " / EMEA",
    " Europe",
    " - Billing",
    " (formerly)",
    " Customer Service",
    " #2",
)
DOMAINS = (".com", ".io", ".co.uk", ".de", ".net")


def canonical(core: str, legal: str) -> str:
    return f"{core} {legal}" if legal else core


LABELS = tuple(canonical(core, legal) for core, legal, _ in ENTITIES)
_BY_NAME = {canonical(core, legal): (core, legal, aliases) for core, legal, aliases in ENTITIES}


def _core_variant(rng: random.Random, core: str, aliases: tuple[str, ...]) -> str:
    roll = rng.random()
    if roll < 0.2 and aliases:
        return pick(rng, aliases)
    words = core.split(" ")
    if roll < 0.4:
        words = [
            pick(rng, ABBREVIATIONS[w]) if w in ABBREVIATIONS and rng.random() < 0.7 else w
            for w in words
        ]
    elif roll < 0.5 and len(words) > 1:
        joiner = pick(rng, ("", "-", "  ", "_"))
        return joiner.join(words)
    elif roll < 0.55:
        words = [w.replace("&", "and") if w == "&" else w for w in words]
    text = " ".join(words)
    if rng.random() < 0.25:
        index = rng.randrange(len(words))
        words = text.split(" ")
        words[index] = typo(rng, words[index])
        text = " ".join(words)
    return text


def _legal_variant(rng: random.Random, legal: str) -> str:
    if not legal or rng.random() < 0.3:
        return ""
    variant = pick(rng, LEGAL_VARIANTS[legal])
    return variant if variant.startswith(",") else " " + variant


def messy_name(rng: random.Random, label: str) -> str:
    """One messy way of writing the entity whose canonical name is ``label``."""
    core, legal, aliases = _BY_NAME[label]
    if rng.random() < 0.06:
        return core.lower().replace(" ", "").replace("&", "and").replace("'", "") + pick(
            rng, DOMAINS
        )
    text = _core_variant(rng, core, aliases) + _legal_variant(rng, legal)
    if rng.random() < 0.08:
        text = "The " + text
    case = rng.random()
    if case < 0.2:
        text = text.lower()
    elif case < 0.3:
        text = text.upper()
    if rng.random() < 0.12:
        text += pick(rng, DECORATIONS)
    if rng.random() < 0.06:
        text = pick(rng, ("  ", " ", '"', "")) + text + pick(rng, ("  ", ".", ",", '"', ""))
    return text


def build_records(rng: random.Random, count: int) -> list[Record]:
    labels = balanced_labels(rng, LABELS, count)
    return unique_records(
        rng, count, lambda r, i: {"name": messy_name(r, labels[i]), "canonical": labels[i]}, "name"
    )


def build_machine() -> str:
    return classifier_machine(
        title="Entity normalisation",
        comments=[
            'Each record is {"name": ..., "canonical": ...}; "canonical" is the ground truth.'
        ],
        source="entity",
        ground_truth="canonical",
        task="normalise",
        task_title="Normalise name",
        prompt="Which of these companies and products does the name refer to: "
        f"{'; '.join(LABELS)}? Answer with the canonical name exactly as listed. "
        "Name: {{ input.name }}",
        labels=LABELS,
        routes=[("resolved", "Resolved", None)],
    )


WORKLOAD = Workload(
    name="entity-normalisation",
    title="Entity normalisation",
    description="Messy company and product names (case, punctuation, legal suffixes, "
    "abbreviations, typos) to one of 40 canonical names: normalised lookup plus char n-grams.",
    task="normalise",
    input_fields=("name",),
    ground_truth="canonical",
    labels=LABELS,
    seed=3103,
    count=2520,
    build_records=build_records,
    build_machine=build_machine,
)
