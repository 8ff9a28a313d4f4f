"""Pixel data decoding and encoding through `lightbox transcode`, against pydicom (with the pylibjpeg decoders),
DCMTK and dciodvfy.

- Every encapsulated corpus file whose pixels pydicom decodes: ours are identical for lossless syntaxes, and within
  the tolerance two conforming JPEG decoders differ by for lossy ones (pylibjpeg-libjpeg is libjpeg 9, Lightbox
  uses libjpeg-turbo: their IDCTs and chroma upsampling differ by a few levels).
- Files pydicom cannot decode (the retired JPEG processes, some 12-bit streams): compared with DCMTK's dcmdjpeg.
- Every file either decodes or fails with exit status 1 and a one-line reason.
- Encoders: native files to RLE, JPEG-LS, JPEG 2000, Deflated Image Frame, JPEG Baseline; lossless ones decode
  exactly in pydicom (and DCMTK where it has the codec), lossy ones within their stated error; dciodvfy finds no
  error the original did not have.
"""
import csv
import subprocess
import zlib

import numpy as np
import pydicom
import pytest

from conftest import CORPUS, LIGHTBOX

EXPLICIT = "1.2.840.10008.1.2.1"
NATIVE = {"1.2.840.10008.1.2", EXPLICIT, "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99", ""}
LOSSY = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.91",
         "1.2.840.10008.1.2.4.203"}
# Files no decoder reads: what each of them has wrong, and the reference tools' verdicts.
UNDECODABLE = {
    "pylibjpeg-data/ljdata/ds/JPEG2000Lossless/966.dcm": "the tile's codestream is damaged (OpenJPEG and pydicom fail)",
    "pydicom-wheel/test_files/JPEG2000-embedded-sequence-delimiter.dcm": "a sequence delimiter inside the codestream",
    "pydicom-data/data_store/data/liver_nonbyte_aligned_rle.dcm": "1-bit RLE, which PS3.5 G does not define",
    "fo-dicom/Tests/FO-DICOM.Tests/Test Data/multiframe.dcm": "23 of its 140 JPEG frames (edge tiles, 55x121 say) are smaller than Rows x Columns",
    "fo-dicom/Tests/FO-DICOM.Tests/Test Data/genFile.dcm": "the frame starts with zero bytes, not an SOI (pydicom and DCMTK fail too)",
}

# dciodvfy errors a decoded file may have that its original had not, and why they are right.
NEW_ERRORS_ALLOWED = {
    # The US Image module allows YBR_FULL (by plane) only in RLE; native it would have to be RGB, a conversion that
    # rounds. The decoded samples are kept exact instead.
    "dcm4che/dcm4che-test-data/src/main/resources/YBR_FULL-RLE.dcm": {
        "Error - Unrecognized enumerated value <0> for value 1 of attribute <Planar Configuration>",
        "Error - Unrecognized enumerated value <YBR_FULL> for value 1 of attribute <Photometric Interpretation>",
    },
}


def manifest_rows():
    path = CORPUS / "MANIFEST.csv"
    if not path.is_file():
        return []
    with open(path) as f:
        return [r for r in csv.DictReader(f) if r["rows"] and r["transfer_syntax_uid"] not in NATIVE
                and not r["transfer_syntax_uid"].startswith("(none")]


def transcode(src, to, out, *extra):
    return subprocess.run([LIGHTBOX, "transcode", str(src), "--to", to, "--out", str(out), *extra],
                          capture_output=True, text=True)


def pixels(path):
    return pydicom.dcmread(path).pixel_array


def errors(path):
    cp = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, errors="replace")
    return {line for line in (cp.stdout + cp.stderr).splitlines() if line.startswith("Error")}


def no_corpus(rows):
    return rows or [pytest.param(None, marks=pytest.mark.skip(reason="no corpus"))]


ENCAPSULATED = manifest_rows()


