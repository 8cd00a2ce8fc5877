"""What a model call costs: per-million-token prices per model, changeable by the user.

The defaults are list prices (USD per million tokens) at the time of writing
and will go out of date: set your own with :meth:`PriceTable.set`. A model the
table does not know (a local Ollama or llama.cpp model) costs 0.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class ModelPrice(BaseModel):
    """USD per million input and output tokens."""

    input_per_mtok: float = Field(default=0.0, ge=0)
    output_per_mtok: float = Field(default=0.0, ge=0)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1e6


FREE = ModelPrice()

#: When :data:`DEFAULT_PRICES` were entered from the providers' price lists (check yours).
DEFAULTS_AS_OF = "2026-11-28"

DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "claude-opus-4": (15.0, 75.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-haiku-4": (1.0, 5.0),
    "claude-3-5-haiku": (0.8, 4.0),
    "claude-3-5-sonnet": (3.0, 15.0),
    "gpt-4o": (2.5, 10.0),
    "gpt-4o-mini": (0.15, 0.6),
    "gpt-4.1": (2.0, 8.0),
    "gpt-4.1-mini": (0.4, 1.6),
    "gpt-4.1-nano": (0.1, 0.4),
}


class PriceTable(BaseModel):
    """Prices by model name; a name also matches by its longest known prefix.

    ``"gpt-4o-mini-2024-07-18"`` is priced as ``"gpt-4o-mini"``. Serializes
    with ``model_dump`` like any pydantic model, so it can be saved and edited.
    """

    prices: dict[str, ModelPrice] = Field(default_factory=dict)

    @classmethod
    def with_defaults(cls) -> PriceTable:
        """A table holding :data:`DEFAULT_PRICES`."""
        table = cls()
        for model, (input_price, output_price) in DEFAULT_PRICES.items():
            table.set(model, input_price, output_price)
        return table

    def set(self, model: str, input_per_mtok: float, output_per_mtok: float) -> None:
        """Set (or replace) the price of ``model`` in USD per million tokens."""
        price = ModelPrice(input_per_mtok=input_per_mtok, output_per_mtok=output_per_mtok)
        self.prices[model] = price

    def update(self, prices: dict[str, tuple[float, float]]) -> PriceTable:
        """Set every ``{model: (input, output)}`` of ``prices``; the table itself."""
        for model, (input_price, output_price) in prices.items():
            self.set(model, input_price, output_price)
        return self

    def knows(self, model: str) -> bool:
        """Whether ``model`` has a price here (exactly or by prefix)."""
        return model in self.prices or any(model.startswith(name) for name in self.prices)

    def price_for(self, model: str) -> ModelPrice:
        """The exact entry, else the longest prefix entry, else free."""
        if model in self.prices:
            return self.prices[model]
        matches = [name for name in self.prices if model.startswith(name)]
        return self.prices[max(matches, key=len)] if matches else FREE

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float:
        return self.price_for(model).cost(input_tokens, output_tokens)
