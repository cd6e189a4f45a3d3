"""A delivered CSV file cut into records and decoded, line by line, before any parser sees it.

A CSV parser cannot do two things on its own. After a quote that never closes it reads on
to the end of the file (or the next stray quote), so every later row is lost inside one
broken record. And it takes one encoding for the whole file, so a UTF-8 file that happens
to be valid GB 18030 comes out as mojibake with nothing said. Both are decided here, line
by line, so a broken line is that line's problem and every other record is still read.

Records. Lines end at LF, CRLF or a bare CR (old Mac files); those bytes never occur inside
a UTF-8 or GB 18030 character, so lines are cut before decoding. A quote opens a quoted
field only at the start of a field (leading spaces allowed, as DuckDB reads them); inside
one, `""` is a quote and any line break is data. A record whose quoted field is still open
at the end of its line continues on the next lines until the quote closes. That is only
accepted if the record so made is well formed: every quoted field closed and followed by a
delimiter or the end, and the header's number of fields. Otherwise the quote is taken as
never closed, and the broken record is cut before the first following line that starts a
well-formed record (complete on that line, or with quoted line breaks of its own); a
broken record with no such line after it ends where its quote closed, or at the end of the
file. Blank lines are not records. Records are numbered as delivered: a record over three
lines is one record, and the next one has the next number.

Encoding. Each line is decoded strictly: text that decodes in only one of UTF-8 and
GB 18030 is in that one, whatever the contract declares (said in a note). Most text that
is valid UTF-8 is also valid GB 18030 (any even number of UTF-8 bytes of Chinese is), and
a few GB 18030 lines are valid UTF-8: such a line is read in the encoding that gives the
more ordinary text, the one with fewer characters outside ASCII and GB 2312 (which holds
the 6,763 common hanzi): a mis-decoding is made of rare characters (`鎴愰兘娴嬭瘯椁愰ギ` for
`成都测试餐饮`), and a tie goes to UTF-8. Judged per line, not per file, so a mixed file
(one row pasted from a GBK system into a UTF-8 file, or the reverse) has each row read in
its own encoding. A line valid in neither is quarantined as `encoding_invalid`, its bytes
shown as escapes.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

UTF8 = "utf-8"
GB18030 = "gb18030"
_LINE_END = re.compile(rb"(\r\n|\r|\n)")
# The rest of a quoted field, from just after its opening quote to its closing quote.
_QUOTED_REST = re.compile(r'[^"]*(?:""[^"]*)*"')


@dataclass
class Record:
    number: int  # 1-based data record as delivered (0: the header)
    text: str  # decoded, its own line breaks kept; for a reject, what is shown as `original`
    rule: str | None = None  # a reject's quarantine rule (row_malformed, encoding_invalid)
    detail: str | None = None


@dataclass
class Records:
    header: str | None  # the header line's text (None: no header)
    records: list[Record]  # every data record, in order, rejects included
    encoding: str  # the encoding most lines are in (the declared one if all are ASCII)
    notes: list[str] = field(default_factory=list)
    multiline: bool = False  # some accepted record holds a quoted line break
    header_decoded: bool = True  # False: the header is neither UTF-8 nor GB 18030 (binary?)


def split_records(data: bytes, declared: str, delimiter: str = ",") -> Records:
    """The file's header and data records, decoded, broken ones marked with their rule."""
    declared = UTF8 if declared == "utf-8-sig" else declared
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    pieces = _LINE_END.split(data)
    raws, ends = pieces[0::2], [*pieces[1::2], b""]
    if raws and raws[-1] == b"":  # the line end of the last line does not start another
        raws.pop()
        ends.pop()
    decoded = [decode_line(raw) for raw in raws]
    texts = [
        text if text is not None else raw.decode(declared, "backslashreplace")
        for raw, (text, _) in zip(raws, decoded, strict=True)
    ]
    lines = _Lines(texts, delimiter)
    first = next((i for i, raw in enumerate(raws) if raw.strip()), None)
    if first is None:
        return Records(None, [], declared)
    end = lines.record_end(first, fields=None) or first + 1  # a broken header: its first line
    header = _joined(texts, ends, first, end)
    width = lines.fields(first, end)
    header_decoded = all(decoded[j][0] is not None for j in range(first, end))

    records: list[Record] = []
    multiline = False
    i = end
    while i < len(raws):
        if not raws[i].strip():
            i += 1
            continue
        stop, broken = lines.next_record(i, width)
        number = len(records) + 1
        if stop == i + 1 and not broken and decoded[i][0] is not None:  # most records
            records.append(Record(number, texts[i]))
            i = stop
            continue
        text = _joined(texts, ends, i, stop)
        undecodable = [j - i + 1 for j in range(i, stop) if decoded[j][0] is None]
        if undecodable:
            where = f" (line {undecodable[0]} of the record)" if stop - i > 1 else ""
            records.append(
                Record(
                    number,
                    text,
                    "encoding_invalid",
                    f"bytes that are neither valid UTF-8 nor valid GB 18030{where}",
                )
            )
        elif broken:
            records.append(
                Record(
                    number,
                    text,
                    "row_malformed",
                    "a quoted field is not closed: the record ends at the next line that "
                    "starts a well-formed record",
                )
            )
        else:
            multiline = multiline or stop - i > 1
            records.append(Record(number, text))
        i = stop
    return Records(
        header,
        records,
        *_encoding_notes(declared, decoded, records),
        multiline=multiline,
        header_decoded=header_decoded,
    )


