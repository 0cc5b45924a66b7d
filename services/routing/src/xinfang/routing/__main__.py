"""`python -m xinfang.routing serve | tail --dept CODE | asyncapi`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys


def main(argv: list[str]) -> None:
    """Routing's own commands; `serve` is the command line every service shares."""
    if argv[:1] == ["asyncapi"]:
        from xinfang.routing.asyncapi import render

        sys.stdout.write(render())
        return
    if argv[:1] == ["tail"]:
        from xinfang.routing.tail import tail

        parser = argparse.ArgumentParser(prog="python -m xinfang.routing tail")
        parser.add_argument("--dept", required=True, help="department code, e.g. C_URBAN")
        default_url = os.environ.get("XINFANG_ROUTING_NATS_URL", "nats://127.0.0.1:4222")
        parser.add_argument("--nats-url", default=default_url)
        parser.add_argument("--user", help="a NATS user allowed to read the department's subjects")
        parser.add_argument("--password")
        parser.add_argument(
            "--inbox-prefix", help="the user's inbox prefix, e.g. _INBOX_dept_C_URBAN"
        )
        args = parser.parse_args(argv[1:])
        try:
            asyncio.run(
                tail(
                    dept=args.dept,
                    nats_url=args.nats_url,
                    out=lambda s: print(s, flush=True),
                    credentials={
                        k: v
                        for k, v in {
                            "user": args.user,
                            "password": args.password,
                            "inbox_prefix": args.inbox_prefix,
                        }.items()
                        if v
                    },
                )
            )
        except KeyboardInterrupt:
            pass
        return
    from xinfang.common.cli import service_cli
    from xinfang.routing.main import create_app
    from xinfang.routing.settings import RoutingSettings

    service_cli(name="routing", settings_class=RoutingSettings, create_app=create_app, argv=argv)


if __name__ == "__main__":
    main(sys.argv[1:])
