"""LLM settings from the page: validated, turned into a client, and stored without the key.

An API key belongs to the endpoint it was entered for. :func:`endpoint_of` is
that endpoint (the provider and the URL requests go to, normalised), and the
lab only ever builds a client with a key when the settings' endpoint is the
key's own: settings that come from a file or another tab never redirect it.
"""

from __future__ import annotations

import math
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from evomachine.app.errors import LLMConfigError
from evomachine.llm.url_secrets import credential_params, url_keys

MAX_PRICES = 200
MAX_PRICE = 10_000.0  # USD per million tokens: far above any list price

#: Where a provider's requests go when no base URL is given.
DEFAULT_URLS = {"anthropic": "https://api.anthropic.com"}
#: The model used when none is given (the page shows it as the field's placeholder).
DEFAULT_MODELS = {"anthropic": "claude-haiku-4-5"}

Endpoint = tuple[str, str | None]
"""``(provider, normalised URL)``; the simulated LLM's URL is ``None``."""


KEY_IN_URL = ("the base URL holds the API key: enter the URL without it (a base URL is saved "
              "and exported as written; the key is not)")


def key_in_url(key: str | None, url: str | None) -> bool:
    """Whether ``url`` holds ``key`` (decoded), whatever the key's shape (8 characters on)."""
    key = (key or "").strip()
    return len(key) >= 8 and bool(url) and key in unquote(url or "")


def normalise_url(url: str | None) -> str | None:
    """``url`` with scheme and host in lower case and no trailing slash (``None`` stays)."""
    if url is None or not url.strip():
        return None
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}{query}"


def endpoint_of(provider: str, base_url: str | None) -> Endpoint:
    """Where a client with these settings sends its requests (and so the key)."""
    if provider == "simulated":
        return ("simulated", None)
    return (provider, normalise_url(base_url or DEFAULT_URLS.get(provider)))


class LLMConfig(BaseModel):
    """What ``setLLM`` accepts. ``api_key`` is used to build the client, never stored."""

    model_config = ConfigDict(extra="ignore")

    provider: Literal["simulated", "anthropic", "openai"] = "simulated"
    # simulated
    accuracy: float = Field(0.97, ge=0.0, le=1.0)
    latency_ms: float = Field(400.0, ge=0.0)
    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    # USD per million tokens (input, output); the simulated default is a mid-size model
    price_in: float = Field(3.0, ge=0.0)
    price_out: float = Field(15.0, ge=0.0)
    seed: int = 0
    # the simulated LLM waits its latency for real (so concurrency shows)
    wait: bool = False
    # LLM requests in flight at once (see evomachine.executor.concurrent)
    concurrency: int = Field(8, ge=1, le=64)
    # HTTP providers
    base_url: str | None = Field(None, max_length=2000)
    model: str | None = Field(None, max_length=200)
    api_key: str | None = Field(None, repr=False)
    remember: bool = False
    # The user's prices for HTTP providers, {model: [input, output]} USD per million tokens,
    # over the default price table (evomachine.llm.prices).
    prices: dict[str, tuple[float, float]] = Field(default_factory=dict)

    @field_validator("prices")
    @classmethod
    def _prices(cls, value: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        if len(value) > MAX_PRICES:
            raise ValueError(f"at most {MAX_PRICES} model prices")
        for model, pair in value.items():
            if not model.strip() or len(model) > 200:
                raise ValueError("a model name is 1 to 200 characters")
            if any(not math.isfinite(p) or p < 0 or p > MAX_PRICE for p in pair):
                raise ValueError(f"the price of {model!r} must be between 0 and {MAX_PRICE} "
                                 "USD per million tokens")
        return {model.strip(): pair for model, pair in value.items()}

    @model_validator(mode="after")
    def _key_not_in_url(self) -> LLMConfig:
        if key_in_url(self.api_key, self.base_url):
            raise ValueError(KEY_IN_URL)
        return self

    @model_validator(mode="after")
    def _default_model(self) -> LLMConfig:
        if not (self.model or "").strip():
            self.model = DEFAULT_MODELS.get(self.provider, self.model)
        return self

    def run_concurrency(self) -> int:
        """Requests sent ahead in a run: 1 for a simulated LLM that does not wait (nothing
        to overlap), else ``concurrency``."""
        return 1 if self.provider == "simulated" and not self.wait else self.concurrency

    def price_table(self) -> Any:
        """The default price table with the user's prices over it."""
        from evomachine.llm.prices import PriceTable

        return PriceTable.with_defaults().update(self.prices)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        if parts.username is not None or parts.password is not None:
            raise ValueError("must not carry a user name or password (enter the key instead)")
        if parts.fragment:
            raise ValueError("must not have a #fragment")
        if names := credential_params(value):
            raise ValueError(
                f"must not carry a credential ({', '.join(sorted(set(names)))}=…): enter it "
                "as the API key (a base URL is saved and exported as written; the key is not)")
        if url_keys(value):
            raise ValueError(
                "must not carry an API key (a part like sk-…, or a long token of mixed case and "
                "digits): enter it as the API key (a base URL is saved and exported as written; "
                "the key is not)")
        return value.strip()

    @property
    def endpoint(self) -> Endpoint:
        return endpoint_of(self.provider, self.base_url)

    def public(self) -> dict[str, Any]:
        """The settings to show, save and export: never the key; with the URL in use."""
        data = self.model_dump(exclude={"api_key"})
        data["has_key"] = bool(self.api_key)
        data["endpoint_url"] = self.endpoint[1]
        return data


def parse_config(raw: dict[str, Any] | None) -> LLMConfig:
    """Validate the page's settings; a clear error names the field."""
    raw = dict(raw or {})
    if raw.get("provider") == "openai-compatible":
        raw["provider"] = "openai"
    try:
        return LLMConfig.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in error.errors())
        raise LLMConfigError(f"invalid LLM settings: {problems}") from None