def _joined(texts: list[str], ends: list[bytes], start: int, stop: int) -> str:
    """Lines start to stop - 1 as one record: the line breaks between them kept, the last one dropped."""
    inner = "".join(texts[j] + ends[j].decode("ascii") for j in range(start, stop - 1))
    return inner + texts[stop - 1]


def decode_line(raw: bytes) -> tuple[str | None, str | None]:
    """The line's text and its encoding (None: ASCII); text None when neither encoding decodes it."""
    if raw.isascii():
        return raw.decode("ascii"), None
    readings = {}
    for encoding in (UTF8, GB18030):
        try:
            readings[encoding] = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    if not readings:
        return None, None
    if len(readings) == 1:
        ((encoding, text),) = readings.items()
        return text, encoding
    # Fewest rare characters wins; min keeps the first (UTF-8) on a tie.
    encoding = min(readings, key=lambda e: _rare_characters(readings[e]))
    return readings[encoding], encoding


def _rare_characters(text: str) -> int:
    """How many characters are outside ASCII and GB 2312: few in real text, many in mojibake."""
    return len(text) - len(text.encode("gb2312", "ignore").decode("gb2312"))


def _encoding_notes(
    declared: str,
    decoded: list[tuple[str | None, str | None]],
    records: list[Record],
) -> tuple[str, list[str]]:
    """The encoding most lines are in, and a note for every line read in another than the declared."""
    counts = Counter(encoding for _, encoding in decoded if encoding is not None)
    encoding = counts.most_common(1)[0][0] if counts else declared
    notes = []
    others = {e: n for e, n in counts.items() if e != declared}
    if others and set(counts) == set(others):
        notes.append(f"declared {declared} but the file is {encoding}: read as {encoding}")
    else:
        for other, count in sorted(others.items()):
            notes.append(
                f"{count} line(s) are {other}, not the declared {declared}: each read as {other}"
            )
    undecodable = sum(1 for r in records if r.rule == "encoding_invalid")
    if undecodable:
        notes.append(
            f"{undecodable} record(s) are neither valid UTF-8 nor valid GB 18030: they are quarantined"
        )
    return encoding, notes


@dataclass(frozen=True)
class _Scan:
    open: bool  # the line ends inside a quoted field
    delimiters: int  # delimiters outside quoted fields
    strict: bool  # every quoted field closed on this line is followed by a delimiter or the end


