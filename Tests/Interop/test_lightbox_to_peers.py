"""Lightbox as the SCU, real SCPs on the other side: `lightbox echo` and `lightbox send` to DCMTK's storescp and
pynetdicom's storescp; `lightbox find`, `lightbox move` and `lightbox get` against pynetdicom's qrscp, loaded
with corpus files by `lightbox send`."""
import json

import pydicom
import pytest

from interop_data import BIG, DEFLATED, EXPLICIT, IMPLICIT, SEND_EXTRA, STORE_CASES, UNIQUE, Model, expand, store_case_id
from interop_support import HOST, comparable_dataset, corpus, dataset_bytes, describe, files_by_sop_instance, \
    free_port, lightbox, same_values, sop_instance_uid, transfer_syntax

ALL_SENT = STORE_CASES + SEND_EXTRA


@pytest.fixture(scope="module")
def dcmtk_scp(module_launcher, tmp_path_factory, dcmtk):
    return module_launcher.storescp(tmp_path_factory.mktemp("dcmtk-storescp"), aet="STORESCP")


@pytest.fixture(scope="module")
def pynetdicom_scp(module_launcher, tmp_path_factory):
    return module_launcher.pynetdicom_storescp(tmp_path_factory.mktemp("pynetdicom-storescp"), aet="PYSTORESCP")


def send_lines(cp):
    """{path: 'OK' | 'WARNING' | 'FAILED'} from `lightbox send`'s one line per file."""
    out = {}
    for line in cp.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word in ("OK", "WARNING", "FAILED"):
            out[rest.split(" (")[0].split(": ")[0].strip()] = word
    return out


def test_echo_dcmtk(dcmtk_scp):
    cp = lightbox("echo", "--aec", dcmtk_scp.aet, HOST, dcmtk_scp.port)
    assert cp.returncode == 0, describe(cp)


def test_echo_pynetdicom(pynetdicom_scp):
    cp = lightbox("echo", "--aec", pynetdicom_scp.aet, HOST, pynetdicom_scp.port)
    assert cp.returncode == 0, describe(cp)


def test_echo_repeated(dcmtk_scp):
    cp = lightbox("echo", "--aec", dcmtk_scp.aet, "--repeat", "5", HOST, dcmtk_scp.port)
    assert cp.returncode == 0, describe(cp)


def test_echo_nobody_listening():
    """Exit status 1 and one line saying why."""
    cp = lightbox("echo", "--aec", "NOBODY", "--timeout", "5", HOST, free_port())
    assert cp.returncode == 1, describe(cp)
    assert len(cp.stdout.strip().splitlines() + cp.stderr.strip().splitlines()) == 1, describe(cp)


# image_dfl.dcm's deflated data set has an odd length (4303 bytes): the file lacks the trailing NULL byte that
# PS3.5 A.5 requires, and `lightbox send` puts it on the wire as it is, in an odd-length PDV that DCMTK refuses.
ODD_DEFLATED = "dicom-test-files/data/pydicom/image_dfl.dcm"


def test_send_to_dcmtk_storescp(dcmtk_scp, corpus_dir):
    """Every file arrives in its own transfer syntax with its data set unchanged: storescp +B writes the bytes it
    received, deflated ones included (they go as they are in the file)."""
    paths = [str(corpus(p)) for _, _, p in ALL_SENT if p != ODD_DEFLATED]
    cp = lightbox("send", "--aec", dcmtk_scp.aet, HOST, dcmtk_scp.port, *paths)
    assert cp.returncode == 0, describe(cp)
    assert send_lines(cp) == {p: "OK" for p in paths}, describe(cp)
    received = files_by_sop_instance(dcmtk_scp.out)
    for _, _, rel in ALL_SENT:
        if rel == ODD_DEFLATED:
            continue
        original = corpus(rel)
        got = received.get(sop_instance_uid(original))
        assert got is not None, f"{rel} did not arrive"
        assert transfer_syntax(got) == transfer_syntax(original), rel
        assert dataset_bytes(got) == dataset_bytes(original), f"{rel}: the data set differs"


