"""The CLI's model: the simulated one, or a real provider with shared rate limits.

``--provider anthropic|openai`` (or ``--preset ollama|llama.cpp|vllm|lm-studio``,
an OpenAI-compatible local server), ``--model``, ``--base-url``, ``--prices``.
The API key is read from an environment variable (``--api-key-env``, by default
``ANTHROPIC_API_KEY`` or ``OPENAI_API_KEY``): never from a flag, never printed.
``--concurrency`` (default :data:`DEFAULT_CONCURRENCY`) is both how many LLM
requests a run sends ahead and the rate limiter's ceiling; ``--rpm`` / ``--tpm``
cap requests and tokens per minute (no cap by default: a 429's Retry-After
pauses every request and halves the concurrency, see
:mod:`evomachine.llm.rate_limit`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any

DEFAULT_CONCURRENCY = 8
"""Eight requests in flight: 2,000 records at 400 ms a call finish within two minutes
even when most of them need the LLM, and local servers (Ollama's default is four parallel
requests a model) queue the rest instead of refusing them."""

PRESETS = {"ollama": "ollama", "llama.cpp": "llama.cpp", "vllm": "vllm",
           "lm-studio": "lm-studio"}
KEY_VARIABLES = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


class ProviderError(ValueError):
    """The provider options do not make a client (message safe to print)."""


class _RefuseKey(argparse.Action):
    """``--api-key``: refused without echoing the value (keys live in the environment)."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        parser.error("an API key is never given as a flag (it would stay in the shell's history "
                     "and the process list): put it in an environment variable and name that "
                     "variable with --api-key-env if it is not the default")


def add_arguments(add: Any) -> None:
    """The provider and concurrency options of ``evolve`` (use a parser with
    ``allow_abbrev=False``, so no prefix of ``--api-key-env`` takes a value)."""
    add("--api-key", action=_RefuseKey, help=argparse.SUPPRESS)
    add("--provider", choices=["simulated", "anthropic", "openai"], default=None,
        help="the model: simulated from ground truth (default), Anthropic, or any "
             "OpenAI-compatible API")
    add("--preset", choices=sorted(PRESETS),
        help="a local OpenAI-compatible server at its usual address (implies --provider openai)")
    add("--model", help="model name for a real provider (e.g. claude-sonnet-4-20250514, llama3.2)")
    add("--base-url", help="API base URL (default: the provider's or the preset's)")
    add("--prices", type=Path,
        help='JSON file of USD per million tokens: {"model": [input, output], ...}')
    add("--api-key-env", metavar="VAR",
        help="environment variable holding the API key (default ANTHROPIC_API_KEY or "
             "OPENAI_API_KEY; the key is never a flag and never printed)")
    add("--concurrency", type=int, default=DEFAULT_CONCURRENCY,
        help=f"LLM requests in flight at once (default {DEFAULT_CONCURRENCY}; 1 = sequential)")
    add("--rpm", type=float, help="cap on requests per minute (default: none)")
    add("--tpm", type=float, help="cap on tokens per minute (default: none)")
    add("--max-retries", type=int, default=5,
        help="retries per request on 429/5xx/network errors (default 5)")
    add("--timeout", type=float, default=60.0, help="seconds per request (default 60)")
    add("--wait", action="store_true",
        help="the simulated model waits its drawn latency (400 ms ± 150) for real")


def provider_of(args: argparse.Namespace) -> str:
    if args.preset:
        if args.provider not in (None, "openai"):
            raise ProviderError(f"--preset {args.preset} is an OpenAI-compatible server: "
                                f"it cannot be used with --provider {args.provider}")
        return "openai"
    return args.provider or "simulated"


