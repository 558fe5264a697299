"""The administrator's lockouts page: the lockouts in force, each with Unlock,
and the unlocks made so far."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_ipv46_address
from django.shortcuts import redirect

from accounts import lockout
from accounts.lockout_models import Unlock, UnlockRule
from core import inputs
from core.admin_pages import render_page

RECENT_UNLOCKS = 20


def lockouts_page(request, model_admin):
    if problem := lockout.unlock_problem(user=request.user):
        raise PermissionDenied(problem)
    if request.method == "POST":
        return _unlock(request)
    return render_page(
        request,
        model_admin,
        "admin/accounts/lockouts.html",
        title="Sign-in lockouts",
        lockouts=lockout.lockouts_in_force(),
        cooloff_minutes=settings.LOCKOUT_COOLOFF_MINUTES,
        unlocks=Unlock.objects.select_related("by")[:RECENT_UNLOCKS],
    )


def _unlock(request):
    try:
        target = unlock_target(request.POST)
    except inputs.InvalidInput as invalid:
        messages.error(request, invalid.message)
    else:
        done = lockout.unlock(by=request.user, **target)
        if done.failures:
            messages.success(request, f"Unlocked: {done.failures} failed sign-ins forgotten.")
        else:
            messages.info(request, "Nothing was locked there any more (the cool-off had ended).")
    return redirect("admin:axes_accessattempt_lockouts")


def unlock_target(form) -> dict:
    """The rule, user name and address an Unlock button posts, checked."""
    rule = form.get("rule")
    if rule not in UnlockRule.values:
        raise inputs.InvalidInput("Choose a lockout to unlock from the list.")
    fields = lockout.RULE_BY_KIND[UnlockRule(rule)].fields
    username = inputs.query_text(form.get("username"))
    address = form.get("ip_address") or ""
    if "username" in fields and (not username or len(username) > 255):
        raise inputs.InvalidInput("The lockout's user name is missing or not a user name.")
    if "ip_address" in fields:
        try:
            validate_ipv46_address(address)
        except ValidationError:
            raise inputs.InvalidInput(f"“{inputs.shown(address)}” is not an IP address.") from None
    return {
        "rule": UnlockRule(rule),
        "username": username if "username" in fields else None,
        "ip_address": address if "ip_address" in fields else None,
    }
