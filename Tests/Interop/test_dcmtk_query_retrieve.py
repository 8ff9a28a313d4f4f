"""DCMTK as the SCU, `lightbox receive` as the SCP of Query/Retrieve: findscu at every level in both information
models, each kind of matching, against answers computed independently from the files (interop_data.Model);
movescu into a DCMTK storescp and getscu into a folder, the retrieved data sets byte-identical."""
import os
import shutil
import time
from pathlib import Path

import pydicom
import pytest

from interop_data import QUERY_FILES_PRESENT, QUERY_FILES_SENT, UNIQUE, Model, expand, text
from interop_support import HOST, LIGHTBOX, corpus, dataset_bytes, describe, files_by_sop_instance, free_port, run, \
    sop_instance_uid

PRESENT = expand(QUERY_FILES_PRESENT)
SENT = expand(QUERY_FILES_SENT)


@pytest.fixture(scope="module")
def model(corpus_dir):
    return Model(PRESENT + SENT)


@pytest.fixture(scope="module")
def storescp(module_launcher, tmp_path_factory, dcmtk, corpus_dir):
    """The C-MOVE destination."""
    return module_launcher.storescp(tmp_path_factory.mktemp("moved"), aet="STORESCP")


class Stored:
    """Where an SCP under test keeps what it holds: `lightbox receive` names files by SOP Instance UID in its
    folder; `lightbox serve` keeps them in its storage area under keys of its own."""

    def __init__(self, service, folder, by_name):
        self.service, self.folder, self.by_name = service, Path(folder), by_name
        self._map = None

    def path(self, uid):
        if self.by_name:
            return self.folder / f"{uid}.dcm"
        if self._map is None or uid not in self._map:
            self._map = files_by_sop_instance(self.folder)
        return self._map[uid]

    def uids(self):
        if self.by_name:
            return {p.stem for p in self.folder.glob("*.dcm")}
        return set(files_by_sop_instance(self.folder))


@pytest.fixture(scope="module", params=["receive", "serve"])
def archive(request, module_launcher, tmp_path_factory, storescp, model):
    """The SCP holding the query files: some present before it starts (copied into `lightbox receive`'s folder,
    or put in with `lightbox import` for `lightbox serve`), the rest sent with dcmsend once it listens."""
    folder = tmp_path_factory.mktemp("archive")
    destinations = ["--modality", f"STORESCP={HOST}:{storescp.port}", "--modality", f"DOWN={HOST}:{free_port()}"]
    if request.param == "receive":
        for rel in PRESENT:
            shutil.copy(corpus(rel), folder / f"{sop_instance_uid(corpus(rel))}.dcm")
        receiver = module_launcher.receive(folder, *destinations)
        receiver.stored = Stored(receiver, folder, by_name=True)
    else:
        cp = run([LIGHTBOX, "import", "--data", folder, "--quiet", *[corpus(rel) for rel in PRESENT]])
        assert cp.returncode == 0, describe(cp)
        # The model matches person names by case, as PS3.4 C.2.2.2 does by default.
        receiver = module_launcher.serve(folder, *destinations, env={"LIGHTBOX_QUERY_CASE_INSENSITIVE_NAMES": "false"})
        receiver.stored = Stored(receiver, folder / "storage", by_name=False)
    staging = tmp_path_factory.mktemp("staging")
    for i, rel in enumerate(SENT):
        shutil.copy(corpus(rel), staging / f"{i:03d}.dcm")
    # -dn: never decompress; the native files are explicit VR little endian, as dcmsend prefers.
    cp = run(["dcmsend", "-aec", receiver.aet, "+sd", "-dn", HOST, receiver.port, staging])
    assert cp.returncode == 0, describe(cp)
    return receiver


def test_archive_holds_the_files_unchanged(archive):
    assert archive.stored.uids() == {sop_instance_uid(corpus(rel)) for rel in PRESENT + SENT}
    for rel in PRESENT + SENT:
        path = archive.stored.path(sop_instance_uid(corpus(rel)))
        assert dataset_bytes(path) == dataset_bytes(corpus(rel)), rel


