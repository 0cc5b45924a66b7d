"""`python -m xinfang.routing serve` runs the routing service."""

from xinfang.common.cli import service_cli
from xinfang.routing.main import create_app
from xinfang.routing.settings import RoutingSettings

if __name__ == "__main__":
    service_cli(name="routing", settings_class=RoutingSettings, create_app=create_app)
