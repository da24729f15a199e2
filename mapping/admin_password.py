"""Wrong old passwords on the admin's password change form count as failed logins.

Someone holding a moderator's session (a stolen cookie, a computer left unlocked) could
otherwise guess the password on /admin/password_change/ without end: the form checks the
old password and says whether it was right. Each wrong one is counted as a failed login
of that user's username (mapping/admin_login.py), so the login and this form together
allow ADMIN_LOGIN_FAILURES_PER_USERNAME guesses at one password within
ADMIN_LOGIN_WINDOW_S. Past that, the form answers 429 with Retry-After and does not
check the old password, so a right one is refused too; the session itself stays. A right
old password clears the count, as a successful login does.

As at the login, the attempt is counted before the password is checked, so concurrent
attempts cannot all slip under the limit, and taken back when it was right. Only the
username's count is charged: the user is known, and the client is the one the session
was stolen to, or the moderator's own. From a browser that holds a device cookie for
that username (mapping/admin_device.py), the device's count is charged instead, as at
the login: a moderator whose username others keep locked can still change the password.
"""

from __future__ import annotations

from django.contrib.admin.forms import AdminPasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_variables

from mapping import admin_login

# Named in the log line when this form brings a username to its limit.
COUNTER_KIND = "username (password change form)"


def too_many_guesses_message(seconds: int) -> str:
    minutes = admin_login.wait_minutes(seconds)
    return ngettext(
        "Too many wrong passwords. Try again in %(minutes)d minute.",
        "Too many wrong passwords. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class LimitedAdminPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's password change form, refusing the old password unchecked when the
    view has found the limit reached, and telling the view when it was right."""

    def __init__(self, user, *args, wait: int | None = None, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.wait = wait
        self.old_password_accepted = False

    @sensitive_variables("old_password")
    def clean_old_password(self):
        if self.wait is not None:
            raise ValidationError(too_many_guesses_message(self.wait), code="too_many_attempts")
        old_password = super().clean_old_password()
        self.old_password_accepted = True
        return old_password


class LimitedPasswordChangeView(PasswordChangeView):
    """Django's password change view, counting wrong old passwords (the admin site's
    password_change uses it)."""

    form_class = LimitedAdminPasswordChangeForm
    wait: int | None = None
    form: LimitedAdminPasswordChangeForm | None = None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "wait": self.wait}

    def get_form(self, form_class=None):
        self.form = super().get_form(form_class)
        return self.form

    def post(self, request, *args, **kwargs):
        now = admin_login.clock()
        username = request.user.get_username()
        limited = admin_login.account_counters(request, username, now, COUNTER_KIND)
        self.wait = admin_login.seconds_to_wait(limited, now)
        if self.wait is not None:
            response = super().post(request, *args, **kwargs)
            response.status_code = 429
            response["Retry-After"] = str(self.wait)
            return response
        admin_login.record_failure(limited, now)
        response = super().post(request, *args, **kwargs)
        if self.form is not None and self.form.old_password_accepted:
            admin_login.forget(limited)
        return response
