"""XLSX/XLSM streamed out of the archive: bounded memory, cells as displayed.

Only what a lead list needs is read: the sheet names and their parts (``xl/workbook.xml``
and its relationships), the date system, the number format of each cell style
(``xl/styles.xml``: numFmts and cellXfs), the shared strings (all with expat), and one
sheet's XML, inflated block by block (by ISA-L, :func:`read_capped`) so that memory does not
grow with the sheet. Its rows are matched by a regular expression where they are written as
spreadsheets write them (the fast path), and parsed by expat where they are not; both give
the same rows (docs/reading.md, "Speed"). Every part is capped (its expanded size, counted
while it is inflated since a ZIP header may lie; the shared strings' count and characters;
the length of one cell), and a workbook beyond a cap is refused with a
sentence (docs/reading.md, "Limits").
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import posixpath
import re
import struct
import zipfile
import zlib
from array import array
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import cast
from xml.parsers import expat

from isal import isal_zlib

from foxreach_cli.errors import InputError
from foxreach_cli.readers.numfmt import (
    BUILTIN_FORMATS,
    Formatter,
    PlainNumber,
    TextFormatter,
    compile_format,
    compile_text_format,
    general,
)

#: Expanded bytes a sheet's XML may hold (about four million rows of a lead list).
MAX_SHEET_BYTES = 4 << 30
#: Expanded bytes of the shared strings part.
MAX_SHARED_BYTES = 512 << 20
#: Expanded bytes of any other part read (workbook, relationships, styles).
MAX_PART_BYTES = 64 << 20
#: Shared strings kept, and their UTF-8 bytes in all. They are kept packed (one buffer of
#: UTF-8 and an array of offsets, 8 bytes a string), so these caps hold them under 210 MB:
#: room for a million-row export whose email, names and company are all distinct.
MAX_SHARED_STRINGS = 6_000_000
MAX_SHARED_TEXT_BYTES = 160_000_000
#: Characters one cell may hold (Excel's own limit is 32,767).
MAX_CELL_CHARS = 1 << 20
#: Bytes expat may buffer for one token (a tag with its attributes) before we give up.
MAX_TOKEN_BYTES = 16 << 20
#: Rows a sheet holds at most (Excel's limit).
MAX_ROWS = 1_048_576
#: Columns a sheet holds at most (Excel's limit, A..XFD).
MAX_COLUMNS = 16_384
_BLOCK = 256 << 10

#: What reading a damaged or odd ZIP may raise (RuntimeError: an encrypted member;
#: NotImplementedError: a compression method zipfile lacks).
ZIP_ERRORS = (zipfile.BadZipFile, OSError, zlib.error, EOFError, RuntimeError, NotImplementedError)

#: One streamed row: (row number, cells up to the kept width, non-empty cells beyond it,
#: 1-based column of the last non-empty cell).
Row = tuple[int, list[str], list[str], int]

#: A merged range: (first row, first column, last row, last column); rows 1-based as in the
#: sheet, columns 0-based.
Merge = tuple[int, int, int, int]
#: Merged ranges read from one sheet at most (a lead list has a handful, if any).
MAX_MERGES = 100_000
_MERGE_REF = re.compile(
    rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Za-z]{1,3})(\d{1,7}):([A-Za-z]{1,3})(\d{1,7})"'
)

#: The end of a sheet's rows, with any namespace prefix.
_SHEET_DATA_END = re.compile(rb"</(?:\w+:)?sheetData\s*>")
#: Blocks of a sheet kept while it is inflated for its merged ranges (1 MB: some 30,000
#: ranges after the rows).
_MERGE_TAIL_BLOCKS = 4

#: Number formats ids whose code Excel takes from the reader's locale: written as ISO.
_LOCALE_IDS = {14: "yyyy-mm-dd", 22: "yyyy-mm-dd h:mm"}


class WorkbookLimit(InputError):
    """A workbook beyond one of the reader's caps."""


def local(tag: str) -> str:
    """A tag or attribute name without its namespace prefix."""
    return tag.rpartition(":")[2]


def column_index(ref: str) -> int:
    """0-based column of a cell reference such as ``B12`` (-1 when it has no letters)."""
    index = 0
    for char in ref:
        code = ord(char)
        if 65 <= code <= 90:
            index = index * 26 + code - 64
        elif 97 <= code <= 122:
            index = index * 26 + code - 96
        else:
            break
    return index - 1


