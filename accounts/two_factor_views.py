"""The second factor's admin pages: setting it up (and its status once it is),
new backup codes, verifying a session, and a superuser's reset of someone's."""

from string import hexdigits

import django_otp
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from accounts import two_factor
from accounts.two_factor_forms import CodeForm, report_failure
from core.admin_pages import render_page

# The secret being set up lives in the session until a code proves the app has it.
PENDING_KEY = "two_factor_pending_key"
SETUP_TEMPLATE = "admin/accounts/user/two_factor.html"
CODES_TEMPLATE = "admin/accounts/user/two_factor_codes.html"


def setup_page(request, model_admin):
    """Enrolment for a user without a device; for one with it, its status."""
    problem = two_factor.enrolment_problem(request.user)
    if problem:
        if request.method == "POST":
            return _status(request, model_admin, error=problem, status=409)
        return _status(request, model_admin)
    if request.method == "POST":
        return _enrol(request, model_admin)
    return _setup(request, model_admin, form=CodeForm())


def _setup(request, model_admin, *, form, error=None, status=200):
    device = two_factor.app_device(request.user, _pending_key(request))
    return render_page(
        request,
        model_admin,
        SETUP_TEMPLATE,
        title="Set up two-factor sign-in",
        status=status,
        enrolled=False,
        qr_code=two_factor.qr_code_svg(device),
        secret=two_factor.secret_text(device),
        form=form,
        error=error,
        next=_next(request),
    )


def _status(request, model_admin, *, error=None, status=200):
    return render_page(
        request,
        model_admin,
        SETUP_TEMPLATE,
        title="Two-factor sign-in",
        status=status,
        enrolled=True,
        remaining=two_factor.remaining_backup_codes(request.user),
        error=error,
    )


def _pending_key(request) -> str:
    key = request.session.get(PENDING_KEY)
    if not _is_key(key):
        key = request.session[PENDING_KEY] = two_factor.new_secret()
    return key


def _is_key(value) -> bool:
    # The session is ours, but a key that is not one would break the page.
    return isinstance(value, str) and len(value) == 40 and all(c in hexdigits for c in value)


def _enrol(request, model_admin):
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _setup(request, model_admin, form=form, status=400)
    try:
        device, codes = two_factor.enrol(
            user=request.user, key=_pending_key(request), code=form.cleaned_data["code"]
        )
    except two_factor.TwoFactorRefused as refused:
        return _setup(request, model_admin, form=form, error=refused.message, status=400)
    del request.session[PENDING_KEY]
    # The code just typed is a second factor: this session has passed it.
    django_otp.login(request, device)
    return _codes(request, model_admin, codes, title="Two-factor sign-in is set up")


def _codes(request, model_admin, codes, *, title):
    return render_page(
        request,
        model_admin,
        CODES_TEMPLATE,
        title=title,
        codes=codes,
        next=_next(request) or reverse("admin:index"),
    )


def backup_codes(request, model_admin):
    """Replaces the user's backup codes with new ones, shown on this response only."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        codes = two_factor.regenerate_backup_codes(
            user=request.user, verified=request.user.is_verified()
        )
    except two_factor.TwoFactorRefused as refused:
        messages.error(request, refused.message)
        return redirect("admin:auth_user_two_factor")
    return _codes(request, model_admin, codes, title="New backup codes")


def verify_page(request, model_admin):
    """A code for a signed-in session that has not passed the second factor."""
    if not two_factor.is_enrolled(request.user):
        return redirect(_with_next(reverse("admin:auth_user_two_factor"), request))
    if request.user.is_verified():
        return redirect(_next(request) or reverse("admin:index"))
    form = CodeForm(request.POST if request.method == "POST" else None)
    error = None
    if form.is_valid():
        try:
            device = two_factor.verified_device(user=request.user, code=form.cleaned_data["code"])
        except two_factor.TwoFactorRefused as refused:
            report_failure(request, request.user.get_username())
            error = refused.message
        else:
            # A new session key for the more trusted session, as signing in gives one.
            request.session.cycle_key()
            django_otp.login(request, device)
            return redirect(_next(request) or reverse("admin:index"))
    return render_page(
        request,
        model_admin,
        "admin/accounts/user/two_factor_verify.html",
        title="Enter your authentication code",
        status=400 if form.is_bound else 200,
        form=form,
        error=error,
        next=_next(request),
    )


def reset_page(request, model_admin, object_id):
    """A superuser removes a user's devices (a lost phone); recorded with who did it."""
    if not request.user.is_superuser:
        raise PermissionDenied
    user = model_admin.get_object(request, unquote(object_id))
    if user is None:
        raise Http404("No such user.")
    error = None
    if request.method == "POST":
        try:
            two_factor.reset(user=user, actor=request.user)
        except two_factor.TwoFactorRefused as refused:
            error = refused.message
        else:
            messages.success(request, f"Two-factor sign-in of {user.get_username()} was reset.")
            return redirect("admin:auth_user_change", user.pk)
    return render_page(
        request,
        model_admin,
        "admin/accounts/user/two_factor_reset.html",
        title=f"Reset two-factor sign-in of {user.get_username()}",
        status=409 if error else 200,
        original=user,
        enrolled=two_factor.is_enrolled(user),
        remaining=two_factor.remaining_backup_codes(user),
        problem=error or two_factor.reset_problem(user=user, actor=request.user),
    )


def _next(request) -> str:
    """Where to go afterwards, when it is a page of this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe and "\x00" not in target else ""


def _with_next(url: str, request) -> str:
    target = _next(request)
    return f"{url}?{urlencode({'next': target})}" if target else url
