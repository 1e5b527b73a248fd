"""Obsidian comments: `%% … %%`, on one line or across several, hold no links."""

from __future__ import annotations


def masked_comments(text: str, mask: str) -> str:
    """`text` (code already masked) with every comment overwritten by `mask` characters
    (newlines kept): `%%` to the next `%%`; as in Obsidian, an unclosed `%%` runs to the end."""
    if "%" not in text or "%%" not in text:
        return text
    pieces: list[str] = []
    pos = 0
    while True:
        start = text.find("%%", pos)
        if start < 0:
            break
        close = text.find("%%", start + 2)
        end = len(text) if close < 0 else close + 2
        pieces.append(text[pos:start])
        pieces.append("\n".join(mask * len(part) for part in text[start:end].split("\n")))
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)
