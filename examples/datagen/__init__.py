"""Deterministic generators for the example workloads (stdlib only).

``WORKLOADS`` lists them in the order the page shows them; each builds its
machine text and its records from a fixed seed, so the committed files can
be regenerated and checked byte for byte.
"""

from __future__ import annotations

from .common import Record, Workload, to_jsonl
from .entities import WORKLOAD as ENTITY_NORMALISATION
from .facts import WORKLOAD as FACT_CHECK
from .sentiment import WORKLOAD as SENTIMENT
from .tickets import WORKLOAD as TICKET_TRIAGE

WORKLOADS: tuple[Workload, ...] = (TICKET_TRIAGE, SENTIMENT, ENTITY_NORMALISATION, FACT_CHECK)

__all__ = ["WORKLOADS", "Record", "Workload", "to_jsonl"]
