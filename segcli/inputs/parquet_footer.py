"""Null counts and row-group sizes from a Parquet file's footer, read without pyarrow.

A reader asks the footer which columns hold no null (their typed cells then need no guard).
Importing pyarrow (and the numpy it loads) for that costs more than the rest of a small
command's start-up; the few fields needed are read here straight from the footer's Thrift
compact encoding (parquet-format's `FileMetaData`), skipping everything else unbuilt.
"""

from __future__ import annotations

import os
import struct
from functools import lru_cache
from pathlib import Path

_MAGIC = b"PAR1"  # an encrypted footer ("PARE") is not read: the guards stay
_TAIL = 8  # footer length (4 bytes, little-endian) + magic

# Thrift compact protocol type ids (1 and 2 are a bool, true and false)
_BOOL, _BYTE, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = 2, 3, 6, 7, 8, 9, 10, 11, 12

# parquet-format field ids on the way to a column chunk's null count
_ROW_GROUPS = 4  # FileMetaData.row_groups: list<RowGroup>
_COLUMNS = 1  # RowGroup.columns: list<ColumnChunk>
_NUM_ROWS = 3  # RowGroup.num_rows: i64
_META_DATA = 3  # ColumnChunk.meta_data: ColumnMetaData
_PATH = 3  # ColumnMetaData.path_in_schema: list<binary>
_STATISTICS = 12  # ColumnMetaData.statistics: Statistics
_NULL_COUNT = 3  # Statistics.null_count: i64


def null_free_columns(path: Path) -> frozenset[str]:
    """Top-level columns whose every row group's statistics count zero nulls: a column without
    statistics, or nested, is not listed. ValueError when the file has no plain Parquet footer
    (too short, another magic, encrypted, cut off)."""
    return _facts(path)[0]


def row_group_rows(path: Path) -> tuple[int, ...]:
    """The number of rows of each row group, in order (ValueError as for `null_free_columns`)."""
    return _facts(path)[1]


def _facts(path: Path) -> tuple[frozenset[str], tuple[int, ...]]:
    """Kept per file and version: commands open the same file several times."""
    stat = path.stat()
    return _read_facts(path, (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns))


@lru_cache(maxsize=64)
def _read_facts(
    path: Path,
    version: tuple[int, ...],  # noqa: ARG001 - the cache key
) -> tuple[frozenset[str], tuple[int, ...]]:
    data = _footer_bytes(path)
    try:
        return _Footer(data).facts()
    except IndexError:
        msg = "the Parquet footer is cut off"
        raise ValueError(msg) from None


def _footer_bytes(path: Path) -> bytes:
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size < _TAIL + len(_MAGIC):
            msg = "too short for Parquet"
            raise ValueError(msg)
        handle.seek(size - _TAIL)
        (length,), magic = struct.unpack("<I", handle.read(4)), handle.read(4)
        if magic != _MAGIC or length > size - _TAIL - len(_MAGIC):
            msg = "not a plain Parquet footer"
            raise ValueError(msg)
        handle.seek(size - _TAIL - length)
        return handle.read(length)