def test_send_odd_length_deflated_to_dcmtk(dcmtk_scp, corpus_dir):
    """A deflated data set must go on the wire with even length: the sender pads the odd stream with one NULL
    byte (PS3.5 A.5; the deflate stream ends before it). storescu pads the same file, and it is stored."""
    original = corpus(ODD_DEFLATED)
    cp = lightbox("send", "--aec", dcmtk_scp.aet, HOST, dcmtk_scp.port, original)
    assert cp.returncode == 0, describe(cp)
    got = files_by_sop_instance(dcmtk_scp.out).get(sop_instance_uid(original))
    assert got is not None
    assert comparable_dataset(got) == comparable_dataset(original)


def test_send_parallel_associations(launcher, tmp_path, dcmtk, corpus_dir):
    """Fifty-one files over three associations at once."""
    from interop_data import QUERY_FILES_PRESENT, QUERY_FILES_SENT

    files = [corpus(p) for p in expand(QUERY_FILES_PRESENT + QUERY_FILES_SENT)]
    scp = launcher.storescp(tmp_path / "out", aet="STORESCP")
    cp = lightbox("send", "--aec", scp.aet, "--associations", "3", HOST, scp.port, *files)
    assert cp.returncode == 0, describe(cp)
    received = files_by_sop_instance(scp.out)
    assert set(received) == {sop_instance_uid(f) for f in files}
    for f in files:
        assert dataset_bytes(received[sop_instance_uid(f)]) == dataset_bytes(f), f


@pytest.mark.parametrize("case", ALL_SENT, ids=store_case_id)
def test_send_to_pynetdicom_storescp(pynetdicom_scp, corpus_dir, case):
    """pynetdicom decodes what it receives and writes it again with pydicom: the data set must read back the
    same, apart from group lengths, which pydicom drops (deflated ones compared inflated; pydicom deflates
    again)."""
    _, _, rel = case
    original = corpus(rel)
    cp = lightbox("send", "--aec", pynetdicom_scp.aet, HOST, pynetdicom_scp.port, original)
    assert cp.returncode == 0, describe(cp)
    got = files_by_sop_instance(pynetdicom_scp.out).get(sop_instance_uid(original))
    assert got is not None, f"{rel} did not arrive\n{pynetdicom_scp.output()[-2000:]}"
    assert transfer_syntax(got) == transfer_syntax(original)
    if transfer_syntax(original) == DEFLATED:
        assert comparable_dataset(got) == comparable_dataset(original)
    else:
        difference = same_values(got, original, ignore_group_lengths=True)
        assert difference is None, difference


def test_send_decodes_for_a_peer_that_refuses_the_compressed_syntax(launcher, tmp_path, corpus_dir):
    """An SCP that accepts implicit VR little endian only cannot take a JPEG file as it is: Lightbox decodes it and
    sends it natively. Both files are OK, and the JPEG one arrives with the pixels pydicom decodes from it."""
    scp = launcher.start("pynetdicom-storescp-implicit",
                         [__import__("sys").executable, "-m", "pynetdicom", "storescp", "-xi", "-aet", "IMPLICIT",
                          "-od", tmp_path / "out", "-ba", HOST, port := free_port()], port)
    (tmp_path / "out").mkdir(exist_ok=True)
    jpeg = str(corpus("dcm4che/dcm4che-test-data/src/main/resources/MR-JPEGLosslessSV1.dcm"))
    native = str(corpus("dicom-test-files/data/pydicom/rtplan.dcm"))
    cp = lightbox("send", "--aec", "IMPLICIT", HOST, scp.port, jpeg, native)
    assert cp.returncode == 0, describe(cp)
    assert send_lines(cp) == {jpeg: "OK", native: "OK"}, describe(cp)
    original = pydicom.dcmread(jpeg)
    received = [p for p in (tmp_path / "out").iterdir() if pydicom.dcmread(p).SOPInstanceUID == original.SOPInstanceUID]
    assert len(received) == 1
    got = pydicom.dcmread(received[0])
    assert got.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2"
    assert (got.pixel_array == original.pixel_array).all()


# ---------------------------------------------------------------------------------------------------------------
# Query/Retrieve against pynetdicom's qrscp

QR_FILES = expand(["pydicom-wheel/test_files/dicomdirtests/77654033/*/*",
                   "pydicom-wheel/test_files/dicomdirtests/98892003/*/*",
                   "orthanc-tests/Database/Knix/Loc/*.dcm",
                   "orthanc-tests/Database/Brainix/Flair/*.dcm",
                   "dicom-test-files/data/pydicom/rtplan.dcm"])


@pytest.fixture(scope="module")
def qr_model(corpus_dir):
    return Model(QR_FILES)


