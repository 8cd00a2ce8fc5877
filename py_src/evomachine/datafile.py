"""Data files as the page and the CLI read them: bytes -> text -> records, one way for both.

The page sends a picked file's bytes to the engine Worker (``Lab.load_data_file``)
and ``python -m evomachine evolve --data FILE`` reads the file with the same
:func:`read_data`, so a file one accepts the other accepts, with the same words.

- Encoding: a byte-order mark says UTF-8, UTF-16 or UTF-32; UTF-16 without one is
  recognised by its zero bytes; otherwise UTF-8, and text that is not valid
  UTF-8 is read as Windows-1252 (or Latin-1, which reads any byte) with a
  :attr:`DataFile.notice` naming the first byte that was not UTF-8 and its line.
- Format: JSON Lines (one object a line), a JSON array of objects, or CSV/TSV
  with a header row; the delimiter (comma, tab or semicolon) is the one under
  which the header and the first rows agree (:func:`guess_delimiter`). A CSV row
  with more or fewer values than the header is an error naming every such line,
  never filled in or cut silently.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from evomachine import nesting

MAX_LISTED = 10  # ragged rows named in one error


class DataError(ValueError):
    """A data set cannot be read; the message names the line and what to change."""


@dataclass
class DataFile:
    """The records of a data file, and how its text was read."""

    records: list[dict[str, Any]]
    encoding: str = "utf-8"
    format: str = "jsonl"
    notice: str | None = None  # for the user: the text was not UTF-8
    fields: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """Count, fields, encoding and notice (what the page shows beside the file)."""
        return {**describe_records(self.records), "encoding": self.encoding,
                "notice": self.notice}


_BOMS = (  # longest first: UTF-32's marks start with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode(raw: bytes) -> tuple[str, str, str | None]:
    """``(text, encoding, notice)`` of a file's bytes (see the module docstring)."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            body = raw if encoding == "utf-8-sig" else raw[len(bom):]
            return _strict(body, encoding), encoding, None
    guessed = _utf16_without_bom(raw)
    if guessed:
        return _strict(raw, guessed), guessed, None
    try:
        return raw.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        bad = f"byte 0x{raw[error.start]:02x} on line {line}"
    try:
        text, encoding, name = raw.decode("cp1252"), "windows-1252", "Windows-1252 (Latin-1)"
    except UnicodeDecodeError:
        text, encoding, name = raw.decode("latin-1"), "latin-1", "Latin-1 (ISO-8859-1)"
    notice = (f"this file is not UTF-8 ({bad}), so it was read as {name}; if some characters "
              "look wrong, save it as UTF-8 and load it again")
    return text, encoding, notice


