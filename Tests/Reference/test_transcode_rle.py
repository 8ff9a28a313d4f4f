"""`lightbox transcode` into and out of RLE Lossless, checked against pydicom (with numpy) and DCMTK: every corpus
file in RLE decodes to the pixels pydicom decodes; native files encoded to RLE decode, in pydicom and in
DCMTK's dcmdrle, to their original pixels; dciodvfy finds no error the original did not have."""
import csv
import subprocess

import numpy as np
import pydicom
import pytest

from conftest import CORPUS, LIGHTBOX

RLE = "1.2.840.10008.1.2.5"
EXPLICIT = "1.2.840.10008.1.2.1"


def manifest_rows():
    path = CORPUS / "MANIFEST.csv"
    if not path.is_file():
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def rle_files():
    return [r["path"] for r in manifest_rows() if r["transfer_syntax_uid"] == RLE and r["pydicom_pixels"].startswith("ok")]


def native_files():
    """Little-endian native images pydicom decodes, 8 or 16 bits, up to 3 samples (what RLE carries)."""
    out = []
    for r in manifest_rows():
        if r["transfer_syntax_uid"] in ("1.2.840.10008.1.2", EXPLICIT) and r["pydicom_pixels"].startswith("ok") \
                and r["bits_allocated"] in ("8", "16") and r["samples_per_pixel"] in ("1", "3") \
                and not r["photometric"].startswith(("YBR_FULL_422", "YBR_PARTIAL")):
            out.append(r["path"])
    return out[:25]


def transcode(src, to, out):
    cp = subprocess.run([LIGHTBOX, "transcode", str(src), "--to", to, "--out", str(out)], capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    return out


def errors(path):
    cp = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True)
    return {line for line in (cp.stdout + cp.stderr).splitlines() if line.startswith("Error")}


@pytest.mark.parametrize("rel", rle_files() or [pytest.param(None, marks=pytest.mark.skip(reason="no corpus"))])
def test_rle_decodes_like_pydicom(rel, tmp_path):
    src = CORPUS / rel
    out = transcode(src, EXPLICIT, tmp_path / "native.dcm")
    ours = pydicom.dcmread(out)
    assert str(ours.file_meta.TransferSyntaxUID) == EXPLICIT
    assert np.array_equal(ours.pixel_array, pydicom.dcmread(src).pixel_array)


@pytest.mark.parametrize("rel", native_files() or [pytest.param(None, marks=pytest.mark.skip(reason="no corpus"))])
def test_rle_encoding_is_lossless_for_pydicom_and_dcmtk(rel, tmp_path):
    src = CORPUS / rel
    original = pydicom.dcmread(src).pixel_array
    rle = transcode(src, RLE, tmp_path / "rle.dcm")
    assert np.array_equal(pydicom.dcmread(rle).pixel_array, original)
    cp = subprocess.run(["dcmdrle", str(rle), str(tmp_path / "dcmtk.dcm")], capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    assert np.array_equal(pydicom.dcmread(tmp_path / "dcmtk.dcm").pixel_array, original)
    assert errors(rle) <= errors(src)


def test_subsampled_colour_goes_into_rle_at_full_resolution(tmp_path):
    """Native YBR_FULL_422 keeps two luminance samples per chrominance pair, which RLE's one segment per plane
    cannot hold: the chrominance is brought to full resolution and the result is YBR_FULL."""
    src = CORPUS / "dcm4che/dcm4che-test-data/src/main/resources/YBR_422.dcm"
    if not src.is_file():
        pytest.skip("no corpus")
    out = transcode(src, RLE, tmp_path / "x.dcm")
    ds = pydicom.dcmread(out)
    assert ds.PhotometricInterpretation == "YBR_FULL"
    assert np.array_equal(ds.pixel_array, pydicom.dcmread(src).pixel_array)
