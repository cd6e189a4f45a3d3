"""Contract-level custom properties about the delivery as a whole: landing, threshold, missing markers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pipelines.lib.contracts.model import (
    DAY_PLACEHOLDER,
    DEFAULT_QUARANTINE_THRESHOLD,
    MINUTES_PER_DAY,
    WINDOW_PLACEHOLDER,
    Landing,
    Sla,
)
from pipelines.lib.contracts.shapes import CustomProperties, is_number, unknown_keys
from pipelines.lib.contracts.vocabulary import CSV_DELIMITERS, CSV_ENCODINGS, LANDING_FORMATS
from pipelines.lib.contracts.yaml_source import KeyPath, Problems
from pipelines.lib.standards.text import normalise_text


def landing(custom: CustomProperties, problems: Problems) -> Landing | None:
    if not custom.require("landing", ("customProperties",), problems):
        return None
    value, at = custom.value("landing"), custom.at("landing")
    if not isinstance(value, dict):
        problems.add(at, "landing must be an object with format, file and (csv) encoding")
        return None
    unknown_keys(
        value,
        frozenset({"format", "encoding", "delimiter", "file", "sheet", "headerRow", "windowFile"}),
        at,
        "landing",
        problems,
    )
    ok = True
    fmt = value.get("format")
    if fmt not in LANDING_FORMATS:
        problems.add((*at, "format"), f"format must be one of {sorted(LANDING_FORMATS)}")
        ok = False
    encoding = value.get("encoding", "utf-8")
    if "encoding" in value and fmt != "csv":
        # xlsx and jsonl carry their own encoding; a setting here would be ignored.
        problems.add((*at, "encoding"), "encoding applies to csv only")
        ok = False
    elif encoding not in CSV_ENCODINGS:
        problems.add((*at, "encoding"), f"encoding must be one of {sorted(CSV_ENCODINGS)}")
        ok = False
    delimiter = value.get("delimiter", ",")
    if "delimiter" in value and fmt != "csv":
        problems.add((*at, "delimiter"), "delimiter applies to csv only")
        ok = False
    elif delimiter not in CSV_DELIMITERS:
        shown = ", ".join(repr(d) for d in sorted(CSV_DELIMITERS))
        problems.add((*at, "delimiter"), f"delimiter must be one of {shown}")
        ok = False
    sheet, header_row, workbook_ok = _workbook_layout(value, fmt, at, problems)
    ok = ok and workbook_ok
    file = value.get("file")
    if not isinstance(file, str) or file.count(DAY_PLACEHOLDER) != 1 or "/" in file:
        problems.add((*at, "file"), f"file must be a file name with exactly one {DAY_PLACEHOLDER}")
        ok = False
    window_file = value.get("windowFile")
    if window_file is not None and (
        not isinstance(window_file, str)
        or window_file.count(DAY_PLACEHOLDER) != 1
        or window_file.count(WINDOW_PLACEHOLDER) != 1
        or "/" in window_file
        or window_file == file
    ):
        problems.add(
            (*at, "windowFile"),
            f"windowFile must be a file name with exactly one {DAY_PLACEHOLDER} and one "
            f"{WINDOW_PLACEHOLDER} (the window's start), other than file",
        )
        ok = False
    if not ok:
        return None
    return Landing(
        format=str(fmt),
        encoding=str(encoding),
        file=str(file),
        delimiter=delimiter,
        sheet=sheet,
        header_row=header_row,
        window_file=window_file,
    )


def with_cadence(
    landing: Landing, sla: Sla, landing_at: KeyPath, problems: Problems
) -> Landing | None:
    """The landing with its windows' length: a feed delivered more often than daily (SLA
    `frequency` under a day) is delivered in windows, one file each (`windowFile`), whose
    length divides the day; a daily feed names no window file."""
    minutes = sla.frequency_days * MINUTES_PER_DAY
    if sla.frequency_days >= 1:
        if landing.window_file is not None:
            problems.add(
                (*landing_at, "windowFile"),
                "windowFile is for a feed delivered more often than daily: set the SLA "
                "frequency to the window's length (e.g. 5 min, 1 h)",
            )
            return None
        return landing
    whole = round(minutes)
    if abs(minutes - whole) > 1e-6 or whole < 1 or MINUTES_PER_DAY % whole != 0:
        problems.add(
            ("slaProperties",),
            f"a frequency under a day is a window length: whole minutes that divide a day "
            f"(1, 5, 15, 60 min...), not {minutes:g} min",
        )
        return None
    if landing.window_file is None:
        problems.add(
            (*landing_at, "windowFile"),
            f"a feed delivered every {whole} min names its window files: windowFile with "
            f"{DAY_PLACEHOLDER} and {WINDOW_PLACEHOLDER}",
        )
        return None
    return replace(landing, window_minutes=whole)


def _workbook_layout(
    value: dict[str, Any], fmt: Any, at: KeyPath, problems: Problems
) -> tuple[str | None, int | None, bool]:
    """`sheet` and `headerRow`: where in a workbook the data is (xlsx only)."""
    ok = True
    for key in ("sheet", "headerRow"):
        if key in value and fmt != "xlsx":
            problems.add((*at, key), f"{key} applies to xlsx only")
            ok = False
    sheet = value.get("sheet")
    if sheet is not None and (not isinstance(sheet, str) or not sheet.strip()):
        problems.add((*at, "sheet"), "sheet must be the worksheet's name, as its tab shows it")
        ok = False
    header_row = value.get("headerRow")
    if header_row is not None and (
        isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1
    ):
        problems.add(
            (*at, "headerRow"),
            "headerRow must be the row number of the column names, as the spreadsheet shows it (1, 2, ...)",
        )
        ok = False
    return sheet, header_row, ok


def quarantine_threshold(custom: CustomProperties, problems: Problems) -> float:
    if "quarantineThreshold" not in custom:
        return DEFAULT_QUARANTINE_THRESHOLD
    value = custom.value("quarantineThreshold")
    if is_number(value) and 0 <= value <= 1:
        return float(value)
    problems.add(
        custom.at("quarantineThreshold"), "quarantineThreshold must be a number from 0 to 1"
    )
    return DEFAULT_QUARANTINE_THRESHOLD


def missing_values(custom: CustomProperties, problems: Problems) -> tuple[str, ...]:
    """The markers a department writes for "no value" (`NA`, `-`, `无`, `9999`...), if declared."""
    if "missingValues" not in custom:
        return ()
    return markers(custom.value("missingValues"), custom.at("missingValues"), problems)


def markers(value: Any, at: KeyPath, problems: Problems) -> tuple[str, ...]:
    """A missingValues list, as ingestion compares it: trimmed, full-width made half-width.

    Only strings: unquoted YAML turns `9999` into a number and `no` into false, which
    would not be the text the department writes.
    """
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        problems.add(
            at, "missingValues must be a list of strings (quote numbers and words: '9999', 'no')"
        )
        return ()
    # An empty value is missing anyway: "" may be listed, and needs nothing more.
    return tuple(dict.fromkeys(marker for v in value if (marker := normalise_text(v))))
