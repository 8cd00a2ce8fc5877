"""``Lab``: the one object the page drives. Every public method returns JSON text.

The page (``web/lab/*.mjs``) calls these methods through Pyodide; arguments
that are structured arrive as JSON text too, so no proxy crosses the boundary.
Long runs are the page's loop over :meth:`Lab.run_chunk`, which runs up to
``max_steps`` steps or ``budget_ms`` milliseconds and returns, so the browser
can paint and the user can pause between chunks.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from evomachine.app.data import DataError, describe_records, parse_records
from evomachine.app.errors import DEFAULT_LLM_PUBLIC, LabError, LLMConfigError
from evomachine.app.library import LibraryMixin
from evomachine.app.runs import RunMixin
from evomachine.app.series import SeriesBook
from evomachine.app.store import LabStore
from evomachine.app.views import dumps, machine_graph, task_card

PAGE_METHODS = frozenset({
    "check", "load", "load_data", "set_llm", "run_chunk", "step", "evolve", "persist", "state",
    "storage_info", "code", "save_version", "rollback", "diff", "patterns", "save_pattern",
    "import_pattern", "export_state", "import_state", "reset", "warm", "sync",
})


def _ground_truth(machine: Any) -> str | None:
    for node in machine.iter_nodes():
        if node.kind == "input" and node.attr("ground_truth"):
            return str(node.attr("ground_truth"))
    return None


class Lab(RunMixin, LibraryMixin):
    """The loaded machine, its data, its LLM and its executor, kept in ``storage``."""

    def __init__(self, storage: Any):
        from evomachine import __version__

        self.storage = storage
        self.store = LabStore(storage)
        self.version = __version__
        self.executor: Any = None
        self.dsl = ""
        self.example: str | None = None
        self.dataset: dict[str, Any] = {"name": None, "count": 0, "fields": []}
        self.records: list[dict[str, Any]] = []
        self._llm_config: Any = None  # an LLMConfig, made on first need (pydantic is slow to load)
        self.llm_error: str | None = None
        self.series = SeriesBook()
        self.notice: str | None = None
        # The stamp of the session this tab last saved or loaded; another tab's save changes it.
        self._stamp: str | None = None

    # --- the page's one door -------------------------------------------------------

    async def call(self, method: str, args_json: str = "[]") -> str:
        """Call ``method`` with JSON ``args``; ``{ok, value}`` or ``{ok: false, error, kind}``.

        Expected failures (bad DSL, data, settings, unknown version) come back
        as ``kind: "user"`` with a message meant for the user; anything else is
        ``kind: "internal"`` with the exception type.
        """
        if method not in PAGE_METHODS:
            return dumps({"ok": False, "kind": "user", "error": f"unknown lab method {method!r}"})
        try:
            args = json.loads(args_json) if args_json else []
            value = await getattr(self, method)(*args)
        except (LabError, LLMConfigError) as error:
            return dumps({"ok": False, "kind": "user", "error": str(error)})
        except Exception as error:
            return dumps({"ok": False, "kind": "internal",
                          "error": f"{type(error).__name__}: {error}"})
        return '{"ok": true, "value": ' + value + "}"

    # --- opening ------------------------------------------------------------------

    @classmethod
    async def open(cls, storage_kind: str | None = None, api_key: str | None = None) -> Lab:
        """A lab over ``create_storage(storage_kind)``, back where the last session left off."""
        from evomachine.storage import create_storage

        lab = cls(create_storage(storage_kind))
        await lab._restore(api_key)
        return lab

    @classmethod
    async def open_json(cls, options_json: str = "{}") -> Lab:
        """:meth:`open` for the page: ``{"storage": kind, "api_key": key, "pause_ms": 1}`` as JSON.

        The page has a real event loop, so long engine work (a synthesis) pauses
        ``pause_ms`` at a time for the browser to paint (see ``evomachine.cooperate``).
        """
        from evomachine.cooperate import set_pause_seconds

        options = json.loads(options_json or "{}")
        set_pause_seconds(float(options.get("pause_ms", 1)) / 1000)
        return await cls.open(options.get("storage"), options.get("api_key"))

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

    async def _restore(self, api_key: str | None = None) -> None:
        session = await self.store.load_session()
        self._stamp = session.get("stamp") if session else None
        if not session or not session.get("dsl"):
            return
        try:
            self.records = await self.store.load_dataset()
            self.dsl, self.example = session["dsl"], session.get("example")
            self.dataset = session.get("dataset") or self.dataset
            self.series = SeriesBook.from_export(session.get("series"))
            from evomachine.app.llm_config import parse_config

            config = parse_config({**(session.get("llm") or {}), "api_key": api_key})
            machine = self._parse(self.dsl)
            client = self._client(config, machine)
            from evomachine.evolution import EvolutionaryExecutor

            try:
                self.executor = await EvolutionaryExecutor.restore(
                    self.storage, session["machine_id"], llm=client, inputs=self.records)
            except LookupError:
                self.executor = self._new_executor(machine, client)
        except Exception as error:  # a stored session from another build must not block the page
            self.executor = None
            self.notice = (f"the saved session could not be restored ({type(error).__name__}: "
                           f"{error}); load an example or import an export")

    # --- loading ------------------------------------------------------------------

    async def check(self, dsl: str) -> str:
        """``{ok, errors: [{line, column, message}]}`` for the editor's markers."""
        from evomachine.dsl import DSLError, parse_machine

        try:
            machine = parse_machine(dsl)
        except DSLError as error:
            return dumps({"ok": False, "errors": error.to_dicts()})
        return dumps({"ok": True, "errors": [], "graph": machine_graph(machine)})

    async def load(self, dsl: str, data: str | None = None, data_name: str | None = None,
                   example: str | None = None) -> str:
        """Load a machine (and a data set, JSONL/CSV/JSON-array text) and start it fresh.

        Without ``data`` the current data set is kept. Returns :meth:`state`.
        """
        machine = self._parse(dsl)
        records = self.records
        if data is not None:
            try:
                records = parse_records(data, filename=data_name or "")
            except DataError as error:
                raise LabError(f"cannot read the data set: {error}") from None
        self.records = records
        described = describe_records(records) if records else {"count": 0, "fields": []}
        self.dataset = {"name": data_name or self.dataset.get("name"), **described}
        self.dsl, self.example = dsl, example
        self.series = SeriesBook()
        self.executor = self._new_executor(machine, self._client(self.llm_config, machine))
        await self.persist(dataset_changed=True)
        return await self.state()

    async def load_data(self, text: str, name: str = "") -> str:
        """Replace the data set of the loaded machine and start it again on the new records."""
        if self.executor is None:
            raise LabError("load a machine before its data: pick an example or paste DSL first")
        return await self.load(self.dsl, text, name, self.example)

    async def set_llm(self, config_json: str) -> str:
        """Use the LLM the settings describe; the key is used, never stored here.

        Returns ``{llm, ready, error}``: ``ready`` is false when the settings
        cannot answer yet (an HTTP provider without its key, a simulated LLM
        over data without ground truth), and ``error`` says why.
        """
        from evomachine.app.llm_config import parse_config

        config = parse_config(json.loads(config_json))
        self.llm_config, self.llm_error = config, None
        client = None
        if self.executor is not None:
            client = self._client(config, self.executor.machine)
            self.executor.llm = client
            await self.persist()
        return dumps({"llm": config.public(), "ready": self.llm_error is None,
                      "error": self.llm_error})

    def _parse(self, dsl: str) -> Any:
        from evomachine.dsl import DSLError, parse_machine

        try:
            return parse_machine(dsl)
        except DSLError as error:
            raise LabError(f"the machine has errors:\n{error}") from None

    @property
    def llm_config(self) -> Any:
        """The LLM settings (an ``LLMConfig``; the defaults until set)."""
        if self._llm_config is None:
            from evomachine.app.llm_config import LLMConfig

            self._llm_config = LLMConfig()
        return self._llm_config

    @llm_config.setter
    def llm_config(self, config: Any) -> None:
        self._llm_config = config

    def llm_public(self) -> dict[str, Any]:
        """The settings to show and save (never the key), without loading pydantic for defaults."""
        if self._llm_config is None:
            return dict(DEFAULT_LLM_PUBLIC)
        return self._llm_config.public()

    def _client(self, config: Any, machine: Any) -> Any:
        from evomachine.app.llm_config import build_client

        self.llm_config = config
        self.llm_error = None
        try:
            client = build_client(config, self.records, _ground_truth(machine))
        except LLMConfigError as error:
            self.llm_error = str(error)
            return None
        if client is None:
            self.llm_error = f"{config.provider} needs an API key: enter it in LLM settings"
        return client

    def _new_executor(self, machine: Any, client: Any) -> Any:
        from evomachine.evolution import EvolutionaryExecutor

        return EvolutionaryExecutor(machine, {}, self.storage, llm=client, inputs=self.records,
                                    persist_every=10_000)

    def _require(self) -> Any:
        if self.executor is None:
            raise LabError("no machine is loaded: pick an example or load DSL first")
        return self.executor

    # --- state ----------------------------------------------------------------------

    async def persist(self, *, dataset_changed: bool = False) -> str:
        """Flush the executor and save the session, so a reload comes back here."""
        ex = self.executor
        if ex is not None:
            for task in ex.stages():
                series = self.series.task(task)
                metrics = ex.task_metrics(task)
                if metrics["execution_count"] > series.last["executions"]:
                    series.sample(metrics)
            from evomachine.evolution.snapshot import StateConflictError

            try:
                await ex.flush()
            except StateConflictError as conflict:
                await self._follow()
                raise LabError(
                    f"another tab saved machine {ex.machine_id!r} while this tab was changing it, "
                    "so this tab's unsaved steps were dropped (nothing of the other tab's was "
                    f"overwritten) and it now shows the other tab's state. ({conflict})") from None
        stamp = secrets.token_hex(6)
        await self.store.save_session({**self._session(), "stamp": stamp},
                                      self.records if dataset_changed else None)
        self._stamp = stamp
        return dumps({"saved": True})

    # --- other tabs -------------------------------------------------------------------

    async def sync(self) -> str:
        """Catch up with another tab: reload what it saved since this tab last saved or loaded.

        The page calls this before every change it makes (holding the origin-wide
        Web Lock, so no other tab writes meanwhile) and when another tab announces
        a change. Returns ``{changed}``: whether this tab reloaded.
        """
        session = await self.store.load_session()
        moved = (session.get("stamp") if session else None) != self._stamp
        ex = self.executor
        if not moved and ex is not None and not ex.persisted.adopt:
            from evomachine.evolution.snapshot import stored_revision

            moved = await stored_revision(self.storage, ex.machine_id) != ex.persisted.revision
        if moved:
            await self._follow()
        return dumps({"changed": moved})

    async def _follow(self) -> None:
        """Drop what this tab holds and load what is stored (another tab's latest state)."""
        api_key = self._llm_config.api_key if self._llm_config is not None else None
        await self._reset_memory()
        await self._restore(api_key)

    def _session(self) -> dict[str, Any]:
        return {"format": 1, "dsl": self.dsl, "example": self.example,
                "machine_id": self.executor.machine_id if self.executor else None,
                "dataset": self.dataset, "llm": self.llm_public(),
                "series": self.series.export()}

    async def state(self) -> str:
        """Everything the page shows: machine, stages, metrics, mutations, versions, series."""
        return dumps(await self.state_dict())

    async def state_dict(self) -> dict[str, Any]:
        ex = self.executor
        base: dict[str, Any] = {
            "engine_version": self.version, "loaded": ex is not None, "dsl": self.dsl,
            "example": self.example, "dataset": self.dataset, "llm": self.llm_public(),
            "llm_error": self.llm_error, "notice": self.notice,
            "storage": self.storage.describe(),
        }
        if ex is None:
            return {**base, "stages": {}, "metrics": {}, "tasks": {}, "mutations": [],
                    "versions": [], "series": {}}
        metrics = ex.get_task_metrics()
        return {
            **base,
            "machine_id": ex.machine_id,
            "machine": machine_graph(ex.machine),
            "current_node": ex.current_node,
            "halted": bool(ex.halted),
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
        card = task_card(task, ex.task_metrics(task), state)
        return dumps({**card["code"], "task": task, "stage": state.stage, "source": state.code,
                      "filename": f"{ex.machine_id}_{task}_{state.version_name or 'v0'}.py"})

    # --- everything ---------------------------------------------------------------------

    async def export_state(self) -> str:
        """All stored state (sessions, executors, versions, patterns, code) as JSON text."""
        if self.executor is not None:
            await self.persist()
        return dumps(await self.store.export_all(self.version))

    async def import_state(self, text: str) -> str:
        """Replace all state with an export and come back to its session."""
        try:
            document = json.loads(text)
        except ValueError as error:
            raise LabError(f"the file is not JSON: {error}") from None
        try:
            await self.store.import_all(document)
        except ValueError as error:
            raise LabError(str(error)) from None
        await self._reset_memory()
        await self._restore(self._llm_config.api_key if self._llm_config else None)
        return await self.state()

    async def reset(self) -> str:
        """Forget everything: stored state, the machine, its data and charts."""
        await self.storage.clear()
        await self._reset_memory()
        return await self.state()

    async def _reset_memory(self) -> None:
        """Drop what is loaded; the LLM settings (and a key given this session) stay."""
        self.executor, self.dsl, self.example = None, "", None
        self.records, self.series, self.notice = [], SeriesBook(), None
        self._stamp = None
        self.dataset = {"name": None, "count": 0, "fields": []}
