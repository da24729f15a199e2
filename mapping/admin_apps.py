"""The admin app with Angle Mort's site: Django's, with a limit on failed logins
(mapping/admin_login.py). Listed in INSTALLED_APPS instead of "django.contrib.admin";
admin.site and @admin.register then use that site."""

from django.contrib.admin.apps import AdminConfig


class LoginLimitedAdminConfig(AdminConfig):
    default_site = "mapping.admin_login.LoginLimitedAdminSite"
