"""What a page needs to preview artifacts: what S3 holds for each, and why not.

A page asks for all its artifacts at once. When S3 does not answer, it is
asked no more for that page: the rest are shown as unknown under one warning,
so S3 being down costs a page one timeout, not one per artifact.
"""

from dataclasses import dataclass, field

from django.core.cache import cache

from videos import media_types, storage
from videos.models import ArtifactKind

# The start of a script shown inline; the whole file opens on demand.
SCRIPT_EXCERPT_BYTES = 2048


@dataclass
class Preview:
    """One artifact as a page shows it. `problem` is "", "invalid", "missing"
    or "unknown" (S3 did not answer)."""

    artifact: object
    info: storage.ObjectInfo | None = None
    problem: str = ""
    message: str = ""
    text: str | None = None

    @property
    def text_truncated(self) -> bool:
        return self.info is not None and self.info.size > SCRIPT_EXCERPT_BYTES


@dataclass
class Previews:
    items: list[Preview] = field(default_factory=list)
    warning: str = ""  # S3 did not answer; shown once on the page

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


def preview_artifacts(artifacts) -> Previews:
    """A Preview of each artifact, in order; S3 is asked only through the cache."""
    previews = Previews()
    for artifact in artifacts:
        if previews.warning:
            previews.items.append(Preview(artifact, problem="unknown"))
            continue
        try:
            previews.items.append(_preview(artifact))
        except storage.StorageUnavailable as error:
            previews.warning = str(error)
            previews.items.append(Preview(artifact, problem="unknown"))
    return previews


def preview_artifact(artifact) -> Previews:
    return preview_artifacts([artifact])


def _preview(artifact) -> Preview:
    try:
        info = storage.object_info(artifact)
    except storage.InvalidS3Path as error:
        return Preview(artifact, problem="invalid", message=str(error))
    if info is None:
        return Preview(artifact, problem="missing", message=f"Missing in S3: {artifact.s3_path}")
    preview = Preview(artifact, info=info)
    if artifact.kind == ArtifactKind.SCRIPT:
        try:
            preview.text = script_excerpt(artifact)
        except storage.ArtifactMissing as error:
            return Preview(artifact, problem="missing", message=str(error))
    return preview


def script_excerpt(artifact) -> str:
    """The start of a script, cached like object_info: its key never changes content."""
    location = storage.locate(artifact)
    cache_key = storage.cache_key("excerpt", location)
    text = cache.get(cache_key)
    if text is None:
        text = storage.read_text(artifact, limit_bytes=SCRIPT_EXCERPT_BYTES)
        cache.set(cache_key, text, storage.INFO_SECONDS)
    return text


def browser_content_type(artifact, info: storage.ObjectInfo) -> str | None:
    """The type S3 must answer a browser with, when the stored one is not safe to
    show: a stored HTML or SVG file must never run in a browser."""
    if artifact.kind == ArtifactKind.SCRIPT:
        return media_types.TEXT.content_type
    if media_types.known_type(artifact.kind, info.content_type):
        return None
    # Players and <img> still recognise media by their bytes.
    return "application/octet-stream"
