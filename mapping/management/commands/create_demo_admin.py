from django.core.management.base import BaseCommand

from mapping.demo import DEMO_ADMIN_USERNAME, create_demo_admin


class Command(BaseCommand):
    help = "Create or reset the demo admin account and print its new password."

    def add_arguments(self, parser):
        parser.add_argument("--username", default=DEMO_ADMIN_USERNAME)
        parser.add_argument(
            "--site", default="http://127.0.0.1:8000", help="where the app is served"
        )

    def handle(self, *args, username: str, site: str, **options):
        password = create_demo_admin(username)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo admin: {site.rstrip('/')}/admin/  user '{username}'  password '{password}'"
            )
        )
