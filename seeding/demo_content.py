"""What the demo's tasks and files hold: the JSON a pipeline worker leaves on a
task, and real media of each artifact kind (text, WAV, WebM, PNG), made here
so the demo needs no binary files but one short WebM.

The tests and the benchmark make their fixture files with `gradient_png`,
`chime_wav` and `RENDER_WEBM`.
"""

from __future__ import annotations

import functools
import io
import math
import struct
import sys
import wave
import zlib
from array import array
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from videos import media_types
from videos.models import ArtifactKind, TaskStatus, TaskType

if TYPE_CHECKING:
    from seeding.demo import VideoPlan

RENDER_WEBM = Path(__file__).resolve().parent / "demo_media" / "render.webm"

# --- task payloads -------------------------------------------------------------

ARTIFACT_KIND = {
    TaskType.SCRIPT: ArtifactKind.SCRIPT,
    TaskType.AUDIO: ArtifactKind.AUDIO,
    TaskType.RENDER: ArtifactKind.RENDER,
    TaskType.THUMBNAIL: ArtifactKind.THUMBNAIL,
}

_INPUTS = {
    TaskType.SCRIPT: lambda plan: {
        "model": "scriptwriter-2",
        "prompt": f"Write a 45-second video script titled {plan.title!r}.",
        "persona": plan.persona.slug,
        "target_seconds": 45,
    },
    TaskType.AUDIO: lambda plan: {
        "engine": "neural-v2",
        "voice_id": plan.persona.tone_profile["tts"]["voice_id"],
        "sample_rate": 22050,
    },
    TaskType.RENDER: lambda plan: {
        "template": "explainer-v3",
        "resolution": "320x180",
        "fps": 24,
        "codec": "vp9",
    },
    TaskType.THUMBNAIL: lambda plan: {"width": 320, "height": 180, "style": "gradient"},
    TaskType.SAFETY_CHECK: lambda plan: {
        "model": "guard-2",
        "checks": ["medical", "dangerous_activity", "scam", "copyright", "language"],
        "inputs": ["script", "audio", "render", "thumbnail"],
    },
}

_FAILURES = {
    TaskType.RENDER: {"code": "ENCODER_OOM", "message": "ffmpeg was killed: out of memory"},
    TaskType.AUDIO: {"code": "TTS_TIMEOUT", "message": "TTS provider timed out after 30s"},
}


def task_payload(plan: VideoPlan, task_type: TaskType, status: TaskStatus, *, at: datetime):
    """The JSON a pipeline worker would leave on a task of this type and status."""
    payload = _INPUTS[task_type](plan)
    if status in (TaskStatus.RUNNING, TaskStatus.SUCCEEDED, TaskStatus.FAILED):
        payload["worker"] = f"{task_type.replace('_', '-')}-worker-{1 + len(plan.title) % 3}"
        payload["started_at"] = at.isoformat(timespec="seconds")
    if status in (TaskStatus.SUCCEEDED, TaskStatus.FAILED):
        took = timedelta(minutes=2, seconds=17 * (len(plan.title) % 7) + 10 * len(task_type))
        payload["finished_at"] = (at + took).isoformat(timespec="seconds")
    if status == TaskStatus.FAILED:
        payload["attempts"] = 3
        payload["error"] = _FAILURES.get(task_type, {"code": "UNKNOWN", "message": "worker died"})
    if status == TaskStatus.CANCELLED:
        payload["cancelled_because"] = "an earlier step failed"
    return payload


# --- media ---------------------------------------------------------------------


# The type each demo file is, as videos.media_types knows it (extension and
# content type): the files pass the same checks as an upload.
MEDIA = {
    ArtifactKind.SCRIPT: media_types.TEXT,
    ArtifactKind.AUDIO: media_types.WAV,
    ArtifactKind.RENDER: media_types.WEBM,
    ArtifactKind.THUMBNAIL: media_types.PNG,
}


def media_content(plan: VideoPlan, kind: ArtifactKind) -> bytes:
    persona = plan.persona
    if kind == ArtifactKind.SCRIPT:
        return script_text(plan).encode()
    if kind == ArtifactKind.AUDIO:
        return chime_wav(persona.audio_pitch)
    if kind == ArtifactKind.THUMBNAIL:
        left, right = (bytes.fromhex(colour.lstrip("#")) for colour in persona.thumbnail_colours)
        return gradient_png(left, right, phase=len(plan.title))
    return RENDER_WEBM.read_bytes()


def script_text(plan: VideoPlan) -> str:
    tone = plan.persona.tone_profile
    # The lines a safety report quotes are in the script, so the evidence is there.
    issues = (plan.safety_report or {}).get("issues", [])
    quoted = [
        issue["evidence"]["excerpt"]
        for issue in issues
        if issue.get("evidence", {}).get("artifact") == "script"
    ]
    lines = [
        plan.title.upper(),
        f"Persona: {plan.persona.name} ({tone['voice']}, {tone['pace']})",
        "Target length: 45 seconds",
        "",
        "[HOOK 0:00]",
        f"{(tone.get('catchphrases') or ['Here we go.'])[0]} Today: {plan.title}",
        "",
        "[BODY 0:05]",
        "Three things you probably did not know, each with one picture on screen.",
        *quoted,
        "",
        "[OUTRO 0:40]",
        tone.get("disclaimer", "Follow for the next one."),
    ]
    return "\n".join(lines) + "\n"


def gradient_png(left: bytes, right: bytes, *, phase: int = 0, width=320, height=180) -> bytes:
    """An RGB PNG: a horizontal gradient from `left` to `right`, in vertical waves."""
    gradient = bytes(
        round(a + (b - a) * x / (width - 1))
        for x in range(width)
        for a, b in zip(left, right, strict=True)
    )
    rows = []
    for y in range(height):
        light = 0.75 + 0.25 * math.sin((y / height + phase / 10) * 2 * math.pi)
        dimmed = gradient.translate(bytes(int(value * light) for value in range(256)))
        rows.append(b"\x00" + dimmed)  # filter type 0: the row as it is
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(tag + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


@functools.cache
def chime_wav(pitch: float, *, seconds: float = 1.5, rate: int = 22050) -> bytes:
    """A mono 16-bit WAV: two notes, the root then a fifth up, with soft edges."""
    total = int(seconds * rate)
    samples = array("h")
    for n in range(total):
        t = n / rate
        frequency = pitch if n < total // 2 else pitch * 1.5
        envelope = min(1.0, t * 20, (seconds - t) * 8)
        samples.append(int(12000 * envelope * math.sin(2 * math.pi * frequency * t)))
    if sys.byteorder == "big":
        samples.byteswap()  # WAV samples are little-endian
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()
