"""`mailto:` links (RFC 6068) that open a thank-you draft as an email in the user's mail app."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def mailto_url(address: Any, subject: Any = None, body: Any = None) -> str:
    """`mailto:ADDRESS?subject=…&body=…`, every part %-encoded (`%20` for a space) and the
    body's line breaks as CRLF (`%0D%0A`), as RFC 6068 asks. With no address, ''."""
    if isinstance(address, (list, tuple)):
        address = next((a for a in address if isinstance(a, str) and a.strip()), None)
    if address is None or not str(address).strip():
        return ""
    # `@` stays readable; everything else a mail address may hold (`+`, `%`, `?`, `&`) is encoded.
    url = "mailto:" + quote(str(address).strip(), safe="@")
    fields = []
    if subject is not None and str(subject):
        fields.append("subject=" + quote(str(subject), safe=""))
    if body is not None and str(body):
        text = str(body).replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
        fields.append("body=" + quote(text, safe=""))
    return url + ("?" + "&".join(fields) if fields else "")
