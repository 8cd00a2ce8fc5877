"""``python -m evomachine export-js MACHINE --store ... --task T --out DIR``.

Writes a stored task's generated module as a standalone JavaScript ES module
(``T_vN.mjs``) with its ``.d.ts``, next to the Python module (``T_vN.py``), see
:mod:`evomachine.evolution.synthesis.render_js`. The input type is inferred from
the task's kept history (the machine declares no input schema).

The stored run is outside text like any other: the names come from the task and its
version, never from what is stored (a stored ``code_path`` of ``conftest.py`` wrote one),
the ``.py`` must pass the sandbox's static policy, and no file is replaced without
``--force``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from evomachine.dsl.lexer import IDENT_RE
from evomachine.evolution.synthesis.render_js import infer_schema, render_dts, render_js
from evomachine.evolution.synthesis.spec import SynthesisError
from evomachine.sandbox.errors import SandboxError
from evomachine.sandbox.loader import check, parse


def add_parser(commands: Any) -> None:
    export = commands.add_parser(
        "export-js", help="write a stored task's code as a JavaScript ES module and .d.ts")
    add = export.add_argument
    add("machine", type=Path, help="the .machine file of the run")
    add("--store", required=True, help="where evolve --store saved it, e.g. sqlite:run.db")
    add("--task", required=True, help="the task whose code to export")
    add("--out", type=Path, default=Path("."), help="the folder to write into (default .)")
    add("--force", action="store_true", help="replace files of the same names in --out")


async def run(args: argparse.Namespace, out: TextIO, err: TextIO, *, fail: Any) -> int:
    """The ``export-js`` command; ``fail(message)`` is the CLI's error."""
    from evomachine.cli import restore_stored_run

    executor = await restore_stored_run(args, fail)
    state = executor.tasks.get(args.task)
    if state is None:
        raise fail(f"no task {args.task!r}; tasks: {', '.join(executor.tasks) or 'none'}")
    if not state.code:
        raise fail(f"task {args.task!r} has no generated code yet (stage {state.stage})")
    if not IDENT_RE.fullmatch(args.task) or not isinstance(state.code_version, int):
        raise fail(f"task {args.task!r}: the stored run names it or its version oddly "
                   f"({state.code_version!r}); it cannot name a file")
    stem = f"{args.task}_v{state.code_version}"
    inputs = [record.input for record in executor.histories[args.task].recent]
    try:
        check(parse(state.code, f"{stem}.py"), f"{stem}.py")  # what the sandbox refuses to run
        script = render_js(state.code)
        types = render_dts(state.code, infer_schema(inputs))
    except (SynthesisError, SandboxError) as error:
        raise fail(f"task {args.task!r}: {error}") from None
    written = [args.out / f"{stem}.py", args.out / f"{stem}.mjs", args.out / f"{stem}.d.ts"]
    there = [str(path) for path in written if path.exists() or path.is_symlink()]
    if there and not args.force:
        raise fail(f"{', '.join(there)} already there: --force replaces")
    args.out.mkdir(parents=True, exist_ok=True)
    for path, text in zip(written, (state.code, script, types), strict=True):
        path.write_text(text, encoding="utf-8")
    print("wrote " + ", ".join(map(str, written)), file=err)
    return 0