@pytest.mark.parametrize("row", no_corpus(ENCAPSULATED), ids=lambda r: r["path"] if r else "none")
def test_every_encapsulated_file_decodes_or_fails_cleanly(row, tmp_path):
    src = CORPUS / row["path"]
    out = tmp_path / "native.dcm"
    cp = transcode(src, EXPLICIT, out)
    if row["path"] in UNDECODABLE:
        assert cp.returncode == 1 and cp.stderr.count("\n") == 1 and not out.exists(), cp.stderr
        return
    assert cp.returncode == 0, cp.stderr
    ours = pydicom.dcmread(out)
    assert str(ours.file_meta.TransferSyntaxUID) == EXPLICIT
    assert errors(out) - NEW_ERRORS_ALLOWED.get(row["path"], set()) <= errors(src), errors(out) - errors(src)
    if not row["pydicom_pixels"].startswith("ok"):
        pytest.skip("pydicom does not decode it: see test_decodes_like_dcmtk")
    mine, ref = ours.pixel_array, pixels(src)
    assert mine.shape == ref.shape
    diff = np.abs(mine.astype(np.int64) - ref.astype(np.int64))
    if row["transfer_syntax_uid"] in LOSSY:
        # Two conforming decoders: the IDCT and the chroma upsampling may differ by a few levels, rarely more.
        limit = 2 if int(row["samples_per_pixel"] or 1) == 1 else 10
        assert diff.max() <= limit and diff.mean() < 0.3, (diff.max(), diff.mean())
    else:
        assert diff.max() == 0, f"{np.count_nonzero(diff)} samples differ, the first at {np.argwhere(diff)[0]}"


DCMTK_ONLY = [r for r in ENCAPSULATED if not r["pydicom_pixels"].startswith("ok") and r["path"] not in UNDECODABLE
              and r["transfer_syntax_uid"].startswith("1.2.840.10008.1.2.4.5")]


@pytest.mark.parametrize("row", no_corpus(DCMTK_ONLY), ids=lambda r: r["path"] if r else "none")
def test_decodes_like_dcmtk(row, tmp_path):
    """JPEG files pydicom cannot decode (retired processes, streams its libjpeg refuses): against dcmdjpeg."""
    src = CORPUS / row["path"]
    cp = subprocess.run(["dcmdjpeg", str(src), str(tmp_path / "dcmtk.dcm")], capture_output=True, text=True)
    if cp.returncode != 0:
        pytest.skip(f"dcmdjpeg cannot decode it either: {cp.stderr.strip()[:100]}")
    assert transcode(src, EXPLICIT, tmp_path / "ours.dcm").returncode == 0
    mine, ref = pixels(tmp_path / "ours.dcm"), pixels(tmp_path / "dcmtk.dcm")
    diff = np.abs(mine.astype(np.int64) - ref.astype(np.int64))
    if row["transfer_syntax_uid"] in ("1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"):
        assert diff.max() == 0
    else:
        assert diff.max() <= 2 and diff.mean() < 0.3, (diff.max(), diff.mean())


