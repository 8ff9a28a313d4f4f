"""`lightbox render` against a reference computed here, independently, with numpy over pydicom's decoded pixels:
the grayscale pipeline of PS3.4 Annex N (Modality LUT, VOI LUT or window, MONOCHROME1 / INVERSE), colour models to
RGB, overlays (PS3.3 C.9.2), fitting inside a box, 16-bit modality values, JPEG output and the exit statuses."""
import functools
import struct
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.pixels import apply_color_lut

from conftest import CORPUS, LIGHTBOX, manifest, relative_name

ROWS = manifest()

# Transfer syntaxes whose decoded values are exactly the encoder's input; the others may differ by decoder.
LOSSLESS = {
    "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.5",                          # RLE Lossless
    "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",  # JPEG Lossless
    "1.2.840.10008.1.2.4.80",                       # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.90",                       # JPEG 2000 Lossless Only
    "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202",  # HTJ2K Lossless (RPCL)
}
FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")
MAX_MONO = 60
MAX_COLOUR = 30


def quiet_read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path, **kw)


def decodable(row):
    return row["pydicom_pixels"].startswith("ok")


# ---------------------------------------------------------------------------------------------------------------
# Choosing the files: every monochrome file with a rare trait, then a spread over transfer syntaxes.

@functools.lru_cache(maxsize=None)
def traits(path):
    ds = quiet_read(path, stop_before_pixels=True)
    t = set()
    if "VOILUTSequence" in ds:
        t.add("voi-lut")
    if "ModalityLUTSequence" in ds:
        t.add("modality-lut")
    if "PerFrameFunctionalGroupsSequence" in ds or "SharedFunctionalGroupsSequence" in ds:
        t.add("enhanced")
    if ds.get("PhotometricInterpretation") == "MONOCHROME1":
        t.add("monochrome1")
    if ds.get("PresentationLUTShape") == "INVERSE":
        t.add("inverse")
    if "FloatPixelData" in ds or "DoubleFloatPixelData" in ds:
        t.add("float")
    if ds.get("BitsAllocated", 16) not in (8, 16):
        t.add(f"bits{ds.get('BitsAllocated')}")
    if str(ds.get("VOILUTFunction", "LINEAR")).strip() not in ("", "LINEAR"):
        t.add("voi-function")
    if ds.get("PixelRepresentation") == 1:
        t.add("signed")
    if "WindowCenter" not in ds:
        t.add("no-window")
    if any((g << 16 | 0x3000) in ds for g in range(0x6000, 0x6020, 2)):
        t.add("overlay")
    return frozenset(t)


RARE = {"voi-lut", "modality-lut", "enhanced", "monochrome1", "inverse", "float", "bits1", "bits32", "bits64",
        "voi-function", "overlay"}


def spread(rows, cap, key):
    """Round robin over transfer syntax categories, one file per distinct `key` in each, sorted by path."""
    groups = {}
    for path, row in sorted(rows.items()):
        groups.setdefault(row["ts_category"], []).append((path, row))
    for category, members in groups.items():
        distinct = {}
        for path, row in members:
            distinct.setdefault(key(path, row), path)
        groups[category] = list(distinct.values())
    chosen = []
    while len(chosen) < cap and any(groups.values()):
        for category in sorted(groups):
            if groups[category] and len(chosen) < cap:
                chosen.append(groups[category].pop(0))
    return chosen


def monochrome_files():
    rows = {p: r for p, r in ROWS.items() if decodable(r) and r["photometric"] in ("MONOCHROME1", "MONOCHROME2")
            and Path(p).is_file()}
    rare = {}
    for p in sorted(rows):
        if traits(p) & RARE:
            rare.setdefault((traits(p), rows[p]["ts_category"]), p)
    rare = list(rare.values())
    rest = {p: r for p, r in rows.items() if not traits(p) & RARE}
    key = lambda p, r: (r["bits_allocated"], r["bits_stored"], r["pixel_representation"], r["modality"],
                        r["frames"] not in ("", "1"), "no-window" in traits(p))
    return rare + spread(rest, MAX_MONO - len(rare), key)


def colour_files():
    rows = {p: r for p, r in ROWS.items() if decodable(r) and r["photometric"] not in ("MONOCHROME1", "MONOCHROME2")
            and Path(p).is_file()}
    key = lambda p, r: (r["photometric"], r["bits_allocated"], r["planar_config"], r["frames"] not in ("", "1"))
    return spread(rows, MAX_COLOUR, key)


