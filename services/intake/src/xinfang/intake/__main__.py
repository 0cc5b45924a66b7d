"""`python -m xinfang.intake serve` runs the intake service."""

from xinfang.common.cli import service_cli
from xinfang.intake.main import create_app
from xinfang.intake.settings import IntakeSettings

if __name__ == "__main__":
    service_cli(name="intake", settings_class=IntakeSettings, create_app=create_app)
