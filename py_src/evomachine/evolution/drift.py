"""A sequential change detector on disagreement with the LLM (Bernoulli CUSUM).

Each audit of an answer not given by the LLM (the code's or the memo's) adds
the log-likelihood ratio of "disagreement rate ``p1``" against "rate ``p0``";
the sum is floored at zero and an alarm sounds when it reaches ``h``. With
``p0`` the error budget and ``p1`` well above it, answers that stay within
the budget keep the sum near zero, and a change that makes a quarter of the
traffic disagree raises it by about 0.15 an audit, so it is caught within a
few dozen audits. The position where the sum last left zero estimates when
the change began: answers learnt before it are dropped.

An audit of an exact memo answer re-asks the very question the LLM answered
before: only a change (or the LLM's own inconsistency) makes it disagree. It is
weighed against half the budget (``strict``): a disagreeing audit overrules
its memo entry at once, so once a change starts the stale entries thin out
and the memo's disagreement falls well below the code's in-control rate
before the change is caught.
"""

from __future__ import annotations

import math
from typing import Any


def alternative(p0: float) -> float:
    """The disagreement rate the detector is tuned to catch, for a budget ``p0``."""
    return min(0.5, max(3 * p0, p0 + 0.1))


def ratios(p0: float) -> tuple[float, float]:
    """Log-likelihood ratios of a disagreement and an agreement: ``alternative(p0)`` vs ``p0``."""
    p1 = alternative(p0)
    return math.log(p1 / p0), math.log((1 - p1) / (1 - p0))


class ChangeDetector:
    """Bernoulli CUSUM over audit outcomes; ``observe`` returns True on an alarm."""

    def __init__(self, p0: float, h: float = 4.0):
        p0 = min(max(p0, 1e-4), 0.45)
        self.p0, self.h = p0, h
        self.up, self.down = ratios(p0)
        self.strict = ratios(p0 / 2)
        self.score = 0.0
        self.started_at = 0  # history position where the current excursion began
        self.audits = 0
        self.strict_doubt = False  # a strict audit disagreed in the current excursion

    def observe(self, disagreed: bool, seq: int, *, strict: bool = False) -> bool:
        """Add one audit made at history position ``seq``; True when a change is detected.

        ``strict``: an audit of an answer that should never disagree (an exact memo
        answer), weighed against half the in-control rate.
        """
        self.audits += 1
        if self.score == 0.0:
            self.started_at = seq
        up, down = self.strict if strict else (self.up, self.down)
        self.score = max(0.0, self.score + (up if disagreed else down))
        self.strict_doubt = self.score > 0 and (self.strict_doubt or (strict and disagreed))
        if self.score == 0.0:
            self.started_at = seq
        return self.score >= self.h

    @property
    def doubts_memo(self) -> bool:
        """Is the current excursion backed by a disagreeing memo audit (the LLM changed an
        answer it gave before)? Then memo answers from before it are suspect."""
        return self.strict_doubt

    def reset(self, seq: int = 0) -> None:
        self.score = 0.0
        self.started_at = seq
        self.strict_doubt = False

    def export(self) -> dict[str, Any]:
        return {"p0": self.p0, "h": self.h, "score": self.score, "started_at": self.started_at,
                "audits": self.audits}

    @classmethod
    def from_export(cls, data: dict[str, Any] | None, p0: float, h: float) -> ChangeDetector:
        detector = cls(p0, h)
        if data and math.isclose(float(data.get("p0", -1)), detector.p0) \
                and float(data.get("h", -1)) == h:
            detector.score = max(0.0, float(data.get("score", 0.0)))
            detector.started_at = int(data.get("started_at", 0))
            detector.audits = int(data.get("audits", 0))
        return detector
