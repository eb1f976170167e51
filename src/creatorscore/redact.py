"""Credentials never leave the process: user-info (`user:password@`) is cut from every URI we show.

A tracking URI such as `http://user:password@host` travels inside exception texts (MLflow's
"API request to http://user:password@host/... failed"), so redacting the one URI we were given
is not enough: every text that reaches a log line, a response or an error message goes through
`redact` first.
"""

from __future__ import annotations

import re

# a URI in running text ends at whitespace, a quote or an angle bracket
_URI = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]*")


def redact_uri(uri: str) -> str:
    """One URI without its user-info: `http://user:pw@host:5000/x` -> `http://host:5000/x`.

    Split by hand rather than with urllib, which raises on some malformed hosts: a URI we
    only mean to show must never be the reason a message cannot be shown."""
    scheme, separator, rest = uri.partition("://")
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if not separator or "@" not in authority:
        return uri
    return f"{scheme}://{rest[authority.rindex('@') + 1 :]}"


def redact(text: str) -> str:
    """The text with user-info removed from every URI in it."""
    return _URI.sub(lambda found: redact_uri(found.group()), text)
