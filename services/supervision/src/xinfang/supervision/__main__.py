"""`python -m xinfang.supervision serve` runs the supervision service."""

from xinfang.common.cli import service_cli
from xinfang.supervision.main import create_app
from xinfang.supervision.settings import SupervisionSettings

if __name__ == "__main__":
    service_cli(name="supervision", settings_class=SupervisionSettings, create_app=create_app)
