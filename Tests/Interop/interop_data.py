"""The corpus files the interop tests send, and an independent model of what C-FIND should match among them.

STORE_CASES: two files per transfer syntax (one deflated file only: DCMTK re-encodes the others), each with the
storescu option that proposes that syntax. They were chosen among the files DCMTK transmits unchanged (DCMTK drops
Data Set Trailing Padding and re-encodes a few oddities; a file it changes cannot show whether the receiver kept
the bytes). SEND_EXTRA: files DCMTK changes, which `lightbox send` must send as they are.

QUERY_FILES: a small archive of fifteen patients whose attributes are consistent within each patient, study and
series (checked by `Model`), with dates, names (in eight character sets) and counts that make every kind of
matching discriminate."""
import re
from collections import defaultdict

import pydicom
from pydicom.datadict import dictionary_VR
from pydicom.multival import MultiValue

from interop_support import CORPUS

IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
BIG = "1.2.840.10008.1.2.2"
DEFLATED = "1.2.840.10008.1.2.1.99"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"
JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80"
JPEG_LS_NEAR = "1.2.840.10008.1.2.4.81"
J2K_LOSSLESS = "1.2.840.10008.1.2.4.90"
J2K = "1.2.840.10008.1.2.4.91"

# (transfer syntax, storescu option proposing it, corpus path)
STORE_CASES = [
    (IMPLICIT, "-xi", "dicom-test-files/data/dcmqi/segmentations/23x38x3/image/IMG0002.dcm"),
    (IMPLICIT, "-xi", "dicom-test-files/data/pydicom/rtplan.dcm"),
    (EXPLICIT, "-xe", "pydicom-wheel/test_files/dicomdirtests/77654033/CT2/17106"),
    (EXPLICIT, "-xe", "dicom-test-files/data/pydicom/MR-SIEMENS-DICOM-WithOverlays.dcm"),
    (BIG, "-xb", "dicom-test-files/data/pydicom/ExplVR_BigEnd.dcm"),
    (BIG, "-xb", "dicom-test-files/data/pydicom/rtdose_expb_1frame.dcm"),
    (DEFLATED, "-xd", "dicom-test-files/data/pydicom/image_dfl.dcm"),
    (JPEG_BASELINE, "-xy", "dicom-test-files/data/pydicom/SC_rgb_jpeg_dcmtk.dcm"),
    (JPEG_BASELINE, "-xy",
     "cornerstone3D/packages/dicomImageLoader/testImages/CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm"),
    (JPEG_LOSSLESS_SV1, "-xs", "dcm4che/dcm4che-test-data/src/main/resources/MR-JPEGLosslessSV1.dcm"),
    (JPEG_LOSSLESS_SV1, "-xs", "dicom-test-files/data/pydicom/SC_rgb_jpeg_gdcm.dcm"),
    (JPEG_LS_LOSSLESS, "-xt", "cornerstone3D/packages/dicomImageLoader/testImages/TestPattern_JPEG-LS-Lossless.dcm"),
    (JPEG_LS_NEAR, "-xu", "pydicom-wheel/test_files/JPEGLSNearLossless_16.dcm"),
    (J2K_LOSSLESS, "-xv", "pydicom-wheel/test_files/GDCMJ2K_TextGBR.dcm"),
    (J2K, "-xw", "pylibjpeg-data/ljdata/ds/JPEG2000/ELSCINT1_JP2vsJ2K.dcm"),
]

# Files DCMTK alters when it sends them (trailing padding, sequence encodings), which Lightbox must send unchanged.
SEND_EXTRA = [
    (DEFLATED, None, "dcm4che/dcm4che-test-data/src/main/resources/report_dfl"),
    (IMPLICIT, None, "dcm4che/dcm4che-assembly/src/etc/testdata/dicom/MR07.dcm"),
    (EXPLICIT, None, "dicom-test-files/data/pydicom/CT_small.dcm"),
    (J2K, None, "dicom-test-files/data/pydicom/JPEG2000.dcm"),
    (JPEG_LS_NEAR, None, "dicom-test-files/data/WG04/JLSN/MR4_JLSN"),
]

