"""The admin's sign-in form, which asks the second factor on the same page,
and the form of a code alone (enrolment, verifying a session)."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError

from accounts import two_factor

CODE_HELP = "From your authenticator app (6 digits), or one of your backup codes."


def code_field(*, required: bool, help_text: str = CODE_HELP) -> forms.CharField:
    return forms.CharField(
        label="Authentication code",
        required=required,
        # Room for a pasted code with spaces; the operations refuse anything longer.
        max_length=64,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )


def report_failure(request, username: str) -> None:
    """A wrong code counts as a failed sign-in, as a wrong password does (lockout counts both)."""
    user_login_failed.send(
        sender=__name__, credentials={"username": username}, request=request
    )


class SignInForm(AdminAuthenticationForm):
    """Username, password and, for a user who set up two-factor sign-in, a code.

    One page for all three: a wrong code refuses the sign-in as a wrong password does."""

    code = code_field(
        required=False,
        help_text=f"{CODE_HELP} Leave it empty if you have not set up two-factor sign-in.",
    )

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not two_factor.is_enrolled(user):
            return
        try:
            # django-otp marks the session verified by this device when Django signs the user in.
            user.otp_device = two_factor.verified_device(
                user=user, code=self.cleaned_data.get("code")
            )
        except two_factor.TwoFactorRefused as refused:
            report_failure(self.request, self.cleaned_data.get("username", ""))
            raise ValidationError(refused.message, code="second_factor") from None


class CodeForm(forms.Form):
    code = code_field(required=True)
