"""The JavaScript export of a generated module (synthesis/render_js.py) under Node: for each
exportable kind, synthesized on a history with accents, ß, Greek, emoji and mixed fields, the
JS module gives the Python module's output and confidence (same bits) on every history input
and on variants of them. Node is required, as for the rest of the project."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from test_synthesis_data import ROUTE

from evomachine.evolution.synthesis import SynthesisError, synthesize
from evomachine.evolution.synthesis.render_js import js_exportable, render_dts, render_js
from evomachine.evolution.synthesis.stack import stack_modules
from evomachine.history import ExecutionRecord
from evomachine.sandbox import load_module

pytestmark = pytest.mark.cpython_only
RUNNER = """
import { readFileSync } from "node:fs";
const module = await import(process.argv[2]);
const inputs = JSON.parse(readFileSync(process.argv[3], "utf8"));
const answers = inputs.map((input) => {
  const found = module.execute(input);
  return [found.output, found.confidence, found.metadata.raw_score, module.getConfidence(input)];
});
process.stdout.write(JSON.stringify(answers));
"""
KEYWORDS = {
    "billing": ["Rechnung", "Gebühr", "STRAẞE", "paiement", "carte💳", "ﬁnance"],
    "tech": ["erreur", "Fehler", "ΣΦΑΛΜΑ", "crash🔥", "connexión", "İnstall"],
    "sales": ["präsentation", "devis", "GROẞ", "offre🎁", "Ｐｒｅｉｓ", "ΤΙΜΈΣ"],
}
FILLER = ["bitte", "merci", "ça", "où", "Grüße", "ὀδυσσεύς", "😀", "the", "a", "naïve", "ÆON",
          "ǅemal", "Ⅻ", "œuvre", "½", "straße", "Maß", "ﬀ", "ς", "ΣΣ", "x\u0301", "日本語",
          "𠀋𠀌", "𐌰𐌱𐌲", "𝐀𝐁"]  # astral letters: code points, not UTF-16 units, count


def record(input: object, answer: str) -> ExecutionRecord:
    return ExecutionRecord(task="route", input=input, llm_output=answer)


def keyword_records(count: int, seed: int) -> list[ExecutionRecord]:
    """Texts whose class shows in two non-ASCII keywords among non-ASCII filler; 5% noise."""
    rng = random.Random(seed)
    labels = list(KEYWORDS)
    records = []
    for _ in range(count):
        label = rng.choice(labels)
        words = [rng.choice(FILLER) for _ in range(6)] + rng.sample(KEYWORDS[label], 2)
        rng.shuffle(words)
        text = rng.choice([" ", "  ", "\t", " — ", ", "]).join(words) + rng.choice(["", "!", "…"])
        answer = label if rng.random() < 0.95 else rng.choice(labels)
        fields = {"text": text} if rng.random() < 0.7 else {
            "text": text, "ref": rng.randrange(10**6), "lang": rng.choice(["dé", "fr", None])}
        records.append(record(fields, answer))
    return records


def repeat_records(count: int, seed: int, *, messy: bool) -> list[ExecutionRecord]:
    """A few non-ASCII texts asked again and again, arbitrary answers; ``messy`` varies
    case, spacing and punctuation of each ask, and the order of its words."""
    rng = random.Random(seed)
    pool = [" ".join(rng.sample(FILLER, 4)) + f" n°{rng.randrange(10**4)}" for _ in range(30)]
    if not messy:  # a lone surrogate and an escaped-looking backslash: canonical JSON keeps both
        pool[:2] = ["lone \ud83d surrogate", "not an escape: \\ud83d"]
    answers = {text: rng.choice(list(KEYWORDS)) for text in pool}
    records = []
    for _ in range(count):
        text = rng.choice(pool)
        if not messy:
            extra = {"tags": ["é", 1, True, {"ß": None, "a": [1.5, -2], "ﬁ": 1e-7, "😀": 1e300}]} \
                if len(text) % 2 else {}  # keys: code point order differs from UTF-16 order
            records.append(record({"text": text, **extra}, answers[text]))
            continue
        shown = "".join(char.upper() if rng.random() < 0.3 else char for char in text)
        shown = shown.replace(" ", rng.choice([" ", "  ", " \t", " ¡ "]))
        shown += rng.choice(["", "?", "💬"])
        if rng.random() < 0.3:
            shown = " ".join(reversed(shown.split()))
        records.append(record({"text": shown}, answers[text]))
    return records


CASES = {
    "exact_lookup": lambda: repeat_records(300, 3, messy=False),
    "normalized_lookup": lambda: repeat_records(300, 4, messy=True),
    "naive_bayes": lambda: keyword_records(600, 5),
    "linear": lambda: keyword_records(600, 6),
}


def variants(inputs: list[object], seed: int) -> list[object]:
    """Inputs beyond the history: swapped case, words dropped, unknown text, empty text."""
    rng = random.Random(seed)
    extra: list[object] = [{"text": ""}, {"text": "   "}, {"text": "ß"}, {"text": "SS"}, "plain",
                           {"text": "🤖 " * 4000}, {"text": "İ" * 12000 + " Fehler"}]
    for item in inputs[:200]:
        text = item["text"] if isinstance(item, dict) else str(item)
        words = text.split()
        rng.shuffle(words)
        extra.append({"text": " ".join(words[: max(1, len(words) - 2)]).swapcase()})
    return extra


def run_node(code: str, inputs: list[object], folder: Path) -> list[list[object]]:
    node = shutil.which("node")
    assert node is not None, "node is required (the project's page and tests run it)"
    (folder / "route.mjs").write_text(code, encoding="utf-8")
    (folder / "runner.mjs").write_text(RUNNER, encoding="utf-8")
    (folder / "inputs.json").write_text(json.dumps(inputs), encoding="utf-8")
    done = subprocess.run([node, str(folder / "runner.mjs"), (folder / "route.mjs").as_uri(),
                           str(folder / "inputs.json")],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def same_answers_in_js(code: str, module, inputs: list[object], folder: Path) -> list[dict]:
    """Python's answers to ``inputs``, after checking that the JS export of ``code`` gives the
    same outputs, confidences and raw scores (same bits), and getConfidence the same."""
    found = run_node(render_js(code), inputs, folder)
    assert len(found) == len(inputs)
    answers = []
    for input, (output, confidence, raw, again) in zip(inputs, found, strict=True):
        expected = module.execute(input, {})
        assert output == expected["output"], input
        assert confidence.hex() == float(expected["confidence"]).hex(), input
        assert float(raw).hex() == float(expected["metadata"]["raw_score"]).hex(), input
        assert again == confidence
        answers.append(expected)
    return answers


@pytest.mark.parametrize("synthesizer", list(CASES))
async def test_js_module_agrees_with_the_python_module_on_every_history_record(
        synthesizer, tmp_path):
    records = CASES[synthesizer]()
    result = await synthesize(ROUTE, records, synthesizers=[synthesizer], seed=1)
    assert result.synthesizer == synthesizer
    module = load_module(result.code, result.code_path_hint)
    history = [item.input for item in records]
    inputs = history + variants(history, 7)
    answers = same_answers_in_js(result.code, module, inputs, tmp_path)
    assert {answer["output"] for answer in answers} == set(KEYWORDS)  # not one constant


def quantile(values: list[float], share: float) -> float:
    return sorted(values)[int(share * (len(values) - 1))]


async def test_a_stacked_module_exports_and_agrees_with_python_layer_by_layer(tmp_path):
    """Three models deep (a linear model on few answers over naive Bayes on many, then a lookup
    under both): each input is answered by the layer Python picks, with the same bits."""
    records = keyword_records(600, 11)
    base = await synthesize(ROUTE, records[:60], synthesizers=["linear"], seed=1)
    top = await synthesize(ROUTE, records, synthesizers=["naive_bayes"], seed=1)
    last = await synthesize(ROUTE, repeat_records(300, 12, messy=True),
                            synthesizers=["normalized_lookup"], seed=1)
    history = [item.input for item in records]
    # the long variants aside: three models over 12,000 characters pass the sandbox's CPU budget
    inputs = [i for i in history + variants(history, 13) if len(json.dumps(i)) < 2000]
    a, b = (load_module(r.code, r.code_path_hint) for r in (base, top))
    base_cut = quantile([a.execute(i, {})["confidence"] for i in inputs], 0.6)
    top_cut = quantile([b.execute(i, {})["confidence"] for i in inputs], 0.5)
    two = stack_modules(base.code, base_cut, top.code, top_cut, task="route", version="v3",
                        output_values=ROUTE.output_values)
    three = stack_modules(two, min(base_cut, top_cut), last.code, 0.5, task="route",
                          version="v4", output_values=ROUTE.output_values)
    for code in (two, three):
        module = load_module(code, "generated/route_stacked.py")
        answers = same_answers_in_js(code, module, inputs, tmp_path)
        layers = {answer["metadata"]["synthesizer"] for answer in answers}
        assert layers >= {"linear", "naive_bayes"}  # answers from more than one layer
    assert "3 models" in render_js(three) and "function layerAB()" in render_js(three)


async def test_declarations_name_the_outputs_and_the_input_fields():
    result = await synthesize(ROUTE, keyword_records(200, 8), synthesizers=["naive_bayes"])
    dts = render_dts(result.code, {"type": "object", "properties": {"text": {"type": "string"}},
                                   "required": ["text"]})
    assert 'export type Output = "billing" | "tech" | "sales";' in dts
    assert 'export type Input = {\n  "text": string;\n};' in dts
    assert "export declare function execute(input: Input): Result;" in dts
    assert "export type Input = unknown;" in render_dts(result.code)


async def test_the_code_view_offers_the_export_by_the_modules_kind_not_its_origin():
    """``js_exportable`` reads the module: a naive Bayes module installed from a pattern (or
    stacked) exports like a fresh one; LLM code, unparsable or hostile text does not."""
    result = await synthesize(ROUTE, keyword_records(200, 9), synthesizers=["naive_bayes"])
    stacked = stack_modules(result.code, 0.9, result.code, 0.5, task="route", version="v2",
                            output_values=None)
    assert js_exportable(result.code) and js_exportable(stacked)
    for code in (None, "", "SYNTHESIZER = 'llm_code'\n", "def (", "(" * 400 + ")" * 400,
                 "SYNTHESIZER = json.loads('[' * 100000)\n"):
        assert not js_exportable(code)


def test_code_that_is_not_an_exportable_module_is_refused():
    with pytest.raises(SynthesisError, match="export to JavaScript"):
        render_js("SYNTHESIZER = 'llm_code'\ndef solve(input):\n    return 1\n")
    with pytest.raises(SynthesisError, match="does not parse"):
        render_js("def (")
    with pytest.raises(SynthesisError, match="not a literal"):
        render_js("SYNTHESIZER = 'exact_lookup'\nLABELS = open('/etc/passwd')\n")
    hostile = ("SYNTHESIZER = 'exact_lookup'\nTASK = 't'\nVERSION = 'v1'\nLABELS = ('a',)\n"
               "CALIBRATION = ()\nDEFAULT = 0\nTABLE = json.loads('{\"k\": [5, 1.0]}')\n")
    with pytest.raises(SynthesisError, match="not a lookup table"):
        render_js(hostile)
    linear = ("SYNTHESIZER = 'linear'\nTASK = 't'\nVERSION = 'v1'\nLABELS = ('a', 'b')\n"
              "CALIBRATION = ()\nSCALE = 1\nBIAS = (0, 0)\nZERO = (0, 0)\n"
              "ROWS = sparse_rows(json.loads('{\"w x\": [1, %d]}'))\n")
    assert "new Map" in render_js(linear % 2**53)
    with pytest.raises(SynthesisError, match="malformed row"):  # JS numbers lose its last bit
        render_js(linear % (2**53 + 1))


def test_exported_text_cannot_break_out_of_its_literals(tmp_path):
    task = "t\u2028*/ }); process.exit(3); //\n"
    code = ("SYNTHESIZER = 'exact_lookup'\nTASK = " + repr(task) + "\nVERSION = 'v1'\n"
            "LABELS = ('a\"`${x}', '__proto__')\nCALIBRATION = ((0.0, 0.5),)\nDEFAULT = 0\n"
            "TABLE = json.loads(" + repr(json.dumps({'"__proto__"': [1, 1.0]})) + ")\n")
    found = run_node(render_js(code), ["__proto__", "other"], tmp_path)
    assert found == [["__proto__", 0.5, 1.0, 0.5], ['a"`${x}', 0.5, -1.0, 0.5]]


def test_the_fold_table_is_pythons_casefold_where_it_changes_a_character():
    from evomachine.evolution.synthesis.render_js import fold_table

    folds = dict(json.loads(fold_table()))
    assert folds["ß"] == "ss" and folds["ς"] == "σ" and folds["ꭰ"] == "Ꭰ" and folds["İ"] == "i̇"
    assert all(char.casefold() == fold != char for char, fold in folds.items())
    assert len(folds) == sum(chr(code).casefold() != chr(code) for code in range(0x20000))