# ---------------------------------------------------------------------------------------------------------------
# C-FIND

# Unique keys of the entities the cases are scoped to.
DOE_PETER = "98890234"
DOE_ARCHIBALD = "77654033"
PETER_MR_STUDY = "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.1"
PETER_MR2_STUDY = "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.133"
PETER_MR1 = "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.15"
PETER_MR700 = "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.118"
ARCHIBALD_CT_STUDY = "1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.1"
ARCHIBALD_CT = "1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.2"
BRAINIX = "5Yp0E"
BRAINIX_STUDY = "2.16.840.1.113669.632.20.1211.10000357775"
KNIX = "ozp00SjY2xG"
TINY = "12345678"


def LATIN1(text):
    """A command-line argument holding the text's ISO 8859-1 bytes (findscu puts the bytes in the key as given)."""
    return os.fsdecode(text.encode("latin-1"))


def scoped(model, level, patient=None, study=None, series=None):
    """The unique keys above `level` for a hierarchical query (PS3.4 C.4.1.2.1), looked up in the model."""
    keys = {}
    if series:
        ds = model.entity("SERIES", series)
        study, patient = str(ds.StudyInstanceUID), str(ds.PatientID)
    if study:
        patient = str(model.entity("STUDY", study).PatientID)
    if patient and level != "PATIENT":
        keys["PatientID"] = patient
    if study and level in ("SERIES", "IMAGE"):
        keys["StudyInstanceUID"] = study
    if series and level == "IMAGE":
        keys["SeriesInstanceUID"] = series
    return keys


def series_of(model, patient_id, number):
    return next(k for k, m in model.groups["SERIES"].items()
                if str(m[0].PatientID) == patient_id and str(m[0].SeriesNumber) == number)


def knix_series(model):
    return series_of(model, KNIX, "1")


def tiny_series(model):
    return next(iter({str(m.SeriesInstanceUID) for m in model.instances if str(m.PatientID) == TINY}))


def tiny_uids(model, numbers):
    return "\\".join(str(m.SOPInstanceUID) for m in model.instances
                     if str(m.PatientID) == TINY and str(m.InstanceNumber) in numbers)


