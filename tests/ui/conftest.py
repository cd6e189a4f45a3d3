"""What the browser tests share: Debian's chromium, or a skip that says how to install it.

The browser is Debian's `chromium` (`apt-get install -y chromium`), driven through the driver
the `playwright` package ships: Playwright never downloads a browser here. CI (`.ci/run`)
installs chromium when it is missing and sets SAFECITY_REQUIRE_BROWSER=1, so there a missing
browser fails the tests; elsewhere they are skipped, saying how to install it.
"""

from __future__ import annotations

import os
import shutil

import pytest

INSTALL_COMMAND = "apt-get install -y chromium"
REQUIRE_BROWSER = "SAFECITY_REQUIRE_BROWSER"


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, or a skip (a failure in CI) that says how to install it."""
    path = shutil.which("chromium")
    if path is None:
        reason = f"Debian's chromium is not installed: `{INSTALL_COMMAND}` (as root) installs it"
        if os.environ.get(REQUIRE_BROWSER) == "1":
            pytest.fail(f"{reason}; {REQUIRE_BROWSER}=1 requires the browser test to run")
        pytest.skip(reason)
    return path
