"""The LLM the lab uses: its settings, and the API key bound to the endpoint it was entered for.

Mixed into ``Lab`` (the settings model itself is :mod:`evomachine.app.llm_config`).
The key is used, never stored here, and only with the endpoint (provider, URL)
it was entered for, so no settings from a file, a saved session or another tab
send it anywhere else.
"""

from __future__ import annotations

from typing import Any

from evomachine import nesting
from evomachine.app.errors import DEFAULT_LLM_PUBLIC, LabError, LLMConfigError
from evomachine.app.lab_state import LabState
from evomachine.app.views import dumps


def _ground_truth(machine: Any) -> dict[str, str] | None:
    """``{task: record field}`` of the machine's ground truth, or ``None`` when it names none."""
    from evomachine.dsl.truth import truth_fields

    return truth_fields(machine) or None


class LLMSettingsMixin(LabState):
    """The settings in use, the key and the client made from them (see ``Lab``)."""

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

    async def set_llm(self, config_json: str) -> str:
        """Use the LLM the settings describe; the key is used, never stored here.

        A key given with the settings belongs to their endpoint from then on.
        Without one, the key held for this same endpoint is kept; a key held for
        another endpoint is not used. Choosing the simulated LLM forgets the key.

        Returns ``{llm, ready, error}``: ``ready`` is false when the settings
        cannot answer yet (an HTTP provider without its key, a simulated LLM
        over data without ground truth), and ``error`` says why.
        """
        try:
            settings = nesting.loads(config_json)
        except ValueError as error:
            raise LabError(f"LLM settings must be JSON: {error}") from None
        config = self._parse_llm(settings)
        if config.provider == "simulated":
            self._api_key = self._key_endpoint = None
        elif config.api_key:
            self._api_key, self._key_endpoint = config.api_key, config.endpoint
        config = config.model_copy(update={"api_key": None})
        if self.executor is not None:
            self.executor.llm = self._client(config, self.executor.machine)
            await self.persist()
        else:
            self._settings_alone(config)
        return dumps({"llm": self.llm_public(), "ready": self.llm_error is None,
                      "error": self.llm_error, "note": self.llm_note})

    def _parse_llm(self, settings: Any) -> Any:
        """Settings validated (``LLMConfigError`` if not), with a base URL that holds the key
        held in memory (entered before, or remembered) refused as one that holds a key typed
        with it: the page clears the key field after each use."""
        from evomachine.app.llm_config import KEY_IN_URL, key_in_url, parse_config

        config = parse_config(settings)
        if config.provider != "simulated" and key_in_url(self._api_key, config.base_url):
            raise LLMConfigError(f"invalid LLM settings: base_url: {KEY_IN_URL}")
        return config

    def _settings_alone(self, config: Any) -> None:
        """Take ``config`` with no machine to build a client for (the note says when the
        key held is not for its endpoint)."""
        self.llm_config, self.llm_error, self.llm_note = config, None, None
        if config.provider != "simulated" and not self._key_fits(config):
            self.llm_note = self._key_note(config)

    def _key_fits(self, config: Any) -> bool:
        return bool(self._api_key) and self._key_endpoint == config.endpoint

    def _key_note(self, config: Any) -> str | None:
        """Why a held key is not used with ``config`` (``None`` when there is no key)."""
        if not self._api_key or self._key_endpoint is None:
            return None
        provider, url = self._key_endpoint
        return (f"your API key was entered for {url or provider}, so it is not sent to "
                f"{config.endpoint[1]}; enter the key again to use it there")

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