def column_name(number: int) -> str:
    """A 1-based column number as letters: 1 -> A, 16384 -> XFD."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_capped(
    archive: zipfile.ZipFile, member: str, cap: int, name: str
) -> Generator[bytes, None, None]:
    """The expanded bytes of one member in blocks; refused past ``cap`` bytes, whatever its
    header says."""
    info = archive.getinfo(member)
    if info.file_size > cap:
        raise _too_big(name, member, cap)
    if (
        info.compress_type == zipfile.ZIP_DEFLATED
        and not info.flag_bits & 0x1  # encrypted: zipfile says so
        and isinstance(archive.filename, str)
    ):
        yield from _inflate(archive.filename, info)
        return
    seen = 0
    with archive.open(info) as fh:
        while block := fh.read(_BLOCK):
            seen += len(block)
            if seen > cap:
                raise _too_big(name, member, cap)
            yield block


def _inflate(path: str, info: zipfile.ZipInfo) -> Generator[bytes, None, None]:
    """A deflated member's bytes as zipfile gives them (no more than its header's size, the
    CRC checked at the end), inflated by ISA-L: several times faster than zlib, and a sheet
    is the bulk of a workbook's reading. The member is read through a file handle of its
    own, so two readers of one archive (the row counter's thread) do not share a position."""
    member = info.filename
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        head = fh.read(_LOCAL_HEADER.size)
        if len(head) != _LOCAL_HEADER.size or head[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile("Bad magic number for file header")
        name_size, extra_size = _LOCAL_HEADER.unpack(head)[-2:]
        fh.seek(name_size + extra_size, 1)
        left = info.compress_size  # compressed bytes not read yet
        wanted = info.file_size  # zipfile gives no more than the header says either
        inflater = isal_zlib.decompressobj(-15)
        crc = 0
        seen = 0
        data = b""
        while seen < wanted:
            if left > 0 and len(data) < _RAW_BLOCK:
                more = fh.read(min(left, _RAW_BLOCK))
                if not more:
                    raise EOFError("the archive ends inside one of its parts")
                left -= len(more)
                data += more
            try:
                block = inflater.decompress(data, _BLOCK)
                data = inflater.unconsumed_tail
                # ISA-L takes in more than it gives out at once: with all the data read, it
                # is asked again (for at most a block) until it gives nothing more.
                done = inflater.eof or (left <= 0 and not data and not block)
                if done:
                    block += inflater.flush()
            except _INFLATE_ERROR as exc:
                raise zipfile.BadZipFile(f"its part {member} is damaged: {exc}") from exc
            block = block[: wanted - seen]
            seen += len(block)
            if block:
                crc = isal_zlib.crc32(block, crc)
                yield block
            if done:
                break
    if crc != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {member!r}")


#: What ISA-L raises on damaged data (its stub declares the class as an instance).
_INFLATE_ERROR = cast("type[Exception]", isal_zlib.error)
#: A ZIP local file header: signature ... file name length, extra field length.
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
#: Compressed bytes read at a time (a sheet deflates about ten to one).
_RAW_BLOCK = 64 << 10


def _too_big(name: str, member: str, cap: int) -> WorkbookLimit:
    return WorkbookLimit(
        f"{name}: its part {member} expands to more than {cap >> 20:,} MB, beyond what a "
        "lead list needs (a damaged or hostile file?); open it in Excel, save it again or "
        "export CSV, and run again."
    )


def parse_stream(
    blocks: Iterator[bytes],
    start: Callable[[str, dict[str, str]], None] | None,
    end: Callable[[str], None] | None,
    text: Callable[[str], None] | None,
    name: str,
    member: str,
) -> None:
    """Feed ``blocks`` to a fresh expat parser with the given handlers (see
    :func:`new_parser`)."""
    parser = new_parser(start, end, text, name, member)
    fed = 0
    for block in blocks:
        fed = feed(parser, block, fed, name, member)
    feed(parser, b"", fed, name, member)


def new_parser(
    start: Callable[[str, dict[str, str]], None] | None,
    end: Callable[[str], None] | None,
    text: Callable[[str], None] | None,
    name: str,
    member: str,
) -> expat.XMLParserType:
    """An expat parser with the given handlers that refuses a DTD (entity expansion)."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    if start is not None:
        parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text

    def doctype(*_args: object) -> None:
        raise WorkbookLimit(
            f"{name}: its part {member} declares a DTD, which no spreadsheet writes; "
            "open it in Excel, save it again or export CSV, and run again."
        )

    parser.StartDoctypeDeclHandler = doctype
    return parser


def feed(parser: expat.XMLParserType, block: bytes, fed: int, name: str, member: str) -> int:
    """Parse one block (the last one when empty); return the bytes fed so far. A token
    longer than MAX_TOKEN_BYTES, which expat would buffer whole, is refused."""
    what = "XLSX workbook" if member != "content.xml" else "ODS spreadsheet"
    try:
        parser.Parse(block, not block)
    except expat.ExpatError as exc:
        raise InputError(
            f"{name} is not a valid {what} ({member}: {expat.ErrorString(exc.code)} "
            f"at line {exc.lineno}); open it and save it again (or export CSV), then run again."
        ) from exc
    fed += len(block)
    if fed - parser.CurrentByteIndex > MAX_TOKEN_BYTES:
        raise WorkbookLimit(
            f"{name}: its part {member} holds a tag longer than {MAX_TOKEN_BYTES >> 20} MB, "
            "which no spreadsheet writes; open it and save it again (or export CSV), then "
            "run again."
        )
    return fed


class SharedStrings:
    """The shared strings table.

    Up to :data:`_LIST_STRINGS` strings it is a plain list (the fastest to index); beyond,
    it is packed, their UTF-8 in one buffer and where each ends, decoded when a cell is
    read: a Python str costs about 50 bytes besides its text, and a million-row export
    has millions of distinct texts."""

    def __init__(self) -> None:
        self.plain: list[str] | None = []
        self._text = bytearray()
        self._ends = array("q")
        self.size = 0  # bytes of UTF-8 text held

    def add(self, text: str) -> None:
        """Append the next string."""
        data = text.encode("utf-8", "surrogatepass")
        self.size += len(data)
        if self.plain is not None:
            self.plain.append(text)
            if len(self.plain) > _LIST_STRINGS or self.size > _LIST_BYTES:
                for held in self.plain:
                    self._text += held.encode("utf-8", "surrogatepass")
                    self._ends.append(len(self._text))
                self.plain = None
            return
        self._text += data
        self._ends.append(len(self._text))

    def __len__(self) -> int:
        return len(self.plain) if self.plain is not None else len(self._ends)

    def __getitem__(self, index: int) -> str:
        if self.plain is not None:
            return self.plain[index]
        if index < 0:
            raise IndexError(index)
        ends = self._ends
        start = ends[index - 1] if index else 0
        return self._text[start : ends[index]].decode("utf-8", "surrogatepass")


#: The shared strings kept as a plain list: up to about 60 MB of Python strings.
_LIST_STRINGS = 500_000
_LIST_BYTES = 32_000_000


class XlsxBook:
    """An XLSX/XLSM archive: its sheets, styles and shared strings, read with caps.

    ``unknown_formats`` collects the number format codes met in cells and shown as General
    because they are not understood (``readers.numfmt``).
    """

    def __init__(self, path: Path, name: str) -> None:
        self._name = name
        self.unknown_formats: set[str] = set()
        self._text_formats: list[TextFormatter | None] = []
        self._merges: dict[int, list[Merge]] = {}
        try:
            self._archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            # zipfile's own words ("File is not a zip file") name no fix; ours do.
            raise self._invalid("its ZIP archive is damaged or cut short") from exc
        except (OSError, ValueError) as exc:
            raise self._invalid(str(exc)) from exc
        try:
            self._present = {info.filename for info in self._archive.infolist()}
            self.sheet_names, self._members, self.date1904 = self._read_workbook()
            self._formats = self._read_styles()
            self._memos: list[dict[str, str]] = [{} for _ in self._formats]
            self._memo_room = _MEMO_SIZE
            self._shared = self._read_shared()
            self.unknown_formats.update(f for f in self._formats if isinstance(f, str))
        except (*ZIP_ERRORS, KeyError) as exc:
            self.close()
            raise self._invalid(str(exc) or type(exc).__name__) from exc
        except BaseException:
            self.close()
            raise

    def _invalid(self, why: str) -> InputError:
        return InputError(
            f"{self._name} is not a valid XLSX workbook ({why}); open it in Excel, save it "
            "again as .xlsx (or export CSV) and run again."
        )

    def close(self) -> None:
        """Close the archive."""
        archive = getattr(self, "_archive", None)
        if archive is not None:
            archive.close()

    # --- the workbook part ------------------------------------------------------------------

    def _part(self, member: str, cap: int = MAX_PART_BYTES) -> Generator[bytes, None, None]:
        return read_capped(self._archive, member, cap, self._name)

    def _read_workbook(self) -> tuple[list[str], list[str | None], bool]:
        """Sheet names in order, each one's XML member (None for a chart sheet or one
        missing), and whether dates count from 1904."""
        workbook = _find_part(self._present, "xl/workbook.xml")
        if workbook is None:
            raise self._invalid("there is no xl/workbook.xml in it")
        sheets: list[tuple[str, str]] = []
        date1904 = [False]

        def start(tag: str, attrs: dict[str, str]) -> None:
            tag = local(tag)
            if tag == "sheet":
                rid = next((v for k, v in attrs.items() if local(k) == "id"), "")
                sheets.append((attrs.get("name", ""), rid))
            elif tag == "workbookPr":
                date1904[0] = attrs.get("date1904", "").lower() in ("1", "true")

        parse_stream(self._part(workbook), start, None, None, self._name, workbook)
        folder, base = posixpath.split(workbook)
        rels_member = posixpath.join(folder, "_rels", base + ".rels")
        targets: dict[str, str] = {}

        def rel(tag: str, attrs: dict[str, str]) -> None:
            if local(tag) == "Relationship":
                targets[attrs.get("Id", "")] = attrs.get("Target", "")

        if rels_member in self._present:
            parse_stream(self._part(rels_member), rel, None, None, self._name, rels_member)
        names: list[str] = []
        members: list[str | None] = []
        for sheet_name, rid in sheets:
            target = targets.get(rid, "")
            member = None
            if target:
                path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
                member = _find_part(self._present, posixpath.normpath(path))
            if member is not None and "chartsheets/" in member:
                member = None
            names.append(sheet_name)
            members.append(member)
        return names, members, date1904[0]

    def _read_styles(self) -> list[Formatter | str]:
        """Per cell style index: a formatter, '@' for text, or the code not understood."""
        member = _find_part(self._present, "xl/styles.xml")
        if member is None:
            return []
        custom: dict[int, str] = {}
        xf_ids: list[int] = []
        where = {"cellXfs": False}

        def start(tag: str, attrs: dict[str, str]) -> None:
            tag = local(tag)
            if tag == "numFmt":
                with contextlib.suppress(ValueError):
                    custom[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
            elif tag == "cellXfs":
                where["cellXfs"] = True
            elif tag == "xf" and where["cellXfs"]:
                try:
                    xf_ids.append(int(attrs.get("numFmtId", "0")))
                except ValueError:
                    xf_ids.append(0)

        def end(tag: str) -> None:
            if local(tag) == "cellXfs":
                where["cellXfs"] = False

        parse_stream(self._part(member), start, end, None, self._name, member)
        formats: list[Formatter | str] = []
        # How a text cell of each style is shown: None (as it is) unless the code has a text
        # section with literals ('0;-0;0;"pre-"@').
        for fmt_id in xf_ids:
            code = _LOCALE_IDS.get(fmt_id) or custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id)
            self._text_formats.append(compile_text_format(code) if code else None)
            if code is None:
                formats.append(f"built-in format {fmt_id}")
                continue
            if code.strip() == "@":
                formats.append(general)
                continue
            compiled = compile_format(code, self.date1904)
            formats.append(compiled if compiled is not None else code)
        return formats

    def _read_shared(self) -> SharedStrings:
        member = _find_part(self._present, "xl/sharedStrings.xml")
        shared = SharedStrings()
        if member is None:
            return shared
        parts: list[str] = []
        state = {"keep": False, "phonetic": 0, "cell": 0}
        name = self._name

        def start(tag: str, attrs: dict[str, str]) -> None:
            tag = local(tag)
            if tag == "t":
                state["keep"] = state["phonetic"] == 0
            elif tag in ("rPh", "phoneticPr"):
                state["phonetic"] += 1
            elif tag == "si":
                parts.clear()
                state["cell"] = 0

        def end(tag: str) -> None:
            tag = local(tag)
            if tag == "t":
                state["keep"] = False
            elif tag in ("rPh", "phoneticPr"):
                state["phonetic"] -= 1
            elif tag == "si":
                shared.add("".join(parts))
                parts.clear()
                if len(shared) > MAX_SHARED_STRINGS or shared.size > MAX_SHARED_TEXT_BYTES:
                    raise WorkbookLimit(
                        f"{name} holds more than {MAX_SHARED_STRINGS:,} distinct texts or "
                        f"{MAX_SHARED_TEXT_BYTES // 1_000_000:,} MB of them, beyond what a lead "
                        "list needs; split the workbook or export CSV, and run again."
                    )

        def text(data: str) -> None:
            if state["keep"]:
                parts.append(data)
                state["cell"] += len(data)
                if state["cell"] > MAX_CELL_CHARS:
                    raise _cell_too_long(name)

        parse_stream(self._part(member, MAX_SHARED_BYTES), start, end, text, name, member)
        return shared

    # --- a sheet ----------------------------------------------------------------------------

    def rows(self, index: int, keep: int, *, merged: bool = True) -> Generator[Row, None, None]:
        """The sheet's rows in order, blank ones left out, each cell as displayed.

        Cells at or beyond column ``keep`` (0-based) are not placed: the non-empty ones are
        returned apart (the first 16), with the column of the last one. With ``merged``, a
        merged range over several rows gives its value to every row it covers
        (:meth:`merged_ranges`), as a person reading the sheet sees it.

        Raises:
            InputError: the sheet's XML is broken or beyond a cap.
        """
        rows = self._rows(index, keep)
        ranges = self.merged_ranges(index) if merged else []
        down = [r for r in ranges if r[2] > r[0] and r[1] < keep]
        return fill_merged(rows, down) if down else rows

    def merged_ranges(self, index: int) -> list[Merge]:
        """The sheet's merged ranges as (first row, first column, last row, last column),
        rows 1-based and columns 0-based, in row order; at most :data:`MAX_MERGES`.

        ``mergeCells`` follows the cells in the sheet's XML, so the part is inflated once,
        before its rows are streamed, keeping only its last blocks: what follows
        ``</sheetData>`` is searched as bytes (no XML parsing). When that is longer than the
        blocks kept (tens of thousands of ranges), the part is searched again as it is
        inflated."""
        if index in self._merges:
            return self._merges[index]
        member = self._members[index]
        found: list[Merge] = []
        if member is not None:
            try:
                kept: collections.deque[bytes] = collections.deque(maxlen=_MERGE_TAIL_BLOCKS)
                whole = True
                for block in self._part(member, MAX_SHEET_BYTES):
                    whole = whole and len(kept) < _MERGE_TAIL_BLOCKS
                    kept.append(block)
                tail = b"".join(kept)
                ends = [match.end() for match in _SHEET_DATA_END.finditer(tail)]
                if ends:
                    found = _merges_in(tail, ends[-1])
                elif whole:
                    found = _merges_in(tail, 0)
                else:
                    found = self._merges_searched(member)
            except ZIP_ERRORS as exc:
                raise self._invalid(str(exc) or type(exc).__name__) from exc
        found = sorted(set(found))
        self._merges[index] = found
        return found

    def _merges_searched(self, member: str) -> list[Merge]:
        """The merged ranges of a sheet, its whole part searched as it is inflated."""
        found: list[Merge] = []
        tail = b""
        inside = False
        for block in self._part(member, MAX_SHEET_BYTES):
            data = tail + block
            if not inside:
                at = data.find(b"mergeCells")
                if at < 0:
                    tail = data[-16:]
                    continue
                inside, data = True, data[at:]
            for match in _MERGE_REF.finditer(data):
                found.append(_merge(match))
                if len(found) >= MAX_MERGES:
                    break
            if len(found) >= MAX_MERGES or b"/mergeCells" in data:
                break
            cut = data.rfind(b"<")
            tail = data[cut:] if cut >= 0 else b""
        return found

    def _rows(self, index: int, keep: int) -> Generator[Row, None, None]:
        member = self._members[index]
        if member is None:
            return
        state = _FastState()
        try:
            yield from self._rows_fast(member, keep, state)
            return
        except _Unusual:
            pass
        # Something the patterns do not cover: the sheet again with expat, from the start,
        # past the rows already given (both ways give the same rows in the same order).
        rows = self._rows_expat(member, keep)
        try:
            for _ in itertools.islice(rows, state.yielded):
                pass
            yield from rows
        finally:
            rows.close()

    def _rows_fast(self, member: str, keep: int, state: _FastState) -> Generator[Row, None, None]:
        """The rows of a sheet written as spreadsheets write it, read with patterns.

        The cells (``<c r="B2" s="1" t="s"><v>7</v></c>`` and its variants: inline strings,
        formulas, no value) are matched by one regular expression per row, far cheaper than
        an XML parser's call per tag; a row holding anything else (rich text, attributes in
        another order, comments) is parsed alone with expat, and a sheet that does not look
        as expected (namespace prefixes, another encoding, a row larger than
        :data:`MAX_FAST_ROW_BYTES`) raises :class:`_Unusual` for the expat path. expat still
        checks everything around the rows (a DTD is refused, the document must be whole).
        """
        name = self._name
        blocks = self._part(member, MAX_SHEET_BYTES)
        checker = new_parser(None, None, None, name, member)
        try:
            head = b""
            for block in blocks:
                head += block
                at = head.find(b"<sheetData")
                if at >= 0 and head.find(b">", at) >= 0:
                    break
                if len(head) > MAX_FAST_ROW_BYTES:
                    raise _Unusual
            else:
                raise _Unusual  # no sheetData as such (a prefix?): expat finds the rows
            close = head.find(b">", at)
            if not _plain_head(head, at) or head[close - 1 : close] == b"/":
                raise _Unusual
            fed = feed(checker, head[: close + 1], 0, name, member)
            carry = head[close + 1 :]
            del head
            tail: bytes | None = None
            for block in itertools.chain((b"",), blocks):
                data = carry + block if carry else block
                end = data.rfind(b"</row>")
                # The rows end before </sheetData>: only what follows the last row is searched.
                stop = data.find(b"</sheetData>", max(end, 0))
                if stop >= 0:
                    yield from self._fast_region(data[:stop], keep, state)
                    tail = data[stop:]
                    break
                if end < 0:
                    carry = data
                    if len(carry) > MAX_FAST_ROW_BYTES:
                        raise _Unusual
                    continue
                end += 6
                carry = data[end:]
                yield from self._fast_region(data[:end], keep, state)
            if tail is None:
                raise _Unusual  # cut short: expat says where
            fed = feed(checker, tail, fed, name, member)
            for block in blocks:
                fed = feed(checker, block, fed, name, member)
            feed(checker, b"", fed, name, member)
        except ZIP_ERRORS as exc:
            raise self._invalid(str(exc) or type(exc).__name__) from exc
        finally:
            blocks.close()

    def _fast_region(
        self, region: bytes, keep: int, state: _FastState
    ) -> Generator[Row, None, None]:
        """The rows of whole ``<row>`` elements (and what lies between them)."""
        if region.translate(None, _XML_BYTES):
            # A control character XML does not allow: expat refuses it. (U+FFFE and U+FFFF,
            # refused too, are let through: looking for them costs more than they matter.)
            raise _Unusual
        try:
            text = region.decode("utf-8")
        except UnicodeDecodeError:
            raise _Unusual from None
        name = self._name
        shared = self._shared
        plain = shared.plain
        formats = self._formats
        styles = len(formats)
        display = self._display
        unknown = self.unknown_formats
        text_formats = self._text_formats if any(self._text_formats) else None
        columns = state.columns
        memos = state.memos
        quick = state.quick
        row_number = state.row_number
        cell_pattern = _CELL.findall
        cell_split = _CELL.split
        letters = _LETTERS
        plans = state.plans
        last_styles: list[str | None] = []
        last_kinds: list[str | None] = []
        last_plan: _Plan = []
        done: list[Row] = []
        pieces = text.split("</row>")
        for piece in pieces[:-1]:
            before = row_number
            opened = _ROW_TAG.match(piece)
            if opened is None:
                row_number = self._fragment(piece + "</row>", keep, row_number, done)
                continue
            r = opened.group(1)
            row_number = int(r) if r else row_number + 1
            if row_number > MAX_ROWS:
                raise _too_many_rows(name, row_number)
            # What no cell of most rows holds is looked for once per row, not per cell.
            escaped = "&" in piece or "\r" in piece
            long = len(piece) > MAX_CELL_CHARS
            if not (long or text_formats):
                # Most rows: cells A, B, C... in order, each matched. split() gives each
                # group of every cell as one list, so such a row is checked and built with
                # list operations; only cells that are not text are converted one by one.
                parts = cell_split(piece[opened.end() :])
                letters_of = parts[1::7]
                width = len(letters_of)
                if (
                    width <= keep
                    and not any(parts[6::7])
                    and not any(parts[0::7])
                    and letters_of == letters[:width]
                ):
                    cells = parts[5::7]
                    if escaped and not _unescape_all(cells):
                        row_number = self._fragment(piece + "</row>", keep, before, done)
                        continue
                    styles_of = parts[2::7]
                    kinds_of = parts[3::7]
                    # Rows mostly have the shape of the row before: two list comparisons
                    # instead of building and hashing the shape.
                    if styles_of == last_styles and kinds_of == last_kinds:
                        plan = last_plan
                    else:
                        shape = (tuple(styles_of), tuple(kinds_of))
                        known = plans.get(shape)
                        if known is None:
                            if len(plans) > 1000:
                                plans.clear()
                            known = plans[shape] = _plan(shape)
                        plan = known
                        last_styles, last_kinds, last_plan = styles_of, kinds_of, plan
                    for i, kind, s in plan:
                        value = cells[i]
                        if value is None:
                            continue
                        if kind == "s":
                            try:
                                cells[i] = (
                                    plain[int(value)] if plain is not None else shared[int(value)]
                                )
                            except (ValueError, IndexError):
                                cells[i] = ""
                        elif kind is None or kind == "n":
                            memo = memos.get(s, _UNSEEN)
                            if memo is _UNSEEN:
                                memo = memos[s] = self._memo_of(s)
                                quick[s] = self._plain_of(s)
                            if memo is None:  # General
                                if not (value.isdigit() and len(value) < 16):
                                    cells[i] = display(value, "n", int(s) if s else 0, unknown)
                            else:
                                cells[i] = (
                                    memo.get(value)
                                    or _quick_number(value, quick[s])
                                    or display(value, "n", int(s or 0), unknown)
                                )
                        else:
                            cells[i] = display(value, kind, int(s) if s else 0, unknown)
                    while cells and not cells[-1]:
                        cells.pop()
                    if cells:
                        if None in cells:
                            cells = [cell or "" for cell in cells]
                        done.append((row_number, cells, [], len(cells)))
                    continue
            cells = []
            far: list[str] = []
            last = 0
            n = 0  # len(cells)
            for letters_, s, kind, _v, value, other in cell_pattern(piece, opened.end()):
                if other:
                    break
                if not value:
                    continue
                if escaped and ("&" in value or "\r" in value):
                    value = _unescape(value)
                    if value is None:
                        break
                if long and len(value) > MAX_CELL_CHARS:
                    raise _cell_too_long(name)
                if kind == "s":
                    try:
                        text = plain[int(value)] if plain is not None else shared[int(value)]
                    except (ValueError, IndexError):
                        continue
                elif kind == "inlineStr" or kind == "str":
                    text = value
                elif not kind or kind == "n":
                    memo = memos.get(s, _UNSEEN)
                    if memo is _UNSEEN:
                        memo = memos[s] = self._memo_of(s)
                        quick[s] = self._plain_of(s)
                    if memo is None:  # General
                        if value.isdigit() and len(value) < 16:
                            text = value  # an integer: as written
                        else:
                            text = display(value, "n", int(s) if s else 0, unknown)
                    else:
                        text = (
                            memo.get(value)
                            or _quick_number(value, quick[s])
                            or display(value, "n", int(s or 0), unknown)
                        )
                else:
                    text = display(value, kind, int(s) if s else 0, unknown)
                if text_formats is not None and kind in _TEXT_KINDS:
                    style = int(s) if s else 0
                    if style < styles:
                        shown = text_formats[style]
                        if shown is not None:
                            text = shown(text)
                if not text:
                    continue
                col = columns.get(letters_)
                if col is None:
                    col = column_index(letters_)
                    columns[letters_] = col
                if col < keep:
                    last = col + 1
                    if col == n:
                        cells.append(text)
                        n += 1
                    elif col > n:
                        cells.extend([""] * (col - n))
                        cells.append(text)
                        n = col + 1
                    else:
                        cells[col] = text
                elif col < MAX_COLUMNS:
                    last = col + 1
                    if len(far) < 16:
                        far.append(text)
            else:
                if last:
                    done.append((row_number, cells, far, last))
                continue
            # A cell the pattern does not cover: this row alone through expat.
            row_number = self._fragment(piece + "</row>", keep, before, done)
        rest = pieces[-1]
        if rest.strip():
            row_number = self._fragment(rest, keep, row_number, done)
        state.row_number = row_number
        # Counted before they are given: a sheet found unusual further on has had them all.
        state.yielded += len(done)
        yield from done

    def _fragment(self, xml: str, keep: int, row_number: int, done: list[Row]) -> int:
        """Parse some rows' XML alone with expat (the rows go to ``done``); the number of the
        last row read."""
        member = "a row of the sheet"
        start, end, text, last_row = self._handlers(keep, done, row_number)
        parser = new_parser(start, end, text, self._name, member)
        try:
            feed(parser, b"<w>" + xml.encode("utf-8") + b"</w>", 0, self._name, member)
        except WorkbookLimit:
            raise
        except InputError:
            raise _Unusual from None  # broken XML: the expat path says where
        return last_row()

    def _rows_expat(self, member: str, keep: int) -> Generator[Row, None, None]:
        """The sheet's rows through expat, one Python call per tag: any sheet XML."""
        name = self._name
        done: list[Row] = []
        start, end, text, _last_row = self._handlers(keep, done, 0)
        parser = new_parser(start, end, text, name, member)
        fed = 0
        try:
            for block in self._part(member, MAX_SHEET_BYTES):
                fed = feed(parser, block, fed, name, member)
                if done:
                    yield from done
                    done.clear()
            feed(parser, b"", fed, name, member)
        except ZIP_ERRORS as exc:
            raise self._invalid(str(exc) or type(exc).__name__) from exc
        yield from done
        done.clear()

    def _handlers(
        self, keep: int, done: list[Row], first_row: int
    ) -> tuple[
        Callable[[str, dict[str, str]], None],
        Callable[[str], None],
        Callable[[str], None],
        Callable[[], int],
    ]:
        """expat's handlers for a sheet's rows, which append each row read to ``done``, and
        a function that gives the number of the last row begun."""
        name = self._name
        shared = self._shared
        plain = shared.plain
        formats = self._formats
        styles = len(formats)
        display = self._display
        unknown = self.unknown_formats
        text_formats = self._text_formats if any(self._text_formats) else None
        codes = dict(_TAG_CODES)
        columns: dict[str, int] = {}
        # The parser's state lives in locals of the closures below: expat calls them a few
        # million times for a large sheet, so every attribute lookup saved counts.
        row_number = first_row
        cells: list[str] = []
        far: list[str] = []
        last = 0
        col = -1
        kind = ""
        style = 0
        in_value = False
        in_inline = False
        value: str | None = None

        def start(tag: str, attrs: dict[str, str]) -> None:
            nonlocal row_number, cells, far, last, col, kind, style, in_value, in_inline, value
            code = codes.get(tag)
            if code is None:
                code = _tag_code(codes, tag)
            if code == 1:  # c
                ref = attrs.get("r")
                if ref:
                    letters = ref.rstrip("0123456789")
                    found = columns.get(letters)
                    if found is None:
                        found = max(column_index(letters), 0)
                        if len(columns) < 20_000:
                            columns[letters] = found
                    col = found
                else:
                    col += 1
                kind = attrs.get("t", "n")
                s = attrs.get("s")
                style = int(s) if s else 0
                value = None
            elif code == 2 or (code == 3 and in_inline):  # v, or t of an inline string
                in_value = True
            elif code == 4:  # is
                in_inline = True
            elif code == 5:  # row
                r = attrs.get("r")
                row_number = int(r) if r else row_number + 1
                if row_number > MAX_ROWS:
                    raise _too_many_rows(name, row_number)
                cells = []
                far = []
                last = 0
                col = -1
            elif code == 6:  # rPh: a phonetic guide, not part of the text
                in_inline = False

        def end(tag: str) -> None:
            nonlocal in_value, in_inline, last
            code = codes.get(tag)
            if code is None:
                code = _tag_code(codes, tag)
            if code == 1:  # c
                in_value = False
                in_inline = False
                if value is None:
                    return
                if kind == "s":
                    try:
                        text = plain[int(value)] if plain is not None else shared[int(value)]
                    except (ValueError, IndexError):
                        return
                elif kind == "n":
                    fmt = formats[style] if style < styles else general
                    if fmt is general and value.isdigit() and len(value) < 16:
                        text = value  # an integer under General: as written
                    else:
                        text = display(value, kind, style, unknown)
                elif kind == "inlineStr" or kind == "str":
                    text = value
                else:
                    text = display(value, kind, style, unknown)
                if text_formats is not None and kind in _TEXT_KINDS and style < styles:
                    shown = text_formats[style]
                    if shown is not None:
                        text = shown(text)
                if not text or col >= MAX_COLUMNS:
                    return
                last = col + 1
                if col < keep:
                    n = len(cells)
                    if col == n:
                        cells.append(text)
                    elif col > n:
                        cells.extend([""] * (col - n))
                        cells.append(text)
                    else:
                        cells[col] = text
                elif len(far) < 16:
                    far.append(text)
            elif code == 2 or code == 3:
                in_value = False
            elif code == 5:
                if last:
                    done.append((row_number, cells, far, last))
            elif code == 4:
                in_inline = False

        def text(data: str) -> None:
            nonlocal value
            if in_value:
                if value is None:
                    value = data
                else:
                    value += data
                    if len(value) > MAX_CELL_CHARS:
                        raise _cell_too_long(name)

        def last_row() -> int:
            return row_number

        return start, end, text, last_row

    def _display(self, raw: str, kind: str, style: int, unknown: set[str]) -> str:
        """One cell's stored value as the text the spreadsheet shows."""
        if kind == "s":
            try:
                return self._shared[int(raw)]
            except (ValueError, IndexError):
                return ""
        if kind == "n":
            # A column of dates or amounts repeats its values: each is formatted once.
            memo = self._memos[style] if style < len(self._memos) else None
            if memo is not None:
                shown = memo.get(raw)
                if shown is not None:
                    return shown
            shown = self._number(raw, style, unknown)
            if memo is not None and self._memo_room:
                memo[raw] = shown
                self._memo_room -= 1
            return shown
        if kind == "b":
            return "TRUE" if raw.strip() in ("1", "true") else "FALSE"
        if kind == "e":
            return ""  # #N/A, #DIV/0!: no value a lead can carry
        return raw  # str (a formula's text), inlineStr, d (an ISO date as written)

    def _memo_of(self, s: str | None) -> dict[str, str] | None:
        """The memo of number texts of the style an ``s`` attribute names; None when its
        numbers show as General (or the style does not exist)."""
        style = int(s) if s else 0
        if style >= len(self._formats) or self._formats[style] is general:
            return None
        return self._memos[style]

    def _plain_of(self, s: str | None) -> PlainNumber | None:
        """The format of the style an ``s`` attribute names when it is a plain number
        format (``#,##0.00``), else None."""
        style = int(s) if s else 0
        fmt = self._formats[style] if style < len(self._formats) else None
        return fmt if isinstance(fmt, PlainNumber) else None

    def _number(self, raw: str, style: int, unknown: set[str]) -> str:
        """A number cell's text under its style's format."""
        try:
            number = float(raw)
        except ValueError:
            return raw
        fmt = self._formats[style] if style < len(self._formats) else general
        if fmt is general:
            return general(number)
        if isinstance(fmt, str):
            unknown.add(fmt)
            return general(number)
        try:
            return fmt(number)
        except (ValueError, OverflowError, ArithmeticError):
            unknown.add(f"{number!r} under its date format")
            return general(number)


