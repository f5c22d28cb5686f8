import threading

import pytest

from survey.exports import stream as streaming
from survey.exports.stream import ahead, stream


def test_the_reader_gets_every_byte_in_blocks(monkeypatch):
    monkeypatch.setattr(streaming, "BLOCK", 10)
    blocks = list(stream(lambda sink: [sink.write(bytes([n]) * 7) for n in range(5)]))
    assert b"".join(blocks) == b"".join(bytes([n]) * 7 for n in range(5))
    assert all(len(block) >= 10 for block in blocks[:-1])


def test_an_error_in_the_writer_is_raised_in_the_reader():
    def fail(sink):
        sink.write(b"x")
        raise ValueError("no such thing")

    with pytest.raises(ValueError, match="no such thing"):
        list(stream(fail))


def test_a_reader_that_stops_stops_the_writer(monkeypatch):
    monkeypatch.setattr(streaming, "BLOCK", 1)
    written = []
    finished = threading.Event()

    def endless(sink):
        try:
            for n in range(100_000):
                sink.write(b"x")
                written.append(n)
        finally:
            finished.set()

    blocks = stream(endless)
    assert next(blocks) == b"x"
    blocks.close()
    assert finished.is_set() and len(written) < 100


def test_ahead_gives_every_item_in_order_and_raises_the_readers_errors():
    assert list(ahead(iter(range(100)), depth=3)) == list(range(100))

    def broken():
        yield 1
        raise LookupError("gone")

    with pytest.raises(LookupError, match="gone"):
        list(ahead(broken()))


def test_ahead_closes_the_source_when_the_reader_stops():
    closed = threading.Event()
    made = []

    def source():
        try:
            for n in range(1000):
                made.append(n)
                yield n
        finally:
            closed.set()

    items = ahead(source(), depth=1)
    assert next(items) == 0
    items.close()
    assert closed.is_set() and len(made) < 10
