"""The file types each kind of artifact may hold, recognised by their content.

A browser's declared type is a guess from the file name; the first bytes say
what a file is. An upload is accepted when its content is one of the kind's
types and its declared type, if it names one, agrees.
"""

import codecs
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from videos.models import ArtifactKind

SNIFF_BYTES = 64
# What browsers send when they cannot tell.
UNDECLARED = {"", "application/octet-stream", "binary/octet-stream"}


@dataclass(frozen=True)
class MediaType:
    label: str
    content_type: str
    extension: str
    aliases: frozenset[str]
    matches: Callable[[bytes], bool]

    def declared_as(self, declared: str) -> bool:
        return declared == self.content_type.split(";")[0] or declared in self.aliases


def _riff(form: bytes) -> Callable[[bytes], bool]:
    return lambda head: head[:4] == b"RIFF" and head[8:12] == form


def _ebml(head: bytes) -> bool:
    return head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:SNIFF_BYTES]


def _iso_media(head: bytes) -> bool:
    return head[4:8] == b"ftyp"


def _mpeg_audio(head: bytes) -> bool:
    return head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] >= 0xE0)


def _text(head: bytes) -> bool:
    return b"\x00" not in head


PNG = MediaType(
    "PNG", "image/png", "png", frozenset(), lambda h: h.startswith(b"\x89PNG\r\n\x1a\n")
)
JPEG = MediaType(
    "JPEG",
    "image/jpeg",
    "jpg",
    frozenset({"image/jpg", "image/pjpeg"}),
    lambda h: h.startswith(b"\xff\xd8\xff"),
)
WEBP = MediaType("WebP", "image/webp", "webp", frozenset(), _riff(b"WEBP"))
WEBM = MediaType("WebM", "video/webm", "webm", frozenset(), _ebml)
MP4 = MediaType("MP4", "video/mp4", "mp4", frozenset({"video/quicktime"}), _iso_media)
WAV = MediaType(
    "WAV",
    "audio/wav",
    "wav",
    frozenset({"audio/x-wav", "audio/wave", "audio/vnd.wave"}),
    _riff(b"WAVE"),
)
MP3 = MediaType("MP3", "audio/mpeg", "mp3", frozenset({"audio/mp3"}), _mpeg_audio)
OGG = MediaType(
    "Ogg",
    "audio/ogg",
    "ogg",
    frozenset({"application/ogg", "audio/opus"}),
    lambda h: h.startswith(b"OggS"),
)
M4A = MediaType("M4A", "audio/mp4", "m4a", frozenset({"audio/x-m4a", "audio/aac"}), _iso_media)
TEXT = MediaType(
    "UTF-8 text",
    "text/plain; charset=utf-8",
    "txt",
    frozenset({"text/plain", "text/markdown", "text/x-markdown"}),
    _text,
)

ACCEPTED: dict[str, tuple[MediaType, ...]] = {
    ArtifactKind.THUMBNAIL: (PNG, JPEG, WEBP),
    ArtifactKind.RENDER: (WEBM, MP4),
    ArtifactKind.AUDIO: (WAV, MP3, OGG, M4A),
    ArtifactKind.SCRIPT: (TEXT,),
}


def accepted_labels(kind: str) -> str:
    return ", ".join(media.label for media in ACCEPTED.get(kind, ()))


def known_type(kind: str, content_type: str) -> bool:
    """Whether `content_type` is one of the types `kind` holds (browsers may show it inline)."""
    declared = content_type.split(";")[0].strip().lower()
    return any(media.declared_as(declared) for media in ACCEPTED.get(kind, ()))


def check_upload(kind: str, file, *, max_bytes: int) -> MediaType:
    """The type of `file` among those `kind` accepts; a ValidationError says why not."""
    types = ACCEPTED.get(kind)
    if not types:
        raise ValidationError(f"An artifact of kind {kind!r} cannot hold an uploaded file.")
    if file.size == 0:
        raise ValidationError("The file is empty.")
    if file.size > max_bytes:
        raise ValidationError(
            f"The file is {filesizeformat(file.size)} ({file.size:,} bytes), over the limit "
            f"of {filesizeformat(max_bytes)} ({max_bytes:,} bytes)."
        )
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    media = next((media for media in types if media.matches(head)), None)
    if media is None:
        raise ValidationError(
            f"{ArtifactKind(kind).label} files must be one of: {accepted_labels(kind)}; "
            "this file's content is none of them."
        )
    declared = (getattr(file, "content_type", "") or "").split(";")[0].strip().lower()
    if declared not in UNDECLARED and not media.declared_as(declared):
        raise ValidationError(
            f"The file says it is {declared}, but its content is {media.label} "
            f"({media.content_type}). Upload it under its own type."
        )
    if media is TEXT:
        _check_utf8(file)
    return media


def _check_utf8(file) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in file.chunks():
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise ValidationError("A script must be UTF-8 text; this file is not.") from None
    finally:
        file.seek(0)
