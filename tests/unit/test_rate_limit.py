"""Shared rate limits on a virtual clock: buckets, AIMD, 429 pauses, retry budgets, nothing lost."""

from __future__ import annotations

import asyncio

import pytest

from evomachine.llm import LLMError, LLMRequest, OpenAICompatibleClient
from evomachine.llm.mock_transport import (
    MockTransport,
    VirtualClock,
    openai_reply,
    status_reply,
    user_prompt,
)
from evomachine.llm.rate_limit import Bucket, RateLimiter

pytestmark = pytest.mark.needs_event_loop


def client(transport, limiter, clock, **options):
    return OpenAICompatibleClient("http://127.0.0.1:9/v1", "mock", transport=transport,
                                  limiter=limiter, sleep=clock.sleep, **options)


def request(i: int) -> LLMRequest:
    return LLMRequest(prompt=f"item {i}", task="t", max_tokens=5)


def echo(times: list[float], clock: VirtualClock):
    def handler(url, headers, body):
        times.append(clock())
        return openai_reply("echo " + user_prompt(body))
    return handler


def test_bucket_refills_at_its_rate():
    bucket = Bucket(60, now=0.0)
    bucket.take(60, 0.0)
    assert bucket.wait(1, 0.0) == pytest.approx(1.0)
    assert bucket.wait(1, 0.5) == pytest.approx(0.5)
    assert bucket.wait(1, 1.0) == 0.0
    assert bucket.wait(1000, 100.0) == 0.0  # more than the capacity waits for a full bucket only


def test_requests_per_minute_spread_requests_over_time():
    clock = VirtualClock()
    times: list[float] = []
    transport = MockTransport(echo(times, clock), sleep=clock.sleep)
    limiter = RateLimiter(requests_per_min=60, max_concurrency=32, clock=clock, sleep=clock.sleep)
    llm = client(transport, limiter, clock)

    async def main():
        return await asyncio.gather(*(llm.complete(request(i)) for i in range(90)))

    answers = asyncio.run(clock.drive(main()))
    assert [a.text for a in answers] == [f"echo item {i}" for i in range(90)]
    assert len(times) == 90
    assert times[59] == 0.0  # a full bucket at the start: 60 at once
    assert times[60] == pytest.approx(1.0)  # then one a second
    assert times[89] == pytest.approx(30.0)


def test_tokens_per_minute_count_the_reservation_and_refund_what_was_unused():
    clock = VirtualClock()
    times: list[float] = []
    transport = MockTransport(echo(times, clock), sleep=clock.sleep)
    # each request reserves prompt (2 tokens) + max_tokens 5 = 7, uses 10 + 2 = 12 (usage)
    limiter = RateLimiter(tokens_per_min=60, max_concurrency=8, clock=clock, sleep=clock.sleep)
    llm = client(transport, limiter, clock)

    async def main():
        for i in range(10):
            await llm.complete(request(i))

    asyncio.run(clock.drive(main()))
    # 120 tokens used at 60 a minute from a full bucket of 60: about a minute
    assert 50.0 <= times[-1] <= 70.0


def test_concurrency_limit_caps_requests_in_flight():
    clock = VirtualClock()
    transport = MockTransport(echo([], clock), latency_s=0.4, sleep=clock.sleep)
    limiter = RateLimiter(max_concurrency=3, clock=clock, sleep=clock.sleep)
    llm = client(transport, limiter, clock)

    async def main():
        return await asyncio.gather(*(llm.complete(request(i)) for i in range(12)))

    asyncio.run(clock.drive(main()))
    assert transport.max_in_flight == 3
    assert clock() == pytest.approx(1.6)  # 12 requests, 3 at a time, 0.4 s each
    assert limiter.in_flight == 0