# (id, level, models, scope, keys, expected size or None). The expected set itself comes from the model;
# the size guards against a model that matches nothing (or everything) by mistake.
def cases(model):
    tiny = tiny_series(model)
    knix = knix_series(model)
    all_studies = len(model.groups["STUDY"])
    return [
        # PATIENT (Patient Root only)
        ("patient-single", "PATIENT", "P", {}, {"PatientID": DOE_PETER, "PatientName": ""}, 1),
        ("patient-star", "PATIENT", "P", {}, {"PatientName": "Doe*", "PatientID": ""}, 2),
        ("patient-question", "PATIENT", "P", {}, {"PatientID": "7765403?", "PatientName": ""}, 1),
        ("patient-question-name", "PATIENT", "P", {}, {"PatientName": "?NIX", "PatientID": ""}, 1),
        ("patient-range", "PATIENT", "P", {}, {"PatientBirthDate": "19000101-19991231", "PatientID": ""}, 1),
        ("patient-open-range", "PATIENT", "P", {}, {"PatientBirthDate": "-20101231", "PatientID": ""}, 2),
        ("patient-universal", "PATIENT", "P", {},
         {"PatientID": "", "PatientName": "", "PatientBirthDate": "", "NumberOfPatientRelatedStudies": ""}, 15),
        # Names in other character sets, asked for in UTF-8 (or in the candidate's own set): the SCP must
        # compare characters, not bytes.
        ("patient-utf8-star", "PATIENT", "P", {},
         {"SpecificCharacterSet": "ISO_IR 192", "PatientName": "Äneas*", "PatientID": ""}, 1),
        ("patient-utf8-greek", "PATIENT", "P", {},
         {"SpecificCharacterSet": "ISO_IR 192", "PatientName": "Διονυσιος", "PatientID": ""}, 1),
        ("patient-utf8-cyrillic-question", "PATIENT", "P", {},
         {"SpecificCharacterSet": "ISO_IR 192", "PatientName": "Л?кceмбypг", "PatientID": ""}, 1),
        ("patient-utf8-hebrew-star", "PATIENT", "P", {},
         {"SpecificCharacterSet": "ISO_IR 192", "PatientName": "*^דבורה", "PatientID": ""}, 1),
        ("patient-latin1-single", "PATIENT", "P", {},
         {"SpecificCharacterSet": "ISO_IR 100", "PatientName": LATIN1("Äneas^Rüdiger"), "PatientID": ""}, 1),
        # STUDY
        ("study-single", "STUDY", "PS", {"patient": DOE_PETER}, {"StudyDate": "20030505", "StudyInstanceUID": ""}, 2),
        ("study-star", "STUDY", "S", {}, {"PatientName": "Doe*", "StudyInstanceUID": ""}, 5),
        ("study-star-accession", "STUDY", "PS", {"patient": DOE_PETER},
         {"AccessionNumber": "1*", "StudyInstanceUID": ""}, 1),
        ("study-question", "STUDY", "PS", {"patient": DOE_PETER}, {"AccessionNumber": "?", "StudyInstanceUID": ""}, 2),
        ("study-range", "STUDY", "PS", {"patient": DOE_PETER},
         {"StudyDate": "20020101-20031231", "StudyInstanceUID": ""}, 2),
        ("study-range-all", "STUDY", "S", {}, {"StudyDate": "20000101-20041231", "StudyInstanceUID": ""}, 5),
        ("study-range-before", "STUDY", "S", {}, {"StudyDate": "-19991231", "StudyInstanceUID": ""}, 2),
        ("study-range-after", "STUDY", "S", {}, {"StudyDate": "20170101-", "StudyInstanceUID": ""}, 2),
        ("study-star-latin1", "STUDY", "PS", {"patient": BRAINIX},
         {"StudyDescription": "IRM*", "StudyInstanceUID": "", "SpecificCharacterSet": ""}, 1),
        ("study-question-latin1", "STUDY", "S", {},
         {"StudyDescription": "IRM c?r?brale*cr?ne", "StudyInstanceUID": ""}, 1),
        ("study-modalities-in-study", "STUDY", "S", {}, {"ModalitiesInStudy": "CT", "StudyInstanceUID": ""}, 5),
        ("study-modalities-in-study-list", "STUDY", "S", {},
         {"ModalitiesInStudy": "SEG\\CR", "StudyInstanceUID": ""}, 2),
        ("study-uid-list", "STUDY", "PS", {"patient": DOE_PETER},
         {"StudyInstanceUID": f"{PETER_MR_STUDY}\\{PETER_MR2_STUDY}", "StudyDate": ""}, 2),
        ("study-uid-list-across-patients", "STUDY", "S", {},
         {"StudyInstanceUID": f"{BRAINIX_STUDY}\\{ARCHIBALD_CT_STUDY}\\1.2.3.4.404", "PatientID": ""}, 2),
        ("study-universal", "STUDY", "S", {},
         {"StudyInstanceUID": "", "StudyDate": "", "PatientName": "", "AccessionNumber": "",
          "NumberOfStudyRelatedSeries": "", "NumberOfStudyRelatedInstances": ""}, all_studies),
        ("study-universal-of-patient", "STUDY", "PS", {"patient": DOE_ARCHIBALD},
         {"StudyInstanceUID": "", "StudyDate": "", "NumberOfStudyRelatedInstances": ""}, 2),
        # SERIES
        ("series-single", "SERIES", "PS", {"study": PETER_MR_STUDY}, {"SeriesNumber": "700", "SeriesInstanceUID": ""}, 1),
        ("series-single-modality", "SERIES", "PS", {"study": PETER_MR_STUDY},
         {"Modality": "MR", "SeriesInstanceUID": ""}, 3),
        ("series-star", "SERIES", "PS", {"study": BRAINIX_STUDY},
         {"SeriesDescription": "*FLAIR", "SeriesInstanceUID": ""}, 1),
        ("series-question", "SERIES", "PS", {"study": BRAINIX_STUDY},
         {"SeriesDescription": "?T2W*", "SeriesInstanceUID": ""}, 1),
        ("series-question-modality", "SERIES", "PS", {"study": BRAINIX_STUDY},
         {"Modality": "M?", "SeriesInstanceUID": ""}, 2),
        ("series-date-range", "SERIES", "PS", {"study": PETER_MR_STUDY},
         {"SeriesDate": "20030101-20031231", "SeriesInstanceUID": ""}, 3),
        ("series-date-range-none", "SERIES", "PS", {"study": PETER_MR_STUDY},
         {"SeriesDate": "-20021231", "SeriesInstanceUID": ""}, 0),
        ("series-time-range", "SERIES", "PS", {"study": PETER_MR_STUDY},
         {"SeriesTime": "045500-045700", "SeriesInstanceUID": ""}, 1),
        ("series-uid-list", "SERIES", "PS", {"study": PETER_MR_STUDY},
         {"SeriesInstanceUID": f"{PETER_MR1}\\{PETER_MR700}", "SeriesNumber": ""}, 2),
        ("series-universal", "SERIES", "PS", {"study": PETER_MR_STUDY},
         {"SeriesInstanceUID": "", "Modality": "", "SeriesNumber": "", "NumberOfSeriesRelatedInstances": ""}, 3),
        # IMAGE
        ("image-single", "IMAGE", "PS", {"series": tiny}, {"InstanceNumber": "7", "SOPInstanceUID": ""}, 1),
        ("image-star", "IMAGE", "PS", {"series": knix},
         {"DerivationDescription": "*ratio 2.4*", "SOPInstanceUID": ""}, 2),
        ("image-question", "IMAGE", "PS", {"series": knix},
         {"InPlanePhaseEncodingDirection": "C?L", "SOPInstanceUID": ""}, 3),
        ("image-date-range", "IMAGE", "PS", {"series": ARCHIBALD_CT},
         {"ContentDate": "19950101-19951231", "SOPInstanceUID": ""}, 2),
        ("image-time-range", "IMAGE", "PS", {"series": ARCHIBALD_CT},
         {"ContentTime": "-174000", "SOPInstanceUID": ""}, 1),
        ("image-uid-list", "IMAGE", "PS", {"series": tiny},
         {"SOPInstanceUID": tiny_uids(model, {"4", "13", "41"}), "InstanceNumber": ""}, 3),
        ("image-universal", "IMAGE", "PS", {"series": tiny},
         {"SOPInstanceUID": "", "InstanceNumber": "", "SOPClassUID": ""}, 16),
    ]


