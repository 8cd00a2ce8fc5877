"""Support tickets routed to billing, tech or sales.

Each ticket is a greeting, some context that says nothing about the route,
one or two sentences about the actual problem (phrased from synonyms with
amounts, dates, error codes and seat counts filled in), sometimes a line of
urgency, and a sign-off; then typos and casing noise. A few tickets mention
a second topic in passing, so single keywords are not a perfect rule.
"""

from __future__ import annotations

import random

from .common import (
    Record,
    Workload,
    balanced_labels,
    classifier_machine,
    join_sentences,
    maybe,
    messy_text,
    pick,
    unique_records,
)

LABELS = ("billing", "tech", "sales")

GREETINGS = (
    "Hi,",
    "Hello,",
    "Hi there,",
    "Hey team,",
    "Good morning,",
    "Dear support,",
    "Hello support team,",
    "Hi all,",
    "",
    "",
    "Greetings,",
    "To whom it may concern,",
)
CONTEXT = (
    "We have been customers for {years} years.",
    "I'm the admin for our workspace.",
    "We are a team of {seats} people.",
    "I manage the account for {company}.",
    "We're on the {plan} plan.",
    "Our company is {company}.",
    "I work at {company}.",
    "I have a question about our account.",
    "Hope you're doing well.",
    "",
    "",
    "",
    "Writing on behalf of {company}.",
    "Quick one for you.",
)
CLOSINGS = (
    "Thanks!",
    "Thank you.",
    "Thanks in advance.",
    "Appreciate the help.",
    "Cheers,",
    "Regards,",
    "Best,",
    "Kind regards,",
    "Any help appreciated.",
    "",
    "Thx",
    "Many thanks,",
)
NAMES = (
    "Anna",
    "Ben",
    "Carlos",
    "Dana",
    "Emeka",
    "Fatima",
    "Greg",
    "Hiro",
    "Ines",
    "Jonas",
    "Kaya",
    "Liam",
    "Mei",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tomasz",
)
COMPANIES = (
    "Brightline",
    "Cobalt Labs",
    "Deltaform",
    "Evergreen Dental",
    "Foxhall Media",
    "Granite Co",
    "Harbor Freight Partners",
    "Ionic Studio",
    "Juniper Legal",
    "Kestrel Air",
)
PLANS = ("Basic", "Pro", "Team", "Business", "Starter", "Premium")
URGENCY = (
    "This is urgent.",
    "Please help asap.",
    "Need this sorted today.",
    "No rush.",
    "Would appreciate a quick reply.",
    "This is blocking us.",
    "",
    "",
    "",
    "",
)

