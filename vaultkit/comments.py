"""Obsidian comments: `%% … %%`, on one line or across several, hold no links."""

from __future__ import annotations


def comment_spans(text: str, hidden: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The (start, end) of every comment in `text` outside the `hidden` spans (code and HTML
    comments: sorted, not overlapping), in order: `%%` to the next `%%` that is not hidden
    either; as in Obsidian, an unclosed `%%` runs to the end."""
    if "%" not in text or "%%" not in text:
        return []
    k = 0
    n = len(hidden)

    def find(pos: int) -> int:
        nonlocal k
        while True:
            i = text.find("%%", pos)
            if i < 0:
                return -1
            while k < n and hidden[k][1] <= i:
                k += 1
            if k == n or hidden[k][0] > i + 1:
                return i
            pos = hidden[k][1]  # `%%` that begins or ends in a hidden span is no delimiter

    spans: list[tuple[int, int]] = []
    start = find(0)
    while start >= 0:
        close = find(start + 2)
        if close < 0:
            spans.append((start, len(text)))
            break
        spans.append((start, close + 2))
        start = find(close + 2)
    return spans
