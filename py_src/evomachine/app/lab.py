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
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from evomachine.app.compare import CompareMixin
from evomachine.app.errors import DEFAULT_LLM_PUBLIC, LabError, LLMConfigError
from evomachine.app.library import LibraryMixin
from evomachine.app.machines import MachinesMixin, workspace_key
from evomachine.app.page_api import BYTES_METHODS, PAGE_METHODS, page_api_json
from evomachine.app.prices import PricesMixin
from evomachine.app.reporting import ReportMixin
from evomachine.app.runs import RunMixin
from evomachine.app.series import SeriesBook
from evomachine.app.store import DATASET_KEY, SESSION_KEY, LabStore, machine_of
from evomachine.app.traces import TraceMixin
from evomachine.app.views import dsl_names, dumps, machine_graph, task_card
from evomachine.datafile import DataError, DataFile, describe_records, read_data
from evomachine.storage import keys

EMPTY_DATASET: dict[str, Any] = {"name": None, "count": 0, "fields": []}
IMPORT_CHOICES = ("keep", "file", "file_with_key")


def _ground_truth(machine: Any) -> dict[str, str] | None:
    """``{task: record field}`` of the machine's ground truth, or ``None`` when it names none."""
    from evomachine.dsl.truth import truth_fields

    return truth_fields(machine) or None


