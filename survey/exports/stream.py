"""Threads that overlap the parts of an export: reading ahead of the writer, and a writer feeding an HTTP stream.

`stream` turns a writer that writes to a file into an iterator of byte blocks for a streamed response: the writer
runs in its own thread and writes into a small bounded queue, so a slow client slows the export down instead of
letting it pile up in memory; when the client goes away, the writer stops at its next write. `ahead` reads chunks
in a thread one chunk ahead of the writer, so the database's time and the writer's overlap (both spend most of it
outside the GIL, in SQLite or PostgreSQL, numpy and Arrow).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

BLOCK = 1 << 20  # bytes gathered before a block is handed over
DEPTH = 8  # blocks waiting at most


class Cancelled(Exception):
    """The reader stopped reading (the client disconnected)."""


class Pipe:
    """A write-only, unseekable file whose bytes a reader takes block by block."""

    def __init__(self, blocks: queue.Queue, stop: threading.Event) -> None:
        self.blocks = blocks
        self.stop = stop
        self.buffer = bytearray()
        self.position = 0

    def write(self, data: bytes) -> int:
        self.buffer += data
        self.position += len(data)
        if len(self.buffer) >= BLOCK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.buffer:
            self.put(bytes(self.buffer))
            self.buffer.clear()

    def put(self, item: object) -> None:
        _put(self.blocks, item, self.stop)

    def tell(self) -> int:
        return self.position

    def seekable(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return False


def _put(box: queue.Queue, item: object, stop: threading.Event) -> None:
    """Wait for room in `box`, or raise Cancelled once the reader has stopped."""
    while True:
        if stop.is_set():
            raise Cancelled
        try:
            box.put(item, timeout=0.5)
            return
        except queue.Full:
            continue


_DONE = object()
T = TypeVar("T")


def ahead(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """The items of `items`, made in a thread at most `depth` items ahead of the reader; its errors raised here."""
    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                _put(box, item, stop)
            _put(box, _DONE, stop)
        except Cancelled:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the reader, which raises it
            try:
                _put(box, exc, stop)
            except Cancelled:
                pass
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a generator's cleanup (its database session) runs in the thread that ran it

    worker = threading.Thread(target=produce, name="survey-export-read", daemon=True)
    worker.start()
    try:
        while (item := box.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def stream(write: Callable[[Pipe], object]) -> Iterator[bytes]:
    """The bytes `write(pipe)` writes, in blocks; an error in the writer is raised here, in the reader."""
    blocks: queue.Queue = queue.Queue(maxsize=DEPTH)
    stop = threading.Event()
    pipe = Pipe(blocks, stop)

    def produce() -> None:
        try:
            write(pipe)
            pipe.flush()
            pipe.put(_DONE)
        except Cancelled:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the reader, which raises it
            try:
                pipe.put(exc)
            except Cancelled:
                pass

    worker = threading.Thread(target=produce, name="survey-export", daemon=True)
    worker.start()
    try:
        while (item := blocks.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()
