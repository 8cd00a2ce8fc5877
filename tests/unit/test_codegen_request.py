"""A code-writing request asks for room for the code, and a provider's cap holds."""

from __future__ import annotations

from evomachine.evolution.synthesis.llm_codegen import CODEGEN_MAX_TOKENS, ask_for_code
from evomachine.llm.mock_transport import MockTransport, openai_reply
from evomachine.llm.openai_compat import OpenAICompatibleClient
from evomachine.llm.simulated import SimulatedLLM

CODE = "def solve(input):\n    return 'x'\n"


async def test_the_code_writing_request_asks_for_its_own_cap_not_the_clients_default():
    """The HTTP clients send max_tokens 1,024 by default: a lookup function of a few hundred
    names is ~3,000 tokens and came back cut off, so the code did not parse."""
    transport = MockTransport(lambda url, headers, body: openai_reply(f"```python\n{CODE}```"))
    client = OpenAICompatibleClient("http://127.0.0.1:9/v1", "local", transport=transport)
    code, _ = await ask_for_code(client, task="t", prompt="write it", output_schema=None,
                                 examples=3)
    assert code.strip() == CODE.strip()
    [(_, _, body, _)] = transport.requests
    assert body["max_tokens"] == CODEGEN_MAX_TOKENS == 4096
    assert client.max_tokens == 1024  # task calls keep the client's own cap


async def test_the_simulated_llm_stops_at_the_requests_cap_as_a_provider_does():
    long_code = "x = 1\n" * 5000  # 30,000 characters
    llm = SimulatedLLM(lambda request: "a", codegen=lambda request: long_code)
    from evomachine.llm.base import LLMRequest

    response = await llm.complete(LLMRequest(prompt="p", task="t", purpose="codegen",
                                              max_tokens=100))
    assert len(response.text) == 400 and response.output_tokens == 100


async def test_a_client_that_allows_longer_answers_keeps_its_cap_for_code():
    transport = MockTransport(lambda url, headers, body: openai_reply(f"```python\n{CODE}```"))
    client = OpenAICompatibleClient("http://127.0.0.1:9/v1", "local", transport=transport,
                                    max_tokens=16_000)
    await ask_for_code(client, task="t", prompt="write it", output_schema=None, examples=3)
    assert transport.requests[0][2]["max_tokens"] == 16_000


def test_a_model_the_price_table_does_not_know_is_budgeted_from_its_calls():
    """An alias missing from the price table prices as free: the bound fell to $0 while the
    task's calls cost money (found by review)."""
    from evomachine.evolution.accounting import CostModel, codegen_cost_bound

    client = OpenAICompatibleClient("http://127.0.0.1:9/v1", "my-alias")
    assert client.estimate_cost(1000, 4096) == 0.0
    model = CostModel()
    for size in (10, 20, 40, 80):
        model.called(size, 0.001 + 0.00001 * size)
    bound = codegen_cost_bound(client, model, 2900, 4096)
    assert bound is not None and bound > 0.1