BILLING = (
    "I was {charged} twice for my {plan} subscription this month.",
    "My {card} was {charged} {amount} but I cancelled on {date}.",
    "Can I get a refund for the {amount} {charge} on {date}?",
    "The invoice {invoice} shows the wrong amount, it should be {amount}.",
    "Please send me a copy of invoice {invoice}, I need it for our accountant.",
    "My {card} payment keeps getting declined when I try to renew.",
    "How do I update the {card} on file? The old one expired.",
    "We were {charged} {amount} instead of the price we agreed on.",
    "I need the VAT number added to our invoices going forward.",
    "Why did my bill go up to {amount} this month?",
    "I cancelled my subscription but I'm still being {charged}.",
    "Please change the billing address on our account to our new office.",
    "I see a {charge} of {amount} on my statement that I don't recognise.",
    "The receipt for {date} never arrived in my inbox.",
    "Can we switch from monthly to annual billing and get the difference refunded?",
    "There is a duplicate {charge} of {amount} on our {card}.",
    "I was promised a prorated credit after downgrading but never got it.",
    "After the last app update my invoice shows {amount} instead of the usual price.",
    "The app {charged} my {card} twice when I clicked upgrade.",
    "Our Enterprise plan renewal was {charged} at the wrong rate.",
)
BILLING_DETAIL = (
    "Our accounting team needs this fixed before month end.",
    "The {charge} reference is {invoice}.",
    "I'd like the money back to the original {card}.",
    "Please confirm once the refund is issued.",
    "Bank statement attached.",
    "The amount was taken on {date}.",
    "",
)
TECH = (
    "I can't log in, it says {error} every time.",
    "The {app} crashes as soon as I open a project.",
    "The password reset email never arrives.",
    "Sync between the {app} and the web version stopped working on {date}.",
    "Our API calls return {error} since this morning.",
    "Uploading files larger than {size} MB fails with {error}.",
    "The dashboard takes over a minute to load for everyone on our team.",
    "Two-factor codes are rejected even though they're correct.",
    "The export to CSV produces an empty file.",
    "Notifications stopped showing up on my phone after the last update.",
    "The integration with our calendar is broken, events don't show up.",
    "I get a blank white screen after signing in on {browser}.",
    "Search returns no results even for documents I know exist.",
    "The {app} freezes when I try to attach a file.",
    "Our webhook stopped firing, the logs show {error}.",
    "Single sign-on fails with {error} for new users.",
    "After the update the {app} won't start at all.",
    "The billing page won't load, it shows {error}.",
    "The download invoice button does nothing when I click it.",
    "I can't add new seats, the page spins forever.",
)
TECH_DETAIL = (
    "I already tried clearing the cache and reinstalling.",
    "I'm using {browser} on {os}.",
    "It happens on {os} too.",
    "Screenshot attached.",
    "It worked fine last week.",
    "Restarting doesn't help.",
    "Several colleagues see the same thing.",
    "",
)
SALES = (
    "We're interested in the {plan} plan for about {seats} users, what would that cost?",
    "Could we get a demo for our team next week?",
    "Do you offer volume discounts for {seats} seats?",
    "Please send a quote for {seats} licences on annual terms.",
    "What's the difference between the {plan} and Enterprise plans?",
    "We'd like to upgrade to Enterprise, who should I talk to?",
    "Is there a discount for nonprofits or schools?",
    "Can our trial be extended by two weeks so we can finish evaluating?",
    "We're a reseller and want to discuss a partnership.",
    "I'd like to speak with an account manager about expanding to {seats} users.",
    "Do you have pricing for a multi-year contract?",
    "Our procurement team needs a formal proposal for {seats} seats.",
    "We're comparing you with a competitor, can you match their pricing?",
    "Is an on-premise option available for larger teams?",
    "We want to roll this out to the whole company of {seats} people, what are the options?",
    "Can someone walk us through Enterprise features before we buy?",
    "Before we upgrade, does the Enterprise plan support single sign-on?",
    "Does the {plan} plan include API access and priority support?",
    "What would it cost to add {seats} more seats to our current subscription?",
)
SALES_DETAIL = (
    "We'd like to decide by the end of the quarter.",
    "Budget is approved for this year.",
    "Our current contract ends on {date}.",
    "Happy to jump on a call.",
    "Please include onboarding in the offer.",
    "We're evaluating two other vendors.",
    "",
)
# A passing mention of another topic; a few tickets carry one so keywords alone mislead.
ASIDES = {
    "billing": (
        "The app itself works fine.",
        "We might add more seats later.",
        "No error messages, the product is fine.",
        "We may want a demo of the new features later.",
    ),
    "tech": (
        "Our invoice is paid up, so it isn't that.",
        "We just upgraded our plan last month.",
        "We're also thinking about more licences.",
        "Not a billing question.",
    ),
    "sales": (
        "Our current billing is monthly.",
        "The app has been great so far.",
        "Last invoice was {amount}.",
        "We had a login issue last week but it's fixed.",
    ),
}