def test_jpeg_xl_decodes_like_djxl(tmp_path):
    """pydicom 3.0 has no JPEG XL decoder: the references are libjxl's own djxl (PNG output, exact) and the JPEG
    djxl reconstructs from the recompression data, decoded by libjpeg through Pillow (within JPEG decoders' tolerance)."""
    from PIL import Image
    src = CORPUS / "dcm4che/dcm4che-test-data/src/main/resources/will-jxl.dcm"
    if not src.is_file():
        pytest.skip("no corpus")
    ds = pydicom.dcmread(src)
    frames = list(pydicom.encaps.generate_frames(ds.PixelData, number_of_frames=int(ds.NumberOfFrames)))
    assert transcode(src, EXPLICIT, tmp_path / "native.dcm").returncode == 0
    ours = pydicom.dcmread(tmp_path / "native.dcm")
    assert ours.PhotometricInterpretation == "RGB" and ours.pixel_array.shape == (27, 708, 1016, 3)
    for i in (0, len(frames) // 2, len(frames) - 1):
        (tmp_path / "f.jxl").write_bytes(frames[i])
        for suffix in ("png", "jpg"):
            cp = subprocess.run(["djxl", str(tmp_path / "f.jxl"), str(tmp_path / f"f.{suffix}")], capture_output=True, text=True)
            assert cp.returncode == 0, cp.stderr
        mine = ours.pixel_array[i].astype(np.int64)
        assert np.array_equal(mine, np.asarray(Image.open(tmp_path / "f.png").convert("RGB")).astype(np.int64))
        jpeg = np.abs(mine - np.asarray(Image.open(tmp_path / "f.jpg").convert("RGB")).astype(np.int64))
        assert jpeg.max() <= 10 and jpeg.mean() < 0.3, (jpeg.max(), jpeg.mean())


def test_deflated_image_frames_decode_like_zlib(tmp_path):
    """pydicom 3.0 has no decoder for 1.2.840.10008.1.2.8.1: the reference is zlib's raw inflate of each frame."""
    src = CORPUS / "pydicom-data/data_store/data/liver_deflate.dcm"
    if not src.is_file():
        pytest.skip("no corpus")
    ds = pydicom.dcmread(src)
    frames = list(pydicom.encaps.generate_frames(ds.PixelData, number_of_frames=int(ds.NumberOfFrames)))
    bits = np.concatenate([np.unpackbits(np.frombuffer(zlib.decompress(f, -15), np.uint8), bitorder="little")
                           [: ds.Rows * ds.Columns] for f in frames])
    assert transcode(src, EXPLICIT, tmp_path / "native.dcm").returncode == 0
    ours = pydicom.dcmread(tmp_path / "native.dcm")
    assert np.array_equal(ours.pixel_array.reshape(-1), bits)


def native_files(limit=30):
    """Little-endian native images pydicom decodes, 8 or 16 bits, grey or RGB, several of each kind."""
    path = CORPUS / "MANIFEST.csv"
    if not path.is_file():
        return []
    out = []
    with open(path) as f:
        for r in csv.DictReader(f):
            if r["transfer_syntax_uid"] in ("1.2.840.10008.1.2", EXPLICIT) and r["pydicom_pixels"].startswith("ok") \
                    and r["bits_allocated"] in ("8", "16") and r["samples_per_pixel"] in ("1", "3") \
                    and r["photometric"] in ("MONOCHROME1", "MONOCHROME2", "RGB") and int(r["bits_stored"] or 0) >= 2:
                out.append(r)
    return out[:limit]


NATIVES = native_files()
LOSSLESS_TARGETS = {"1.2.840.10008.1.2.4.70": "dcmdjpeg", "1.2.840.10008.1.2.4.80": "dcmdjpls",
                    "1.2.840.10008.1.2.4.90": None, "1.2.840.10008.1.2.5": "dcmdrle"}


@pytest.mark.parametrize("target", sorted(LOSSLESS_TARGETS))
@pytest.mark.parametrize("row", no_corpus(NATIVES), ids=lambda r: r["path"] if r else "none")
def test_lossless_encoders_round_trip(row, target, tmp_path):
    src = CORPUS / row["path"]
    out = tmp_path / "encoded.dcm"
    cp = transcode(src, target, out)
    assert cp.returncode == 0, cp.stderr
    original = pixels(src)
    assert np.array_equal(pixels(out), original)
    # Back to native through our own decoder, too.
    assert transcode(out, EXPLICIT, tmp_path / "back.dcm").returncode == 0
    assert np.array_equal(pixels(tmp_path / "back.dcm"), original)
    tool = LOSSLESS_TARGETS[target]
    if tool:
        cp = subprocess.run([tool, str(out), str(tmp_path / "dcmtk.dcm")], capture_output=True, text=True)
        assert cp.returncode == 0, cp.stderr
        assert np.array_equal(pixels(tmp_path / "dcmtk.dcm"), original)
    assert errors(out) <= errors(src)


@pytest.mark.parametrize("row", no_corpus(NATIVES), ids=lambda r: r["path"] if r else "none")
def test_lossy_encoders_stay_within_their_error(row, tmp_path):
    src = CORPUS / row["path"]
    original = pixels(src).astype(np.int64)
    # JPEG-LS near-lossless: no sample further than NEAR from the original (T.87). Signed data is refused: its
    # modular reconstruction can wrap a sample from one end of the range to the other.
    cp = transcode(src, "1.2.840.10008.1.2.4.81", tmp_path / "jls.dcm", "--near", "3")
    if pydicom.dcmread(src, stop_before_pixels=True).PixelRepresentation == 1:
        assert cp.returncode == 1 and "signed" in cp.stderr, cp.stderr
    else:
        assert cp.returncode == 0, cp.stderr
        jls = pydicom.dcmread(tmp_path / "jls.dcm")
        assert np.abs(jls.pixel_array.astype(np.int64) - original).max() <= 3
        assert jls.LossyImageCompression == "01" and "ISO_14495_1" in jls.LossyImageCompressionMethod
    # JPEG 2000 lossy at 10:1: a PSNR over 30 dB of the stored range (on images large enough for a wavelet
    # to have something to work with: a 32x32 binary text image loses more at 10:1).
    cp = transcode(src, "1.2.840.10008.1.2.4.91", tmp_path / "j2k.dcm", "--ratio", "10")
    assert cp.returncode == 0, cp.stderr
    j2k = pydicom.dcmread(tmp_path / "j2k.dcm")
    err = j2k.pixel_array.astype(np.float64) - original
    peak = float(2 ** int(row["bits_stored"]) - 1)
    mse = max(float(np.mean(err ** 2)), 1e-9)
    if original.size >= 64 * 64:
        assert 10 * np.log10(peak ** 2 / mse) > 30
    assert j2k.LossyImageCompression == "01"
    assert errors(tmp_path / "j2k.dcm") <= errors(src)


JPEGABLE = [r for r in NATIVES if r["bits_allocated"] == "8"]


@pytest.mark.parametrize("row", no_corpus(JPEGABLE), ids=lambda r: r["path"] if r else "none")
def test_jpeg_baseline_for_previews(row, tmp_path):
    src = CORPUS / row["path"]
    out = tmp_path / "jpeg.dcm"
    cp = transcode(src, "1.2.840.10008.1.2.4.50", out, "--quality", "95")
    assert cp.returncode == 0, cp.stderr
    ds = pydicom.dcmread(out)
    assert ds.PhotometricInterpretation == ("YBR_FULL_422" if row["samples_per_pixel"] == "3" else row["photometric"])
    err = np.abs(ds.pixel_array.astype(np.int64) - pixels(src).astype(np.int64))
    assert err.mean() < 3
    cp = subprocess.run(["dcmdjpeg", str(out), str(tmp_path / "dcmtk.dcm")], capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    assert errors(out) <= errors(src)


def test_deflated_image_frames_round_trip(tmp_path):
    row = next((r for r in NATIVES if r["photometric"] == "MONOCHROME2"), None)
    if row is None:
        pytest.skip("no corpus")
    src = CORPUS / row["path"]
    assert transcode(src, "1.2.840.10008.1.2.8.1", tmp_path / "d.dcm").returncode == 0
    ds = pydicom.dcmread(tmp_path / "d.dcm")
    frame = next(pydicom.encaps.generate_frames(ds.PixelData, number_of_frames=1))
    raw = np.frombuffer(zlib.decompress(frame, -15), dtype=pixels(src).dtype)
    assert np.array_equal(raw.reshape(pixels(src).shape), pixels(src))
    assert transcode(tmp_path / "d.dcm", EXPLICIT, tmp_path / "back.dcm").returncode == 0
    assert np.array_equal(pixels(tmp_path / "back.dcm"), pixels(src))


def test_htj2k_encoding_is_refused_with_a_reason(tmp_path):
    row = next(iter(NATIVES), None)
    if row is None:
        pytest.skip("no corpus")
    cp = transcode(CORPUS / row["path"], "1.2.840.10008.1.2.4.201", tmp_path / "x.dcm")
    assert cp.returncode == 1 and "HTJ2K" in cp.stderr and not (tmp_path / "x.dcm").exists()


def test_jpeg_baseline_refuses_16_bit(tmp_path):
    row = next((r for r in NATIVES if r["bits_allocated"] == "16"), None)
    if row is None:
        pytest.skip("no corpus")
    cp = transcode(CORPUS / row["path"], "1.2.840.10008.1.2.4.50", tmp_path / "x.dcm")
    assert cp.returncode == 1 and "8-bit" in cp.stderr, cp.stderr


COMPRESSED_LOSSLESS = [r for r in ENCAPSULATED if r["pydicom_pixels"].startswith("ok") and r["path"] not in UNDECODABLE
                       and r["transfer_syntax_uid"] in ("1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.90",
                                                       "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.80")][:12]


@pytest.mark.parametrize("target", ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.70"])
@pytest.mark.parametrize("row", no_corpus(COMPRESSED_LOSSLESS), ids=lambda r: r["path"] if r else "none")
def test_compressed_to_compressed_is_lossless(row, target, tmp_path):
    """One lossless syntax into another: decode, encode, and pydicom reads the original's pixels back."""
    src = CORPUS / row["path"]
    if row["transfer_syntax_uid"] == target:
        pytest.skip("same syntax")
    cp = transcode(src, target, tmp_path / "out.dcm")
    assert cp.returncode == 0, cp.stderr
    assert np.array_equal(pixels(tmp_path / "out.dcm"), pixels(src))
    assert errors(tmp_path / "out.dcm") - NEW_ERRORS_ALLOWED.get(row["path"], set()) <= errors(src)
