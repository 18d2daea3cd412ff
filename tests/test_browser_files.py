"""dicompress.browser_files and browser.convert_file on CPython: a file streamed through the
worker's blob source, its result written through the worker's result store.

The JavaScript sides (web/blob-source.js, web/opfs-results.js) are driven by the browser
tests (tests/browser/test_streaming.py); here the same protocol is served by Python objects
with their exact contract: at most a chunk per read, short writes when the quota is full.
"""

import io

import pytest
from pydicom.uid import RLELossless

from dicompress import browser
from dicompress.browser_files import BlobReader, StorageFullError, StoredResult, UnreadableSourceError
from tests import kept_files
from tests.dicom_files import file_bytes, read, rewritten

CHUNK = 1000
#: 16 MiB of 1-bit frames of 256 x 256: a file the page streams (web/worker.js STREAM_FROM_BYTES).
FRAMES_1_BIT = 2048


class Source:
    """web/blob-source.js's BlobSource over bytes: `size`, `read(offset, length)` of at most CHUNK bytes."""

    def __init__(self, data: bytes, fail_from: int | None = None):
        self.size = len(data)
        self._data = data
        self._fail_from = fail_from
        self.reads = 0
        self.bytes_read = 0

    def read(self, offset: int, length: int) -> bytes:
        self.reads += 1
        if self._fail_from is not None and offset + length > self._fail_from:
            error = OSError("A requested file or directory could not be found")
            error.name = "NotReadableError"  # as a JsException names the DOMException
            raise error
        piece = self._data[offset: offset + min(length, CHUNK)]
        self.bytes_read += len(piece)
        return piece


class Store:
    """web/opfs-results.js's StoredResult over a bytearray, with a quota: writes come short past it."""

    def __init__(self, quota: int = 1 << 40):
        self.data = bytearray()
        self._quota = quota

    def write(self, at: int, data: memoryview) -> int:
        size = max(0, min(len(data), self._quota - at))
        self.data[at: at + size] = data[:size]
        return size

    def read(self, at: int, into: memoryview) -> int:
        piece = self.data[at: at + len(into)]
        into[: len(piece)] = piece
        return len(piece)

    def size(self) -> int:
        return len(self.data)

    def truncate(self, size: int) -> None:
        del self.data[size:]


def test_a_blob_reader_reads_seeks_and_tells_like_a_file():
    data = bytes(range(256)) * 20
    raw = BlobReader(Source(data), "x.dcm")
    reader = io.BufferedReader(raw, 64)
    assert reader.name == "x.dcm"
    assert reader.read(3000) == data[:3000]  # several chunks
    assert reader.tell() == 3000
    reader.seek(-10, io.SEEK_END)
    assert reader.read() == data[-10:]
    assert reader.read(5) == b""
    reader.seek(100)
    assert reader.read(4) == data[100:104]


def test_a_file_that_becomes_unreadable_mid_way_is_a_typed_error_naming_the_browsers_error():
    reader = BlobReader(Source(b"\0" * 5000, fail_from=2500))
    assert reader.read(2000) == b"\0" * 1000
    with pytest.raises(UnreadableSourceError) as caught:
        reader.read(4000)
    assert caught.value.code == "unreadable"
    assert str(caught.value) == "the file could not be read (NotReadableError)"


def test_a_stored_result_writes_reads_back_and_truncates():
    store = Store()
    sink = StoredResult(store)
    assert sink.write(b"abcdef") == 6
    sink.seek(2)
    assert sink.write(memoryview(b"XY")) == 2
    sink.seek(0)
    assert sink.read() == b"abXYef"
    assert sink.truncate(4) == 4
    assert bytes(store.data) == b"abXY"
    assert sink.seek(0, io.SEEK_END) == 4


def test_a_full_storage_is_a_typed_error_not_a_short_file():
    sink = StoredResult(Store(quota=10))
    with pytest.raises(StorageFullError) as caught:
        sink.write(b"x" * 11)
    assert caught.value.code == "storage-full"
    assert "\n" not in str(caught.value)


