"""``Lab``: the one object the page drives. Every public method returns JSON text.

The page (``web/lab/*.mjs``) calls these methods as messages to the engine
Worker (``web/engine-worker.mjs``), where Pyodide runs; arguments that are
structured arrive as JSON text too, so no proxy crosses the boundary. Long
runs are the page's loop over :meth:`Lab.run_chunk`, which runs up to
``max_steps`` steps or ``budget_ms`` milliseconds and returns, so the user can
pause between chunks; :meth:`Lab.interrupt` (sent while a chunk runs) stops
that chunk after its current step.

Files and stored documents never carry authority: an import is validated
whole before anything is written (:mod:`evomachine.app.schema`), and the API
key is bound to the endpoint the user entered it for, so no settings from a
file, a saved session or another tab send it anywhere else. A damaged stored
document never stops the page from opening: :attr:`Lab.problems` names it and
:meth:`Lab.repair` drops just the damaged ones.

This module holds the page's door (:meth:`Lab.call`), opening, and what the
page reads of the loaded machine; each other concern is a mixin of its own:
loading (:mod:`~evomachine.app.loading`), the session in storage
(:mod:`~evomachine.app.session`), the LLM settings and key
(:mod:`~evomachine.app.llm_settings`), export and import
(:mod:`~evomachine.app.import_export`), runs, versions, traces, machines,
prices, comparisons and the report.
"""

from __future__ import annotations

import json
from typing import Any

from evomachine.app.compare import CompareMixin
from evomachine.app.errors import LabError, LLMConfigError
from evomachine.app.import_export import ImportExportMixin
from evomachine.app.library import LibraryMixin
from evomachine.app.llm_settings import LLMSettingsMixin
from evomachine.app.loading import LoadMixin
from evomachine.app.machines import MachinesMixin
from evomachine.app.page_api import BYTES_METHODS, PAGE_METHODS, page_api_json
from evomachine.app.prices import PricesMixin
from evomachine.app.reporting import ReportMixin
from evomachine.app.runs import RunMixin
from evomachine.app.series import SeriesBook
from evomachine.app.session import EMPTY_DATASET, SessionMixin
from evomachine.app.store import LabStore
from evomachine.app.traces import TraceMixin
from evomachine.app.views import dumps, machine_graph, task_card


