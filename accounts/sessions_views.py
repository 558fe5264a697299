"""The "sign out everywhere" page of a user: their own, or anyone's for an
administrator."""

from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect

from accounts import sessions
from accounts.sessions_models import SessionsEnded
from core.admin_pages import render_page

RECENT = 10


def sessions_page(request, model_admin, object_id):
    user = get_object_or_404(get_user_model(), pk=object_id)
    if problem := sessions.end_sessions_problem(user=user, by=request.user):
        raise PermissionDenied(problem)
    if request.method == "POST":
        return _end_all(request, user)
    return render_page(
        request,
        model_admin,
        "admin/accounts/sessions.html",
        title=f"Sign {user.get_username()} out everywhere",
        person=user,
        yourself=user.pk == request.user.pk,
        session_count=len(sessions.sessions_of(user)),
        ended=SessionsEnded.objects.filter(user=user).select_related("by")[:RECENT],
    )


def _end_all(request, user):
    record = sessions.end_all_sessions(user=user, by=request.user)
    if user.pk == request.user.pk:
        # This session was among them: finish signing out here too.
        logout(request)
        messages.success(request, f"You were signed out of {record.sessions} session(s).")
        return redirect("admin:login")
    messages.success(
        request, f"{user.get_username()} was signed out of {record.sessions} session(s)."
    )
    return redirect("admin:auth_user_sessions", user.pk)