class _Lines:
    """The decoded lines of a file, scanned for quoted fields on demand (most lines never are)."""

    def __init__(self, texts: list[str], delimiter: str) -> None:
        self.texts = texts
        self.delimiter = delimiter
        # A line of closed quoted fields and unquoted ones, each followed by a delimiter or the
        # end: a whole record, strictly quoted. Most lines are; only the others are walked.
        d = re.escape(delimiter)
        quoted, unquoted = ' *"[^"]*(?:""[^"]*)*" *', f' *(?:[^ "{d}][^{d}]*)?'
        field = f"(?:{quoted}|{unquoted})"
        self._complete = re.compile(f"{field}(?:{d}{field})*")
        self._scans: dict[tuple[int, bool], _Scan] = {}
        self._closes: dict[int, int | None] = {}

    def scan(self, i: int, inside: bool) -> _Scan:
        key = (i, inside)
        if key not in self._scans:
            self._scans[key] = _scan(self.texts[i], inside, self.delimiter)
        return self._scans[key]

    def closing_line(self, i: int) -> int | None:
        """The first line from i on that, entered inside a quoted field, ends outside one."""
        walked = []
        j: int | None = i
        while j is not None and j < len(self.texts):
            if j in self._closes:
                j = self._closes[j]
                break
            walked.append(j)
            if not self.scan(j, inside=True).open:
                break
            j += 1
        if j is not None and j >= len(self.texts):
            j = None
        for w in walked:  # each line is walked once however many records ask
            self._closes[w] = j
        return j

    def record_end(self, i: int, fields: int | None) -> int:
        """One past the last line of the record starting at line i, if it is well formed
        (with `fields` fields, when given); 0 if it is not."""
        first = self.scan(i, inside=False)
        if not first.open:
            ok = first.strict and (fields is None or first.delimiters + 1 == fields)
            return i + 1 if ok else 0
        close = self.closing_line(i + 1)
        if close is None:
            return 0
        strict = first.strict and all(
            self.scan(j, inside=True).strict for j in range(i + 1, close + 1)
        )
        ok = strict and (fields is None or self.fields(i, close + 1) == fields)
        return close + 1 if ok else 0

    def fields(self, start: int, stop: int) -> int:
        """Fields of the record on lines start to stop - 1, counted outside quoted fields."""
        inner = sum(self.scan(j, inside=True).delimiters for j in range(start + 1, stop))
        return self.scan(start, inside=False).delimiters + inner + 1

    def next_record(self, i: int, fields: int) -> tuple[int, bool]:
        """(one past the record's last line, whether it is broken) for the record at line i."""
        if '"' not in self.texts[i] or self._complete.fullmatch(self.texts[i]):
            return i + 1, False  # one line: the parser judges its fields
        first = self.scan(i, inside=False)
        if not first.open:
            return i + 1, False
        end = self.record_end(i, fields)
        if end:
            return end, False
        close = self.closing_line(i + 1)
        last = close if close is not None else len(self.texts) - 1
        for k in range(i + 1, last + 1):
            if self.texts[k].strip() and self.record_end(k, fields):
                return k, True
        return last + 1, True


def _after_spaces(text: str, position: int) -> int:
    while position < len(text) and text[position] == " ":
        position += 1
    return position


def _scan(text: str, inside: bool, delimiter: str) -> _Scan:
    """Walk one line's fields: whether it ends inside a quoted field, its delimiters outside
    quotes, and whether its quoting is strict. `inside`: the line starts inside a quoted field."""
    if '"' not in text:
        return _Scan(inside, 0 if inside else text.count(delimiter), True)
    position, delimiters, strict = 0, 0, True
    length = len(text)
    while True:
        if inside:
            closed = _QUOTED_REST.match(text, position)
            if closed is None:
                return _Scan(True, delimiters, strict)
            position = closed.end()
            inside = False
            rest = _after_spaces(text, position)
            if rest < length and text[rest] != delimiter:
                strict = False  # text after a closing quote: read as part of the field
        else:
            start = _after_spaces(text, position)
            if start < length and text[start] == '"':
                position, inside = start + 1, True
                continue
        following = text.find(delimiter, position)
        if following == -1:
            return _Scan(False, delimiters, strict)
        delimiters += 1
        position = following + 1
