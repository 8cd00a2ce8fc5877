"""A credential written into an LLM endpoint's URL is treated as the key it is.

Found: a gateway key in the base URL (``…/v1?api_key=…``) showed in every error
message, in ``repr`` and ``describe()``; in the page it was saved with the
session and written into every export, where the key given as the key never goes.
Now the library hides it wherever the URL is shown, and the page refuses it,
asking for it as the key.
"""

from __future__ import annotations

import json

import pytest

from evomachine.app.errors import LLMConfigError
from evomachine.app.llm_config import parse_config
from evomachine.llm import LLMError, LLMRequest, OpenAICompatibleClient, TransportError
from evomachine.llm.mock_transport import scripted
from evomachine.llm.url_secrets import credential_params, redacted, secrets_in

SECRET = "gw-SECRET-0123456789"
REQUEST = LLMRequest(prompt="Route: my bill is wrong", task="route",
                     output_schema={"enum": ["billing", "tech", "sales"]})


def client_for(url: str, *answers) -> OpenAICompatibleClient:
    return OpenAICompatibleClient(url, "m", transport=scripted(*answers), max_retries=0)


@pytest.mark.parametrize("url", [
    f"https://gw.example/v1?api_key={SECRET}",
    f"https://gw.example/v1?api-version=2024-06-01&Api-Key={SECRET}",
    f"https://gw.example/v1?token={SECRET}%21",
    f"https://user:{SECRET}@gw.example/v1",
])
async def test_a_credential_in_the_base_url_never_shows(url):
    echoing = (404, {}, json.dumps({"error": {"message": f"no route for {url}"}}))
    failing = TransportError(f"connection to {url} refused")
    texts = []
    for answer in (echoing, failing):
        client = client_for(url, answer)
        texts += [repr(client), str(client), json.dumps(client.describe())]
        with pytest.raises(LLMError) as caught:
            await client.complete(REQUEST)
        texts += [str(caught.value), caught.value.reason]
    assert all(SECRET not in text for text in texts), texts
    assert all("gw.example" in text for text in texts)
    assert "***" in texts[0] and "***" in texts[3]


def test_what_is_not_a_credential_is_shown_as_written():
    url = "https://gw.example/openai/deployments/d1?api-version=2024-06-01"
    assert redacted(url) == url and secrets_in(url) == [] and credential_params(url) == []
    assert redacted(f"https://gw.example/v1?a=1&key={SECRET}") == "https://gw.example/v1?a=1&key=***"
    assert redacted("https://u@gw.example:8443/v1") == "https://u@gw.example:8443/v1"


def test_a_short_value_is_hidden_in_the_url_but_not_hunted_in_other_text():
    url = "https://gw.example/v1?code=1"
    assert redacted(url) == "https://gw.example/v1?code=***"
    assert secrets_in(url) == []  # scrubbing every "1" would garble the message instead


@pytest.mark.parametrize("url", [f"https://gw.example/v1?api_key={SECRET}",
                                 f"https://gw.example/v1?X-API-KEY={SECRET}&v=2"])
def test_the_page_asks_for_it_as_the_key(url):
    with pytest.raises(LLMConfigError, match="must not carry a credential") as caught:
        parse_config({"provider": "openai", "base_url": url, "model": "m"})
    assert SECRET not in str(caught.value)


def test_the_page_keeps_urls_whose_parameters_are_settings():
    url = "https://gw.example/openai/deployments/d1?api-version=2024-06-01"
    config = parse_config({"provider": "openai", "base_url": url, "model": "m"})
    assert config.public()["base_url"] == url


PATH_KEY = "sk-proj-AbCdEf0123456789xyzXYZ"


@pytest.mark.parametrize("url", [
    f"https://gw.example/v1/{PATH_KEY}",
    f"https://gw.example/{PATH_KEY}/v1",
    "https://gw.example/v1/gsk_0123456789abcdefghij",
    "https://gw.example/AIzaSyA0123456789abcdefghijklmnopqrstu/v1",
])
async def test_a_key_pasted_into_the_urls_path_never_shows_and_the_page_refuses_it(url):
    [key] = [segment for segment in url.split("/") if len(segment) > 16]
    assert secrets_in(url) == [key]
    assert key not in redacted(url) and "/***" in redacted(url)
    echoing = (404, {}, json.dumps({"error": {"message": f"no route for {url}"}}))
    client = client_for(url, echoing)
    with pytest.raises(LLMError) as caught:
        await client.complete(REQUEST)
    texts = [repr(client), json.dumps(client.describe()), str(caught.value)]
    assert all(key not in text for text in texts), texts
    with pytest.raises(LLMConfigError, match="must not carry an API key") as refused:
        parse_config({"provider": "openai", "base_url": url, "model": "m"})
    assert key not in str(refused.value)


MIXED_KEY = "0123456789abcdefGHIJKLMNopqrstuv"  # 32 characters, no prefix (Mistral-like)


