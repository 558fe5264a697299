"""Admin addresses, and what each change form posts, as a browser would send it."""

import json

CHANGELISTS = [
    "/admin/personas/persona/",
    "/admin/videos/video/",
    "/admin/videos/task/",
    "/admin/videos/artifact/",
    "/admin/safety/safetyreport/",
    "/admin/publishing/publishreceipt/",
]


def changelist_url(obj) -> str:
    opts = obj._meta
    return f"/admin/{opts.app_label}/{opts.model_name}/"


def change_url(obj) -> str:
    return f"{changelist_url(obj)}{obj.pk}/change/"


def delete_url(obj) -> str:
    return f"{changelist_url(obj)}{obj.pk}/delete/"


def history_url(obj) -> str:
    return f"{changelist_url(obj)}{obj.pk}/history/"


def _split_datetime(name, value) -> dict:
    if value is None:
        return {f"{name}_0": "", f"{name}_1": ""}
    return {f"{name}_0": value.date().isoformat(), f"{name}_1": value.time().isoformat()}


def persona_data(persona, **changes) -> dict:
    return {"name": persona.name, "tone_profile": json.dumps(persona.tone_profile)} | changes


def video_data(video, **changes) -> dict:
    return {
        "title": video.title,
        "persona": video.persona_id or "",
        "status": video.status,
        **_split_datetime("published_at", video.published_at),
        "loaded_version": video.state_version,
    } | changes


def task_data(task, **changes) -> dict:
    return {
        "video": task.video_id or "",
        "type": task.type,
        "status": task.status,
        "payload": json.dumps(task.payload),
        "loaded_version": task.state_version,
    } | changes


def artifact_data(artifact, **changes) -> dict:
    return {
        "video": artifact.video_id or "",
        "s3_path": artifact.s3_path,
        "kind": artifact.kind,
    } | changes


def report_data(report, **changes) -> dict:
    data = {
        "task": report.task_id or "",
        "score": report.score,
        "issues": json.dumps(report.issues),
    }
    if report.requires_human_review:
        data["requires_human_review"] = "on"
    return data | changes


def receipt_data(receipt, **changes) -> dict:
    return {
        "video": receipt.video_id or "",
        "channel": receipt.channel,
        "status": receipt.status,
        "remote_id": receipt.remote_id or "",
        **_split_datetime("timestamp", receipt.timestamp),
    } | changes


def change_data(obj, **changes) -> dict:
    data = {
        "persona": persona_data,
        "video": video_data,
        "task": task_data,
        "artifact": artifact_data,
        "safetyreport": report_data,
        "publishreceipt": receipt_data,
    }[obj._meta.model_name]
    return data(obj, **changes)