def parse_endpoint(raw: Any) -> Endpoint | None:
    """The endpoint a remembered key was saved for (``{provider, url}``), or ``None``."""
    if not isinstance(raw, dict) or raw.get("provider") not in ("anthropic", "openai"):
        return None
    url = raw.get("url")
    return (raw["provider"], normalise_url(url) if isinstance(url, str) else None)


def build_client(config: LLMConfig, records: list[dict[str, Any]],
                 ground_truth: str | dict[str, str] | None,
                 key_fields: list[str] | None = None) -> Any:
    """The client for ``config``; ``None`` when an HTTP provider still needs its key.

    ``ground_truth`` is one record field or ``{task: field}``: the simulated LLM
    answers each task from its own field.
    """
    if config.provider == "simulated":
        from evomachine.llm import SimulatedLLM

        options: dict[str, Any] = {
            "accuracy": config.accuracy, "error_rate": config.error_rate,
            "latency_ms": (config.latency_ms, config.latency_ms * 0.25),
            "price": (config.price_in, config.price_out), "seed": config.seed,
            "sleep": config.wait,
        }
        fields = [ground_truth] if isinstance(ground_truth, str) else \
            sorted(set((ground_truth or {}).values()))
        missing = [f for f in fields if not records or any(f not in r for r in records[:50])]
        if fields and not missing:
            return SimulatedLLM.from_records(records, ground_truth, key_fields, **options)
        raise LLMConfigError(
            "the simulated LLM answers from the data's ground truth, but the loaded data has "
            f"no field {', '.join(map(repr, missing))}" if fields else
            "the simulated LLM answers from the data's ground truth: add "
            "'ground_truth: \"label\";' to the Input node and load labelled data")
    if config.provider == "anthropic":
        if not config.model:
            raise LLMConfigError("Anthropic needs a model name, e.g. claude-haiku-4-5")
        if not config.api_key:
            return None
        from evomachine.llm import AnthropicClient

        kwargs = {"base_url": config.base_url} if config.base_url else {}
        return AnthropicClient(config.api_key, config.model, prices=config.price_table(),
                               limiter=_limiter(config), **kwargs)
    if not config.base_url or not config.model:
        raise LLMConfigError("an OpenAI-compatible provider needs base_url and model, e.g. "
                             "http://localhost:11434/v1 and llama3.2")
    from evomachine.llm import OpenAICompatibleClient

    return OpenAICompatibleClient(config.base_url, config.model, api_key=config.api_key,
                                  limiter=_limiter(config),
                                  prices=config.price_table())


def _limiter(config: LLMConfig) -> Any:
    """One limiter per client: its requests in flight share it (429 pauses, AIMD)."""
    from evomachine.llm.rate_limit import RateLimiter

    return RateLimiter(max_concurrency=config.concurrency)
