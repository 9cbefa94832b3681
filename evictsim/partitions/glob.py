"""Redis-style glob patterns (``stringmatchlen`` in util.c, as ``KEYS`` and ``SCAN MATCH`` use them)
translated to Python regular expressions, plus a conservative test of whether one rule hides another.

Supported: ``*`` (any run), ``?`` (one character), ``[abc]``, ``[^a]``, ``[a-z]`` and ``\\x``.
"""
from __future__ import annotations

import re


class GlobError(ValueError):
    """A pattern that does not parse (an unclosed ``[`` or a trailing backslash)."""


def glob_to_regex(pattern: str) -> str:
    """A regex that matches exactly the keys ``pattern`` matches (anchored at both ends)."""
    out, i, n = ["^"], 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "\\":
            if i + 1 >= n:
                raise GlobError(f"trailing backslash in {pattern!r}")
            i += 1
            out.append(re.escape(pattern[i]))
        elif ch == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1:i + 2] in ("^", "]") else i + 1)
            if end < 0:
                raise GlobError(f"unclosed '[' in {pattern!r}")
            body = pattern[i + 1:end]
            negate = body.startswith("^")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\").replace("[", "\\[") + "]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    out.append(r"\Z")
    return "".join(out)


def literal_prefix(pattern: str) -> tuple[str, bool]:
    """(the literal text before the first wildcard, whether the rest is exactly ``*``)."""
    for i, ch in enumerate(pattern):
        if ch in "*?[\\":
            return pattern[:i], pattern[i:] == "*"
    return pattern, False


def hides(earlier: str, later: str) -> bool:
    """True when every key the glob ``later`` matches is already taken by ``earlier`` (so the later
    rule would never route a key). Conservative: only prefix globs (``a:*``) and equal patterns."""
    if earlier == later:
        return True
    prefix, is_prefix_glob = literal_prefix(earlier)
    if not is_prefix_glob:
        return False
    later_prefix, _ = literal_prefix(later)    # every key ``later`` matches starts with this
    return later_prefix.startswith(prefix)