def _strict(raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        raise DataError(f"the file says it is {encoding.upper()} but byte {error.start} is "
                        f"not ({error.reason}); save it again as UTF-8") from None


def _utf16_without_bom(raw: bytes) -> str | None:
    """``utf-16-le``/``-be`` when the zero bytes say so (ASCII-range text in UTF-16)."""
    sample = raw[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    half = len(sample) // 2
    even = sample[0::2].count(0) / half
    odd = sample[1::2].count(0) / half
    if odd > 0.3 and even < 0.05:
        return "utf-16-le"
    if even > 0.3 and odd < 0.05:
        return "utf-16-be"
    return None


def read_data(data: bytes | str, filename: str = "", fmt: str | None = None) -> DataFile:
    """The records of a data file's bytes (or text), with the encoding used."""
    if isinstance(data, str):
        text, encoding, notice = data, "utf-8", None
    else:
        text, encoding, notice = decode(bytes(data))
    if text.startswith("\ufeff"):
        text = text[1:]
    fmt = fmt or sniff_format(text, filename)
    records = parse_records(text, fmt, filename)
    return DataFile(records, encoding, fmt, notice, describe_records(records)["fields"])


def sniff_format(text: str, filename: str = "") -> str:
    """``"jsonl"`` or ``"csv"``: from the file name when it says, else from the first line."""
    lowered = filename.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lowered.endswith((".csv", ".tsv")):
        return "csv"
    first = next((line for line in _lines(text) if line.strip()), "")
    return "jsonl" if first.lstrip().startswith(("{", "[")) else "csv"


def parse_records(text: str, fmt: str | None = None, filename: str = "") -> list[dict[str, Any]]:
    """Records from JSON Lines (one object a line), a JSON array, or CSV with a header row."""
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
    records = _read_jsonl(text)
    if _SURROGATE_ESCAPE.search(text):  # JSON may escape half a pair: not Unicode text
        where = "record" if text.lstrip().startswith("[") else "line"
        lines = [n for n, line in enumerate(_lines(text), 1) if line.strip()]
        for index, record in enumerate(records):
            try:
                json.dumps(record, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError:
                number = index + 1 if where == "record" else lines[index]
                raise DataError(f"{where} {number}: holds an escaped lone surrogate (such as "
                                "\\ud800), which is not text; escape whole characters") from None
    return records


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _lines(text: str) -> list[str]:
    """JSON Lines' lines: split at "\\r\\n", "\\r" and "\\n" only (JSON strings cannot hold
    those raw). ``str.splitlines`` also splits at U+2028, U+2029, U+0085 and more, which JSON
    strings may hold as they are."""
    return _LINE_BREAK.split(text)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _read_jsonl(text: str) -> list[dict[str, Any]]:
    stripped = text.strip()
    if stripped.startswith("["):  # a plain JSON array is accepted too
        try:
            values = nesting.loads(stripped)
        except ValueError as error:
            raise DataError(f"invalid JSON array: {error}") from None
        return [_as_record(value, index + 1, "record") for index, value in enumerate(values)]
    records = []
    for number, line in enumerate(_lines(text), start=1):
        if not line.strip():
            continue
        try:
            value = nesting.loads(line)
        except ValueError as error:
            raise DataError(f"line {number}: not valid JSON ({error.args[0]}); "
                            "each line must hold one JSON object") from None
        records.append(_as_record(value, number, "line"))
    return records


def _as_record(value: Any, number: int, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DataError(f"{where} {number}: expected a JSON object like {{\"text\": ...}}, "
                        f"got {type(value).__name__}")
    return value


def guess_delimiter(text: str, filename: str = "") -> str:
    """The delimiter under which the header and the first rows agree (``","`` if none).

    Each candidate reads the start of the text with the csv module's quoting, so a
    delimiter inside a quoted value counts for nothing. Only a candidate that occurs
    outside quotes in the header (splits it into columns) can win; among those, the
    one with most rows of the header's width, then the one giving the header more
    columns, then the earlier of comma, tab, semicolon. A header no candidate splits
    is one column of standard CSV: comma, so an unquoted comma in a row is reported.
    """
    if filename.lower().endswith(".tsv"):
        return "\t"
    best, best_key = ",", (0, 1)
    for delimiter in _DELIMITERS:
        header, widths = _sample_widths(text, delimiter)
        key = (sum(width == header for width in widths), header)
        if header > 1 and key > best_key:
            best, best_key = delimiter, key
    return best


_DELIMITERS = (",", "\t", ";")  # in order of preference when two read the file alike
_SAMPLE_ROWS = 50


def _sample_widths(text: str, delimiter: str) -> tuple[int, list[int]]:
    """Columns of the header and of the first rows under ``delimiter`` (0, [] if unreadable)."""
    widths: list[int] = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            if row:
                widths.append(len(row))
                if len(widths) > _SAMPLE_ROWS:
                    break
    except csv.Error:
        return 0, []
    return (widths[0], widths[1:]) if widths else (0, [])


def _parse_csv(text: str, filename: str) -> list[dict[str, Any]]:
    delimiter = guess_delimiter(text, filename)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next((row for row in reader if row), None)
        if not header or not any(name.strip() for name in header):
            raise DataError("the CSV has no header row; the first line must name the columns")
        _check_header(header)
        records, ragged = [], []
        start = reader.line_num + 1
        for row in reader:
            line, start = start, reader.line_num + 1
            if not row:
                continue  # a blank line
            if len(row) != len(header):
                ragged.append((line, len(row)))
            elif not ragged:
                records.append(dict(zip(header, row, strict=True)))
    except csv.Error as error:
        raise DataError(f"line {reader.line_num}: {error}") from None
    if ragged:
        listed = "; ".join(f"line {line}: {n} value{'s' if n != 1 else ''}"
                           for line, n in ragged[:MAX_LISTED])
        more = f" (and {len(ragged) - MAX_LISTED} more)" if len(ragged) > MAX_LISTED else ""
        rows = "row does" if len(ragged) == 1 else "rows do"
        raise DataError(f"{len(ragged)} {rows} not have the header's {len(header)} columns: "
                        f"{listed}{more}; quote values that contain '{delimiter}'")
    return records


def _check_header(header: list[str]) -> None:
    """Two columns of one name would lose one's values silently: say so instead."""
    seen: set[str] = set()
    for name in header:
        if name.strip() and name in seen:
            raise DataError(f"the header row names column {name!r} twice")
        seen.add(name)


def describe_records(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Count and field names (in first-seen order) of a data set."""
    fields: dict[str, None] = {}
    for record in records[:200]:
        fields.update(dict.fromkeys(record))
    return {"count": len(records), "fields": list(fields)}