#: Cell types holding text (a shared string, an inline string, a formula's text).
_TEXT_KINDS = frozenset({"s", "inlineStr", "str"})

#: A row the fast path holds whole before it gives the sheet to expat: far more than any
#: lead list's row, and a bound on what a row without an end may cost.
MAX_FAST_ROW_BYTES = 8 << 20


class _Unusual(Exception):
    """The sheet holds what the fast path does not read: the expat path reads it."""


class _FastState:
    """What the fast path carries from one block of rows to the next."""

    def __init__(self) -> None:
        self.row_number = 0
        #: Rows handed out: the expat path, when it takes over, starts after them.
        self.yielded = 0
        self.columns: dict[str, int] = {}
        #: Per ``s`` attribute: the memo of its style's number texts, None for General.
        self.memos: dict[str | None, dict[str, str] | None] = {}
        #: Per ``s`` attribute met: its style's format when it is a :class:`PlainNumber`.
        self.quick: dict[str | None, PlainNumber | None] = {}
        #: Per row shape (each cell's style and type): the cells to convert (:func:`_plan`).
        self.plans: dict[tuple[tuple[str | None, ...], tuple[str | None, ...]], _Plan] = {}


#: One cell as spreadsheets write it, groups: column letters, style, type, whether the value
#: is a <v>, the value (<v> or an inline string's text); or (last group) any other character
#: outside a cell, which sends the row to expat.
#: Written for the regex engine's speed (half the time of the plain form): an optional part
#: is a branch with an empty side, ``(?:X|)``, not ``(?:X)?`` (the engine's general repeat,
#: which saves state at every step), and the runs are possessive (``++``), which is the same
#: match since what follows each run cannot start inside it.
_CELL = re.compile(
    r'<c r="([A-Z]{1,3}+)[0-9]*+"(?: s="([0-9]++)"|)(?: t="([a-zA-Z]++)"|)'
    r"(?: ?/>|>(?:<f\b[^>]*?(?:/>|>[^<]*</f>)|)"
    r'(?:(?:<is><t(?: xml:space="preserve"|)>|(<v>))([^<]*+)(?(4)</v>|</t></is>)|<v ?/>|)</c>)'
    r"|(\S)"
)
#: Column letters in order, for telling a row whose cells are A, B, C... at once.
_LETTERS = [column_name(n) for n in range(1, 1 + 2048)]
#: The cells of a row shape to convert: (position, type, style) of each that is not text.
_Plan = list[tuple[int, str | None, str | None]]


