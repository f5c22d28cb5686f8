"""A zip archive written front to back, for a sink that need not be seekable (an HTTP stream).

Entries are deflated with ISA-L (the `isal` package), about four times as fast as zlib at level 1 and as small: the
sheet of a million-row .xlsx is about 2 GB of XML, which would take zlib 3-4 s of the 20 s an export may take.
An entry whose size is not known in advance (`ZipWriter.stream`) has its CRC and sizes in a data descriptor after
its data (general purpose flag bit 3), as streaming zip writers do. No Zip64: an entry or archive past 4 GiB is
refused with `TooLarge`.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from isal import isal_zlib

LIMIT = 0xFFFF_FFFF
DEFLATED = 8
VERSION = 20  # 2.0: deflate, data descriptors
DESCRIPTOR_FLAG = 0x08


class TooLarge(Exception):
    """An entry or the archive passed 4 GiB, the most a zip archive without Zip64 holds."""


class Entry:
    """An entry being written: `write` compresses and writes each piece of its data at once."""

    def __init__(self, archive: ZipWriter, level: int) -> None:
        self.archive = archive
        self.compressor = isal_zlib.compressobj(level, isal_zlib.DEFLATED, -15)
        self.crc = 0
        self.size = 0
        self.compressed = 0

    def write(self, data: bytes | memoryview) -> None:
        self.crc = isal_zlib.crc32(data, self.crc)
        self.size += len(data) if isinstance(data, bytes) else memoryview(data).nbytes
        if self.size > LIMIT:
            raise TooLarge(f"a zip entry holds at most {LIMIT:,} bytes")
        self._out(self.compressor.compress(data))

    def finish(self) -> None:
        self._out(self.compressor.flush())

    def _out(self, data: bytes) -> None:
        if data:
            self.compressed += len(data)
            self.archive.out(data)


class ZipWriter:
    """Entries written one after the other to `sink`; `close` writes the central directory."""

    def __init__(self, sink: BinaryIO, *, level: int = 1) -> None:
        self.sink = sink
        self.level = level
        self.position = 0
        self.directory: list[bytes] = []
        moment = time.localtime()
        self.time = moment.tm_hour << 11 | moment.tm_min << 5 | moment.tm_sec // 2
        self.date = max(moment.tm_year - 1980, 0) << 9 | moment.tm_mon << 5 | moment.tm_mday

    def out(self, data: bytes) -> None:
        self.sink.write(data)
        self.position += len(data)
        if self.position > LIMIT:
            raise TooLarge(f"a zip archive without Zip64 holds at most {LIMIT:,} bytes")

    def add(self, name: str, data: bytes) -> None:
        """An entry whose data is all here: sizes and CRC in its header."""
        entry = Entry(self, self.level)
        compressed = entry.compressor.compress(data) + entry.compressor.flush()
        crc = isal_zlib.crc32(data)
        offset = self.position
        self.out(self._header(0x04034B50, name, 0, crc, len(compressed), len(data)))
        self.out(compressed)
        self.directory.append(self._header(0x02014B50, name, 0, crc, len(compressed), len(data), offset))

    @contextmanager
    def stream(self, name: str) -> Iterator[Entry]:
        """An entry written piece by piece; its sizes and CRC follow its data in a data descriptor."""
        offset = self.position
        self.out(self._header(0x04034B50, name, DESCRIPTOR_FLAG, 0, 0, 0))
        entry = Entry(self, self.level)
        yield entry
        entry.finish()
        self.out(struct.pack("<4I", 0x08074B50, entry.crc, entry.compressed, entry.size))
        self.directory.append(self._header(0x02014B50, name, DESCRIPTOR_FLAG, entry.crc, entry.compressed,
                                           entry.size, offset))

    def close(self) -> None:
        start = self.position
        for record in self.directory:
            self.out(record)
        count = len(self.directory)
        self.out(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, self.position - start, start, 0))

    def _header(self, signature: int, name: str, flags: int, crc: int, compressed: int, size: int,
                offset: int | None = None) -> bytes:
        """A local file header, or with `offset` (of the local header) a central directory record."""
        encoded = name.encode("ascii")
        fields = (flags, DEFLATED, self.time, self.date, crc, compressed, size, len(encoded), 0)
        if offset is None:
            return struct.pack("<IHHHHHIIIHH", signature, VERSION, *fields) + encoded
        return struct.pack("<IHHHHHHIIIHHHHHII", signature, VERSION, VERSION, *fields, 0, 0, 0, 0,
                           offset) + encoded