def check(args: argparse.Namespace) -> None:
    if args.concurrency < 1:
        raise ProviderError("--concurrency must be >= 1")
    if args.max_retries < 0 or args.timeout <= 0:
        raise ProviderError("--max-retries must be >= 0 and --timeout > 0")
    for name in ("rpm", "tpm"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise ProviderError(f"--{name} must be > 0")


def load_prices(path: Path | None) -> Any:
    from evomachine.llm.prices import PriceTable

    table = PriceTable.with_defaults()
    if path is None:
        return table
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProviderError(f"cannot read --prices {path}: {error.strerror}") from None
    except ValueError as error:
        raise ProviderError(f"--prices {path}: not JSON: {error}") from None
    if not isinstance(data, dict):
        raise ProviderError(f'--prices {path}: write {{"model": [input, output], ...}}')
    for model, price in data.items():
        if isinstance(price, dict):
            price = [price.get("input_per_mtok"), price.get("output_per_mtok")]
        ok = (isinstance(price, list) and len(price) == 2
              and all(isinstance(p, int | float) and not isinstance(p, bool) and p >= 0
                      for p in price))
        if not ok:
            raise ProviderError(f"--prices {path}: {model!r} needs [input, output] USD per "
                                "million tokens, both >= 0")
        table.set(str(model), float(price[0]), float(price[1]))
    return table


def unpriced_models(args: argparse.Namespace, machine: Any) -> list[str]:
    """The models a real provider's run asks (``--model``, tasks' ``model``) that the price
    table does not know: their calls would count $0, with nothing shown as saved. A local
    server (``--preset``) costs nothing indeed, so it is not asked about."""
    if provider_of(args) == "simulated" or args.preset:
        return []
    table = load_prices(args.prices)
    asked = {args.model, *(str(task.attr("model")) for task in machine.tasks()
                           if task.attr("model"))}
    return sorted(model for model in asked if model and not table.knows(model))


def real_provider(args: argparse.Namespace, environ: dict[str, str] | None = None) -> Any:
    """An Anthropic or OpenAI-compatible client with a shared :class:`RateLimiter`."""
    from evomachine.llm.anthropic import ANTHROPIC_BASE_URL, AnthropicClient
    from evomachine.llm.openai_compat import KNOWN_BASE_URLS, OpenAICompatibleClient
    from evomachine.llm.rate_limit import RateLimiter

    environ = dict(os.environ) if environ is None else environ
    provider = provider_of(args)
    if not args.model:
        raise ProviderError(f"--provider {provider} needs --model NAME")
    if args.api_key_env and not _ENV_NAME.fullmatch(args.api_key_env):
        # not shown: a key pasted here by mistake must not be printed
        raise ProviderError("--api-key-env takes the name of an environment variable "
                            "(letters, digits, _), not the key itself")
    variable = args.api_key_env or (None if args.preset else KEY_VARIABLES[provider])
    key = environ.get(variable) if variable else None
    if variable and args.api_key_env and not key:
        raise ProviderError(f"the environment variable {variable} is empty or not set")
    if provider == "anthropic" and not key:
        raise ProviderError(f"set the API key in the environment variable {variable} "
                            "(it is never taken from a flag)")
    if provider == "openai" and not args.preset and not args.base_url and not key:
        raise ProviderError(f"set the API key in the environment variable {variable}, or "
                            "give --base-url / --preset for a local server")
    limiter = RateLimiter(requests_per_min=args.rpm, tokens_per_min=args.tpm,
                          max_concurrency=args.concurrency)
    options = {"api_key": key, "prices": load_prices(args.prices), "limiter": limiter,
               "max_retries": args.max_retries, "timeout_s": args.timeout}
    try:
        if provider == "anthropic":
            base = args.base_url or ANTHROPIC_BASE_URL
            return AnthropicClient(model=args.model, base_url=base, **options)
        base = args.base_url or KNOWN_BASE_URLS[PRESETS[args.preset] if args.preset else "openai"]
        return OpenAICompatibleClient(base, args.model, **options)
    except ValueError as error:  # a bad URL, or a key with characters a header cannot carry
        raise ProviderError(str(error)) from None