def find_params():
    """Parameters built lazily: the model needs the corpus, which may be absent."""
    from interop_support import CORPUS

    if not CORPUS.is_dir():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=f"{CORPUS} is absent"))]
    model = Model(PRESENT + SENT)
    out = []
    for case in cases(model):
        for m in case[2]:
            out.append(pytest.param(case, m, id=f"{case[0]}-{m}"))
    return out


def findscu(receiver, model_flag, level, keys, out):
    argv = ["findscu", f"-{model_flag}", "-aec", receiver.aet, "-X", "-od", out, HOST, receiver.port,
            "-k", f"QueryRetrieveLevel={level}"]
    for k, v in keys.items():
        argv += ["-k", f"{k}={v}"]
    cp = run(argv)
    assert cp.returncode == 0, describe(cp)
    return [pydicom.dcmread(p) for p in sorted(out.glob("rsp*.dcm"))], cp


COUNTS = {"NumberOfPatientRelatedStudies": ("PATIENT", "STUDY"), "NumberOfStudyRelatedSeries": ("STUDY", "SERIES"),
          "NumberOfStudyRelatedInstances": ("STUDY", "IMAGE"), "NumberOfSeriesRelatedInstances": ("SERIES", "IMAGE")}


@pytest.mark.parametrize("case,model_flag", find_params())
def test_findscu(archive, model, tmp_path, case, model_flag):
    name, level, _, scope, keys, size = case
    keys = {**scoped(model, level, **scope), **keys}
    # The model compares characters: give it the text of a key passed as ISO 8859-1 bytes.
    latin1 = keys.get("SpecificCharacterSet") == "ISO_IR 100"
    expected = model.find(level, {k: os.fsencode(v).decode("latin-1") if latin1 else v for k, v in keys.items()})
    assert len(expected) == size, f"the model finds {len(expected)}, the case says {size}: fix the case"
    responses, cp = findscu(archive, model_flag, level, keys, tmp_path)
    found = [str(r.get(UNIQUE[level], "")) for r in responses]
    assert len(found) == len(set(found)), f"duplicate matches: {found}"
    assert set(found) == expected, describe(cp)
    for r in responses:
        assert r.QueryRetrieveLevel == level
        entity = model.with_computed(level, str(r[UNIQUE[level]].value))
        for k in keys:
            assert k in r, f"{k} missing from the response"
            if k == "SpecificCharacterSet":
                continue
            if k in COUNTS:
                assert int(r[k].value) == model.count(level, str(r[UNIQUE[level]].value), COUNTS[k][1]), k
            else:
                want = text(entity, k)
                got = text(r, k)
                assert (got or "") == (want or ""), f"{k}: returned {got!r}, the file has {want!r}"


