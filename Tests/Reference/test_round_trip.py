"""Round trips through the command line: a well-formed file written back unchanged is byte-identical; a file
converted to every native transfer syntax and back holds the same data set (compared as DICOM JSON), and
DCMTK and pydicom read what we write."""
import filecmp
import json
import subprocess
import warnings
import zlib

import pydicom
import pytest

from conftest import LIGHTBOX, corpus_files, manifest, relative_name

NATIVE = {
    "1.2.840.10008.1.2": "implicit",
    "1.2.840.10008.1.2.1": "explicit",
    "1.2.840.10008.1.2.2": "big",
    "1.2.840.10008.1.2.1.99": "deflated",
}

ROWS = manifest()


REQUIRED_META = (0x00020001, 0x00020002, 0x00020003, 0x00020010, 0x00020012)


def well_formed(path):
    """Files DCMTK reads without a warning and pydicom reads cleanly, with preamble and every Type 1 element of
    the file meta information (PS3.10 §7.1; a writer must add missing ones, so the file cannot stay the same)."""
    row = ROWS.get(path)
    if not (row is not None and row["dcmdump_clean"] == "1" and row["pydicom_read"] == "ok"
            and row["has_preamble_DICM"] == "1" and row["has_file_meta"] == "1"):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        meta = pydicom.filereader.read_file_meta_info(path)
    if not all(tag in meta for tag in REQUIRED_META):
        return False
    # Defects DCMTK passes over silently (an item length that overstates its content, say) still show as our
    # warnings: such a file cannot come back identical, since the writer writes the right lengths.
    p = subprocess.run([LIGHTBOX, "dump", path], capture_output=True, text=True)
    return p.returncode == 0 and "warning" not in p.stderr


def same_file(a, b):
    """Byte-identical; for deflated files the meta information and the inflated data set, since two deflate
    encoders compress the same bytes differently."""
    if filecmp.cmp(a, b, shallow=False):
        return True
    da, db = open(a, "rb").read(), open(b, "rb").read()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        meta = pydicom.filereader.read_file_meta_info(a)
    if meta.TransferSyntaxUID != "1.2.840.10008.1.2.1.99":
        return False
    end = 132 + 12 + meta[0x00020000].value
    return da[:end] == db[:end] and zlib.decompress(da[end:], -15) == zlib.decompress(db[end:], -15)


WELL_FORMED = [f for f in corpus_files() if well_formed(f)]
NATIVE_FILES = [f for f in WELL_FORMED if ROWS[f]["transfer_syntax_uid"] in NATIVE]


def lightbox(*args):
    return subprocess.run([LIGHTBOX, *args], capture_output=True, text=True, timeout=120)


def dump_json(path):
    p = lightbox("dump", "--json", "--quiet", path)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.mark.parametrize("path", WELL_FORMED, ids=[relative_name(f) for f in WELL_FORMED])
def test_unchanged_file_is_byte_identical(path, tmp_path):
    out = tmp_path / "same.dcm"
    ts = ROWS[path]["transfer_syntax_uid"]
    p = lightbox("transcode", path, "--to", ts, "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert same_file(path, out), f"{relative_name(path)} changed when written back unchanged"


def comparable(js, implicit_view=False):
    """The JSON data set without group lengths (recomputed when the VR encoding changes), and, for a data set that
    went through implicit VR, without the elements whose VR implicit VR cannot carry: private and unknown ones,
    and those encoded with a VR other than the dictionary's (their bytes stay, their VR becomes the dictionary's)."""
    out = {}
    for key, attr in js.items():
        tag = int(key, 16)
        if tag & 0xFFFF == 0:
            continue
        if implicit_view:
            try:
                expected = pydicom.datadict.dictionary_VR(tag)
            except KeyError:
                continue
            if attr.get("vr") not in expected.split(" or "):
                continue
            if " or " in expected:
                # Implicit VR resolves "OB or OW" and the like by rule (PS3.5 §A.1): such a value may come back as
                # numbers where it was bytes; present on both sides is what can be compared.
                attr = {"present": True}
        if attr.get("vr") == "SQ":
            attr = dict(attr, Value=[comparable(item, implicit_view) for item in attr.get("Value", [])])
        out[key] = attr
    return out


def restrict(js, like):
    """`js` with only the keys `like` has, at every level: what implicit VR kept of the original is compared."""
    out = {}
    for key, attr in js.items():
        if key not in like:
            continue
        if attr.get("vr") == "SQ" and like[key].get("vr") == "SQ":
            items = [restrict(a, b) for a, b in zip(attr.get("Value", []), like[key].get("Value", []))]
            attr = dict(attr, Value=items + attr.get("Value", [])[len(items):])
        out[key] = attr
    return out


def same_data_set(original, converted, through_implicit):
    a, b = comparable(original, through_implicit), comparable(converted, through_implicit)
    return (restrict(b, a) if through_implicit else b) == a


@pytest.mark.parametrize("path", NATIVE_FILES, ids=[relative_name(f) for f in NATIVE_FILES])
def test_conversion_between_native_syntaxes_keeps_the_data_set(path, tmp_path):
    source_uid = ROWS[path]["transfer_syntax_uid"]
    original = dump_json(path)
    for uid, name in NATIVE.items():
        converted = tmp_path / f"{name}.dcm"
        p = lightbox("transcode", path, "--to", uid, "--out", str(converted))
        assert p.returncode == 0, p.stderr
        through_implicit = (uid == "1.2.840.10008.1.2") != (source_uid == "1.2.840.10008.1.2")
        assert same_data_set(original, dump_json(str(converted)), through_implicit), f"data set changed in {name}"
        # The references read what we wrote, in the syntax we wrote.
        dcmtk = subprocess.run(["dcmdump", "-q", str(converted)], capture_output=True)
        assert dcmtk.returncode == 0, f"DCMTK cannot read our {name} file: {dcmtk.stderr!r}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(converted)
        assert ds.file_meta.TransferSyntaxUID == uid
        # Back to the original syntax: identical, but for what the trip through the other encoding recomputes.
        back = tmp_path / f"{name}-back.dcm"
        p = lightbox("transcode", str(converted), "--to", source_uid, "--out", str(back))
        assert p.returncode == 0, p.stderr
        if uid == source_uid or not through_implicit and "1.2.840.10008.1.2" not in (uid, source_uid):
            assert same_file(path, back), f"{name} and back is not byte-identical"
        assert same_data_set(original, dump_json(str(back)), through_implicit), f"data set changed in {name} and back"


def test_unreadable_file_gives_one_line_and_exit_1(tmp_path):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\xff\x00")
    p = lightbox("dump", str(bad))
    assert p.returncode == 1
    assert p.stderr.count("\n") == 1 and str(bad) in p.stderr
