"""``LabState``: what a ``Lab`` holds, declared once for the mixins that make up ``Lab``.

``Lab.__init__`` (:mod:`~evomachine.app.lab`) sets these attributes; each mixin of
``Lab`` (loading, session, machines, runs, ...) inherits this class so its methods
use them with their types and without a copy of the declarations. The methods one
mixin calls of another are declared here too, for type checkers only, with the
module that provides each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evomachine.app.series import SeriesBook


class LabState:
    """The attributes of ``Lab`` the mixins share (set by ``Lab.__init__``)."""

    storage: Any
    store: Any  # a LabStore over ``storage``
    version: str
    executor: Any  # the loaded machine's EvolutionaryExecutor, or None
    dsl: str
    example: str | None
    dataset: dict[str, Any]
    records: list[dict[str, Any]]
    series: SeriesBook
    problems: list[dict[str, Any]]
    llm_error: str | None
    llm_note: str | None
    _llm_config: Any
    _api_key: str | None
    _key_endpoint: tuple[str, str | None] | None
    _stamp: str | None
    last_run_at: float | None = None  # when the loaded machine last took a step

    if TYPE_CHECKING:  # provided by Lab and its mixins, by module
        llm_config: Any  # llm_settings (a property)

        # lab
        def _require(self) -> Any: ...
        def _used_up(self, ex: Any) -> bool: ...
        async def state(self) -> str: ...

        # loading
        def _parse(self, dsl: str) -> Any: ...
        def _new_executor(self, machine: Any, client: Any) -> Any: ...

        # llm_settings
        def llm_public(self) -> dict[str, Any]: ...
        def _client(self, config: Any, machine: Any) -> Any: ...
        def _parse_llm(self, settings: Any) -> Any: ...
        def _settings_alone(self, config: Any) -> None: ...
        async def set_llm(self, config_json: str) -> str: ...

        # session
        async def persist(self, *, dataset_changed: bool = False) -> str: ...
        async def _restore(self) -> None: ...
        async def _reset_memory(self) -> None: ...

        # machines
        def workspace(self) -> dict[str, Any] | None: ...
        async def import_plan(self, entries: dict[tuple[str, str], Any]) -> dict[str, Any]: ...
        async def stash_for(self, machine_id: str) -> None: ...
        async def restore_workspace(self, machine_id: str) -> None: ...

        # library
        async def _versions(self) -> list[dict[str, Any]]: ...
