"""Data files read one way for the page and the CLI: encodings, formats, ragged CSV rows."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from evomachine.datafile import DataError, decode, guess_delimiter, read_data

CSV = "text,label\nCafé crème,billing\n\"Ärger, viel\",tech\n"
ROWS = [{"text": "Café crème", "label": "billing"}, {"text": "Ärger, viel", "label": "tech"}]


@pytest.mark.parametrize("encoding, raw", [
    ("utf-8", CSV.encode("utf-8")),
    ("utf-8-sig", codecs.BOM_UTF8 + CSV.encode("utf-8")),
    ("utf-16-le", codecs.BOM_UTF16_LE + CSV.encode("utf-16-le")),
    ("utf-16-be", codecs.BOM_UTF16_BE + CSV.encode("utf-16-be")),
    ("utf-16-le", CSV.encode("utf-16-le")),  # no byte-order mark: the zero bytes say it
    ("utf-16-be", CSV.encode("utf-16-be")),
    ("utf-32-le", codecs.BOM_UTF32_LE + CSV.encode("utf-32-le")),
])
def test_unicode_encodings_are_recognised_and_read_without_a_notice(encoding, raw):
    data = read_data(raw, "tickets.csv")
    assert (data.records, data.encoding, data.notice) == (ROWS, encoding, None)
    assert list(data.records[0]) == ["text", "label"]  # no BOM glued to the first column


def test_latin1_text_is_read_with_a_notice_naming_the_first_byte_that_was_not_utf8():
    data = read_data(CSV.encode("latin-1"), "tickets.csv")
    assert data.records == ROWS
    assert data.encoding == "windows-1252"
    assert data.notice and "not UTF-8 (byte 0xe9 on line 2)" in data.notice
    assert "Windows-1252" in data.notice and "save it as UTF-8" in data.notice
    # Bytes Windows-1252 leaves undefined still read, as Latin-1.
    text, encoding, notice = decode("a,b\nx\x81y,1\n".encode("latin-1"))
    assert (text, encoding) == ("a,b\nx\x81y,1\n", "latin-1") and "Latin-1" in notice


def test_a_file_that_lies_about_its_encoding_is_refused():
    with pytest.raises(DataError, match="says it is UTF-8"):
        read_data(codecs.BOM_UTF8 + b"text\n\xff\xfe\n", "x.csv")


def test_ragged_csv_rows_are_refused_with_every_line_named():
    text = "text,label\na,b\nonly one\nc,d\nx,y,z\n\"multi\nline\",e\nf\n"
    with pytest.raises(DataError) as caught:
        read_data(text.encode(), "d.csv")
    message = str(caught.value)
    assert message.startswith("3 rows do not have the header's 2 columns: "), message
    assert "line 3: 1 value; line 5: 3 values; line 8: 1 value" in message
    # A quoted value over two lines counts as one row (line 6 to 7), so the lines stay true.
    assert read_data(b'text,label\n"multi\nline",e\ng,h\n', "d.csv").records[0] == \
        {"text": "multi\nline", "label": "e"}


def test_many_ragged_rows_are_counted_and_the_first_ten_named():
    text = "a,b\n" + "x\n" * 25
    with pytest.raises(DataError, match=r"25 rows do not .*line 11: 1 value \(and 15 more\)"):
        read_data(text, "d.csv")


def test_a_header_naming_one_column_twice_is_refused():
    with pytest.raises(DataError, match="names column 'text' twice"):
        read_data("text,text\na,b\n", "d.csv")


def test_jsonl_and_json_arrays_read_from_bytes_too():
    assert read_data(codecs.BOM_UTF8 + b'{"a": 1}\n\n{"a": 2}\n', "d.jsonl").records == \
        [{"a": 1}, {"a": 2}]
    assert read_data('[{"a": 1}]'.encode("utf-16"), "d.json").records == [{"a": 1}]
    with pytest.raises(DataError, match="line 2"):
        read_data(b'{"a": 1}\n[1]\n', "d.jsonl")


@pytest.mark.parametrize("text, delimiter", [
    ('text,label\r\n"""\t",x\r\n', ","),  # a tab only inside quotes (hypothesis found it)
    ('text,label\n"a;b\tc",x\n"d;e",y\n', ","),
    ("text;label\n1,5;x\n2,5;y\n", ";"),  # decimal commas in semicolon CSV
    ("text\tlabel\nhello, world\tx\n", "\t"),
    ("a,b;c\n1,2;3\n", ","),  # both read it alike: comma comes first
    ("name;note, free;label\na;b, c;x\n", ";"),  # more header columns, rows agree
    ("text\nhello; world\n", ","),  # one column: standard CSV
])
def test_the_delimiter_is_the_one_under_which_header_and_rows_agree(text, delimiter):
    assert guess_delimiter(text) == delimiter
    assert guess_delimiter(text, "d.tsv") == "\t"  # the file name says it


def test_a_semicolon_file_reads_into_columns_and_a_ragged_one_still_fails():
    data = read_data(b"text;label\n1,5;x\n\"a;b\";y\n", "d.csv")
    assert data.records == [{"text": "1,5", "label": "x"}, {"text": "a;b", "label": "y"}]
    with pytest.raises(DataError, match="line 3: 1 value"):
        read_data("text;label\na;x\nb\n", "d.csv")


@given(st.lists(st.tuples(st.text(min_size=1, max_size=12), st.sampled_from(["x", "y"])),
                min_size=1, max_size=8),
       st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
@example(rows=[('"\t', "x")], encoding="utf-8")  # tab only inside quotes: once read as TSV
def test_any_csv_written_by_the_csv_module_reads_back_in_any_unicode_encoding(rows, encoding):
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "label"])
    writer.writerows(rows)
    data = read_data(out.getvalue().encode(encoding), "d.csv")
    expected = [{"text": t, "label": label} for t, label in rows]
    if any(not t.strip("\r\n") for t, _ in rows):  # (a blank text line is a blank row)
        return
    assert data.records == expected
