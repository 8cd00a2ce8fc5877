"""Loading into the lab: check DSL for the editor, load a machine and its data set.

Mixed into ``Lab``. Data sets are read as the CLI reads them
(:func:`evomachine.datafile.read_data`), from text or a file's bytes; a machine
loaded starts fresh, and the machine loaded before it stays stored.
"""

from __future__ import annotations

from typing import Any

from evomachine.app.errors import LabError
from evomachine.app.lab_state import LabState
from evomachine.app.series import SeriesBook
from evomachine.app.views import dsl_names, dumps
from evomachine.datafile import DataError, DataFile, describe_records, read_data


class LoadMixin(LabState):
    """``check``, ``load`` and the data set methods (see ``Lab``)."""

    async def check(self, dsl: str) -> str:
        """``{ok, errors: [{line, column, message}], warnings, names}`` for the editor's
        markers and completion (``names``: :func:`~evomachine.app.views.dsl_names`;
        ``warnings``: attributes that do nothing and answers no edge takes,
        :mod:`evomachine.dsl.hints`)."""
        from evomachine.dsl import DSLError
        from evomachine.dsl.hints import attribute_hints, edge_hints
        from evomachine.dsl.parser import parse_document
        from evomachine.dsl.validate import validate_machine

        try:
            machine, source_map = parse_document(dsl)
            problems = validate_machine(machine, source_map)
            if problems:
                raise DSLError(problems, source=dsl)
        except DSLError as error:
            return dumps({"ok": False, "errors": error.to_dicts(), "warnings": [],
                          "names": dsl_names(None)})
        hints = attribute_hints(machine, source_map, dsl) + edge_hints(machine, source_map)
        warnings = [hint.to_dict() for hint in hints]
        return dumps({"ok": True, "errors": [], "warnings": warnings,
                      "names": dsl_names(machine)})

    async def load(self, dsl: str, data: str | DataFile | None = None,
                   data_name: str | None = None, example: str | None = None) -> str:
        """Load a machine (and a data set, JSONL/CSV/JSON-array text) and start it fresh.

        Without ``data`` the current data set is kept, unless another machine comes whose
        Input names its own ``source`` file and the data set is not that file: it starts
        with no records (and ``dataset.source`` names the file to load) instead of running
        on another machine's data. Returns :meth:`state`.
        """
        from evomachine.executor import slugify

        machine = self._parse(dsl)
        records, name = self.records, self.dataset.get("name")
        read: dict[str, Any] = {}
        sources = sorted({str(node.attr("source")) for node in machine.iter_nodes()
                          if node.kind == "input" and node.attr("source")})
        another = self.executor is None or self.executor.machine_id != slugify(machine.title)
        if data is None and records and another and sources and name not in sources:
            records, name, read = [], None, {"source": " or ".join(sources)}
        if isinstance(data, str):
            try:
                data = read_data(data, data_name or "")
            except DataError as error:
                raise LabError(f"cannot read the data set: {error}") from None
        if data is not None:
            records = data.records
            read = {"encoding": data.encoding, "notice": data.notice}
        await self.stash_for(slugify(machine.title))  # another machine loaded now stays stored
        self.records = records
        described = describe_records(records) if records else {"count": 0, "fields": []}
        self.dataset = {"name": data_name or name, **described, **read}
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

    def _parse(self, dsl: str) -> Any:
        from evomachine.dsl import DSLError, parse_machine

        try:
            return parse_machine(dsl)
        except DSLError as error:
            raise LabError(f"the machine has errors:\n{error}") from None

    def _new_executor(self, machine: Any, client: Any) -> Any:
        from evomachine.evolution import EvolutionaryExecutor

        return EvolutionaryExecutor(machine, {}, self.storage, llm=client, inputs=self.records,
                                    persist_every=10_000)