def _plan(shape: tuple[tuple[str | None, ...], tuple[str | None, ...]]) -> _Plan:
    styles, kinds = shape
    return [
        (i, kind, style)
        for i, (style, kind) in enumerate(zip(styles, kinds, strict=True))
        if kind != "inlineStr" and kind != "str"
    ]


#: A row's start tag, its number the first attribute (as every writer puts it) or none;
#: written for speed as :data:`_CELL` is, and a tag with only its number ends at once.
_ROW_TAG = re.compile(
    r'\s*+<row(?: r="([0-9]++)"|)(?:>|(?: (?!r=)[a-zA-Z][\w:.-]*+="[^"<]*+")*+\s*+>)'
)
#: Characters XML 1.0 does not allow (expat refuses them).
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: The bytes XML 1.0 allows (all but the C0 controls other than tab and line ends).
_XML_BYTES = bytes(b for b in range(256) if b >= 0x20 or b in (0x09, 0x0A, 0x0D))
_ENTITY = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding=["']([^"']*)["']""")


def _plain_head(head: bytes, at: int) -> bool:
    """Does a sheet's XML up to its ``<sheetData`` (at ``at``) suit the fast path: UTF-8,
    no comment or DTD before it, ``sheetData`` itself and not a longer name?"""
    if head[at + 10 : at + 11] not in (b">", b" ", b"/", b"\t", b"\n", b"\r"):
        return False
    if b"<!" in head[:at] or head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return False
    declared = _ENCODING.match(head)
    return declared is None or declared.group(1).lower() in (b"utf-8", b"utf8")


def _unescape(value: str) -> str | None:
    """A cell's raw text as XML reads it (line ends, the five entities, character
    references); None for what expat would refuse."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if "&" not in value:
        return value
    bad = False

    def one(match: re.Match[str]) -> str:
        nonlocal bad
        named, decimal, hexa = match.groups()
        if named:
            return _NAMED[named]
        code = int(decimal) if decimal else int(hexa, 16)
        char = chr(code) if code <= 0x10FFFF else ""
        if not char or _NOT_XML_CHARS.match(char) or 0xD800 <= code <= 0xDFFF:
            bad = True
        return char

    out = _ENTITY.sub(one, value)
    if bad or "&" in _ENTITY.sub("", value):
        return None
    return out


