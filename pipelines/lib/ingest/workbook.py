"""What a workbook's cell values do not say, read from its XML: its sheets, where a sheet's
cells start, which cells hold formulas or errors, and which row is the header.

calamine (the reader behind polars and fastexcel) gives values only: a formula's cached
value as if the department had typed it, and an error (#DIV/0!) or a formula never
computed as an empty cell. An XLSX file is a zip of XML parts, so the sheet's XML is
searched for `<f>` elements and error cells. Python's XML parser takes longer over a
sheet than calamine takes to read it, so the searches are over bytes: a streamed
substring search (a sheet without formulas costs one decompression), then, when it finds
something, each formula matched from the start of its cell; the element by element parse
only for a sheet whose cells do not carry their `r` reference.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, fromstring, iterparse

OFFICE_DOCUMENT = "/officeDocument"  # the end of the relationship type naming the workbook part
HEADER_SEARCH_ROWS = 10  # a title block above the header is a few rows at most
SEARCH_CHUNK = 1 << 20
# `<f>` (or `<x:f>`), and a cell typed as an error: what makes a sheet worth parsing. Plain
# substring searches (memchr-fast); a false alarm only costs the parse.
_FORMULA_OR_ERROR = (b"<f", b":f", b't="e"', b"t='e'")
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")
_PREFIX = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData[\s>/]")
_REF_ATTRIBUTE = re.compile(rb"""\sr=["']([A-Z]+)(\d+)["']""")
_TYPE_ATTRIBUTE = re.compile(rb"""\st=["']([A-Za-z]+)["']""")
# A cell's value (`<v>`) or an inline string's text (`<t>`) that is not empty, and row tags.
_FIRST_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?[vt](?:\s[^>]*)?>[^<]")
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row(?:\s[^>]*)?>")
_ROW_NUMBER = re.compile(rb"""\sr=["'](\d+)["']""")


@dataclass(frozen=True)
class FormulaCell:
    """A cell whose value the department did not type: a formula's result, or an error."""

    row: int  # as the spreadsheet numbers it (1 = the first row)
    column: int  # 0 = column A
    formula: str | None  # without the leading "="; "" for a shared formula's later cells
    value: str | None  # the cached value as stored; None: the formula was never computed
    error: bool  # the value is an error such as #DIV/0!, #REF!, #N/A

    @property
    def ref(self) -> str:
        return f"{column_letter(self.column)}{self.row}"

    @property
    def computed(self) -> bool:
        """Whether the cell holds a value calamine reads: neither an error nor never computed."""
        return self.value is not None and not self.error

    @property
    def problem(self) -> str:
        """Why the cell gives no value, for the quarantine's detail."""
        formula = f"={self.formula}" if self.formula else "a shared formula"
        if not self.error:
            return f"{self.ref}: {formula}, never computed"
        shown = f"{formula} gives {self.value}" if self.formula is not None else str(self.value)
        return f"{self.ref}: {shown}"

    @property
    def delivered(self) -> str:
        """What the department's spreadsheet shows in the cell, for the quarantine's `original`."""
        if self.error and self.value:
            return self.value
        return f"={self.formula}" if self.formula else "=(formula)"


class Workbook:
    """An open XLSX file's parts: its sheets by name, in tab order."""

    def __init__(self, path: Path) -> None:
        self.archive = zipfile.ZipFile(path)
        self.sheets = _sheet_parts(self.archive)

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *_: object) -> None:
        self.archive.close()

    @property
    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def first_filled_row(self, sheet: str) -> int | None:
        """The first row holding a value (calamine's data starts there), None for an empty sheet.

        A byte search, not an XML parse: Python's parser takes longer over a small sheet than
        calamine takes to read all of it, and only the first value is wanted.
        """
        pending, row = b"", 0
        with self.archive.open(self.sheets[sheet]) as stream:
            while chunk := stream.read(SEARCH_CHUNK):
                pending += chunk
                value = _FIRST_VALUE.search(pending)
                # Row tags wholly before the value, or before the last tag begun (the rest next time).
                done = value.start() if value else max(pending.rfind(b"<"), 0)
                for tag in _ROW_TAG.finditer(pending, 0, done):
                    number = _ROW_NUMBER.search(tag.group(0))
                    row = int(number.group(1)) if number else row + 1
                if value is not None:
                    return max(row, 1)
                pending = pending[done:]
        return None

    def formula_cells(self, sheet: str) -> list[FormulaCell]:
        with self.archive.open(self.sheets[sheet]) as stream:
            if not _mentions_formula_or_error(stream):
                return []
        xml = self.archive.read(self.sheets[sheet])
        found = _formula_cells_by_search(xml)
        if found is not None:
            return found
        # A cell without its `r` reference: count positions, element by element.
        with self.archive.open(self.sheets[sheet]) as stream:
            return [
                _formula_cell(
                    row,
                    column,
                    cell.get("t"),
                    _element_text(_child(cell, "f")),
                    _element_text(_child(cell, "v")),
                )
                for row, column, cell in _cells(stream)
                if _child(cell, "f") is not None or cell.get("t") == "e"
            ]


