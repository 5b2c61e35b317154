"""singer-sdk's standard tap suite, run against a small generated domain on the sandbox."""

from __future__ import annotations

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_ossit.tap import TapOssit

# The suite builds its tap while this module is collected, before any sandbox runs: these
# placeholders are replaced through TAP_OSSIT_* variables by `standard_suite_domain`.
_PLACEHOLDER_CONFIG = {
    "domain_key": "replaced-by-the-standard_suite_domain-fixture",
    "base_url": "http://127.0.0.1:9",
}

_StandardSuite = get_tap_test_class(
    TapOssit,
    config=_PLACEHOLDER_CONFIG,
    suite_config=SuiteConfig(max_records_limit=500),
)


@pytest.mark.usefixtures("standard_suite_domain")
class TestTapOssitStandardSuite(_StandardSuite):  # type: ignore[misc, valid-type]
    """Discovery, connection, schema, record and attribute checks of every stream."""