def _quick_number(raw: str, fmt: PlainNumber | None) -> str | None:
    """A number cell's text under a plain number format, straight from the text written when
    it is digits with no more decimals than the format shows (nothing to round: the text
    :class:`PlainNumber` gives); None when the format is not plain or the text needs more."""
    if fmt is None or not raw.isascii():
        return None
    whole, dot, decimals = raw.partition(".")
    if not whole.isdigit() or len(whole) > 9:
        return None
    if not dot:
        return format(int(whole), fmt.spec)
    if decimals.isdigit() and len(decimals) <= fmt.decimals:
        return format(float(raw), fmt.spec)
    return None


def _unescape_all(values: list[str | None]) -> bool:
    """Unescape the values holding an entity or a carriage return, in place; False when one
    holds what expat would refuse."""
    for i, value in enumerate(values):
        if value and ("&" in value or "\r" in value):
            plain = _unescape(value)
            if plain is None:
                return False
            values[i] = plain
    return True


def _too_many_rows(name: str, row_number: int) -> WorkbookLimit:
    return WorkbookLimit(
        f"{name}: row {row_number:,} is beyond the {MAX_ROWS:,} rows a sheet can hold; open "
        "it in Excel, save it again or export CSV."
    )


#: Marks an ``s`` attribute not met yet.
_UNSEEN: dict[str, str] = {}
#: Number texts remembered (per cell style) with what they show, in all: a few MB at most.
_MEMO_SIZE = 50_000

