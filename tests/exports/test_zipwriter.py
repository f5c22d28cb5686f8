import io
import os
import zipfile

import pytest

from survey.exports import zipwriter
from survey.exports.zipwriter import TooLarge, ZipWriter


class Unseekable(io.RawIOBase):
    """A sink that can only be written forward, like an HTTP stream."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # noqa: ANN001
        self.data += data
        return len(data)


def test_entries_whole_or_streamed_read_back_with_zipfile():
    sink = Unseekable()
    archive = ZipWriter(sink)
    archive.add("first.xml", b"<a>" * 1000)
    noise = os.urandom(300_000)
    with archive.stream("dir/streamed.xml") as entry:
        entry.write(b"<b>")
        entry.write(memoryview(noise))
        entry.write(b"")
        entry.write(b"</b>" * 50_000)
    archive.add("empty.xml", b"")
    archive.close()
    package = zipfile.ZipFile(io.BytesIO(bytes(sink.data)))
    assert package.testzip() is None
    assert package.namelist() == ["first.xml", "dir/streamed.xml", "empty.xml"]
    assert package.read("first.xml") == b"<a>" * 1000
    assert package.read("dir/streamed.xml") == b"<b>" + noise + b"</b>" * 50_000
    assert package.read("empty.xml") == b""
    streamed = package.getinfo("dir/streamed.xml")
    assert streamed.compress_type == zipfile.ZIP_DEFLATED and streamed.flag_bits & 0x08
    assert package.getinfo("first.xml").compress_size < 100  # deflated


def test_an_entry_past_4_gib_is_refused(monkeypatch):
    monkeypatch.setattr(zipwriter, "LIMIT", 1000)
    archive = ZipWriter(io.BytesIO())
    with pytest.raises(TooLarge), archive.stream("big.xml") as entry:
        for _ in range(100):
            entry.write(b"x" * 100)
