"""CSV files: the header and delimiter, a cheap structural check, and physical line numbers.

Polars reads CSV fast but pads a short row with empty cells without a word, so every CSV file gets
one structural pass first: pyarrow's multi-threaded C++ parser counts the fields of every record
(only the first column is converted, so it costs about one tokenizing pass and no memory). Only
when it finds a problem does a slow Python `csv` pass run, to name the exact row and line.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from segcli.errors import InputError

if TYPE_CHECKING:
    import _csv
    from collections.abc import Iterable, Iterator

    from segcli.inputs.sources import SourceFile

_DELIMITERS = (",", ";", "\t", "|")
_HEAD_BYTES = 1 << 20
# The csv module refuses a field longer than its limit (128 KiB unless raised), calling it a
# quoting error. A cell is as long as its file makes it, so every csv reader of segcli comes
# from `csv_reader`, with the limit at the largest a C long holds on every platform.
FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)


def csv_reader(lines: Iterable[str], *, delimiter: str = ",", strict: bool = False) -> _csv.Reader:
    """`csv.reader` over `lines`, for cells of any length up to FIELD_LIMIT characters."""
    csv.field_size_limit(FIELD_LIMIT)
    return csv.reader(lines, delimiter=delimiter, strict=strict)


@dataclass(frozen=True, slots=True)
class CsvDialect:
    delimiter: str
    encoding: str  # a Python codec name; "utf-8-sig" for UTF-8 (a BOM is skipped)
    header: tuple[str, ...]


def python_codec(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return "utf-8-sig" if name in {"utf-8", "utf-8-sig"} else name


def read_dialect(source: SourceFile, encoding: str, delimiter: str | None) -> CsvDialect:
    """The header and delimiter of a CSV file; an empty file or a duplicate header is an error."""
    codec = python_codec(encoding)
    with source.open_binary() as handle:
        head = handle.read(_HEAD_BYTES)
    try:
        text = codecs.getincrementaldecoder(codec)().decode(head, final=False)
    except UnicodeDecodeError as err:
        raise InputError(
            f"{source.name}: byte {err.start + 1} is not valid {encoding}; "
            "set `encoding:` (e.g. cp1252) in segcli.yaml"
        ) from None
    if not text.strip():
        raise InputError(
            f"{source.name}: line 1: the file is empty (no header row); "
            "export it again with a header row"
        )
    first_line = text.splitlines()[0]
    sep = delimiter or _sniff_delimiter(first_line)
    header = tuple(next(csv_reader(io.StringIO(text), delimiter=sep)))
    _check_header(source, header)
    return CsvDialect(sep, codec, header)


def _sniff_delimiter(line: str) -> str:
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _check_header(source: SourceFile, header: tuple[str, ...]) -> None:
    seen: dict[str, int] = {}
    for number, name in enumerate(header, 1):
        if name in seen:
            raise InputError(
                f"{source.name}: line 1 (header), column '{name}' appears twice "
                f"(columns {seen[name]} and {number}); rename or remove one of them"
            )
        seen[name] = number


@contextmanager
def open_text(source: SourceFile, codec: str) -> Iterator[io.TextIOWrapper]:
    with source.open_binary() as raw:
        yield io.TextIOWrapper(raw, encoding=codec, newline="")


def check_structure(source: SourceFile, dialect: CsvDialect) -> None:
    """Raise InputError naming the first row whose field count differs from the header's."""
    import pyarrow as pa  # type: ignore[import-untyped]  # noqa: PLC0415
    import pyarrow.csv as pacsv  # type: ignore[import-untyped]  # noqa: PLC0415

    width = len(dialect.header)
    problems: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        problems.append(row.actual_columns)
        return "error"

    names = [f"c{i}" for i in range(width)]
    try:
        with pa.input_stream(str(source.path), compression="gzip" if source.gzipped else None) as s:
            reader = pacsv.open_csv(
                s,
                read_options=pacsv.ReadOptions(
                    skip_rows=1, column_names=names, encoding=_arrow_codec(dialect.encoding)
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=dialect.delimiter,
                    newlines_in_values=True,
                    invalid_row_handler=on_invalid,
                ),
                convert_options=pacsv.ConvertOptions(
                    include_columns=names[:1], column_types={names[0]: pa.string()}
                ),
            )
            for _batch in reader:
                pass
    except (pa.ArrowInvalid, OSError):
        problems.append(-1)
    if problems:
        message = diagnose(source, dialect)
        if message is not None:
            raise InputError(message)


def _arrow_codec(codec: str) -> str:
    return "utf8" if codec == "utf-8-sig" else codec


def diagnose(source: SourceFile, dialect: CsvDialect) -> str | None:
    """The one-line message for the first malformed record, found by a careful Python pass."""
    header = dialect.header
    width = len(header)
    with open_text(source, dialect.encoding) as text:
        reader = csv_reader(text, delimiter=dialect.delimiter, strict=True)
        row_number = 0
        start = 1
        try:
            next(reader)
            start = reader.line_num + 1
            for row in reader:
                row_number += 1
                if row and len(row) != width:
                    return _ragged_message(source, row_number, start, len(row), header)
                start = reader.line_num + 1
        except csv.Error as err:
            fields = _last_record_width(source, dialect) if "end of data" in str(err) else 0
            return _quote_message(source, row_number + 1, start, str(err), header[:fields])
    return None


def _last_record_width(source: SourceFile, dialect: CsvDialect) -> int:
    """How many fields the last record has, reading leniently (it may end inside a quote)."""
    width = 0
    with open_text(source, dialect.encoding) as text:
        for row in csv_reader(text, delimiter=dialect.delimiter):
            width = len(row)
    return width


def _ragged_message(
    source: SourceFile, row: int, line: int, fields: int, header: tuple[str, ...]
) -> str:
    where = f"{source.name}: row {row} (line {line})"
    if fields < len(header):
        return (
            f"{where} has {fields} fields but the header has {len(header)}: column "
            f"'{header[fields]}' and after are missing; fix or remove that row and re-run"
        )
    return (
        f"{where} has {fields} fields but the header has {len(header)}: extra fields after "
        f"column '{header[-1]}' (an unquoted delimiter?); quote that value or fix the row"
    )


def _quote_message(
    source: SourceFile, row: int, line: int, error: str, columns: tuple[str, ...]
) -> str:
    where = f"{source.name}: row {row} (line {line})"
    if "end of data" in error:
        column = f"column '{columns[-1]}'" if columns else "a field"
        return (
            f"{where} ends inside an open quote in {column} at the end of the file: "
            "the file looks truncated; export it again or cut off its last row"
        )
    if "field limit" in error:
        return (
            f"{where}: a cell is longer than {FIELD_LIMIT} characters, the most segcli reads "
            "in one cell; shorten that value or leave its column out of the export"
        )
    return f"{where}: malformed quoting ({error}); quote the whole field and double inner quotes"


def record_line(source: SourceFile, dialect: CsvDialect, data_row: int) -> int | None:
    """The physical line where data row `data_row` (1-based, blank lines count) starts."""
    with open_text(source, dialect.encoding) as text:
        reader = csv_reader(text, delimiter=dialect.delimiter)
        try:
            next(reader)
            start = reader.line_num + 1
            for number, _row in enumerate(reader, 1):
                if number == data_row:
                    return start
                start = reader.line_num + 1
        except (csv.Error, StopIteration):
            return None
    return None