SYNTAX_NAMES = {
    IMPLICIT: "implicit-le", EXPLICIT: "explicit-le", BIG: "explicit-be", DEFLATED: "deflated",
    JPEG_BASELINE: "jpeg-baseline", JPEG_LOSSLESS_SV1: "jpeg-lossless-sv1", JPEG_LS_LOSSLESS: "jpeg-ls",
    JPEG_LS_NEAR: "jpeg-ls-near", J2K_LOSSLESS: "j2k-lossless", J2K: "j2k",
}


def store_case_id(case):
    ts, _, path = case
    return f"{SYNTAX_NAMES[ts]}:{path.rsplit('/', 1)[-1]}"


def _glob(pattern):
    return sorted(str(p.relative_to(CORPUS)) for p in CORPUS.glob(pattern))


TINY = "pydicom-wheel/test_files/dicomdirtests/TINY_ALPHA/PT000000/ST000000/SE000000/*"

# Copied into the receiver's folder before it starts (named <SOP Instance UID>.dcm, as it names files).
QUERY_FILES_PRESENT = [TINY, "orthanc-tests/Database/Brainix/*/*.dcm", "orthanc-tests/Database/Knix/Loc/*.dcm",
                       "dcm4che/dcm4che-assembly/src/etc/testdata/dicom/MR07.dcm",
                       "dicom-test-files/data/dcmqi/paramaps/701-ADCb500/*.dcm",
                       "pydicom-wheel/test_files/dicomdirtests/98892001/*/*",
                       "dicom-test-files/data/pydicom/rtplan.dcm",
                       "dicom-test-files/data/dcmqi/segmentations/23x38x3/image/*.dcm",
                       # Names in Latin-1, Greek, Cyrillic, Arabic, Hebrew, and UTF-8 with ideographs.
                       *[f"fo-dicom/Tests/FO-DICOM.Tests/Test Data/charset/chr{n}.dcm"
                         for n in ("Germ", "Greek", "Russ", "Arab", "Hbrw", "X1")]]
# Sent to it with dcmsend once it runs: explicit VR little endian files dcmsend transmits unchanged.
QUERY_FILES_SENT = ["pydicom-wheel/test_files/dicomdirtests/77654033/*/*",
                    "pydicom-wheel/test_files/dicomdirtests/98892003/*/*",
                    "dicom-test-files/data/dcmqi/segmentations/24x38x3/multiframe/mf.dcm",
                    "dicom-test-files/data/dcmqi/segmentations/24x38x3/seg/label.seg"]


def expand(patterns):
    out = []
    for p in patterns:
        out += _glob(p) if "*" in p else [p]
    return out


# ---------------------------------------------------------------------------------------------------------------
# The expected answers, computed from the files with pydicom and a matcher written from PS3.4 C.2.2.2.

LEVELS = ("PATIENT", "STUDY", "SERIES", "IMAGE")
UNIQUE = {"PATIENT": "PatientID", "STUDY": "StudyInstanceUID", "SERIES": "SeriesInstanceUID", "IMAGE": "SOPInstanceUID"}
LEVEL_ATTRIBUTES = {
    "PATIENT": ("PatientID", "PatientName", "PatientBirthDate", "PatientSex"),
    "STUDY": ("StudyInstanceUID", "StudyDate", "StudyTime", "AccessionNumber", "StudyID", "StudyDescription"),
    "SERIES": ("SeriesInstanceUID", "Modality", "SeriesNumber", "SeriesDate", "SeriesTime", "SeriesDescription"),
    "IMAGE": ("SOPInstanceUID", "InstanceNumber", "SOPClassUID"),
}


