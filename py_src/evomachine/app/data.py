"""Data sets the page uploads: JSON Lines or CSV text to a list of records."""

from __future__ import annotations

import csv
import io
import json
from typing import Any


class DataError(ValueError):
    """An uploaded data set cannot be read; the message names the line and the fix."""


def sniff_format(text: str, filename: str = "") -> str:
    """``"jsonl"`` or ``"csv"``: from the file name when it says, else from the first line."""
    lowered = filename.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lowered.endswith((".csv", ".tsv")):
        return "csv"
    first = next((line for line in text.splitlines() if line.strip()), "")
    return "jsonl" if first.lstrip().startswith(("{", "[")) else "csv"


def parse_records(text: str, fmt: str | None = None, filename: str = "") -> list[dict[str, Any]]:
    """Records from JSON Lines (one object a line) or CSV with a header row."""
    fmt = fmt or sniff_format(text, filename)
    if fmt == "jsonl":
        records = _parse_jsonl(text)
    elif fmt == "csv":
        records = _parse_csv(text, filename)
    else:
        raise DataError(f"unknown data format {fmt!r}; use 'jsonl' or 'csv'")
    if not records:
        raise DataError("the data set is empty: give at least one record")
    return records


def _parse_jsonl(text: str) -> list[dict[str, Any]]:
    stripped = text.strip()
    if stripped.startswith("["):  # a plain JSON array is accepted too
        try:
            values = json.loads(stripped)
        except ValueError as error:
            raise DataError(f"invalid JSON array: {error}") from None
        return [_as_record(value, index + 1) for index, value in enumerate(values)]
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as error:
            raise DataError(f"line {number}: not valid JSON ({error.args[0]}); "
                            "each line must hold one JSON object") from None
        records.append(_as_record(value, number))
    return records


def _as_record(value: Any, number: int) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DataError(f"line {number}: expected a JSON object like {{\"text\": ...}}, "
                        f"got {type(value).__name__}")
    return value


def _parse_csv(text: str, filename: str) -> list[dict[str, Any]]:
    delimiter = "\t" if filename.lower().endswith(".tsv") else None
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames:
        raise DataError("the CSV has no header row; the first line must name the columns")
    records = []
    for number, row in enumerate(reader, start=2):
        if None in row:
            raise DataError(f"line {number}: more values than the header's "
                            f"{len(reader.fieldnames)} columns")
        records.append({key: ("" if value is None else value) for key, value in row.items()})
    return records


def describe_records(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Count and field names (in first-seen order) of a data set."""
    fields: dict[str, None] = {}
    for record in records[:200]:
        fields.update(dict.fromkeys(record))
    return {"count": len(records), "fields": list(fields)}
