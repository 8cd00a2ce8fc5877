"""What a code-writing LLM answers to a codegen request, per workload: plausible, partial code.

A real model asked to write ``solve(input)`` writes keyword rules or a table
of what it knows, right for the inputs they cover and silent (``None``) on the
rest; the engine scores it on held-out history like any other candidate. These
writers do the same, deterministically, from the task's labels and a few
rules a model would know. None of them sees the benchmark's ground truth.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence

from evomachine import LLMRequest
from workloads import Codegen, python_block


def keyword_rules(field: str, rules: Sequence[tuple[str, str]], *, lower: bool = True) -> str:
    """``solve`` returning the label of the first regular expression that matches, else None."""
    return f"""
import re

RULES = {json.dumps([list(rule) for rule in rules], ensure_ascii=False, indent=4)}


def solve(input: dict) -> str:
    text = str(input.get({field!r}, ""))
    {"text = text.lower()" if lower else ""}
    for pattern, label in RULES:
        if re.search(pattern, text):
            return label
    return None
"""


def table_lookup(field: str, table: Mapping[str, str]) -> str:
    """``solve`` looking the input up in ``table`` after folding case, accents and punctuation."""
    return f"""
import re
import unicodedata

TABLE = {json.dumps(dict(sorted(table.items())), ensure_ascii=False, indent=0)}


def fold(text):
    text = unicodedata.normalize("NFKD", str(text).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def solve(input: dict) -> str:
    return TABLE.get(fold(input.get({field!r}, "")))
"""


def writer(code: str) -> Codegen:
    def codegen(request: LLMRequest) -> str:
        del request
        return python_block(code)
    return codegen


SPAM_WORDS = (r"\$\d|free|click here|remove|unsubscribe|offer|money|cash|credit|mortgage|"
              r"viagra|guarantee|order now|limited time|winner|income|\$\$\$|!!!|lowest|"
              r"investment|save up|act now|dear friend|business opportunit")
LIST_TAGS = (r"\[(ilug|ilug-social|satalk|sadev|razor-users|zzzzteana|exmh|spambayes|fork)|"
             r"freshrpms|url: http|exmh|spamassassin|razor")


def _spam_filter_code() -> str:
    return keyword_rules("text", [(LIST_TAGS, "ham"), (SPAM_WORDS, "spam")])


def _mail_folders_code() -> str:
    return keyword_rules("text", [
        (r"\[ilug|linux\.ie", "linux"),
        (r"\[(satalk|sadev|razor-users)|spamassassin", "spamassassin"),
        (r"freshrpms|\brpm\b|\[rpm", "rpm"),
        (r"\bexmh\b", "exmh"),
        (r"^subject: .*\n\nurl: http", "news"),
        (r"fork", "fork"),
        (SPAM_WORDS, "spam"),
    ])


spam_filter: Codegen = writer(_spam_filter_code())
mail_folders: Codegen = writer(_mail_folders_code())


# --- the bundled examples ----------------------------------------------------------------------

_EXAMPLE_RULES: dict[str, Callable[[Sequence[str]], tuple[str, list[tuple[str, str]]]]] = {
    "ticket-triage": lambda labels: ("text", [
        (r"invoice|refund|charge|billing|payment|card|receipt|subscription", "billing"),
        (r"error|crash|bug|login|password|sync|install|broken|not working", "tech"),
        (r"pricing|quote|demo|discount|plan for|seats|upgrade|enterprise|trial", "sales"),
    ]),
    "sentiment": lambda labels: ("text", [
        (r"\b(not|never|no)\b", "negative"),
        (r"terrible|awful|broke|waste|disappoint|refund|worst|poor", "negative"),
        (r"love|great|excellent|perfect|amazing|recommend|happy", "positive"),
        (r"okay|fine|average|decent|mixed", "neutral"),
    ]),
    "spam-assassin": lambda labels: ("text", [(LIST_TAGS, "ham"), (SPAM_WORDS, "spam")]),
    "fact-check": lambda labels: ("statement", [(r"\bnot\b", "false"), (r".", "true")]),
}


def for_example(name: str, labels: Sequence[str], field: str) -> Codegen:
    """Keyword rules for a bundled example, else a lookup of the labels' own names in ``field``."""
    rules = _EXAMPLE_RULES.get(name)
    if rules is not None:
        ruled_field, found = rules(labels)
        return writer(keyword_rules(ruled_field, found))
    table = {label: label for label in labels}
    for label in labels:  # the canonical name without its legal suffix, as a model would add
        words = label.replace(",", " ").split()
        if len(words) > 1:
            table[" ".join(words[:-1])] = label
    return writer(table_lookup(field, {fold(key): value for key, value in table.items()}))


def fold(text: str) -> str:
    """Case, accents and punctuation folded away, as ``table_lookup``'s code does."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", " ", text).strip()