def text(ds, keyword):
    """An attribute's value as the text C-FIND compares: None when absent, '' when empty; a list for VM > 1."""
    if keyword not in ds:
        return None
    v = ds[keyword].value
    if v is None:
        return ""
    if isinstance(v, (MultiValue, list)):
        return [str(x) for x in v]
    return str(v)


def _wildcard(pattern):
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z", re.S)


def matches(ds, keyword, key):
    """Whether one key of an identifier matches an entity (PS3.4 C.2.2.2)."""
    if key == "":
        return True  # universal matching
    value = text(ds, keyword)
    if value is None or value == "":
        return False
    values = value if isinstance(value, list) else [value]
    vr = dictionary_VR(keyword)
    if vr != "UI" and "\\" in key:
        # Several values in a key: any of them may match any value of the attribute (as for Modalities in
        # Study, PS3.4 C.6.1.1.3).
        return any(matches(ds, keyword, k) for k in key.split("\\"))
    if vr == "UI":
        return any(v in key.split("\\") for v in values)  # list of UID matching (one UID is a list of one)
    if vr in ("DA", "TM") and "-" in key:
        lower, upper = key.split("-")
        width = 8 if vr == "DA" else 6
        return any((not lower or v[:width] >= lower) and (not upper or v[:width] <= upper) for v in values)
    if vr in ("AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT") and ("*" in key or "?" in key):
        return any(_wildcard(key).match(v) for v in values)
    if vr in ("IS", "DS"):
        return any(float(v) == float(key) for v in values)
    return any(v == key for v in values)


class Model:
    """The patients, studies, series and instances of a set of files, as Query/Retrieve sees them."""

    def __init__(self, paths):
        self.instances = []
        for rel in paths:
            ds = pydicom.dcmread(CORPUS / rel, stop_before_pixels=True)
            ds.path = rel
            self.instances.append(ds)
        self.groups = {level: defaultdict(list) for level in LEVELS}
        for ds in self.instances:
            for level in LEVELS:
                self.groups[level][str(ds.get(UNIQUE[level], ""))].append(ds)
        # The archive must be consistent for the expected answers to be unambiguous.
        for level in LEVELS:
            for key, members in self.groups[level].items():
                for depth in range(LEVELS.index(level) + 1):
                    for attribute in LEVEL_ATTRIBUTES[LEVELS[depth]]:
                        values = {repr(text(m, attribute)) for m in members}
                        assert len(values) == 1, f"{level} {key}: {attribute} differs among its instances: {values}"

    def entity(self, level, key):
        return self.groups[level][key][0]

    def find(self, level, keys):
        """The unique keys of the entities of `level` matching every key (a dict of keyword: value)."""
        out = set()
        for key, members in self.groups[level].items():
            ds = self.with_computed(level, key)
            if all(matches(ds, k, v) for k, v in keys.items()
                   if k not in ("QueryRetrieveLevel", "SpecificCharacterSet")):
                out.add(key)
        return out

    def with_computed(self, level, key):
        """The entity's attributes and, for a study, Modalities in Study (PS3.4 C.6.1.1.3: the set of the
        Modality values of its series)."""
        members = self.groups[level][key]
        ds = members[0]
        if level == "STUDY":
            ds = pydicom.Dataset(ds)
            ds.ModalitiesInStudy = sorted({str(m.Modality) for m in members if m.get("Modality")})
        return ds

    def instances_under(self, level, keys):
        """The SOP Instance UIDs a C-MOVE or C-GET with these keys retrieves."""
        selected = self.find(level, keys)
        return {str(ds.SOPInstanceUID) for ds in self.instances if str(ds.get(UNIQUE[level], "")) in selected}

    def count(self, level, key, below):
        """How many distinct entities of level `below` the entity holds (NumberOf...Related...)."""
        return len({str(m.get(UNIQUE[below], "")) for m in self.groups[level][key]})
