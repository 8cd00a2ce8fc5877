"""The lab's price table: what a real provider's calls cost, per model, editable in the page.

Mixed into ``Lab``. The defaults (:data:`evomachine.llm.prices.DEFAULT_PRICES`,
dated :data:`~evomachine.llm.prices.DEFAULTS_AS_OF`) are list prices that go out
of date; the user's prices go over them, are kept with the LLM settings (so
they are saved, exported and restored with the session) and apply to calls
from then on. A model the table does not know costs $0, and the page says so.
"""

from __future__ import annotations

import json

from evomachine import nesting
from evomachine.app.errors import LabError
from evomachine.app.lab_state import LabState
from evomachine.app.views import dumps


class PricesMixin(LabState):
    """``prices`` and ``set_prices`` for the page (see ``Lab``)."""

    async def prices(self) -> str:
        """``{as_of, provider, model, model_known, model_price, rows}``.

        ``rows`` is every priced model, ``[{model, input, output, default, yours}]``
        (``default`` is the list price or ``None``; ``yours`` whether the user set it).
        """
        from evomachine.llm.prices import DEFAULT_PRICES, DEFAULTS_AS_OF

        config = self.llm_config
        table = config.price_table()
        rows = [{"model": name, "input": price.input_per_mtok, "output": price.output_per_mtok,
                 "default": list(DEFAULT_PRICES[name]) if name in DEFAULT_PRICES else None,
                 "yours": name in config.prices}
                for name, price in sorted(table.prices.items())]
        model = config.model if config.provider != "simulated" else None
        price = table.price_for(model) if model else None
        return dumps({
            "as_of": DEFAULTS_AS_OF, "provider": config.provider, "model": model,
            "model_known": bool(model) and table.knows(model),
            "model_price": [price.input_per_mtok, price.output_per_mtok] if price else None,
            "simulated_price": [config.price_in, config.price_out],
            "rows": rows,
        })

    async def set_prices(self, prices_json: str) -> str:
        """Use ``{model: [input, output]}`` (USD per million tokens) over the defaults.

        The whole set of the user's prices is replaced; an entry equal to the list
        price is dropped. The client is rebuilt as for new LLM settings. Returns
        :meth:`prices`.
        """
        from evomachine.llm.prices import DEFAULT_PRICES

        try:
            raw = nesting.loads(prices_json)
        except ValueError as error:
            raise LabError(f"prices must be JSON: {error}") from None
        if not isinstance(raw, dict):
            raise LabError("prices must be an object {model: [input, output]}")
        prices: dict[str, list[float]] = {}
        for model, pair in raw.items():
            if (not isinstance(pair, list | tuple) or len(pair) != 2
                    or not all(isinstance(p, int | float) and not isinstance(p, bool)
                               for p in pair)):
                raise LabError(f"the price of {model!r} must be [input, output] in USD per "
                               "million tokens")
            if tuple(DEFAULT_PRICES.get(model, ())) != (float(pair[0]), float(pair[1])):
                prices[str(model)] = [float(pair[0]), float(pair[1])]
        settings = {k: v for k, v in self.llm_public().items()
                    if k not in ("has_key", "endpoint_url")}
        await self.set_llm(json.dumps({**settings, "prices": prices}))
        return await self.prices()