MONO = monochrome_files()
COLOUR = colour_files()


def ids(paths):
    return [relative_name(p) for p in paths]


def corpus(rel):
    path = CORPUS / rel
    if not path.is_file():
        pytest.skip(f"{rel} is not in the corpus")
    return str(path)


# ---------------------------------------------------------------------------------------------------------------
# pydicom's pixels

@functools.lru_cache(maxsize=8)
def dataset(path):
    return quiet_read(path)


def frame_count(ds):
    return int(ds.get("NumberOfFrames", 1) or 1)


@functools.lru_cache(maxsize=16)
def frame_pixels(path, frame):
    """pydicom's stored values of one frame (masked to Bits Stored, sign-extended), colour as RGB (its own YBR_FULL
    conversion)."""
    ds = dataset(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arr = pydicom.pixels.pixel_array(ds, index=frame)
    if arr.ndim == (4 if int(ds.get("SamplesPerPixel", 1)) > 1 else 3):
        arr = arr[0]
    arr.setflags(write=False)
    return arr


# ---------------------------------------------------------------------------------------------------------------
# The reference pipeline

def functional_item(ds, frame, sequence):
    """The frame's item of a functional group macro (Per-Frame, else Shared), None in other images."""
    for groups, index in (("PerFrameFunctionalGroupsSequence", frame), ("SharedFunctionalGroupsSequence", 0)):
        seq = ds.get(groups)
        if seq is not None and index < len(seq) and sequence in seq[index] and len(seq[index][sequence].value):
            return seq[index][sequence][0]
    return None


def read_lut(item, signed):
    """(first mapped, bits, entries) of a LUT item (PS3.3 C.11.1.1 / C.11.2.1.1)."""
    entries, first, bits = (int(v) for v in item.LUTDescriptor)
    entries = entries or 65536
    if signed and first > 32767:
        first -= 65536
    data = item["LUTData"].value
    if isinstance(data, (bytes, bytearray)):
        data = np.frombuffer(data, "<u2" if len(data) >= 2 * entries else "u1")
    else:
        data = np.asarray(data if isinstance(data, (list, tuple, pydicom.multival.MultiValue)) else [data])
    return first, bits or 16, data[:entries].astype(np.int64)


def lut_lookup(first, entries, x):
    return entries[np.clip(x.astype(np.int64) - first, 0, len(entries) - 1)]


def first_number(value):
    if value is None or value == "":
        return None
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        return float(value[0]) if len(value) else None
    return float(value)


def modality_values(path, frame):
    ds = dataset(path)
    stored = frame_pixels(path, frame)
    signed = int(ds.get("PixelRepresentation", 0)) == 1
    if "ModalityLUTSequence" in ds and not np.issubdtype(stored.dtype, np.floating):
        first, _, entries = read_lut(ds.ModalityLUTSequence[0], signed)
        return lut_lookup(first, entries, stored).astype(np.float64)
    source = functional_item(ds, frame, "PixelValueTransformationSequence") or ds
    slope = first_number(source.get("RescaleSlope"))
    intercept = first_number(source.get("RescaleIntercept"))
    slope = 1.0 if slope is None or slope == 0 or not np.isfinite(slope) else slope
    intercept = 0.0 if intercept is None or not np.isfinite(intercept) else intercept
    return stored.astype(np.float64) * slope + intercept


def to8(y):
    """Round to nearest (y >= 0 after clipping, so half up) and clamp."""
    return np.clip(np.floor(np.asarray(y, dtype=np.float64) + 0.5), 0, 255).astype(np.uint8)


def window(x, c, w, function):
    """PS3.3 C.11.2.1.2.1 (LINEAR), C.11.2.1.3.2 (LINEAR_EXACT), C.11.2.1.3.1 (SIGMOID), to 0..255."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if function == "LINEAR":
            w = max(w, 1.0)
            low, high = c - 0.5 - (w - 1) / 2, c - 0.5 + (w - 1) / 2
            inside = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255 if w > 1 else np.full(x.shape, 255.0)
            y = np.where(x <= low, 0.0, np.where(x > high, 255.0, inside))
        elif function == "LINEAR_EXACT":
            y = np.where(x <= c - w / 2, 0.0, np.where(x > c + w / 2, 255.0, ((x - c) / w + 0.5) * 255))
        elif function == "SIGMOID":
            y = 255 / (1 + np.exp(-4 * (x - c) / w))
        else:
            raise ValueError(function)
    return to8(y)


def file_window(ds, frame):
    """The first valid Window Center / Width and VOI LUT Function, from the Frame VOI LUT macro in enhanced images.
    A width below 1 (0 or negative) is not a window (C.11.2.1.2: Window Width >= 1 for LINEAR, > 0 otherwise):
    such a window is passed over as if absent."""
    source = functional_item(ds, frame, "FrameVOILUTSequence") or ds
    c, w = first_number(source.get("WindowCenter")), first_number(source.get("WindowWidth"))
    if c is None or w is None or not np.isfinite(c) or not np.isfinite(w) or w <= 0:
        return None
    function = str(source.get("VOILUTFunction", "") or "").strip() or "LINEAR"
    return c, w, function if function in FUNCTIONS else "LINEAR"


def reference_grey(path, frame=0, window_cw=None, function=None):
    ds = dataset(path)
    x = modality_values(path, frame)
    signed = int(ds.get("PixelRepresentation", 0)) == 1
    if window_cw is not None:
        y = window(x, window_cw[0], window_cw[1], function or "LINEAR")
    elif "VOILUTSequence" in ds:
        first, bits, entries = read_lut(ds.VOILUTSequence[0], signed)
        y = to8(lut_lookup(first, entries, np.floor(x)) * 255 / (2 ** bits - 1))
    elif (fw := file_window(ds, frame)) is not None:
        y = window(x, fw[0], fw[1], function or fw[2])
    else:
        low, high = float(x.min()), float(x.max())
        y = window(x, (low + high) / 2, max(high - low, 1.0), "LINEAR_EXACT")
    if ds.get("PhotometricInterpretation") == "MONOCHROME1" or ds.get("PresentationLUTShape") == "INVERSE":
        y = 255 - y
    return y


def scale_to8(v, bits):
    v = np.asarray(v, dtype=np.float64)
    return v.astype(np.uint8) if bits <= 8 else to8(v * 255 / (2 ** bits - 1))


def reference_colour(path, frame=0):
    ds = dataset(path)
    arr = frame_pixels(path, frame)
    if ds.PhotometricInterpretation == "PALETTE COLOR":
        rgb = apply_color_lut(arr, ds)
        channels = []
        for c, name in enumerate(("Red", "Green", "Blue")):
            bits = int(ds[f"{name}PaletteColorLookupTableDescriptor"].value[2]) or 16
            channels.append(scale_to8(rgb[..., c], bits))
        return np.stack(channels, axis=-1)
    return scale_to8(arr, int(ds.BitsStored))


def reference(path, frame=0):
    ds = dataset(path)
    if int(ds.get("SamplesPerPixel", 1)) > 1 or ds.PhotometricInterpretation == "PALETTE COLOR":
        return reference_colour(path, frame)
    return reference_grey(path, frame)


def burn_overlays(image, ds, frame=0):
    image = image.copy()
    for group in range(0x6000, 0x6020, 2):
        if (group << 16 | 0x3000) not in ds:
            continue
        frames = int(ds.get((group, 0x0015)).value if (group, 0x0015) in ds else 1) or 1
        first = int(ds[group, 0x0051].value) if (group, 0x0051) in ds else 1
        if not first - 1 <= frame < first - 1 + frames:
            continue
        bits = ds.overlay_array(group)
        if bits.ndim == 3:
            bits = bits[frame - (first - 1)]
        top, left = (int(v) - 1 for v in ds[group, 0x0050].value) if (group, 0x0050) in ds else (0, 0)
        ys, xs = np.nonzero(bits)
        ys, xs = ys + top, xs + left
        keep = (ys >= 0) & (ys < image.shape[0]) & (xs >= 0) & (xs < image.shape[1])
        image[ys[keep], xs[keep]] = 255
    return image


def bilinear(image, width, height):
    """Plain bilinear resampling with pixel centres aligned (x_src = (x + 0.5) * sx - 0.5), edges clamped."""
    src = image.astype(np.float64)
    h0, w0 = src.shape[:2]
    fy = np.clip((np.arange(height) + 0.5) * h0 / height - 0.5, 0, h0 - 1)
    fx = np.clip((np.arange(width) + 0.5) * w0 / width - 0.5, 0, w0 - 1)
    y0, x0 = np.floor(fy).astype(int), np.floor(fx).astype(int)
    y1, x1 = np.minimum(y0 + 1, h0 - 1), np.minimum(x0 + 1, w0 - 1)
    wy, wx = fy - y0, fx - x0
    if src.ndim == 3:
        wy, wx = wy[:, None, None], wx[None, :, None]
    else:
        wy, wx = wy[:, None], wx[None, :]
    top = src[y0][:, x0] * (1 - wx) + src[y0][:, x1] * wx
    bottom = src[y1][:, x0] * (1 - wx) + src[y1][:, x1] * wx
    return to8(top * (1 - wy) + bottom * wy)


# ---------------------------------------------------------------------------------------------------------------
# Running lightbox

def run(*args):
    return subprocess.run([LIGHTBOX, "render", *map(str, args)], capture_output=True, text=True, timeout=120)


def png_header(path):
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    width, height, depth, colour_type = struct.unpack(">IIBB", data[16:26])
    return width, height, depth, colour_type


def render(tmp_path, path, *options, name="out.png"):
    """Renders; a nonzero exit fails the test, except the JPEG decoder still being a placeholder (an expected
    failure that turns into a real test as soon as the decoder lands)."""
    out = tmp_path / name
    p = run(path, "--out", out, *options)
    if p.returncode == 1 and p.stderr.strip().endswith(": stub"):
        pytest.xfail("Lightbox's JPEG decoder is still the placeholder (Sources/ImageCodecs/JPEGDecoderStub.swift)")
    assert p.returncode == 0, f"lightbox render {relative_name(path)} {' '.join(options)}: exit {p.returncode}: {p.stderr}"
    assert p.stderr == "", p.stderr
    return out


def read_image(out):
    with Image.open(out) as im:
        im.load()
        return np.array(im)


def where(diff):
    """The first differing pixel, as (row, column[, channel])."""
    return tuple(int(i) for i in np.argwhere(diff)[0])


def compare(got, want, path, frame, lossless, what="default"):
    label = f"{relative_name(path)} frame {frame + 1} ({what})"
    assert got.shape == want.shape, f"{label}: shape {got.shape}, reference {want.shape}"
    diff = np.abs(got.astype(np.int32) - want.astype(np.int32))
    if not diff.any():
        return
    at = where(diff)
    detail = (f"{label}: first difference at (row, col[, ch]) {at}: lightbox {got[at]}, reference {want[at]}; "
              f"max {diff.max()}, mean {diff.mean():.4f}, {np.count_nonzero(diff)} of {diff.size} values differ")
    if lossless:
        # Rounding at exact .5 boundaries may go either way in floating point: 1 level at a tiny fraction of values.
        assert diff.max() <= 1 and np.count_nonzero(diff) <= max(1, diff.size // 1000), detail
    else:
        # Another decoder of a lossy stream (IDCT, upsampling): small differences.
        assert diff.max() <= 12 and diff.mean() < 1, detail


def modality16_reference(path, frame=0):
    """The modality values rounded to nearest (halves away from zero), offset by 32768 when any is negative."""
    values = modality_values(path, frame)
    rounded = np.sign(values) * np.floor(np.abs(values) + 0.5)
    offset = 32768 if (values < 0).any() else 0
    return np.clip(rounded + offset, 0, 65535).astype(np.uint16), offset


def compare_grey(tmp_path, got, want, path, frame, what="default"):
    """Lossless syntaxes: exact (1 level of rounding at a tiny fraction). Lossy ones: pydicom's decoder and
    Lightbox's may differ by a level or two, and a steep window (or a large rescale slope) magnifies that; so the
    display values must be exact wherever Lightbox decoded the same value as pydicom (its --modality16 output equals
    the reference's), and where it did not, the decoded values may differ by at most 12 levels (mean < 1)."""
    if lossless(path):
        return compare(got, want, path, frame, True, what)
    label = f"{relative_name(path)} frame {frame + 1} ({what})"
    assert got.shape == want.shape, f"{label}: shape {got.shape}, reference {want.shape}"
    out = tmp_path / "decoded16.png"
    p = run(path, "--out", out, "--frame", frame + 1, "--modality16")
    assert p.returncode == 0, p.stderr
    decoded, _ = modality16_reference(path, frame)
    slope = abs(float(first_number((functional_item(dataset(path), frame, "PixelValueTransformationSequence")
                                    or dataset(path)).get("RescaleSlope")) or 1.0))
    levels = np.abs(read_image(out).astype(np.int64) - decoded.astype(np.int64)) / max(slope, 1.0)
    assert levels.max() <= 12 + 0.5 and levels.mean() < 1, (
        f"{label}: Lightbox's decoded values differ from pydicom's by up to {levels.max():.1f} levels "
        f"(mean {levels.mean():.3f}), first at {where(levels == levels.max())}")
    same = levels == 0
    diff = np.abs(got.astype(np.int32) - want.astype(np.int32)) * same
    if diff.any():
        at = where(diff)
        raise AssertionError(f"{label}: where Lightbox decoded the same values as pydicom ({same.mean():.2%} of "
                             f"pixels), first difference at {at}: lightbox {got[at]}, reference {want[at]}; "
                             f"max {diff.max()}, {np.count_nonzero(diff)} differ")


def lossless(path):
    return ROWS[path]["transfer_syntax_uid"] in LOSSLESS


# ---------------------------------------------------------------------------------------------------------------
# Grey

@pytest.mark.parametrize("path", MONO, ids=ids(MONO))
def test_monochrome_default(lightbox, tmp_path, path):
    out = render(tmp_path, path)
    want = reference_grey(path)
    width, height, depth, colour_type = png_header(out)
    assert (depth, colour_type) == (8, 0), f"8-bit grey PNG expected, got depth {depth}, colour type {colour_type}"
    compare_grey(tmp_path, read_image(out), want, path, 0)


def chosen_window(path):
    """A window over the middle of the frame's modality values, so that each function meets both clamps."""
    x = modality_values(path, 0)
    low, high = float(x.min()), float(x.max())
    span = max(high - low, 2.0)
    c, w = float(f"{low + 0.45 * span + 0.3:.6g}"), float(f"{0.5 * span:.6g}")
    return c, w


@pytest.mark.parametrize("path", MONO, ids=ids(MONO))
@pytest.mark.parametrize("function", FUNCTIONS)
def test_monochrome_window(lightbox, tmp_path, path, function):
    c, w = chosen_window(path)
    out = render(tmp_path, path, f"--window={c!r},{w!r}", "--function", function)
    want = reference_grey(path, window_cw=(c, w), function=function)
    compare_grey(tmp_path, read_image(out), want, path, 0, f"--window {c!r},{w!r} --function {function}")


def test_negative_window_center(lightbox, tmp_path):
    path = corpus("dicom-test-files/data/pydicom/CT_small.dcm")
    for args in (["--window", "-600,1500"], ["--window=-600,1500"]):
        out = render(tmp_path, path, *args)
        compare(read_image(out), reference_grey(path, window_cw=(-600.0, 1500.0)), path, 0, True, " ".join(args))


def test_selection_covers_the_traits():
    """The chosen files hold every trait the pipeline branches on (a guard against a thinner corpus)."""
    if not MONO:
        pytest.skip("no corpus")
    found = set().union(*(traits(p) for p in MONO))
    for trait in ("voi-lut", "modality-lut", "enhanced", "monochrome1", "inverse", "signed", "no-window"):
        assert trait in found, trait
    categories = {ROWS[p]["ts_category"] for p in MONO}
    assert len(categories) >= 8, categories


# ---------------------------------------------------------------------------------------------------------------
# Colour

@pytest.mark.parametrize("path", COLOUR, ids=ids(COLOUR))
def test_colour_default(lightbox, tmp_path, path):
    out = render(tmp_path, path)
    width, height, depth, colour_type = png_header(out)
    assert (depth, colour_type) == (8, 2), f"8-bit RGB PNG expected, got depth {depth}, colour type {colour_type}"
    got, want = read_image(out), reference_colour(path)
    ds = dataset(path)
    converted = ds.PhotometricInterpretation.startswith("YBR_FULL")
    if lossless(path) and not converted:
        compare(got, want, path, 0, True)
    elif lossless(path):
        # YBR_FULL to RGB: pydicom's conversion and the PS3.3 C.7.6.3.1.2 formulas round differently.
        diff = np.abs(got.astype(int) - want.astype(int))
        assert got.shape == want.shape
        assert diff.max() <= 2, (f"{relative_name(path)}: YBR_FULL to RGB differs by {diff.max()} at "
                                 f"{where(diff == diff.max())}: lightbox {got[where(diff == diff.max())[:2]]}, "
                                 f"reference {want[where(diff == diff.max())[:2]]}")
    else:
        compare(got, want, path, 0, False)


# ---------------------------------------------------------------------------------------------------------------
# Frames

MULTIFRAME = [
    "dicom-test-files/data/pydicom/emri_small.dcm",                # 10 frames, native
    "fo-dicom/Tests/FO-DICOM.Tests/Test Data/mr_brucker.dcm",      # enhanced MR, per-frame functional groups
    "dicom-test-files/data/pydicom/eCT_Supplemental.dcm",          # enhanced CT
    "dcm4che/dcm4che-test-data/src/main/resources/NM-MONO2-16-13x-heart",
    "dicom-test-files/data/pydicom/SC_rgb_rle_2frame.dcm",         # colour
    "dcm4che/dcm4che-test-data/src/main/resources/US-PAL-8-10x-echo",  # palette, RLE
]


@pytest.mark.parametrize("rel", MULTIFRAME)
def test_frames(lightbox, tmp_path, rel):
    path = corpus(rel)
    frames = frame_count(dataset(path))
    assert frames >= 2
    for frame in sorted({1, frames - 1}):
        out = render(tmp_path, path, "--frame", frame + 1, name=f"f{frame + 1}.png")
        compare(read_image(out), reference(path, frame), path, frame, lossless(path), f"--frame {frame + 1}")
    p = run(path, "--out", tmp_path / "zero.png", "--frame", "0")
    assert p.returncode == 2 and p.stderr.strip() and "\n" not in p.stderr.strip(), (p.returncode, p.stderr)
    p = run(path, "--out", tmp_path / "past.png", "--frame", frames + 1)
    assert p.returncode == 1 and "\n" not in p.stderr.strip() and "frame" in p.stderr, (p.returncode, p.stderr)
    assert not (tmp_path / "past.png").exists()


def synthetic(tmp_path, rel, name, change):
    """A corpus file changed with pydicom and saved in tmp_path: for traits no corpus file has."""
    ds = quiet_read(corpus(rel))
    change(ds)
    path = tmp_path / name
    ds.save_as(path, enforce_file_format=True)
    return str(path)


def per_frame_groups(ds):
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    first, second = ds.PerFrameFunctionalGroupsSequence[0], ds.PerFrameFunctionalGroupsSequence[1]
    pvt = Dataset()
    pvt.RescaleSlope, pvt.RescaleIntercept, pvt.RescaleType = "2", "-2000", "US"
    second.PixelValueTransformationSequence = Sequence([pvt])
    for item, (c, w, f) in ((first, ("0", "1000", "LINEAR_EXACT")), (second, ("300", "800", "SIGMOID"))):
        voi = Dataset()
        voi.WindowCenter, voi.WindowWidth, voi.VOILUTFunction = c, w, f
        item.FrameVOILUTSequence = Sequence([voi])


def test_enhanced_per_frame_groups(lightbox, tmp_path):
    """Per-Frame Functional Groups override the Shared ones, frame by frame: frame 1 keeps the shared rescale with
    its own LINEAR_EXACT window, frame 2 has its own rescale (slope 2, intercept -2000) and a SIGMOID window."""
    original = corpus("dicom-test-files/data/pydicom/eCT_Supplemental.dcm")
    path = synthetic(tmp_path, "dicom-test-files/data/pydicom/eCT_Supplemental.dcm", "per-frame.dcm", per_frame_groups)
    for frame in (0, 1):
        assert (reference_grey(path, frame) != reference_grey(original, frame)).any(), "the per-frame items change nothing"
    for frame in (0, 1):
        out = render(tmp_path, path, "--frame", frame + 1, name=f"f{frame}.png")
        compare(read_image(out), reference_grey(path, frame), path, frame, True, "per-frame groups")
        out = render(tmp_path, path, "--frame", frame + 1, "--modality16", name=f"m{frame}.png")
        want, _ = modality16_reference(path, frame)
        got = read_image(out)
        diff = got.astype(np.int64) - want
        assert not diff.any(), f"frame {frame + 1} --modality16: first difference at {where(diff)}"


def test_presentation_lut_inverse(lightbox, tmp_path):
    """MONOCHROME2 with Presentation LUT Shape INVERSE is shown inverted (the corpus has INVERSE only with
    MONOCHROME1)."""
    def inverse(ds):
        ds.PresentationLUTShape = "INVERSE"
    path = synthetic(tmp_path, "dicom-test-files/data/pydicom/CT_small.dcm", "inverse.dcm", inverse)
    want = reference_grey(path)
    assert (want == 255 - reference_grey(corpus("dicom-test-files/data/pydicom/CT_small.dcm"))).all()
    compare(read_image(render(tmp_path, path)), want, path, 0, True, "INVERSE")


# ---------------------------------------------------------------------------------------------------------------
# Overlays

OVERLAID = [
    "dicom-test-files/data/pydicom/MR-SIEMENS-DICOM-WithOverlays.dcm",
    "orthanc-tests/Database/PatientWith2studies/TEST_1_study_1234.dcm",
]


@pytest.mark.parametrize("rel", OVERLAID)
def test_overlays(lightbox, tmp_path, rel):
    path = corpus(rel)
    ds = dataset(path)
    out = render(tmp_path, path, "--overlays")
    plain = reference_grey(path)
    want = burn_overlays(plain, ds)
    assert np.count_nonzero(want != plain) > 0, "the overlay changes nothing: a useless test file"
    compare(read_image(out), want, path, 0, lossless(path), "--overlays")


def test_overlays_placed(lightbox, tmp_path):
    """Two overlay planes, one moved by its origin (partly off the image) and one smaller, in group 6002."""
    def move(ds):
        ds[0x6000, 0x0050].value = [-30, 200]
        ds.add_new((0x6002, 0x0010), "US", 20)
        ds.add_new((0x6002, 0x0011), "US", 24)
        ds.add_new((0x6002, 0x0040), "CS", "G")
        ds.add_new((0x6002, 0x0050), "SS", [11, 5])
        ds.add_new((0x6002, 0x0100), "US", 1)
        ds.add_new((0x6002, 0x0102), "US", 0)
        bits = np.zeros(20 * 24, dtype=np.uint8)
        bits[::3] = 1
        ds.add_new((0x6002, 0x3000), "OW", np.packbits(bits, bitorder="little").tobytes())
    path = synthetic(tmp_path, "dicom-test-files/data/pydicom/MR-SIEMENS-DICOM-WithOverlays.dcm", "overlays.dcm", move)
    ds = dataset(path)
    plain = reference_grey(path)
    want = burn_overlays(plain, ds)
    assert np.count_nonzero(want[10:30, 4:28] != plain[10:30, 4:28]) > 0
    compare(read_image(render(tmp_path, path, "--overlays")), want, path, 0, True, "--overlays, moved")


# ---------------------------------------------------------------------------------------------------------------
# Fitting inside a box

SIZED = [
    ("dcm4che/dcm4che-assembly/src/etc/testdata/dicom/MR07.dcm", "100x80"),        # 256x256 down to 80x80
    ("dicom-test-files/data/pydicom/JPEG2000_UNC.dcm", "300x300"),                 # 256x1024 down to 75x300
    ("cornerstone3D/packages/dicomImageLoader/testImages/TestPattern_Palette.dcm", "320x320"),  # colour
    ("pydicom-wheel/test_files/dicomdirtests/77654033/CT2/17196", "40x50"),        # 16x16 up to 40x40
]


@pytest.mark.parametrize("rel,size", SIZED)
def test_size(lightbox, tmp_path, rel, size):
    path = corpus(rel)
    box_w, box_h = (int(v) for v in size.split("x"))
    full = reference(path)
    height, width = full.shape[:2]
    scale = min(box_w / width, box_h / height)
    w, h = round(width * scale), round(height * scale)
    out = render(tmp_path, path, "--size", size)
    got = read_image(out)
    assert got.shape[:2] == (h, w), f"{size}: {got.shape[1]}x{got.shape[0]}, expected {w}x{h}"
    assert got.ndim == full.ndim
    mean = np.abs(got.astype(float) - bilinear(full, w, h).astype(float)).mean()
    assert mean < 2, f"{relative_name(path)} --size {size}: mean difference {mean:.3f} from bilinear"


# ---------------------------------------------------------------------------------------------------------------
# Modality values as 16 bits

MODALITY16 = [
    "dicom-test-files/data/pydicom/CT_small.dcm",                       # signed CT, intercept -1024: offset
    "dcm4che/dcm4che-assembly/src/etc/testdata/dicom/MR07.dcm",         # MR, unsigned, no offset
    "pydicom-wheel/test_files/dicomdirtests/77654033/CR2/6247",         # slope 0.684, intercept 200: rounding
    "dicom-test-files/data/pydicom/mlut_18.dcm",                        # Modality LUT Sequence
]


@pytest.mark.parametrize("rel", MODALITY16)
def test_modality16(lightbox, tmp_path, rel):
    path = corpus(rel)
    out = render(tmp_path, path, "--modality16")
    width, height, depth, colour_type = png_header(out)
    assert (depth, colour_type) == (16, 0), f"16-bit grey PNG expected, got depth {depth}, colour type {colour_type}"
    want, offset = modality16_reference(path)
    got = read_image(out).astype(np.uint16)
    assert got.shape == want.shape
    diff = got.astype(np.int64) - want.astype(np.int64)
    assert not diff.any(), (f"{relative_name(path)} --modality16 (offset {offset}): first difference at "
                            f"{where(diff)}: lightbox {got[where(diff)]}, reference {want[where(diff)]}")


# ---------------------------------------------------------------------------------------------------------------
# JPEG output

JPEGGED = [
    "dcm4che/dcm4che-assembly/src/etc/testdata/dicom/MR07.dcm",
    "dwv/tests/data/gdcm-CR-MONO1-10-chest.dcm",
    "pydicom-wheel/test_files/examples_rgb_color.dcm",
]


@pytest.mark.parametrize("rel", JPEGGED)
def test_jpeg(lightbox, tmp_path, rel):
    path = corpus(rel)
    png = read_image(render(tmp_path, path, name="out.png"))
    jpg = render(tmp_path, path, name="out.jpg")
    assert jpg.read_bytes()[:3] == b"\xff\xd8\xff", "not a JPEG"
    with Image.open(jpg) as im:
        assert im.mode == ("RGB" if png.ndim == 3 else "L"), im.mode
        got = np.array(im)
    assert got.shape == png.shape
    mean = np.abs(got.astype(float) - png.astype(float)).mean()
    assert mean < 3, f"{relative_name(path)}: JPEG differs from the PNG by {mean:.3f} on average"
    small = render(tmp_path, path, "--quality", "10", name="q10.jpg")
    assert small.stat().st_size < jpg.stat().st_size, "--quality 10 is not smaller than the default 90"


# ---------------------------------------------------------------------------------------------------------------
# Failures

def one_line_failure(p, status):
    assert p.returncode == status, (p.returncode, p.stderr)
    message = p.stderr.strip()
    assert message and "\n" not in message, repr(p.stderr)
    assert p.stdout == ""


def test_not_dicom(lightbox, tmp_path):
    bad = tmp_path / "not.dcm"
    bad.write_text("this is not a DICOM file\n" * 20)
    p = run(bad, "--out", tmp_path / "out.png")
    one_line_failure(p, 1)
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("rel", [
    "cornerstone3D/packages/dicomImageLoader/testImages/no-pixel-data.dcm",
    "dicom-test-files/data/dcmqi/sr-example/sr.dcm",
])
def test_no_pixel_data(lightbox, tmp_path, rel):
    path = corpus(rel)
    assert "PixelData" not in quiet_read(path, stop_before_pixels=False)
    for options in ([], ["--modality16"]):
        p = run(path, "--out", tmp_path / "out.png", *options)
        one_line_failure(p, 1)
        assert not (tmp_path / "out.png").exists()


def test_modality16_of_colour_is_refused(lightbox, tmp_path):
    path = corpus("dicom-test-files/data/pydicom/SC_rgb.dcm")
    one_line_failure(run(path, "--out", tmp_path / "out.png", "--modality16"), 1)


@pytest.mark.parametrize("options", [
    ["--window", "40"],
    ["--window", "40,0"],
    ["--window", "a,b"],
    ["--size", "0x10"],
    ["--size", "10"],
    ["--function", "CUBIC"],
    ["--frame", "0"],
    ["--quality", "0"],
], ids=lambda o: " ".join(o))
def test_usage_errors(lightbox, tmp_path, options):
    path = corpus("dicom-test-files/data/pydicom/CT_small.dcm")
    one_line_failure(run(path, "--out", tmp_path / "out.png", *options), 2)
    assert not (tmp_path / "out.png").exists()


def test_usage_without_out(lightbox):
    one_line_failure(run(corpus("dicom-test-files/data/pydicom/CT_small.dcm")), 2)
