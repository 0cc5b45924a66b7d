"""`python -m xinfang.notify serve` runs the notify service."""

from xinfang.common.cli import service_cli
from xinfang.notify.main import create_app
from xinfang.notify.settings import NotifySettings

if __name__ == "__main__":
    service_cli(name="notify", settings_class=NotifySettings, create_app=create_app)