@pytest.fixture(scope="module")
def move_destination(module_launcher, tmp_path_factory, corpus_dir):
    return module_launcher.receive(tmp_path_factory.mktemp("move-destination"), aet="LBDEST")


@pytest.fixture(scope="module")
def qrscp(module_launcher, tmp_path_factory, move_destination):
    pytest.importorskip("sqlalchemy", reason="pynetdicom's qrscp needs SQLAlchemy (not in tools/requirements.txt)")
    scp = module_launcher.qrscp(tmp_path_factory.mktemp("qrscp"), aet="QRSCP",
                                destinations={"LBDEST": move_destination.port})
    cp = lightbox("send", "--aec", scp.aet, HOST, scp.port, *[corpus(p) for p in QR_FILES])
    assert cp.returncode == 0, describe(cp) + scp.output()[-2000:]
    return scp


def test_qrscp_stored_what_was_sent(qrscp):
    stored = files_by_sop_instance(qrscp.folder / "instances")
    assert set(stored) == {sop_instance_uid(corpus(p)) for p in QR_FILES}
    for p in QR_FILES:
        assert pydicom.dcmread(stored[sop_instance_uid(corpus(p))]) == pydicom.dcmread(corpus(p)), p


def find(scp, model_flag, level, keys):
    argv = ["find", "--aec", scp.aet, HOST, scp.port, f"-{model_flag}", "-L", level, "--json"]
    for k, v in keys.items():
        argv += ["-k", f"{k}={v}" if v is not None else k]
    cp = lightbox(*argv)
    assert cp.returncode == 0, describe(cp)
    return [pydicom.Dataset.from_json(json.loads(line)) for line in cp.stdout.splitlines() if line.strip()], cp


PETER = "98890234"
PETER_MR_STUDY = "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.1"
PETER_MR2_STUDY = "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.133"
PETER_MR700 = "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.118"

# qrscp supports the required keys of PS3.4 C.6 only (patient ID and name, study date, time, accession, ID;
# modality, series number; instance number), cannot match a list of UIDs (pynetdicom 3.0.4 binds the list as one
# SQL parameter and answers C320), and answers one match per instance (so a study of four instances comes four
# times): the tests compare the set of matches.
QR_FIND_CASES = [
    ("patient-single", "P", "PATIENT", {"PatientID": PETER, "PatientName": ""}),
    ("patient-star", "P", "PATIENT", {"PatientName": "Doe*", "PatientID": ""}),
    ("patient-question", "P", "PATIENT", {"PatientID": "7765403?"}),
    ("patient-universal", "P", "PATIENT", {"PatientID": "", "PatientName": ""}),
    ("study-range-S", "S", "STUDY", {"StudyDate": "20000101-20061231", "StudyInstanceUID": ""}),
    ("study-range-P", "P", "STUDY", {"PatientID": PETER, "StudyDate": "20030101-20031231", "StudyInstanceUID": ""}),
    ("study-universal-S", "S", "STUDY", {"StudyInstanceUID": "", "PatientID": "", "StudyDate": ""}),
    ("series-single-S", "S", "SERIES", {"StudyInstanceUID": PETER_MR_STUDY, "Modality": "MR", "SeriesInstanceUID": ""}),
    ("series-number-P", "P", "SERIES", {"PatientID": PETER, "StudyInstanceUID": PETER_MR_STUDY, "SeriesNumber": "700",
                                        "SeriesInstanceUID": ""}),
    ("image-universal-S", "S", "IMAGE", {"StudyInstanceUID": PETER_MR_STUDY, "SeriesInstanceUID": PETER_MR700,
                                         "SOPInstanceUID": "", "InstanceNumber": ""}),
    ("image-single-P", "P", "IMAGE", {"PatientID": PETER, "StudyInstanceUID": PETER_MR_STUDY,
                                      "SeriesInstanceUID": PETER_MR700, "InstanceNumber": "7", "SOPInstanceUID": ""}),
]


@pytest.mark.parametrize("name,flag,level,keys", QR_FIND_CASES, ids=[c[0] for c in QR_FIND_CASES])
def test_find_against_qrscp(qrscp, qr_model, name, flag, level, keys):
    expected = qr_model.find(level, keys)
    assert expected
    responses, cp = find(qrscp, flag, level, keys)
    assert {str(r.get(UNIQUE[level], "")) for r in responses} == expected, describe(cp)
    for r in responses:
        assert r.QueryRetrieveLevel == level
        for k in keys:
            assert k in r, f"{k} missing in {r}"