def test_findscu_missing_level_is_refused(archive, tmp_path):
    """An identifier without Query/Retrieve Level is answered with A900 (Identifier does not match SOP class)."""
    cp = run(["findscu", "-v", "-S", "-aec", archive.aet, "-X", "-od", tmp_path, HOST, archive.port,
              "-k", "PatientID=x"])
    assert "Received Final Find Response (Error: DataSetDoesNotMatchSOPClass)" in cp.stdout + cp.stderr, describe(cp)
    assert not list(tmp_path.glob("rsp*.dcm"))


# ---------------------------------------------------------------------------------------------------------------
# C-MOVE and C-GET


def assert_retrieved(model, folder, expected_uids, archive):
    got = files_by_sop_instance(folder)
    assert set(got) == expected_uids, f"retrieved {sorted(got)}, expected {sorted(expected_uids)}"
    for uid, path in got.items():
        stored = archive.stored.path(uid)
        assert dataset_bytes(path) == dataset_bytes(stored), f"{uid}: the retrieved data set differs from the stored one"


MOVE_CASES = [
    ("study-S", "S", "STUDY", {"StudyInstanceUID": PETER_MR_STUDY}),
    ("study-P", "P", "STUDY", {"PatientID": DOE_PETER, "StudyInstanceUID": PETER_MR2_STUDY}),
    ("patient-P", "P", "PATIENT", {"PatientID": DOE_ARCHIBALD}),
    ("series-S-jpeg-lossless", "S", "SERIES", {"StudyInstanceUID": None, "SeriesInstanceUID": "knix"}),
    ("image-uid-list-S", "S", "IMAGE", {"StudyInstanceUID": None, "SeriesInstanceUID": "tiny", "SOPInstanceUID": "3"}),
]


def resolve(model, keys):
    keys = dict(keys)
    if keys.get("SeriesInstanceUID") == "knix":
        keys["SeriesInstanceUID"] = knix_series(model)
    if keys.get("SeriesInstanceUID") == "tiny":
        keys["SeriesInstanceUID"] = tiny_series(model)
    if keys.get("SOPInstanceUID") == "3":
        keys["SOPInstanceUID"] = tiny_uids(model, {"5", "8", "39"})
    if "StudyInstanceUID" in keys and keys["StudyInstanceUID"] is None:
        keys["StudyInstanceUID"] = str(model.entity("SERIES", keys["SeriesInstanceUID"]).StudyInstanceUID)
    return keys