@pytest.mark.parametrize("url", [
    f"https://gw.example/v1?{PATH_KEY}",  # a bare query
    f"https://gw.example/v1?auth_token={PATH_KEY}",
    "https://gw.example/v1?x-goog-api-key=AIzaSyA0123456789abcdefghijklmnopqrstu",
    f"https://gw.example/v1/{PATH_KEY}.json",
    f"https://gw.example/v1/{PATH_KEY};x",
    f"https://gw.example/v1/key={PATH_KEY}",
    f"https://gw.example/v1/Bearer%20{PATH_KEY}",
    "https://gw.example/v1/sk-proj-ABCD+EFGH0123456789abcd",
    f"https://{PATH_KEY}.gw.example/v1",
    "https://gw.example/v1/pplx-0123456789abcdefghijklmn",
    "https://gw.example/v1/fw_0123456789abcdefghijklmn",
    f"https://gw.example/v1/{MIXED_KEY}",
    "https://gw.example/v1/sk%2Dproj-AbCdEf0123456789xyzXYZ",
])
async def test_a_key_anywhere_in_the_url_is_found_hidden_and_refused(url):
    """Found by a red-team pass: only whole path segments and listed parameter names were
    searched, so a key in the query, inside a segment or in the host was saved and exported."""
    shown = redacted(url)
    secrets = secrets_in(url)
    assert secrets and "***" in shown
    assert all(secret not in shown for secret in secrets), (shown, secrets)
    for key in (PATH_KEY, "AIzaSyA0123456789abcdefghijklmnopqrstu", MIXED_KEY,
                "sk-proj-ABCD+EFGH0123456789abcd", "pplx-0123456789abcdefghijklmn"):
        if key in url:
            assert key not in shown
    with pytest.raises(LLMConfigError, match="must not carry") as refused:
        parse_config({"provider": "openai", "base_url": url, "model": "m"})
    assert all(secret not in str(refused.value) for secret in secrets)


def test_path_segments_that_are_not_keys_stay():
    for url in ("https://gateway.ai.cloudflare.com/v1/0123456789abcdef0123456789abcdef/gw/openai",
                "https://gw.example/openai/deployments/my-deployment-name-long/v1",
                "https://gw.example/openai/deployments/gpt-4o-2024-08-06-global-standard/v1",
                "https://gw.example/v1/0b5e4a1c-9f2d-4c3b-8a7e-6d5c4b3a2f1e/chat",
                "https://my-task-runner-abcdefghijklmnop.example.com/v1",
                "https://gw.example/v1/sk-short",
                # found by review: model and deployment names, an upper-case hex account id,
                # a gateway name after fw-, parameters whose last word is not a credential
                "https://my-resource.openai.azure.com/openai/deployments/"
                "Llama-4-Maverick-17B-128E-Instruct-FP8?api-version=2024-05-01-preview",
                "https://api-inference.huggingface.co/models/meta-llama/"
                "Llama-4-Maverick-17B-128E-Instruct-FP8/v1",
                "https://apim.azure-api.net/openai/deployments/gpt-4o-2024-08-06-GlobalStandard"
                "?api-version=2024-10-21",
                "https://gateway.ai.cloudflare.com/v1/0123456789ABCDEF0123456789abcdef/gw/openai",
                "https://llm.corp.example/fw-gateway-production-eu/v1",
                "https://proxy.example.com/v1?deployment=gpt4&auth_mode=header",
                "https://proxy.example.com/v1?cache_key_prefix=team-a",
                "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
                "anthropic.claude-3-5-sonnet-20241022-v2:0"):
        assert redacted(url) == url and secrets_in(url) == []
        parse_config({"provider": "openai", "base_url": url, "model": "m"})


def test_the_key_itself_in_the_url_is_refused_whatever_its_shape():
    with pytest.raises(LLMConfigError, match="holds the API key") as refused:
        parse_config({"provider": "openai", "base_url": "https://gw.example/v1/k/mykey-12345",
                      "model": "m", "api_key": "mykey-12345"})
    assert "mykey-12345" not in str(refused.value)


def test_redaction_keeps_no_part_of_a_key_whatever_else_the_url_holds():
    """Found by review: a user name made the host lower-case before the key in it was
    hidden, a credential parameter re-encoded the others (+ became %20) so a key there no
    longer matched, and a csk- key was not a key."""
    host = "https://user:pw@ABCDEFghijklmnop0123456789QRSTUV.example.com/v1"
    assert "ABCDEFghijklmnop0123456789QRSTUV".lower() not in redacted(host).lower()
    assert redacted(host).startswith("https://user:***@***.example.com")
    plus = "https://gw.example/v1?api_key=abc12345&foo=sk-abcdefgh+ijklmnop1234qrstuvwx5678"
    shown = redacted(plus)
    assert "ijklmnop1234" not in shown and "abc12345" not in shown, shown
    cerebras = "https://api.cerebras.ai/v1/csk-2x9f8k3j4h5g6f7d8s9a0p1o2i3u"
    assert "2x9f8k" not in redacted(cerebras) and secrets_in(cerebras)
    with pytest.raises(LLMConfigError):
        parse_config({"provider": "openai", "base_url": cerebras, "model": "m"})