class Lab(RunMixin, LibraryMixin, TraceMixin, MachinesMixin, PricesMixin,
          CompareMixin, ReportMixin, LoadMixin, SessionMixin, LLMSettingsMixin,
          ImportExportMixin):
    """The loaded machine, its data, its LLM and its executor, kept in ``storage``."""

    def __init__(self, storage: Any):
        from evomachine import __version__

        self.storage = storage
        self.store = LabStore(storage)
        self.version = __version__
        self.executor: Any = None
        self.dsl = ""
        self.example: str | None = None
        self.dataset: dict[str, Any] = dict(EMPTY_DATASET)
        self.records: list[dict[str, Any]] = []
        self._llm_config: Any = None  # an LLMConfig, made on first need (pydantic is slow to load)
        self.llm_error: str | None = None
        self.llm_note: str | None = None
        # The API key and the endpoint (provider, URL) it was entered for: used with no other.
        self._api_key: str | None = None
        self._key_endpoint: tuple[str, str | None] | None = None
        self.series = SeriesBook()
        # Stored documents the last restore could not use: [{document, problem, fix, machine_id}].
        self.problems: list[dict[str, Any]] = []
        # The stamp of the session this tab last saved or loaded; another tab's save changes it.
        self._stamp: str | None = None
        # (machine, records, the fields it reads that they lack): worked out once per pair.
        self._missing_seen: tuple[Any, Any, list[str]] | None = None

    # --- the page's one door ----------------------------------------------------------

    async def call(self, method: str, args_json: str = "[]", _raw: bytes | None = None) -> str:
        """Call ``method`` with JSON ``args``; ``{ok, value}`` or ``{ok: false, error, kind}``.

        Expected failures (bad DSL, data, settings, unknown version) come back
        as ``kind: "user"`` with a message meant for the user; anything else is
        ``kind: "internal"`` with the exception type.
        """
        if method not in (BYTES_METHODS if _raw is not None else PAGE_METHODS):
            return dumps({"ok": False, "kind": "user", "error": f"unknown lab method {method!r}"})
        try:
            args = json.loads(args_json) if args_json else []
            if _raw is not None:
                args[0] = _raw
            value = await getattr(self, method)(*args)
        except (LabError, LLMConfigError) as error:
            return dumps({"ok": False, "kind": "user", "error": str(error)})
        except Exception as error:
            return dumps({"ok": False, "kind": "internal",
                          "error": f"{type(error).__name__}: {error}"})
        return '{"ok": true, "value": ' + value + "}"

    @staticmethod
    def page_api() -> str:
        """The page methods and how the page calls them (:mod:`evomachine.app.page_api`)."""
        return page_api_json()

    async def call_bytes(self, method: str, args_json: str, data: Any) -> str:
        """:meth:`call` for a method whose first argument is a file's bytes (``BYTES_METHODS``).

        ``data`` is ``bytes`` or, from the engine Worker, a JS ``Uint8Array`` (its
        ``to_bytes()`` copies it), so a file crosses as bytes, not as JSON text.
        """
        if method not in BYTES_METHODS:
            return dumps({"ok": False, "kind": "user", "error": f"unknown lab method {method!r}"})
        raw = data if isinstance(data, bytes) else bytes(data.to_bytes())
        args = json.loads(args_json) if args_json else []
        return await self.call(method, json.dumps([{"bytes": len(raw)}, *args]), raw)

    # --- opening ----------------------------------------------------------------------

    @classmethod
    async def open(cls, storage_kind: str | None = None, api_key: str | None = None,
                   key_endpoint: dict[str, Any] | None = None) -> Lab:
        """A lab over ``create_storage(storage_kind)``, back where the last session left off.

        ``api_key`` (a remembered key) is used only with the endpoint it was saved
        for, ``key_endpoint`` (``{provider, url}``); without one it is never used.
        """
        from evomachine.storage import create_storage

        lab = cls(create_storage(storage_kind))
        if api_key and key_endpoint:
            from evomachine.app.llm_config import parse_endpoint

            endpoint = parse_endpoint(key_endpoint)
            if endpoint is not None:
                lab._api_key, lab._key_endpoint = api_key, endpoint
        await lab._restore()
        return lab

    @classmethod
    async def open_json(cls, options_json: str = "{}") -> Lab:
        """:meth:`open` for the page: ``{"storage", "api_key", "key_endpoint", "pause_ms"}``.

        The page has a real event loop, so long engine work (a synthesis) pauses
        ``pause_ms`` at a time for the browser to paint (see ``evomachine.cooperate``).
        """
        from evomachine.cooperate import set_pause_seconds

        options = json.loads(options_json or "{}")
        set_pause_seconds(float(options.get("pause_ms", 1)) / 1000)
        return await cls.open(options.get("storage"), options.get("api_key"),
                              options.get("key_endpoint"))

    async def warm(self) -> str:
        """Import what running a machine needs (pydantic, jinja2, the executor), ahead of use.

        The page calls this when idle after boot, so boot itself stays light for a
        first visit and the first "Load" does not wait for these imports.
        """
        import evomachine.app.llm_config
        import evomachine.dsl.parser
        import evomachine.evolution.executor
        import evomachine.persistence  # noqa: F401

        return dumps({"warm": True})

    # --- state ------------------------------------------------------------------------

    async def state(self) -> str:
        """Everything the page shows: machine, stages, metrics, mutations, versions, series."""
        return dumps(await self.state_dict())

    def _missing_fields(self, machine: Any) -> list[str]:
        """The fields the machine reads that the data set lacks, worked out once per pair."""
        from evomachine.dsl.fields import missing_fields

        seen = self._missing_seen
        if seen is None or seen[0] is not machine or seen[1] is not self.records:
            seen = (machine, self.records,
                    missing_fields(machine, self.records) if self.records else [])
            self._missing_seen = seen
        return seen[2]

    def _used_up(self, ex: Any) -> bool:
        """Whether the next step would find no record (also after a reload, before any step
        has found out): the machine waits on an Input node past the last record."""
        node = ex._nodes.get(ex.current_node or "")
        return node is not None and node.kind == "input" and ex.input_cursor >= len(self.records)

    async def state_dict(self) -> dict[str, Any]:
        ex = self.executor
        base: dict[str, Any] = {
            "engine_version": self.version, "loaded": ex is not None, "dsl": self.dsl,
            "example": self.example, "dataset": self.dataset, "llm": self.llm_public(),
            "llm_error": self.llm_error, "llm_note": self.llm_note,
            "problems": self.problems,
            "storage": self.storage.describe(),
        }
        if ex is None:
            return {**base, "stages": {}, "metrics": {}, "tasks": {}, "mutations": [],
                    "versions": [], "series": {}}
        metrics = ex.get_task_metrics()
        return {
            **base,
            "dataset": {**self.dataset, "missing": self._missing_fields(ex.machine)},
            "machine_id": ex.machine_id,
            "machine": machine_graph(ex.machine),
            "current_node": ex.current_node,
            "halted": bool(ex.halted) or self._used_up(ex),
            "step_count": ex.step_count,
            "input_cursor": ex.input_cursor,
            "stages": ex.stages(),
            "metrics": metrics,
            "tasks": {name: task_card(name, m, ex.tasks.get(name)) for name, m in metrics.items()},
            "mutations": ex.get_mutations(),
            "versions": await self._versions(),
            "series": self.series.export(),
        }

    async def storage_info(self) -> str:
        """Backend, why it was chosen, and bytes and entries used."""
        usage = await self.storage.usage()
        return dumps({**self.storage.describe(), **usage})

    async def code(self, task: str) -> str:
        """A task's generated code, with its version, synthesizer and held-out scores."""
        ex = self._require()
        state = ex.tasks.get(task)
        if state is None:
            raise LabError(f"no task {task!r}; tasks: {', '.join(ex.tasks) or 'none'}")
        from evomachine.evolution.synthesis.render_js import js_exportable

        card = task_card(task, ex.task_metrics(task), state)
        return dumps({**card["code"], "task": task, "stage": state.stage, "source": state.code,
                      "exportable": js_exportable(state.code),
                      "filename": f"{ex.machine_id}_{task}_{state.version_name or 'v0'}.py"})

    async def code_js(self, task: str) -> str:
        """A task's code as a JavaScript ES module and its ``.d.ts``:
        ``{filename, text, types_filename, types}`` (see ``synthesis.render_js``)."""
        from evomachine.evolution.synthesis.render_js import infer_schema, render_dts, render_js
        from evomachine.evolution.synthesis.spec import SynthesisError

        ex = self._require()
        state = ex.tasks.get(task)
        if state is None:
            raise LabError(f"no task {task!r}; tasks: {', '.join(ex.tasks) or 'none'}")
        if not state.code:
            raise LabError(f"task {task!r} has no generated code yet")
        inputs = [record.input for record in ex.histories[task].recent]
        try:
            text, types = render_js(state.code), render_dts(state.code, infer_schema(inputs))
        except SynthesisError as error:
            raise LabError(f"task {task!r}: {error}") from None
        stem = f"{ex.machine_id}_{task}_{state.version_name or 'v0'}"
        return dumps({"filename": f"{stem}.mjs", "text": text, "types_filename": f"{stem}.d.ts",
                      "types": types})

    def _require(self) -> Any:
        if self.executor is None:
            raise LabError("no machine is loaded: pick an example or load DSL first")
        return self.executor

    # --- everything -------------------------------------------------------------------

    async def reset(self) -> str:
        """Forget everything: stored state, the machine, its data, charts, settings and key."""
        await self.storage.clear()
        await self._reset_memory()
        self._llm_config, self.llm_error, self.llm_note = None, None, None
        self._api_key = self._key_endpoint = None
        return await self.state()
