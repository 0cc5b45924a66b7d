"""`python -m xinfang.intake serve` runs the intake service; `rotate-keys` re-seals personal data
under the first of XINFANG_INTAKE_PII_KEYS."""

import sys

from xinfang.common.cli import service_cli
from xinfang.intake.main import create_app
from xinfang.intake.settings import IntakeSettings

if __name__ == "__main__":
    if sys.argv[1:2] == ["rotate-keys"]:
        from xinfang.intake.cli import main

        main(sys.argv[1:])
    else:
        service_cli(name="intake", settings_class=IntakeSettings, create_app=create_app)
