"""`python -m xinfang.notify serve` runs the notify service; `python -m xinfang.notify
sms-gateway --port N --dir var/sms` runs the local SMS gateway stand-in (which imports no web
framework, so it starts in a moment)."""

import sys

if __name__ == "__main__":
    if sys.argv[1:2] == ["sms-gateway"]:
        from xinfang.notify.gateway import main

        main(sys.argv[2:])
    else:
        from xinfang.common.cli import service_cli
        from xinfang.notify.main import create_app
        from xinfang.notify.settings import NotifySettings

        service_cli(name="notify", settings_class=NotifySettings, create_app=create_app)
