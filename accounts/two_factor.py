"""The second factor: a TOTP device (any authenticator app) and backup codes.

django-otp keeps the devices: a confirmed `TOTPDevice` is the authenticator
app, a `StaticDevice` holds the backup codes, each deleted when used. Every
change to them is one operation here (enrol, regenerate the backup codes,
reset), which checks first with its `*_problem()`, locks the user's row so two
requests cannot both enrol, and records a `TwoFactorEvent` naming who did it.
"""

import time
from base64 import b32encode

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from accounts.models import TwoFactorEvent, TwoFactorKind

BACKUP_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
# Longer than any code we issue (6 digits, 8 letters): anything longer is not one.
CODE_MAX_LENGTH = 16

NOT_VALID = (
    "That code is not valid (or was already used). Enter the current code from "
    "your authenticator app, or one of your unused backup codes."
)


class TwoFactorRefused(Exception):
    """An operation on the second factor refused; the message says why to a person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------
# What pages ask.


def is_enrolled(user) -> bool:
    """Whether the user has set up an authenticator app (so sign-in asks for a code)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def needs_second_factor(user) -> bool:
    """Whether the requirement holds this signed-in user back from the admin."""
    return (
        settings.TWO_FACTOR_REQUIRED
        and user.is_authenticated
        and user.is_staff
        and not user.is_verified()
    )


def remaining_backup_codes(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def events_of(user) -> list[TwoFactorEvent]:
    return list(TwoFactorEvent.objects.filter(user=user).select_related("actor"))


def enrolment_problem(user) -> str | None:
    if is_enrolled(user):
        return (
            "Two-factor sign-in is already set up for your account. To move it to "
            "another device, ask a superuser to reset it, then set it up again."
        )
    return None


def backup_codes_problem(user, *, verified: bool) -> str | None:
    if not is_enrolled(user):
        return "Set up two-factor sign-in first: your backup codes come with it."
    if not verified:
        return "Enter a code from your authenticator app first, then make new backup codes."
    return None


def reset_problem(*, user, actor) -> str | None:
    if not actor.is_superuser:
        return "Only a superuser may reset someone's two-factor sign-in."
    if not django_otp.user_has_device(user, confirmed=None):
        return f"{user.get_username()} has no two-factor device to reset."
    return None


# ---------------------------------------------------------------------------
# Enrolment: a secret kept in the session until the user proves their app has it.


def new_secret() -> str:
    """A TOTP key, hex-encoded as TOTPDevice.key holds it."""
    return random_hex(20)


def app_device(user, key: str) -> TOTPDevice:
    """The (unsaved) device the enrolment page describes: its QR code and secret."""
    return TOTPDevice(user=user, key=key, name=APP_DEVICE_NAME, confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it typed in: base32, in groups of four."""
    text = b32encode(device.bin_key).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_code_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG (paths only: no style attributes)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")


@transaction.atomic
def enrol(*, user, key: str, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirms the authenticator app holding `key` by a `code` it made, and issues
    backup codes. Returns the device and the codes, which are shown once."""
    _lock(user)
    problem = enrolment_problem(user)
    if problem:
        raise TwoFactorRefused(problem)
    device = app_device(user, key)
    step = _matching_step(device, normalised(code))
    if step is None:
        raise TwoFactorRefused(
            "That code does not match. Check that your authenticator app has the key "
            "shown here and that its clock is right, then enter its current code."
        )
    # The step just used cannot be used again to sign in.
    device.confirmed, device.last_t = True, step
    device.save()
    codes = _replace_backup_codes(user)
    _record(user=user, actor=user, kind=TwoFactorKind.ENROLLED)
    return device, codes


def _matching_step(device: TOTPDevice, code: str) -> int | None:
    if not (len(code) == device.digits and code.isascii() and code.isdigit()):
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return totp.t() if totp.verify(int(code), device.tolerance) else None


# ---------------------------------------------------------------------------
# Backup codes and resets.


@transaction.atomic
def regenerate_backup_codes(*, user, verified: bool) -> list[str]:
    """New backup codes for the user, replacing all the old ones; shown once."""
    _lock(user)
    problem = backup_codes_problem(user, verified=verified)
    if problem:
        raise TwoFactorRefused(problem)
    codes = _replace_backup_codes(user)
    _record(user=user, actor=user, kind=TwoFactorKind.BACKUP_CODES)
    return codes


@transaction.atomic
def reset(*, user, actor) -> None:
    """Removes every device of `user`: their next sign-in asks no code, and
    where the second factor is required they must set it up again."""
    _lock(user)
    problem = reset_problem(user=user, actor=actor)
    if problem:
        raise TwoFactorRefused(problem)
    for model in django_otp.device_classes():
        model.objects.filter(user=user).delete()
    _record(user=user, actor=actor, kind=TwoFactorKind.RESET)


def _replace_backup_codes(user) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [_backup_code() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _backup_code() -> str:
    # Eight base32 letters and digits; never digits only, which read as an app's code.
    while (code := StaticToken.random_token()).isdigit():
        pass
    return code


def _lock(user) -> None:
    get_user_model()._base_manager.select_for_update().filter(pk=user.pk).first()


def _record(*, user, actor, kind: TwoFactorKind) -> None:
    TwoFactorEvent.objects.create(user=user, actor=actor, kind=kind)


# ---------------------------------------------------------------------------
# Signing in with a code.


def normalised(code) -> str:
    """A code as typed, without the spaces and dashes people copy with it."""
    return "".join(str(code or "").split()).replace("-", "").lower()


def verified_device(*, user, code) -> Device:
    """The user's device that accepts `code`, which is now spent (a TOTP step
    passes once, a backup code once). TwoFactorRefused says why not."""
    text = normalised(code)
    if not text:
        raise TwoFactorRefused("Enter the code from your authenticator app, or a backup code.")
    device = _device_for(user, text)
    if device is None:
        raise TwoFactorRefused(NOT_VALID)
    allowed, details = device.verify_is_allowed()
    if not allowed:
        raise TwoFactorRefused(_wait_message(details))
    # verify_token locks the device row: two requests cannot spend one code.
    verified = django_otp.verify_token(user, device.persistent_id, text)
    if verified is None:
        raise TwoFactorRefused(NOT_VALID)
    return verified


def _device_for(user, code: str):
    """The device that could accept `code`: digits are the app's, letters a backup code's.

    Trying only that one keeps a mistyped app code from slowing the backup codes down."""
    if len(code) > CODE_MAX_LENGTH or not (code.isascii() and code.isalnum()):
        return None
    model = TOTPDevice if code.isdigit() else StaticDevice
    return model.objects.devices_for_user(user, confirmed=True).first()


def _wait_message(details) -> str:
    until = (details or {}).get("locked_until")
    seconds = max(1, int((until - timezone.now()).total_seconds()) + 1) if until else None
    wait = f"wait {seconds} second{pluralize(seconds)}" if seconds else "wait a little"
    return f"Too many wrong codes in a row: {wait}, then enter a fresh code."