def test_find_failure_is_reported(qrscp):
    """PATIENT level in the Study Root model: qrscp answers A900; `lightbox find` exits 1 and says so on one
    line."""
    cp = lightbox("find", "--aec", qrscp.aet, HOST, qrscp.port, "-S", "-L", "PATIENT", "-k", "PatientID")
    assert cp.returncode == 1, describe(cp)
    assert cp.stdout == "" and "A900" in cp.stderr and len(cp.stderr.strip().splitlines()) == 1, describe(cp)


KNIX_STUDY = "1.2.840.113619.2.176.2025.1499492.7391.1171285944.390"
RETRIEVE_CASES = [
    ("study-S", "S", "STUDY", {"StudyInstanceUID": PETER_MR_STUDY}),
    ("patient-P", "P", "PATIENT", {"PatientID": "77654033"}),
    ("series-S-jpeg-lossless", "S", "SERIES", {"StudyInstanceUID": KNIX_STUDY, "SeriesInstanceUID": None}),
    ("image-P", "P", "IMAGE", {"PatientID": PETER, "StudyInstanceUID": PETER_MR_STUDY,
                               "SeriesInstanceUID": PETER_MR700, "SOPInstanceUID": None}),
]
GET_CASES = [pytest.param(*c, id=c[0]) for c in RETRIEVE_CASES]


def resolve(model, keys):
    keys = dict(keys)
    if keys.get("SeriesInstanceUID", "") is None:
        keys["SeriesInstanceUID"] = next(iter(model.find("SERIES", {"StudyInstanceUID": keys["StudyInstanceUID"]})))
    if keys.get("SOPInstanceUID", "") is None:
        keys["SOPInstanceUID"] = sorted(model.find("IMAGE", {"SeriesInstanceUID": keys["SeriesInstanceUID"]}))[0]
    return keys


def assert_retrieved_from_qrscp(qrscp, folder, expected):
    """The retrieved files hold what qrscp holds: byte for byte in the same transfer syntax; value for value when
    qrscp converted a native data set to the native syntax accepted for the sub-operation (pynetdicom, as
    acceptor, prefers implicit VR little endian)."""
    got = files_by_sop_instance(folder)
    assert set(got) == expected
    stored = files_by_sop_instance(qrscp.folder / "instances")
    for uid, path in got.items():
        if transfer_syntax(path) != transfer_syntax(stored[uid]):
            assert {transfer_syntax(path), transfer_syntax(stored[uid])} <= {IMPLICIT, EXPLICIT, BIG}
            difference = same_values(path, stored[uid])
            assert difference is None, f"{uid}: {difference}"
        else:
            assert dataset_bytes(path) == dataset_bytes(stored[uid]), f"{uid}: differs from what qrscp holds"


@pytest.mark.parametrize("name,flag,level,keys", RETRIEVE_CASES, ids=[c[0] for c in RETRIEVE_CASES])
def test_move_from_qrscp(qrscp, qr_model, move_destination, name, flag, level, keys):
    keys = resolve(qr_model, keys)
    for p in move_destination.out.iterdir():
        p.unlink()
    expected = qr_model.instances_under(level, keys)
    argv = ["move", "--aec", qrscp.aet, "--move", move_destination.aet, HOST, qrscp.port, f"-{flag}", "-L", level]
    for k, v in keys.items():
        argv += ["-k", f"{k}={v}"]
    cp = lightbox(*argv)
    assert cp.returncode == 0, describe(cp) + qrscp.output()[-3000:]
    assert_retrieved_from_qrscp(qrscp, move_destination.out, expected)


@pytest.mark.parametrize("name,flag,level,keys", GET_CASES)
def test_get_from_qrscp(qrscp, qr_model, tmp_path, name, flag, level, keys):
    keys = resolve(qr_model, keys)
    expected = qr_model.instances_under(level, keys)
    argv = ["get", "--aec", qrscp.aet, "--out", tmp_path, HOST, qrscp.port, f"-{flag}", "-L", level]
    for k, v in keys.items():
        argv += ["-k", f"{k}={v}"]
    cp = lightbox(*argv)
    assert cp.returncode == 0, describe(cp) + qrscp.output()[-3000:]
    assert_retrieved_from_qrscp(qrscp, tmp_path, expected)
