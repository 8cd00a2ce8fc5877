"""Credentials written into an endpoint's URL: found, and hidden wherever the URL is shown.

Some gateways take their key in the URL (``?api_key=…``, ``https://user:secret@host``), and a
key pasted anywhere into the URL (``…/v1/sk-…``, ``?sk-…``, ``…/key=sk-….json``, the host) is
one too: a token shaped like a provider's key (:data:`KEY_TOKEN`: ``sk-``, ``sk-ant-``,
``gsk_``, ``xai-``, ``hf_``, ``pplx-``, ``AIza`` and the like, followed by a long random
token), or a run of 32 letters and digits mixing upper case, lower case and digits
(:data:`MIXED_TOKEN`, keys without a prefix), counts as a credential. Ids and names do not:
hex account ids in either case, UUIDs, model and deployment names of words joined by dashes
(``Llama-4-Maverick-17B-128E-Instruct-FP8``). A key without a prefix that holds dashes is
not found by its shape; the page still refuses a URL holding the key it uses.
Such a URL is the key: :func:`redacted` is what errors, ``repr`` and ``describe()``
show instead, and :func:`secrets_in` lists the values to scrub from any other
text (an endpoint's error body may echo the URL it was called with).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

#: Words that make a query parameter a credential: its whole name, or its last word (the name
#: in lower case split at ``-`` and ``_``), is one (``api_key``, ``X-Goog-Api-Key``,
#: ``auth_token``, ``client_secret``; not ``auth_mode`` nor ``cache_key_prefix``).
CREDENTIAL_WORDS = frozenset({
    "key", "apikey", "token", "auth", "authorization", "secret", "password", "pass", "pwd",
    "sig", "signature", "code", "credential", "credentials",
})
#: A token shaped like an API key: a known key prefix, then 16 or more token characters
#: holding a run of 16 letters and digits with a digit in it (``fw-gateway-production-eu``,
#: words joined by dashes, is a name, not a key).
KEY_TOKEN = re.compile(
    r"(?<![A-Za-z0-9])(?:(?:sk|csk|pk|rk|gsk|hf|ghp|github_pat|xai|glpat|pplx|fw|r8|nvapi"
    r"|tgp_v1)[-_][A-Za-z0-9_+-]{16,}|AIza[A-Za-z0-9_-]{30,})")
#: A run of 32 or more letters and digits mixing upper case, lower case and digits, and not
#: only hexadecimal: a key without a prefix. Model and deployment names (words joined by
#: dashes) and hex account ids are not.
MIXED_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9]{32,}(?![A-Za-z0-9_-])")
#: What a prefixed token must hold to be a key: 16 letters and digits in a row, one a digit.
RANDOM_RUN = re.compile(r"(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{16,}")
HEX = re.compile(r"[0-9A-Fa-f]+")
HIDDEN = "***"
#: Shorter values are hidden in a shown URL but not searched for in other text.
MIN_SCRUBBED = 4


def _is_credential(name: str) -> bool:
    name = name.strip().lower().replace("-", "_")
    return name in CREDENTIAL_WORDS or name.rsplit("_", 1)[-1] in CREDENTIAL_WORDS


def credential_params(url: str) -> list[str]:
    """The names of ``url``'s query parameters that carry a credential, in order."""
    return [name for name, _ in _query(url) if _is_credential(name)]


def _mixed(token: str) -> bool:
    return (any(c.isupper() for c in token) and any(c.islower() for c in token)
            and any(c.isdigit() for c in token) and not HEX.fullmatch(token))


def _tokens(text: str) -> list[str]:
    found = [match.group() for match in KEY_TOKEN.finditer(text)
             if RANDOM_RUN.search(match.group())]
    return found + [match.group() for match in MIXED_TOKEN.finditer(text)
                    if _mixed(match.group()) and not any(match.group() in f for f in found)]


def url_keys(url: str) -> list[str]:
    """The key-shaped tokens anywhere in ``url`` (host, path, query), decoded, in order."""
    return list(dict.fromkeys(_tokens(unquote(url))))


def _as_written(url: str, token: str) -> list[str]:
    """How ``token`` (decoded) is written in ``url``: each character as itself or ``%XX``."""
    pattern = "".join(f"(?:{re.escape(c)}|%{ord(c):02X})" if ord(c) < 128 else re.escape(c)
                      for c in token)
    return [match.group() for match in re.finditer(pattern, url, re.IGNORECASE)]


def _key_forms(url: str) -> list[str]:
    """Every key-shaped token of ``url``, decoded and as written."""
    keys = url_keys(url)
    return list(dict.fromkeys(keys + [form for key in keys for form in _as_written(url, key)]))


def secrets_in(url: str) -> list[str]:
    """The credential values in ``url`` (its password, credential parameters, key-shaped
    tokens, as written and decoded), longest first."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return []
    values = [value for name, value in _query(url) if _is_credential(name) and value]
    values += _key_forms(url)
    if password:
        values.append(password)
    raw = [part.split("=", 1)[1] for part in parts.query.split("&")
           if "=" in part and _is_credential(part.split("=", 1)[0])]
    found = {v for v in values + raw if len(v) >= MIN_SCRUBBED}
    return sorted(found, key=len, reverse=True)


def redacted(url: str) -> str:
    """``url`` with its password, credential parameters' values and key-shaped tokens
    replaced by ``***``; everything else as written (no re-encoding, the host's case kept)."""
    written = scrub(url, sorted(_key_forms(url), key=len, reverse=True))
    try:
        parts = urlsplit(written)
    except ValueError:
        return scrub(written, secrets_in(url))
    netloc = parts.netloc
    userinfo, at, where = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.split(':', 1)[0]}:{HIDDEN}@{where}"
    query = "&".join(
        f"{part.split('=', 1)[0]}={HIDDEN}" if _is_credential(unquote(part.split("=", 1)[0]))
        else part
        for part in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` with every one of ``secrets`` replaced by ``***``."""
    for secret in secrets:
        text = text.replace(secret, HIDDEN)
    return text


def _query(url: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(urlsplit(url).query, keep_blank_values=True)
    except ValueError:
        return []
