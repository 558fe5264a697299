"""Mark a script's passages that a report quotes, for the review page."""


def highlight(text: str, excerpts: list[str]) -> list[tuple[str, bool]]:
    """Split `text` into (segment, quoted) pairs; quoted segments match an excerpt.

    Matching ignores case; overlapping quotes merge. The template escapes
    every segment, so a script can never inject markup.
    """
    lowered = text.lower()
    spans = []
    for excerpt in {e.strip() for e in excerpts if e and e.strip()}:
        start = lowered.find(excerpt.lower())
        while start != -1:
            spans.append((start, start + len(excerpt)))
            start = lowered.find(excerpt.lower(), start + 1)
    merged = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    segments, position = [], 0
    for start, end in merged:
        if start > position:
            segments.append((text[position:start], False))
        segments.append((text[start:end], True))
        position = end
    if position < len(text):
        segments.append((text[position:], False))
    return segments