SLOTS = {
    "charged": ("charged", "billed", "debited"),
    "charge": ("charge", "payment", "transaction"),
    "card": ("card", "credit card", "Visa", "Mastercard", "company card"),
    "app": ("app", "desktop app", "mobile app", "iOS app", "Android app", "editor"),
    "browser": ("Chrome", "Firefox", "Safari", "Edge"),
    "os": ("Windows 11", "macOS", "Ubuntu", "Android", "iOS"),
}
ERRORS = (
    "error 500",
    "error 403",
    '"invalid session"',
    '"unexpected token"',
    "a timeout",
    "error 502",
    '"access denied"',
    "ERR_CONN_RESET",
    "code E{code}",
    "error 429",
)
BODIES = {
    "billing": (BILLING, BILLING_DETAIL),
    "tech": (TECH, TECH_DETAIL),
    "sales": (SALES, SALES_DETAIL),
}


def _fill(rng: random.Random, template: str) -> str:
    values = {key: pick(rng, options) for key, options in SLOTS.items()}
    month = pick(
        rng, ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    )
    values.update(
        amount=f"${rng.randrange(9, 2400)}.{rng.randrange(100):02d}",
        date=pick(
            rng,
            (f"{month} {rng.randrange(1, 29)}", f"{rng.randrange(1, 29)}/{rng.randrange(1, 13)}"),
        ),
        invoice=f"{pick(rng, ('INV-', '#', 'INV', 'No. '))}{rng.randrange(10000, 99999)}",
        error=pick(rng, ERRORS).replace("{code}", str(rng.randrange(100, 999))),
        size=str(rng.choice((10, 25, 50, 100, 200))),
        seats=str(rng.choice((5, 12, 20, 25, 40, 50, 75, 100, 150, 200, 250, 500, 1000))),
        years=str(rng.randrange(2, 9)),
        company=pick(rng, COMPANIES),
        plan=pick(rng, PLANS),
    )
    return template.format(**values)


def ticket(rng: random.Random, label: str) -> str:
    """One ticket text for ``label``."""
    mains, details = BODIES[label]
    parts = [pick(rng, GREETINGS), _fill(rng, pick(rng, CONTEXT)), _fill(rng, pick(rng, mains))]
    if rng.random() < 0.5:
        parts.append(_fill(rng, pick(rng, details)))
    if rng.random() < 0.2:
        parts.insert(rng.randrange(2, len(parts) + 1), _fill(rng, pick(rng, ASIDES[label])))
    parts.append(pick(rng, URGENCY))
    closing = pick(rng, CLOSINGS)
    parts.append(closing + maybe(rng, 0.5, " " + pick(rng, NAMES)) if closing else "")
    return messy_text(rng, join_sentences(parts))


def build_records(rng: random.Random, count: int) -> list[Record]:
    labels = balanced_labels(rng, LABELS, count)
    return unique_records(
        rng, count, lambda r, i: {"text": ticket(r, labels[i]), "label": labels[i]}, "text"
    )


def build_machine() -> str:
    return classifier_machine(
        title="Ticket triage",
        comments=['Each record is {"text": ..., "label": ...}; "label" is the ground truth.'],
        source="ticket",
        ground_truth="label",
        task="route",
        task_title="Route ticket",
        prompt="Route this support ticket to billing, tech or sales. Answer with one word. "
        "Ticket: {{ input.text }}",
        labels=LABELS,
        routes=[
            ("billing", "Billing queue", "billing"),
            ("tech", "Tech support queue", "tech"),
            ("sales", "Sales queue", "sales"),
        ],
    )


WORKLOAD = Workload(
    name="ticket-triage",
    title="Ticket triage",
    description="Route support tickets to billing, tech or sales. Varied, mostly unique texts with "
    "typos: a word/char n-gram classifier learns it, exact lookup does not.",
    task="route",
    input_fields=("text",),
    ground_truth="label",
    labels=LABELS,
    seed=3101,
    count=2500,
    build_records=build_records,
    build_machine=build_machine,
)