_TAG_CODES = {"c": 1, "v": 2, "t": 3, "is": 4, "row": 5, "rPh": 6}


def _tag_code(codes: dict[str, int], tag: str) -> int:
    """The code of a tag met with a namespace prefix (``x:c``), remembered."""
    code = _TAG_CODES.get(local(tag), 0)
    if len(codes) < 1000:
        codes[tag] = code
    return code


def _merges_in(data: bytes, start: int) -> list[Merge]:
    """The merged ranges listed in ``data`` from ``start`` on (at most :data:`MAX_MERGES`)."""
    at = data.find(b"mergeCells", start)
    if at < 0:
        return []
    return [_merge(m) for m in itertools.islice(_MERGE_REF.finditer(data, at), MAX_MERGES)]


def _merge(match: re.Match[bytes]) -> Merge:
    first_col, first_row, last_col, last_row = (g.decode("ascii") for g in match.groups())
    r1, r2 = sorted((int(first_row), int(last_row)))
    c1, c2 = sorted((column_index(first_col), column_index(last_col)))
    return r1, c1, r2, c2


def fill_merged(rows: Iterator[Row], merges: list[Merge]) -> Generator[Row, None, None]:
    """``rows`` with the value of each merged range's first cell in every other row the
    range covers (in the range's first column). A row blank but for the range is still left
    out: it holds no lead. ``merges`` go down (last row > first row)."""
    waiting = sorted(merges)  # not begun: their first row is not read yet
    at = 0
    active: list[tuple[int, int, str]] = []  # (last row, column, value) of begun ranges
    for number, cells, far, last in rows:
        if active:
            active = [a for a in active if a[0] >= number]
        # Ranges that begin on a row left out (blank) have no value to give.
        while at < len(waiting) and waiting[at][0] < number:
            at += 1
        if active:
            cells = _covered(active, cells)
            last = max(last, len(cells))
        while at < len(waiting) and waiting[at][0] == number:
            _r1, c1, r2, _c2 = waiting[at]
            if c1 < len(cells) and cells[c1]:
                active.append((r2, c1, cells[c1]))
            at += 1
        yield number, cells, far, last


def _covered(active: list[tuple[int, int, str]], cells: list[str]) -> list[str]:
    """``cells`` with the value of each active range in its column, where empty."""
    out = cells
    for _last, col, value in active:
        if col >= len(out):
            out = out + [""] * (col + 1 - len(out))
        if not out[col]:
            out = out.copy() if out is cells else out
            out[col] = value
    return out


def _cell_too_long(name: str) -> WorkbookLimit:
    return WorkbookLimit(
        f"{name} holds a cell longer than {MAX_CELL_CHARS:,} characters, far beyond the "
        "32,767 Excel allows; open it in Excel, save it again or export CSV."
    )


def _find_part(present: set[str], member: str) -> str | None:
    """The member as named in the archive (parts are case-insensitive in OPC)."""
    if member in present:
        return member
    folded = member.casefold()
    return next((p for p in present if p.casefold() == folded), None)