@pytest.mark.parametrize("name,flag,level,keys", MOVE_CASES, ids=[c[0] for c in MOVE_CASES])
def test_movescu(archive, storescp, model, name, flag, level, keys):
    keys = resolve(model, keys)
    for p in storescp.out.iterdir():
        p.unlink()
    expected = model.instances_under(level, keys)
    assert expected
    argv = ["movescu", f"-{flag}", "-aec", archive.aet, "-aem", storescp.aet, HOST, archive.port,
            "-k", f"QueryRetrieveLevel={level}"] + [a for k, v in keys.items() for a in ("-k", f"{k}={v}")]
    cp = run(argv)
    assert cp.returncode == 0, describe(cp)
    assert_retrieved(model, storescp.out, expected, archive)


def test_movescu_unknown_destination(archive, tmp_path):
    cp = run(["movescu", "-S", "-aec", archive.aet, "-aem", "NOWHERE", HOST, archive.port,
              "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={PETER_MR_STUDY}"])
    assert cp.returncode != 0
    assert "Move response with error status (Refused: MoveDestinationUnknown)" in cp.stdout + cp.stderr, describe(cp)


def test_movescu_destination_down(archive):
    """A known destination nobody answers at: the C-MOVE ends at once, refused, its sub-operations failed."""
    started = time.monotonic()
    cp = run(["movescu", "-v", "-S", "-aec", archive.aet, "-aem", "DOWN", HOST, archive.port,
              "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={PETER_MR_STUDY}"], timeout=60)
    assert time.monotonic() - started < 10, describe(cp)
    assert "Received Final Move Response (Refused: OutOfResourcesSubOperations)" in cp.stdout + cp.stderr, describe(cp)


def test_getscu_without_the_compressed_syntax_gets_them_decoded(archive, model, tmp_path):
    """getscu accepting only native syntaxes asks for JPEG Lossless images: Lightbox decodes each instance for it.
    All seven arrive in a native syntax, with exactly the pixels pydicom decodes from the stored originals."""
    keys = resolve(model, {"StudyInstanceUID": None, "SeriesInstanceUID": "knix"})
    expected = model.instances_under("SERIES", keys)
    assert len(expected) == 7
    cp = run(["getscu", "-S", "-aec", archive.aet, "-od", tmp_path, HOST, archive.port,
              "-k", "QueryRetrieveLevel=SERIES"] + [a for k, v in keys.items() for a in ("-k", f"{k}={v}")], timeout=60)
    assert cp.returncode == 0, describe(cp)
    got = files_by_sop_instance(tmp_path)
    assert set(got) == expected, describe(cp)
    for uid, path in got.items():
        ours = pydicom.dcmread(path)
        assert not ours.file_meta.TransferSyntaxUID.is_compressed, uid
        assert (ours.pixel_array == pydicom.dcmread(archive.stored.path(uid)).pixel_array).all(), uid


GET_CASES = [
    ("study-S", "S", "STUDY", {"StudyInstanceUID": PETER_MR_STUDY}, []),
    ("patient-P", "P", "PATIENT", {"PatientID": DOE_ARCHIBALD}, []),
    ("series-P-jpeg-lossless", "P", "SERIES", {"PatientID": KNIX, "StudyInstanceUID": None, "SeriesInstanceUID": "knix"},
     ["+xs"]),
    ("image-uid-list-S", "S", "IMAGE", {"StudyInstanceUID": None, "SeriesInstanceUID": "tiny", "SOPInstanceUID": "3"}, []),
]


@pytest.mark.parametrize("name,flag,level,keys,options", GET_CASES, ids=[c[0] for c in GET_CASES])
def test_getscu(archive, model, tmp_path, name, flag, level, keys, options):
    keys = resolve(model, keys)
    expected = model.instances_under(level, keys)
    assert expected
    argv = ["getscu", f"-{flag}", *options, "+B", "-aec", archive.aet, "-od", tmp_path, HOST, archive.port,
            "-k", f"QueryRetrieveLevel={level}"] + [a for k, v in keys.items() for a in ("-k", f"{k}={v}")]
    cp = run(argv)
    assert cp.returncode == 0, describe(cp)
    assert_retrieved(model, tmp_path, expected, archive)