def test_a_streamed_file_converts_to_the_same_bytes_as_in_memory_into_the_store():
    data = file_bytes("RG1_UNCR.dcm")
    store = Store()
    progress = []
    done = browser.convert_file(Source(data), store, "rle", lambda *p: progress.append(p), name="RG1_UNCR.dcm")
    assert done["ok"], done
    assert "data" not in done
    expected = browser.convert(data, "rle")
    assert bytes(store.data) == expected["data"]
    assert done["report"] == {**expected["report"], "seconds": done["report"]["seconds"]}
    assert progress[-1] == (1, 1)
    assert read(bytes(store.data)).file_meta.TransferSyntaxUID == RLELossless


def test_without_a_store_the_result_comes_back_as_bytes():
    data = file_bytes("MR_small.dcm")
    done = browser.convert_file(Source(data), None, "explicit")
    assert done["ok"], done
    assert done["data"] == browser.convert(data, "explicit")["data"]


def test_a_streamed_file_that_becomes_unreadable_fails_with_one_line():
    data = file_bytes("RG1_UNCR.dcm")
    done = browser.convert_file(Source(data, fail_from=len(data) // 2), Store(), "rle")
    assert done == {"ok": False, "skipped": False, "code": "unreadable",
                    "message": "the file could not be read (NotReadableError)", "warnings": []}


def test_a_streamed_result_the_storage_cannot_hold_fails_with_one_line():
    data = file_bytes("RG1_UNCR.dcm")
    done = browser.convert_file(Source(data), Store(quota=len(data) // 4), "explicit")
    assert done["ok"] is False and done["code"] == "storage-full", done
    assert "\n" not in done["message"]


def test_a_streamed_file_that_is_not_dicom_in_a_folder_is_skipped():
    done = browser.convert_file(Source(b"%PDF-1.7 " * 100), Store(), "rle", in_folder=True)
    assert done["ok"] is False and done["skipped"] is True and done["code"] == "not-dicom"


def test_a_file_whose_single_frame_python_in_the_page_cannot_hold_is_refused_with_that_reason():
    def huge(ds):
        ds.Rows = ds.Columns = 30000  # 30000 x 30000 x 3 samples of 8 bits: 2.7 GB in one frame
    data = rewritten("SC_rgb_rle.dcm", huge)
    done = browser.convert_file(Source(data), Store(), "explicit")
    assert done == {"ok": False, "skipped": False, "code": "frame-too-large", "warnings": [], "message": (
        "A single frame of this file is too large for the browser: 2.70 GB, and a browser tab can convert frames "
        "up to about 859.0 MB (Python in WebAssembly has 4 GB of memory at most). Use the dicompress command "
        "line on your computer instead: dicompress FILE -o OUT/")}


@pytest.mark.parametrize("make", [
    lambda: file_bytes("liver.dcm"),  # 1-bit segmentation
    lambda: file_bytes("liver_expb.dcm"),  # the same, big endian (OW words)
    kept_files.float_image,
    lambda: kept_files.float_image("DoubleFloatPixelData", big_endian=True),
    kept_files.mpeg2_video,  # nothing decodes it: the same failed preview
], ids=["1-bit", "1-bit big endian", "float", "double float big endian", "MPEG-2"])
def test_a_streamed_file_kept_unchanged_gets_the_preview_its_bytes_get(make):
    data = make()
    streamed, in_memory = [], []
    done = browser.convert_file(Source(data), Store(), "rle", preview=streamed.append)
    expected = browser.convert(data, "rle", preview=in_memory.append)
    assert done["kept"] is True and done == expected
    assert len(streamed) == 1 and streamed == in_memory
    assert streamed[0]["ok"] is (expected["code"] != "already-compressed"), streamed


def test_the_preview_of_a_large_kept_1_bit_file_reads_its_head_and_first_frame_only():
    data = kept_files.repeated_one_bit(FRAMES_1_BIT)
    source, sent, single = Source(data), [], []
    done = browser.convert_file(source, Store(), "rle", preview=sent.append)
    assert (done["kept"], done["code"]) == (True, "bit-packed-pixel-data")
    browser.convert(kept_files.repeated_one_bit(1), "rle", preview=single.append)
    assert len(sent) == 1 and sent[0]["ok"], sent
    assert sent[0]["details"] == {**single[0]["details"], "frames": FRAMES_1_BIT}
    assert sent[0]["thumbnail"] == single[0]["thumbnail"]  # the first frame's
    # The head (the conversion's read, then the preview's) and the first frame: not 16 MiB of frames.
    assert source.bytes_read < 1 << 20