def test_a_429_pauses_everyone_for_retry_after_and_halves_the_limit():
    clock = VirtualClock()
    sent: list[tuple[float, str]] = []

    def handler(url, headers, body):
        prompt = user_prompt(body)
        sent.append((clock(), prompt))
        if prompt == "item 3" and sum(p == prompt for _, p in sent) == 1:
            return status_reply(429, "slow down", retry_after=2)
        return openai_reply("echo " + prompt)

    transport = MockTransport(handler, latency_s=0.5, sleep=clock.sleep)
    limiter = RateLimiter(max_concurrency=8, clock=clock, sleep=clock.sleep)
    llm = client(transport, limiter, clock, max_retries=2)

    async def main():
        return await asyncio.gather(*(llm.complete(request(i)) for i in range(20)))

    answers = asyncio.run(clock.drive(main()))
    assert [a.text for a in answers] == [f"echo item {i}" for i in range(20)]
    assert len(sent) == 21  # one retry, nothing else
    assert limiter.stats["rate_limited"] == 1 and limiter.stats["decreases"] == 1
    # (times are when the server answers, 0.5 s after sending) the 429 came back at 0.5 s:
    # nothing was sent during the 2 s pause that followed
    assert not [t for t, _ in sent if 0.5 < t < 3.0]
    first, retry = [t for t, p in sent if p == "item 3"]
    assert first == 0.5 and retry >= 3.0
    assert transport.max_in_flight == 8


def test_one_wave_of_429s_halves_the_limit_once_and_successes_add_it_back():
    clock = VirtualClock()
    limiter = RateLimiter(max_concurrency=8, clock=clock, sleep=clock.sleep)

    async def main():
        permits = [await limiter.acquire() for _ in range(8)]
        for permit in permits:  # eight answers of one burst: one decrease
            limiter.rate_limited(permit, 0)
        assert limiter.limit == 4
        for _ in range(4):
            limiter.succeeded(await limiter.acquire())
        assert limiter.limit == 5
        assert limiter.in_flight == 0

    asyncio.run(clock.drive(main()))
    assert limiter.stats["decreases"] == 1 and limiter.stats["increases"] == 1


def test_retries_never_exceed_the_budget_and_every_request_ends_once():
    clock = VirtualClock()
    transport = MockTransport(lambda u, h, b: status_reply(429, "no", retry_after=1),
                              latency_s=0.1, sleep=clock.sleep)
    limiter = RateLimiter(max_concurrency=4, clock=clock, sleep=clock.sleep)
    llm = client(transport, limiter, clock, max_retries=3)

    async def one(i):
        try:
            await llm.complete(request(i))
        except LLMError as error:
            return error
        return None

    async def main():
        return await asyncio.gather(*(one(i) for i in range(6)))

    errors = asyncio.run(clock.drive(main()))
    assert all(isinstance(e, LLMError) and e.status == 429 for e in errors)
    assert all("gave up after 4 attempts" in e.reason for e in errors)
    assert len(transport.requests) == 6 * 4
    assert limiter.in_flight == 0 and limiter.limit >= 1


def test_under_random_429s_no_request_is_lost_or_answered_twice():
    clock = VirtualClock()
    import random

    rng = random.Random(7)
    refused: list[str] = []

    def handler(url, headers, body):
        prompt = user_prompt(body)
        if rng.random() < 0.1:
            refused.append(prompt)
            return status_reply(429, "busy", retry_after=0.3)
        return openai_reply("echo " + prompt)

    transport = MockTransport(handler, latency_s=0.4, sleep=clock.sleep)
    limiter = RateLimiter(max_concurrency=16, clock=clock, sleep=clock.sleep)
    llm = client(transport, limiter, clock, max_retries=6)

    async def main():
        return await asyncio.gather(*(llm.complete(request(i)) for i in range(200)))

    answers = asyncio.run(clock.drive(main()))
    assert [a.text for a in answers] == [f"echo item {i}" for i in range(200)]
    assert len(transport.requests) == 200 + len(refused)
    assert refused and limiter.stats["rate_limited"] == len(refused)
    assert limiter.in_flight == 0
