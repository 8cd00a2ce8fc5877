"""Credentials written into an endpoint's URL: found, and hidden wherever the URL is shown.

Some gateways take their key in the URL (``?api_key=…``, ``https://user:secret@host``), and a
key pasted into the URL's path (``…/v1/sk-…``) is one too: a path segment shaped like a
provider's key (:data:`KEY_SHAPE`: ``sk-``, ``sk-ant-``, ``gsk_``, ``xai-``, ``hf_``, ``AIza``
and the like, followed by a long token) counts as a credential.
Such a URL is the key: :func:`redacted` is what errors, ``repr`` and ``describe()``
show instead, and :func:`secrets_in` lists the values to scrub from any other
text (an endpoint's error body may echo the URL it was called with).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

#: Query parameters that carry a credential (compared in lower case, ``-`` as ``_``).
CREDENTIAL_PARAMS = frozenset({
    "key", "api_key", "apikey", "access_token", "token", "auth", "authorization",
    "secret", "client_secret", "password", "pass", "pwd", "sig", "signature", "code",
    "x_api_key", "subscription_key",
})
#: A URL path segment shaped like an API key: a known key prefix, then 16 or more token chars.
KEY_SHAPE = re.compile(
    r"(?:sk|pk|rk)[-_][A-Za-z0-9_-]{16,}|(?:gsk|hf|ghp|github_pat|xai|glpat)[-_][A-Za-z0-9_-]{16,}"
    r"|AIza[A-Za-z0-9_-]{30,}")
HIDDEN = "***"
#: Shorter values are hidden in a shown URL but not searched for in other text.
MIN_SCRUBBED = 4


def _is_credential(name: str) -> bool:
    return name.strip().lower().replace("-", "_") in CREDENTIAL_PARAMS


def credential_params(url: str) -> list[str]:
    """The names of ``url``'s query parameters that carry a credential, in order."""
    return [name for name, _ in _query(url) if _is_credential(name)]


def path_keys(url: str) -> list[str]:
    """The segments of ``url``'s path shaped like an API key (:data:`KEY_SHAPE`), as written."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return []
    return [segment for segment in path.split("/")
            if KEY_SHAPE.fullmatch(unquote(segment))]


def secrets_in(url: str) -> list[str]:
    """The credential values in ``url`` (its password, credential parameters, key-shaped path
    segments), longest first."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return []
    values = [value for name, value in _query(url) if _is_credential(name) and value]
    values += path_keys(url) + [unquote(segment) for segment in path_keys(url)]
    if password:
        values.append(password)
    raw = [part.split("=", 1)[1] for part in parts.query.split("&")
           if "=" in part and _is_credential(part.split("=", 1)[0])]
    found = {v for v in values + raw if len(v) >= MIN_SCRUBBED}
    return sorted(found, key=len, reverse=True)


def redacted(url: str) -> str:
    """``url`` with its password, credential parameters' values and key-shaped path segments
    replaced by ``***``."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return scrub(url, secrets_in(url))
    netloc = parts.netloc
    if parts.username is not None or parts.password is not None:
        user = parts.username or ""
        where = (host or "") + (f":{port}" if port is not None else "")
        netloc = f"{user}:{HIDDEN}@{where}" if parts.password is not None else f"{user}@{where}"
    query = "&".join(
        f"{quote(name, safe='')}={HIDDEN}" if _is_credential(name)
        else f"{quote(name, safe='')}={quote(value, safe='')}"
        for name, value in _query(url)
    ) if credential_params(url) else parts.query
    keys = set(path_keys(url))
    path = "/".join(HIDDEN if segment in keys else segment for segment in parts.path.split("/"))
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))


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
