import sys

from cxshared.cli import run_cli
from feedback.config import MIGRATIONS, get_settings


def main() -> None:
    sys.exit(
        run_cli(
            name="feedback",
            settings_factory=get_settings,
            app_path="feedback.main:create_app",
            script_location=MIGRATIONS,
        )
    )
