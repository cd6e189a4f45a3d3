"""Alerts out (OASIS Common Alerting Protocol 1.2): warnings as CAP message threads, validated and published."""

from pipelines.lib.alerts.cap import (
    CAP_NAMESPACE,
    EVENT_TYPES,
    MSG_TYPES,
    SEVERITY_BY_LEVEL,
    CapValidationError,
    build_cap_alert,
    cap_errors,
    parse_references,
    validate_cap,
)
from pipelines.lib.alerts.publish import (
    INDEX_FILE,
    AlertsSummary,
    InvalidAlertError,
    check_published,
    read_messages,
    read_warnings,
    write_alerts,
)

__all__ = [
    "CAP_NAMESPACE",
    "EVENT_TYPES",
    "INDEX_FILE",
    "MSG_TYPES",
    "SEVERITY_BY_LEVEL",
    "AlertsSummary",
    "CapValidationError",
    "InvalidAlertError",
    "build_cap_alert",
    "cap_errors",
    "check_published",
    "parse_references",
    "read_messages",
    "read_warnings",
    "validate_cap",
    "write_alerts",
]