def _formula_cell(
    row: int, column: int, kind: str | None, formula: str | None, value: str | None
) -> FormulaCell:
    # An empty value is a computed empty text only in a text cell: a number is never
    # empty, and writers that do not calculate (openpyxl) leave `<v></v>` behind.
    if value == "" and kind not in ("str", "s", "inlineStr"):
        value = None
    return FormulaCell(row, column, formula, value, kind == "e")


def _element_text(element: Element | None) -> str | None:
    return None if element is None else (element.text or "")


def _formula_cells_by_search(xml: bytes) -> list[FormulaCell] | None:
    """The formula and error cells, found by a search over the sheet's bytes rather than by
    parsing every cell (in a sheet with a formula in each row, most cells hold none). None
    when one has no `r` reference: positions must then be counted, cell by cell."""
    found_prefix = _PREFIX.search(xml)
    prefix = found_prefix.group(1) if found_prefix and found_prefix.group(1) else b""
    formula_cell, error_cell = _cell_patterns(prefix)
    matches = list(_formula_matches(xml, formula_cell, prefix))
    if b't="e"' in xml or b"t='e'" in xml:
        matches += error_cell.finditer(xml)
    cells: dict[tuple[int, int], FormulaCell] = {}
    for match in matches:
        found = match.groupdict()
        letters, number, attributes = found.get("letters"), found.get("number"), found["attributes"]
        if letters is None:  # `r` not the first attribute, or none at all
            ref = _REF_ATTRIBUTE.search(attributes or b"")
            if ref is None:
                return None
            letters, number = ref.groups()
        assert letters is not None and number is not None  # both groups are in each pattern
        kind = _TYPE_ATTRIBUTE.search(attributes) if attributes and b"t=" in attributes else None
        formula, value = found.get("formula"), found["value"]
        cell = _formula_cell(
            int(number),
            _column_number(letters.decode()),
            kind.group(1).decode() if kind else None,
            None if formula is None else _unescaped(formula),
            None if value is None else _unescaped(value),
        )
        cells.setdefault((cell.row, cell.column), cell)
    return sorted(cells.values(), key=lambda c: (c.row, c.column))


def _formula_matches(
    xml: bytes, formula_cell: re.Pattern[bytes], prefix: bytes
) -> Iterator[re.Match[bytes]]:
    """Each `<f>`, found by a plain search, matched from the start of its cell: a pattern
    tried at every cell of the sheet costs seconds where most cells hold no formula."""
    f_open, c_open = b"<" + prefix + b"f", b"<" + prefix + b"c"
    at = xml.find(f_open)
    while at >= 0:
        if xml[at + len(f_open) : at + len(f_open) + 1] in (b" ", b">", b"/"):
            match = formula_cell.match(xml, xml.rfind(c_open, 0, at))
            if match is not None and match.end() > at:
                yield match
                at = match.end()
        at = xml.find(f_open, at + 1)


def _unescaped(text: bytes) -> str:
    decoded = text.decode("utf-8")
    return html.unescape(decoded) if "&" in decoded else decoded


