"""``python -m evomachine export-js MACHINE --store ... --task T --out DIR``.

Writes a stored task's generated module as a standalone JavaScript ES module
(``T_vN.mjs``) with its ``.d.ts``, next to the Python module (``T_vN.py``), see
:mod:`evomachine.evolution.synthesis.render_js`. The input type is inferred from
the task's kept history (the machine declares no input schema).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from evomachine.evolution.synthesis.render_js import infer_schema, render_dts, render_js
from evomachine.evolution.synthesis.spec import SynthesisError


def add_parser(commands: Any) -> None:
    export = commands.add_parser(
        "export-js", help="write a stored task's code as a JavaScript ES module and .d.ts")
    add = export.add_argument
    add("machine", type=Path, help="the .machine file of the run")
    add("--store", required=True, help="where evolve --store saved it, e.g. sqlite:run.db")
    add("--task", required=True, help="the task whose code to export")
    add("--out", type=Path, default=Path("."), help="the folder to write into (default .)")


async def run(args: argparse.Namespace, out: TextIO, err: TextIO, *, fail: Any) -> int:
    """The ``export-js`` command; ``fail(message)`` is the CLI's error."""
    from evomachine.cli import restore_stored_run

    executor = await restore_stored_run(args, fail)
    state = executor.tasks.get(args.task)
    if state is None:
        raise fail(f"no task {args.task!r}; tasks: {', '.join(executor.tasks) or 'none'}")
    if not state.code:
        raise fail(f"task {args.task!r} has no generated code yet (stage {state.stage})")
    inputs = [record.input for record in executor.histories[args.task].recent]
    try:
        script = render_js(state.code)
        types = render_dts(state.code, infer_schema(inputs))
    except SynthesisError as error:
        raise fail(f"task {args.task!r}: {error}") from None
    args.out.mkdir(parents=True, exist_ok=True)
    stem = Path(state.code_path or f"{args.task}_v{state.code_version}.py").stem
    written = [args.out / f"{stem}.py", args.out / f"{stem}.mjs", args.out / f"{stem}.d.ts"]
    for path, text in zip(written, (state.code, script, types), strict=True):
        path.write_text(text, encoding="utf-8")
    print("wrote " + ", ".join(map(str, written)), file=err)
    return 0