class Lab(RunMixin, LibraryMixin, TraceMixin, MachinesMixin, PricesMixin,
          CompareMixin, ReportMixin):
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
        self.llm_note: str | None = None
        # The API key and the endpoint (provider, URL) it was entered for: used with no other.
        self._api_key: str | None = None
        self._key_endpoint: tuple[str, str | None] | None = None
        self.series = SeriesBook()
        # Stored documents the last restore could not use: [{document, problem, fix, machine_id}].
        self.problems: list[dict[str, Any]] = []
        # The stamp of the session this tab last saved or loaded; another tab's save changes it.
        self._stamp: str | None = None

    # --- the page's one door -------------------------------------------------------

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

    # --- opening ------------------------------------------------------------------

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

    async def _restore(self) -> None:
        """Come back to the stored session; a damaged document becomes a named problem.

        Nothing stored stops the page from opening: each document that cannot
        be used is listed in :attr:`problems` (with what to drop to get going
        again) and the rest is restored. A saved run that is missing or damaged
        is never silently replaced by a fresh one at step 0.
        """
        self.problems = []
        session, problem = await self.store.read_checked("meta", SESSION_KEY)
        self._stamp = session.stamp if session is not None else None
        if problem:
            self._problem(f"meta/{SESSION_KEY}", problem, "session")
            return
        if session is None or not session.dsl:
            return
        records, problem = await self.store.read_checked("meta", DATASET_KEY)
        if problem:
            self._problem(f"meta/{DATASET_KEY}", problem, "dataset")
        self.records = records or []
        self.dsl, self.example = session.dsl, session.example
        self.dataset = session.dataset.model_dump() if records is not None else dict(EMPTY_DATASET)
        self.series = SeriesBook.from_export(
            {name: series.model_dump(by_alias=True) for name, series in
             (session.series or {}).items()})
        from evomachine.app.llm_config import parse_config

        try:
            config = parse_config(session.llm)
            machine = self._parse(self.dsl)
        except (LabError, LLMConfigError) as error:
            self._problem(f"meta/{SESSION_KEY}", str(error).splitlines()[0], "session")
            return
        client = self._client(config, machine)
        machine_id = session.machine_id
        if not machine_id:
            self.executor = self._new_executor(machine, client)
            return
        problems = await self._check_run(machine_id)
        if not problems:
            from evomachine.evolution import EvolutionaryExecutor

            try:
                self.executor = await EvolutionaryExecutor.restore(
                    self.storage, machine_id, llm=client, inputs=self.records)
                await self.restore_workspace(machine_id)
            except Exception as error:
                problems = await self.store.damaged_history(machine_id) or [
                    (f"state/{machine_id}",
                     f"cannot be restored ({type(error).__name__}: {error})")]
        for document, what in problems:
            self._problem(document, what, "run", machine_id)

    async def _check_run(self, machine_id: str) -> list[tuple[str, str]]:
        """What is wrong with the saved run of ``machine_id`` (its state and history index)."""
        from evomachine.app.schema import missing_history

        doc, problem = await self.store.read_checked("state", machine_id)
        if problem:
            return [(f"state/{machine_id}", problem)]
        if doc is None:
            return [(f"state/{machine_id}", f"is missing: the saved run of machine "
                     f"{machine_id!r} is gone")]
        present = set(await self.storage.keys(keys.HISTORY, keys.history_prefix(machine_id)))
        return missing_history(machine_id, doc, present)

    def _problem(self, document: str, problem: str, fix: str,
                 machine_id: str | None = None) -> None:
        self.problems.append({"document": document, "problem": problem, "fix": fix,
                              "machine_id": machine_id})

    async def repair(self) -> str:
        """Drop the damaged documents :attr:`problems` names (only those) and restore again.

        A damaged session is deleted (no machine is loaded afterwards); a damaged
        data set is deleted (the machine stays, with no records); a damaged or
        missing saved run is deleted with its history records, and the machine
        starts again from its first step. Versions and patterns stay.
        """
        from evomachine.storage import DELETE

        if not self.problems:
            return await self.state()
        fixes = {p["fix"] for p in self.problems}
        runs = sorted({p["machine_id"] for p in self.problems if p["fix"] == "run"})
        ops: list[tuple[str, str, Any]] = []
        if "session" in fixes:
            ops.append(("meta", SESSION_KEY, DELETE))
        else:
            session = dict(await self.storage.get("meta", SESSION_KEY) or {})
            if "dataset" in fixes:
                ops.append(("meta", DATASET_KEY, DELETE))
                session["dataset"] = dict(EMPTY_DATASET)
            if runs:
                session["machine_id"] = None
            ops.append(("meta", SESSION_KEY, session))
        for machine_id in runs:
            ops += [(keys.STATE, machine_id, DELETE), (keys.META, keys.revision_key(machine_id),
                                                       DELETE)]
            stored = await self.storage.keys(keys.HISTORY, keys.history_prefix(machine_id))
            ops += [(keys.HISTORY, key, DELETE) for key in stored]
        await self.storage.write_batch(ops)
        await self._reset_memory()
        await self._restore()
        return await self.state()

    # --- loading ------------------------------------------------------------------

    async def check(self, dsl: str) -> str:
        """``{ok, errors: [{line, column, message}], names}`` for the editor's markers and
        completion (``names``: :func:`~evomachine.app.views.dsl_names`)."""
        from evomachine.dsl import DSLError, parse_machine

        try:
            machine = parse_machine(dsl)
        except DSLError as error:
            return dumps({"ok": False, "errors": error.to_dicts(), "names": dsl_names(None)})
        return dumps({"ok": True, "errors": [], "names": dsl_names(machine)})

    async def load(self, dsl: str, data: str | DataFile | None = None,
                   data_name: str | None = None, example: str | None = None) -> str:
        """Load a machine (and a data set, JSONL/CSV/JSON-array text) and start it fresh.

        Without ``data`` the current data set is kept. Returns :meth:`state`.
        """
        machine = self._parse(dsl)
        records = self.records
        read: dict[str, Any] = {}
        if isinstance(data, str):
            try:
                data = read_data(data, data_name or "")
            except DataError as error:
                raise LabError(f"cannot read the data set: {error}") from None
        if data is not None:
            records = data.records
            read = {"encoding": data.encoding, "notice": data.notice}
        from evomachine.executor import slugify

        await self.stash_for(slugify(machine.title))  # another machine loaded now stays stored
        self.records = records
        described = describe_records(records) if records else {"count": 0, "fields": []}
        self.dataset = {"name": data_name or self.dataset.get("name"), **described, **read}
        self.dsl, self.example = dsl, example
        self.series, self.last_run_at = SeriesBook(), None
        self.executor = self._new_executor(machine, self._client(self.llm_config, machine))
        await self.persist(dataset_changed=True)
        return await self.state()

    async def load_data(self, text: str, name: str = "") -> str:
        """Replace the data set of the loaded machine and start it again on the new records."""
        if self.executor is None:
            raise LabError("load a machine before its data: pick an example or paste DSL first")
        return await self.load(self.dsl, text, name, self.example)

    async def load_data_file(self, raw: bytes, name: str = "") -> str:
        """:meth:`load_data` from a file's bytes: the encoding is found as the CLI finds it
        (:func:`evomachine.datafile.read_data`); one not UTF-8 comes with a notice."""
        if self.executor is None:
            raise LabError("load a machine before its data: pick an example or paste DSL first")
        try:
            data = read_data(raw, name)
        except DataError as error:
            raise LabError(f"cannot read {name or 'the data set'}: {error}") from None
        return await self.load(self.dsl, data, name, self.example)

    async def check_data_file(self, raw: bytes, name: str = "") -> str:
        """Read a data file as :meth:`load_data_file` would, changing nothing:
        ``{count, encoding, notice}``, or the same error it would raise."""
        try:
            data = read_data(raw, name)
        except DataError as error:
            raise LabError(f"cannot read {name or 'the data set'}: {error}") from None
        return dumps({"count": len(data.records), "encoding": data.encoding,
                      "notice": data.notice})

    async def set_llm(self, config_json: str) -> str:
        """Use the LLM the settings describe; the key is used, never stored here.

        A key given with the settings belongs to their endpoint from then on.
        Without one, the key held for this same endpoint is kept; a key held for
        another endpoint is not used. Choosing the simulated LLM forgets the key.

        Returns ``{llm, ready, error}``: ``ready`` is false when the settings
        cannot answer yet (an HTTP provider without its key, a simulated LLM
        over data without ground truth), and ``error`` says why.
        """
        from evomachine.app.llm_config import parse_config

        config = parse_config(json.loads(config_json))
        if config.provider == "simulated":
            self._api_key = self._key_endpoint = None
        elif config.api_key:
            self._api_key, self._key_endpoint = config.api_key, config.endpoint
        config = config.model_copy(update={"api_key": None})
        self.llm_config, self.llm_error, self.llm_note = config, None, None
        if self.executor is not None:
            self.executor.llm = self._client(config, self.executor.machine)
            await self.persist()
        elif config.provider != "simulated" and not self._key_fits(config):
            self.llm_note = self._key_note(config)
        return dumps({"llm": self.llm_public(), "ready": self.llm_error is None,
                      "error": self.llm_error, "note": self.llm_note})

    def _key_fits(self, config: Any) -> bool:
        return bool(self._api_key) and self._key_endpoint == config.endpoint

    def _key_note(self, config: Any) -> str | None:
        """Why a held key is not used with ``config`` (``None`` when there is no key)."""
        if not self._api_key or self._key_endpoint is None:
            return None
        provider, url = self._key_endpoint
        return (f"your API key was entered for {url or provider}, so it is not sent to "
                f"{config.endpoint[1]}; enter the key again to use it there")

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
        """The settings to show and save (never the key), without loading pydantic for defaults.

        ``has_key`` says whether a key goes with these settings (one entered for
        this endpoint); ``endpoint_url`` is where requests go.
        """
        if self._llm_config is None:
            return dict(DEFAULT_LLM_PUBLIC)
        return {**self._llm_config.public(), "has_key": self._key_fits(self._llm_config)}

    def _client(self, config: Any, machine: Any) -> Any:
        """A client for ``config`` (made the lab's settings), with the key only if it fits."""
        from evomachine.app.llm_config import build_client

        config = config.model_copy(update={"api_key": None})
        self.llm_config = config
        self.llm_error = self.llm_note = None
        keyed = config
        if config.provider != "simulated":
            if self._key_fits(config):
                keyed = config.model_copy(update={"api_key": self._api_key})
            else:
                self.llm_note = self._key_note(config)
        try:
            client = build_client(keyed, self.records, _ground_truth(machine))
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
        workspace = self.workspace()
        await self.store.save_session(
            {**self._session(), "stamp": stamp}, self.records if dataset_changed else None,
            [] if workspace is None else [("meta", workspace_key(ex.machine_id), workspace)])
        self._stamp = stamp
        return dumps({"saved": True})

    # --- other tabs -------------------------------------------------------------------

    async def sync(self) -> str:
        """Catch up with another tab: reload what it saved since this tab last saved or loaded.

        The page calls this before every change it makes (holding the origin-wide
        Web Lock, so no other tab writes meanwhile) and when another tab announces
        a change. Returns ``{changed}``: whether this tab reloaded.
        """
        moved = await self.store.session_stamp() != self._stamp
        ex = self.executor
        if not moved and ex is not None and not ex.persisted.adopt:
            from evomachine.evolution.snapshot import stored_revision

            moved = await stored_revision(self.storage, ex.machine_id) != ex.persisted.revision
        if moved:
            await self._follow()
        return dumps({"changed": moved})

    async def _follow(self) -> None:
        """Drop what this tab holds and load what is stored (another tab's latest state)."""
        await self._reset_memory()
        await self._restore()

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

    # --- everything ---------------------------------------------------------------------

    async def export_state(self) -> str:
        """All stored state (sessions, executors, versions, patterns, code) as JSON text."""
        if self.executor is not None:
            await self.persist()
        return dumps(await self.store.export_all(self.version))

    async def inspect_import(self, text: str) -> str:
        """Check an export without changing anything; what it holds and where its LLM points.

        Returns ``{entries, runs, versions, patterns, records, llm, current_llm,
        same_endpoint, key_held}``; a file that would be refused raises the same
        error :meth:`import_state` would.
        """
        validated = await self._validated_import(text)
        file_config = self._file_llm(validated)
        current = self.llm_config
        return dumps({
            **validated.summary(), **await self.import_plan(validated.entries),
            "llm": file_config.public() if file_config else None,
            "current_llm": self.llm_public(),
            "same_endpoint": file_config is None or file_config.endpoint == current.endpoint,
            "key_held": bool(self._api_key),
        })

    async def import_state(self, text: str, options_json: str = "{}") -> str:
        """Write an export's machines in and come back to its session.

        The file is checked whole first; a file that fails any check changes
        nothing. Then it is written with one storage batch: its machines replace the
        stored ones of the same id; other stored machines (the loaded one too) stay.
        ``{"llm": ...}`` says what happens when the file's LLM endpoint is not the
        one in use: ``"keep"`` (the default) keeps the settings in use, ``"file"``
        takes the file's settings without the key, ``"file_with_key"`` takes them
        and sends the key there (the user confirmed seeing that URL).
        """
        options = json.loads(options_json or "{}")
        choice = options.get("llm", "keep")
        if choice not in IMPORT_CHOICES:
            raise LabError(f"unknown import choice {choice!r}; use one of {IMPORT_CHOICES}")
        validated = await self._validated_import(text)
        entries = dict(validated.entries)
        file_config = self._file_llm(validated)
        session_key = ("meta", SESSION_KEY)
        same = file_config is None or file_config.endpoint == self.llm_config.endpoint
        if session_key in entries and not same and choice == "keep":
            kept = {k: v for k, v in self.llm_public().items() if k != "has_key"}
            entries[session_key] = {**entries[session_key], "llm": kept}
        also: list[tuple[str, str, Any]] = []
        ex = self.executor
        try:
            if ex is not None and session_key in entries and not any(  # it stays stored
                    machine_of(*key) == ex.machine_id for key in entries):
                await self.persist()
                also.append((keys.META, keys.records_key(ex.machine_id), self.records))
            await self.store.import_entries(entries, also)
        except Exception as error:
            raise LabError(f"the file could not be written, so nothing was changed "
                           f"({type(error).__name__}: {error})") from None
        if file_config is not None and not same and choice == "file_with_key" and self._api_key:
            self._key_endpoint = file_config.endpoint
        await self._reset_memory()
        await self._restore()
        if file_config is not None and not same and choice == "file":
            self.llm_note = None  # the user chose to go there without the key
        return await self.state()

    async def _validated_import(self, text: str) -> Any:
        """The export in ``text`` checked whole, its saved run restored in scratch storage."""
        from evomachine.app.schema import SchemaError, validate_export

        try:
            document = json.loads(text)
        except ValueError as error:
            raise LabError(f"the file is not JSON, so nothing was imported: {error}") from None
        try:
            validated = validate_export(document)
        except SchemaError as error:
            count = len(error.problems)
            raise LabError(f"the file was not imported (nothing was changed): {count} "
                           f"problem{'s' if count != 1 else ''}: {error}") from None
        session = validated.session
        if session is not None and session.machine_id:
            from evomachine.evolution import EvolutionaryExecutor
            from evomachine.storage import MemoryStorage

            scratch = MemoryStorage()
            await scratch.write_batch([(ns, key, value) for (ns, key), value
                                       in validated.entries.items() if ns in ("state", "history")])
            records = validated.entries.get(("meta", DATASET_KEY)) or []
            try:
                await EvolutionaryExecutor.restore(scratch, session.machine_id, inputs=records)
            except Exception as error:
                raise LabError(
                    f"the file was not imported (nothing was changed): its saved run "
                    f"state/{session.machine_id} cannot be restored ({type(error).__name__}: "
                    f"{error})") from None
        return validated

    @staticmethod
    def _file_llm(validated: Any) -> Any:
        from evomachine.app.llm_config import parse_config

        session = validated.session
        if session is None or session.llm is None:
            return None
        return parse_config({k: v for k, v in session.llm.items() if k != "api_key"})

    async def reset(self) -> str:
        """Forget everything: stored state, the machine, its data, charts, settings and key."""
        await self.storage.clear()
        await self._reset_memory()
        self._llm_config, self.llm_error, self.llm_note = None, None, None
        self._api_key = self._key_endpoint = None
        return await self.state()

    async def _reset_memory(self) -> None:
        """Drop what is loaded; the LLM settings (and a key given this session) stay."""
        self.executor, self.dsl, self.example = None, "", None
        self.records, self.series = [], SeriesBook()
        self.problems = []
        self._stamp = None
        self.dataset = dict(EMPTY_DATASET)
        self.last_run_at = None