class _Footer:
    """A cursor over the footer's Thrift compact bytes."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def facts(self) -> tuple[frozenset[str], tuple[int, ...]]:
        """The columns without nulls in every row group, and each row group's number of rows."""
        free: set[str] | None = None
        rows: list[int] = []
        for field, kind in self.fields():
            if field != _ROW_GROUPS or kind != _LIST:
                self.skip(kind)
                continue
            for _ in range(self.list_header(_STRUCT)):
                here, count = self.row_group()
                free = here if free is None else free & here
                rows.append(count)
        return frozenset(free or ()), tuple(rows)

    def row_group(self) -> tuple[set[str], int]:
        """The row group's top-level columns with a null count of zero, and its rows."""
        here: set[str] = set()
        rows = 0
        for field, kind in self.fields():
            if field == _NUM_ROWS and kind == _I64:
                rows = self.zigzag()
                continue
            if field != _COLUMNS or kind != _LIST:
                self.skip(kind)
                continue
            for _ in range(self.list_header(_STRUCT)):
                for chunk_field, chunk_kind in self.fields():
                    if chunk_field == _META_DATA and chunk_kind == _STRUCT:
                        name = self.column_meta_data()
                        here.update([name] if name is not None else [])
                    else:
                        self.skip(chunk_kind)
        return here, rows

    def column_meta_data(self) -> str | None:
        """The column's name when it is top-level and its statistics count no null."""
        path: list[bytes] = []
        nulls: int | None = None
        for field, kind in self.fields():
            if field == _PATH and kind == _LIST:
                path = [self.binary() for _ in range(self.list_header(_BINARY))]
            elif field == _STATISTICS and kind == _STRUCT:
                nulls = self.null_count()
            else:
                self.skip(kind)
        return path[0].decode("utf-8") if nulls == 0 and len(path) == 1 else None

    def null_count(self) -> int | None:
        count = None
        for field, kind in self.fields():
            if field == _NULL_COUNT and kind == _I64:
                count = self.zigzag()
            else:
                self.skip(kind)
        return count

    def fields(self) -> _Fields:
        return _Fields(self)

    def varint(self) -> int:
        data, at = self.data, self.at
        result = shift = 0
        while True:
            byte = data[at]
            at += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:  # the continuation bit clear: the last byte
                self.at = at
                return result
            shift += 7

    def zigzag(self) -> int:
        value = self.varint()
        return (value >> 1) ^ -(value & 1)

    def binary(self) -> bytes:
        size = self.varint()
        self.at += size
        return self.data[self.at - size : self.at]

    def list_header(self, expected: int) -> int:
        """A list's size; ValueError when its elements are not of the `expected` type."""
        header = self.data[self.at]
        self.at += 1
        size = header >> 4
        if header & 0x0F != expected:
            msg = "unexpected Parquet footer layout"
            raise ValueError(msg)
        return self.varint() if size == 0x0F else size  # 15: the size follows

    def skip(self, kind: int, *, element: bool = False) -> None:
        """Past one value; `element`: of a list, set or map, where a bool takes a byte."""
        if kind <= _BOOL:
            self.at += 1 if element else 0
        elif kind == _BYTE:
            self.at += 1
        elif kind <= _I64:
            self.varint()
        elif kind == _DOUBLE:
            self.at += 8
        elif kind == _BINARY:
            size = self.varint()  # moves `at` past the size first
            self.at += size
        elif kind in {_LIST, _SET}:
            self._skip_list()
        elif kind == _MAP:
            self._skip_map()
        elif kind == _STRUCT:
            for _, field_kind in self.fields():
                self.skip(field_kind)
        else:
            msg = f"unknown Thrift type {kind} in the Parquet footer"
            raise ValueError(msg)

    def _skip_list(self) -> None:
        header = self.data[self.at]
        self.at += 1
        size, kind = header >> 4, header & 0x0F
        size = self.varint() if size == 0x0F else size  # 15: the size follows
        for _ in range(size):
            self.skip(kind, element=True)

    def _skip_map(self) -> None:
        size = self.varint()
        if size:
            kinds = self.data[self.at]
            self.at += 1
            for _ in range(size):
                self.skip(kinds >> 4, element=True)
                self.skip(kinds & 0x0F, element=True)


class _Fields:
    """A struct's (field id, type) pairs, read as they are iterated, up to its stop byte; the
    caller reads or skips each value before asking for the next."""

    def __init__(self, footer: _Footer) -> None:
        self.footer, self.last = footer, 0

    def __iter__(self) -> _Fields:
        return self

    def __next__(self) -> tuple[int, int]:
        footer = self.footer
        header = footer.data[footer.at]
        footer.at += 1
        if header == 0:
            raise StopIteration
        delta = header >> 4
        self.last = self.last + delta if delta else footer.zigzag()
        return self.last, header & 0x0F
