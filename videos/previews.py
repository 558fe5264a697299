"""What a page needs to preview artifacts: what S3 holds for each, and why not.

A page asks for all its artifacts at once, and S3 is asked about them at once
(`storage.object_infos`): a cold page waits for S3's slowest answer, not for
the sum of them, and S3 being down costs it one timeout, at most
S3_BATCH_SECONDS, not one per artifact. What S3 did not answer is shown as
unknown under one warning.
"""

from dataclasses import dataclass, field

from django.core.cache import cache

from videos import media_types, storage
from videos.models import ArtifactKind

# The start of a script shown inline; the whole file opens on demand.
SCRIPT_EXCERPT_BYTES = 2048


@dataclass
class Preview:
    """One artifact as a page shows it. `problem` is "", "invalid", "missing",
    "unknown" (S3 did not answer) or "checking" (S3 not asked yet: the page
    asks after it is shown)."""

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


def preview_artifacts(artifacts, *, excerpts: bool = True, ask_s3: bool = True) -> Previews:
    """A Preview of each artifact, in order. S3 is asked only through the cache,
    about all the artifacts at once, then for the scripts' excerpts at once
    (unless the page shows scripts its own way: `excerpts=False`).

    `ask_s3=False` never asks S3: what the cache does not know is "checking",
    for the browser to ask about once the page is shown (the gallery does).
    """
    artifacts = list(artifacts)
    infos = storage.object_infos(artifacts) if ask_s3 else storage.known_object_infos(artifacts)
    previews = Previews(items=[_preview(a, infos.get(a.pk)) for a in artifacts])
    if excerpts:
        _add_excerpts(previews, ask_s3=ask_s3)
    previews.warning = next((p.message for p in previews if p.problem == "unknown"), "")
    return previews


def _add_excerpts(previews: Previews, *, ask_s3: bool) -> None:
    scripts = [p.artifact for p in previews if p.info and p.artifact.kind == ArtifactKind.SCRIPT]
    excerpts = script_excerpts(scripts, ask_s3=ask_s3)
    unread = {artifact.pk for artifact in scripts} - excerpts.keys()
    for preview in previews:
        if preview.artifact.pk in excerpts:
            _add_excerpt(preview, excerpts[preview.artifact.pk])
        elif preview.artifact.pk in unread:
            preview.problem = "checking"  # its start is read after the page


def preview_artifact(artifact) -> Previews:
    return preview_artifacts([artifact])


def _preview(artifact, answer: storage.Answer | None) -> Preview:
    if answer is None:
        return Preview(artifact, problem="checking")
    try:
        info = answer.result()
    except storage.InvalidS3Path as error:
        return Preview(artifact, problem="invalid", message=str(error))
    except storage.StorageUnavailable as error:
        return Preview(artifact, problem="unknown", message=str(error))
    if info is None:
        return Preview(artifact, problem="missing", message=f"Missing in S3: {artifact.s3_path}")
    return Preview(artifact, info=info)


def _add_excerpt(preview: Preview, answer: storage.Answer) -> None:
    try:
        preview.text = answer.result()
    except storage.ArtifactMissing as error:
        preview.info, preview.problem, preview.message = None, "missing", str(error)
    except storage.StorageUnavailable as error:
        preview.info, preview.problem, preview.message = None, "unknown", str(error)


def script_excerpts(artifacts, *, ask_s3: bool = True) -> dict:
    """The start of each script (artifact id -> Answer), cached like object_info:
    its key never changes content. The uncached ones are read at once (left
    out without `ask_s3`)."""
    keys = {
        artifact.pk: storage.cache_key("excerpt", storage.locate(artifact))
        for artifact in artifacts
    }
    cached = cache.get_many(list(keys.values()))
    unread = [a for a in artifacts if ask_s3 and keys[a.pk] not in cached]
    read = storage.read_texts(unread, limit_bytes=SCRIPT_EXCERPT_BYTES)
    cache.set_many(
        {keys[pk]: answer.value for pk, answer in read.items() if answer.error is None},
        storage.INFO_SECONDS,
    )
    return {
        pk: storage.Answer(value=cached[key]) for pk, key in keys.items() if key in cached
    } | read


def browser_content_type(artifact, info: storage.ObjectInfo) -> str | None:
    """The type S3 must answer a browser with, when the stored one is not safe to
    show: a stored HTML or SVG file must never run in a browser."""
    if artifact.kind == ArtifactKind.SCRIPT:
        return media_types.TEXT.content_type
    if media_types.known_type(artifact.kind, info.content_type):
        return None
    # Players and <img> still recognise media by their bytes.
    return "application/octet-stream"
