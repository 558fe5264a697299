"""Lockout after failed sign-ins, on django-axes.

Axes records each failed sign-in (the admin's form, or a wrong second-factor
code reported through `user_login_failed`) as an AccessAttempt row per user
name, address and browser, forgotten LOCKOUT_COOLOFF_MINUTES after its latest
failure. Three rules count them (RULES, in the order of `lockout_parameters`),
each against its own limit:

- one user name from one address: stops guessing one person's password;
- one address, whatever the names: stops guessing names or spraying passwords;
- one user name from every address (optional): slows guessing from many.

A locked request is refused before any password is checked and is not
counted (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off), so one address
adds at most LOCKOUT_FAILURE_LIMIT failures to any name. The settings refuse a
per-name limit at or below it: guessing names from one address locks that
address, never a teammate signing in from another.
"""

from dataclasses import dataclass
from datetime import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone

from accounts.lockout_models import Unlock, UnlockRule

UNLOCK_PERMISSION = "accounts.unlock_signin"


@dataclass(frozen=True)
class Rule:
    kind: UnlockRule
    fields: tuple[str, ...]  # the AccessAttempt columns it counts by
    limit_setting: str

    @property
    def limit(self) -> int:
        return getattr(settings, self.limit_setting)


RULES = (
    Rule(UnlockRule.NAME_AT_ADDRESS, ("username", "ip_address"), "LOCKOUT_FAILURE_LIMIT"),
    Rule(UnlockRule.ADDRESS, ("ip_address",), "LOCKOUT_ADDRESS_FAILURE_LIMIT"),
    Rule(UnlockRule.NAME, ("username",), "LOCKOUT_USER_FAILURE_LIMIT"),
)
RULE_BY_KIND = {rule.kind: rule for rule in RULES}


def active_rules() -> list[Rule]:
    return [rule for rule in RULES if rule.limit > 0]


def lockout_parameters(request_or_attempt, credentials=None) -> list:
    """AXES_LOCKOUT_PARAMETERS: the rules' columns, in the order of active_rules()."""
    return [list(rule.fields) for rule in active_rules()]


def client_address(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address of whoever is signing in.

    Behind LOCKOUT_PROXY_COUNT proxies it is the entry they added to
    X-Forwarded-For, counted from the right: entries further left come from
    the client and can say anything."""
    proxies = settings.LOCKOUT_PROXY_COUNT
    direct = request.META.get("REMOTE_ADDR")
    if proxies <= 0:
        return direct
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    # A header that is not what the proxies write counts as the proxy's address
    # (an inet column would refuse it), not as no address at all.
    return hops[-proxies] if len(hops) >= proxies and _is_address(hops[-proxies]) else direct


def _is_address(text: str) -> bool:
    try:
        validate_ipv46_address(text)
    except ValidationError:
        return False
    return True


class LockoutHandler(AxesDatabaseHandler):
    """Axes's database handler with a limit per rule."""

    def get_failures(self, request, credentials=None) -> int:
        # Axes locks when this reaches AXES_FAILURE_LIMIT, one number for every
        # rule: report the rule nearest its own limit, in terms of that one.
        counts = self.failure_counts(request, credentials)
        left = min(rule.limit - count for rule, count in zip(active_rules(), counts, strict=True))
        return settings.AXES_FAILURE_LIMIT - left

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        # A failure reported by a signal alone (a wrong second-factor code) never
        # went through the backend's check: if its request is locked out already,
        # it must not count either, or one address could push a name past
        # LOCKOUT_USER_FAILURE_LIMIT.
        if request is not None and not request.axes_locked_out:
            request.axes_locked_out = self.is_locked(request, credentials)
        super().user_login_failed(sender, credentials, request, **kwargs)

    def failure_counts(self, request, credentials=None) -> list[int]:
        """Per active rule, the failures it counts for this request."""
        return [
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]


# The lockouts in force, for the page that lists and unlocks them.


@dataclass(frozen=True)
class Lockout:
    rule: Rule
    username: str | None
    ip_address: str | None
    failures: int
    until: datetime


def cooloff_start() -> datetime:
    return timezone.now() - settings.AXES_COOLOFF_TIME


def lockouts_in_force() -> list[Lockout]:
    """Every lockout now in force, the latest failure first: a query per rule."""
    found = []
    recent = AccessAttempt.objects.filter(attempt_time__gte=cooloff_start())
    for rule in active_rules():
        groups = (
            recent.values(*rule.fields)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=rule.limit)
        )
        found += [_lockout(rule, group) for group in groups]
    return sorted(found, key=lambda lockout: lockout.until, reverse=True)


def _lockout(rule: Rule, group: dict) -> Lockout:
    return Lockout(
        rule=rule,
        username=group.get("username"),
        ip_address=group.get("ip_address"),
        failures=group["failures"],
        until=group["last"] + settings.AXES_COOLOFF_TIME,
    )


def lockout_ends(request) -> datetime | None:
    """When the lockout that refused this request ends (its latest failure
    plus the cool-off); None if nothing locks it any more."""
    username = request.axes_credentials and request.axes_credentials.get("username")
    mine = {"username": username, "ip_address": request.axes_ip_address}
    ends = [
        lockout.until
        for lockout in lockouts_in_force()
        if all(mine[field] == getattr(lockout, field) for field in lockout.rule.fields)
    ]
    return max(ends, default=None)


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the lockout page, in the admin's look (429)."""
    context = {
        **admin.site.each_context(request),
        "title": "Signing in is locked",
        "until": lockout_ends(request),
        "cooloff_minutes": settings.LOCKOUT_COOLOFF_MINUTES,
    }
    return render(request, "admin/accounts/locked_out.html", context, status=429)


# Unlocking


def unlock_problem(*, user) -> str | None:
    if not user.has_perm(UNLOCK_PERMISSION):
        return "Only an administrator may unlock sign-ins."
    return None


def unlock(*, by, rule: UnlockRule, username: str | None, ip_address: str | None) -> Unlock:
    """Forget every failed sign-in the rule counts for this name and/or address
    (whatever their age), and record who did it."""
    if problem := unlock_problem(user=by):
        raise PermissionDenied(problem)
    fields = RULE_BY_KIND[rule].fields
    values = {"username": username, "ip_address": ip_address}
    with transaction.atomic():
        attempts = AccessAttempt.objects.filter(**{field: values[field] for field in fields})
        failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
        attempts.delete()
        return Unlock.objects.create(
            by=by,
            rule=rule,
            username=values["username"] if "username" in fields else None,
            ip_address=values["ip_address"] if "ip_address" in fields else None,
            failures=failures,
        )