@cache
def _cell_patterns(prefix: bytes) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """A cell holding a formula (`<f>` comes first in a cell), and a cell typed as an error."""
    c, f, v = (re.escape(prefix + name) for name in (b"c", b"f", b"v"))
    value = rb"(?:\s*<" + v + rb"(?:\s[^>]*)?(?:/>|>(?P<value>[^<]*)</" + v + rb">))?"
    # The reference read in the match when it is the first attribute, as writers put it.
    attributes = rb"(?P<attributes>\s+(?:r=[\"'](?P<letters>[A-Z]+)(?P<number>\d+)[\"'])?[^>]*)?"
    formula = rb"(?:\s[^>]*?)?(?:/>|>(?P<formula>[^<]*)</" + f + rb">)"
    formula_cell = re.compile(rb"<" + c + attributes + rb">\s*<" + f + formula + value)
    error_cell = re.compile(rb"<" + c + rb"(?P<attributes>\s[^>]*\st=[\"']e[\"'][^>]*)>" + value)
    return formula_cell, error_cell


def header_index(rows: Sequence[Sequence[str | None]], names: frozenset[str]) -> int:
    """Which of a sheet's first rows holds the column names.

    With the contract's column names (sources and aliases): the row naming the most of them,
    the earliest on a tie, and the first row when none names any (the columns are then
    reported missing, as for any delivery whose header changed). Without (a draft): the row
    with the most filled cells, the earliest on a tie; a title has one, a header all.
    """
    candidates = list(rows[:HEADER_SEARCH_ROWS])
    if not candidates:
        return 0

    def score(row: Sequence[str | None]) -> int:
        cells = [c.strip() for c in row if c is not None and c.strip()]
        return sum(c in names for c in cells) if names else len(cells)

    scores = [score(row) for row in candidates]
    best = max(scores)
    return scores.index(best) if best > 0 else 0


def unique_names(names: Sequence[str]) -> list[str]:
    """Header names made distinct: a repeated name keeps its first spelling, later ones numbered."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return unique


def column_letter(column: int) -> str:
    letters = ""
    column += 1
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@cache
def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number - 1


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip member holding its cells, in the workbook's tab order."""
    workbook = next(
        (
            target
            for _id, type_, target in _relationships(archive, "_rels/.rels", "")
            if type_.endswith(OFFICE_DOCUMENT)
        ),
        "xl/workbook.xml",
    )
    folder = posixpath.dirname(workbook)
    rels = posixpath.join(folder, "_rels", posixpath.basename(workbook) + ".rels")
    targets = {rid: target for rid, _type, target in _relationships(archive, rels, folder)}
    sheets: dict[str, str] = {}
    for element in fromstring(archive.read(workbook)).iter():
        if _local(element.tag) != "sheet":
            continue
        rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
        name = element.get("name")
        if name is not None and rid in targets and targets[rid] in archive.NameToInfo:
            sheets[name] = targets[rid]
    return sheets


def _relationships(
    archive: zipfile.ZipFile, part: str, folder: str
) -> Iterator[tuple[str, str, str]]:
    if part not in archive.NameToInfo:
        return
    for element in fromstring(archive.read(part)).iter():
        if _local(element.tag) == "Relationship":
            target = element.get("Target", "")
            # Targets are relative to the part's folder, or absolute from the package root.
            resolved = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(folder, target))
            )
            yield element.get("Id", ""), element.get("Type", ""), resolved


def _cells(stream: IO[bytes]) -> Iterator[tuple[int, int, Element]]:
    """(row, column, <c> element) of each cell, in order; positions counted where `r` is left out."""
    row, column = 0, -1
    for event, element in iterparse(stream, events=("start", "end")):
        tag = _local(element.tag)
        if event == "start":
            if tag == "row":
                row = int(element.get("r") or row + 1)
                column = -1
            continue
        if tag == "c":
            match = _CELL_REF.fullmatch(element.get("r") or "")
            if match:
                column, row = _column_number(match.group(1)), int(match.group(2))
            else:
                column += 1
            yield row, column, element
            element.clear()
        elif tag == "row":
            element.clear()


def _mentions_formula_or_error(stream: IO[bytes]) -> bool:
    tail = b""
    while chunk := stream.read(SEARCH_CHUNK):
        seen = tail + chunk
        if any(mark in seen for mark in _FORMULA_OR_ERROR):
            return True
        tail = chunk[-8:]
    return False


def _child(element: Element, name: str) -> Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]
