"""Keys built from parts, so listing by one id's prefix never sees another id's keys.

``key_path("a", "v1")`` is ``"a/v1"`` and ``key_path("a_b", "v1")`` is
``"a_b/v1"``: the prefix ``key_path("a", "")`` (``"a/"``) matches only the
first. ``/`` and ``%`` inside a part are escaped, so ``"a/b"`` as one id cannot
pose as the id ``"a"`` followed by ``"b"``.
"""

from __future__ import annotations

SEPARATOR = "/"


def escape_part(part: str) -> str:
    if not isinstance(part, str):
        raise TypeError(f"key part must be a str, got {type(part).__name__} {part!r}")
    return part.replace("%", "%25").replace(SEPARATOR, "%2F")


def unescape_part(part: str) -> str:
    return part.replace("%2F", SEPARATOR).replace("%25", "%")


def key_path(*parts: str) -> str:
    """Join escaped parts with ``/``; an empty last part gives a listing prefix (``"a/"``)."""
    return SEPARATOR.join(escape_part(p) for p in parts)


def split_key(key: str) -> list[str]:
    """The parts of a key built by ``key_path``."""
    return [unescape_part(p) for p in key.split(SEPARATOR)]
