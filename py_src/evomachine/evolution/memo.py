"""The memo: every answer the LLM has given a task, reusable at once for a repeat.

An exact repeat (same canonical JSON) gets the LLM's latest answer for that
input. A normalised repeat (same text after NFKC, case folding and
punctuation removal) gets the answer its spellings were given, as long as
they were all given the same one; that is a generalisation, so the executor
checks those answers like the code's and stops using them when they disagree
beyond the budget. Updated on every LLM answer (task calls and checks),
bounded (oldest entries leave first), and cut back to what was answered after
a detected change (:meth:`forget_before`).

The memo is a cache of the LLM's own answers, not code: it runs in every
stage, ``llm_only`` included (``policy.memo = False`` turns it off), and its
answers are audited like the code's.
"""

from __future__ import annotations

from typing import Any

from evomachine.evolution.synthesis.runtime import canonical, normalise, text_of


class MemoHit:
    """An answer from the memo: ``kind`` is ``"exact"`` or ``"normalized"``."""

    __slots__ = ("answer", "key", "kind", "seq")

    def __init__(self, answer: Any, kind: str, key: str, seq: int = 0):
        self.answer = answer
        self.kind = kind
        self.key = key
        self.seq = seq  # history position of the LLM answer it gives (exact hits)


class AnswerMemo:
    """Exact and normalised lookup of the LLM's answers, updated one answer at a time."""

    def __init__(self, limit: int = 5000):
        self.limit = limit
        # canonical input -> [answer, seq]
        self.exact: dict[str, list[Any]] = {}
        # normalised text -> [answer canonical, answer, spellings, seq, conflicted]
        self.normalized: dict[str, list[Any]] = {}
        # canonical inputs seen at all (answered by anyone): what an exact cache would hold
        self.sighted: dict[str, None] = {}

    def __len__(self) -> int:
        return len(self.exact)

    def sight(self, key: str) -> bool:
        """Note that the input whose canonical JSON is ``key`` was seen; True the first time
        (an exact cache would miss it)."""
        if key in self.sighted:
            return False
        self.sighted[key] = None
        while len(self.sighted) > self.limit:
            self.sighted.pop(next(iter(self.sighted)))
        return True

    def lookup(self, input: Any, key: str | None = None) -> MemoHit | None:
        """The memo's answer for ``input`` (``key``: its canonical JSON, if already made)."""
        exact_key = canonical(input) if key is None else key
        entry = self.exact.get(exact_key)
        if entry is not None:
            return MemoHit(entry[0], "exact", exact_key, entry[1])
        if not self.normalized:
            return None
        group = self.normalized.get(normalise(text_of(input)))
        if group is not None and not group[4]:
            return MemoHit(group[1], "normalized", exact_key)
        return None

    def remember(self, input: Any, answer: Any, seq: int, key: str | None = None) -> None:
        """Record the LLM's ``answer`` for ``input`` (answered at history position ``seq``;
        ``key``: its canonical JSON, if already made)."""
        exact_key = canonical(input) if key is None else key
        norm_key = normalise(text_of(input))
        known = self.exact.pop(exact_key, None)
        self.exact[exact_key] = [answer, seq]
        answer_key = canonical(answer)
        group = self.normalized.pop(norm_key, None)
        if group is None:
            group = [answer_key, answer, 1, seq, False]
        elif group[0] != answer_key:
            # Spellings of one text answered differently: never serve it normalised again
            # (until a change cut the group away), and the latest answer is kept for reference.
            group = [answer_key, answer, group[2] + (known is None), seq, True]
        else:
            group = [answer_key, answer, group[2] + (known is None), seq, group[4]]
        self.normalized[norm_key] = group
        self._trim()

    def forget_before(self, seq: int) -> int:
        """Drop every entry last answered before history position ``seq``; how many went."""
        before = len(self.exact)
        self.exact = {k: v for k, v in self.exact.items() if v[1] >= seq}
        self.normalized = {k: v for k, v in self.normalized.items() if v[3] >= seq}
        return before - len(self.exact)

    def clear(self) -> None:
        self.exact.clear()
        self.normalized.clear()
        self.sighted.clear()

    def _trim(self) -> None:
        while len(self.exact) > self.limit:
            self.exact.pop(next(iter(self.exact)))
        while len(self.normalized) > self.limit:
            self.normalized.pop(next(iter(self.normalized)))

    def export(self) -> dict[str, Any]:
        return {"limit": self.limit,
                "exact": [[key, *value] for key, value in self.exact.items()],
                "normalized": [[key, *value] for key, value in self.normalized.items()],
                "sighted": list(self.sighted)}

    @classmethod
    def from_export(cls, data: dict[str, Any] | None, limit: int = 5000) -> AnswerMemo:
        memo = cls(int((data or {}).get("limit", limit)))
        for key, answer, seq in (data or {}).get("exact", []):
            memo.exact[str(key)] = [answer, int(seq)]
        for key, answer_key, answer, spellings, seq, conflicted in (data or {}).get(
                "normalized", []):
            memo.normalized[str(key)] = [str(answer_key), answer, int(spellings), int(seq),
                                         bool(conflicted)]
        memo.sighted = dict.fromkeys(str(key) for key in (data or {}).get("sighted", []))
        return memo
