import sys

from cxshared.cli import run_cli
from journey.config import MIGRATIONS, get_settings


def main() -> None:
    sys.exit(
        run_cli(
            name="journey",
            settings_factory=get_settings,
            app_path="journey.main:create_app",
            script_location=MIGRATIONS,
        )
    )
