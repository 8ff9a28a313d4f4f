"""DICOM TLS (PS3.15 B.12) with a throw-away PKI made by the openssl command line: DCMTK clients against
`lightbox receive --tls`, `lightbox echo`/`send` against DCMTK's storescp +tls, TLS 1.1 refused, and client
certificates enforced when `--tls-require-client-cert` asks for them."""
import pydicom
import pytest

from interop_support import HOST, corpus, dataset_bytes, describe, files_by_sop_instance, lightbox, run

STORE_FILE = "dcm4che/dcm4che-test-data/src/main/resources/MR-JPEGLosslessSV1.dcm"


def tls_receive(launcher, tmp_path, pki, *extra):
    return launcher.receive(tmp_path / "received", "--tls", "--tls-cert", pki.server, "--tls-key", pki.server_key,
                            *extra)


def dcmtk_client_tls(pki, cert="client"):
    """DCMTK options for a TLS client with a certificate (or anonymous), trusting our CA."""
    if cert is None:
        return ["+tla", "+cf", pki.ca]
    return ["+tls", getattr(pki, f"{cert}_key"), getattr(pki, cert), "-pw", "+cf", pki.ca]


def test_echoscu_tls(launcher, tmp_path, pki):
    server = tls_receive(launcher, tmp_path, pki)
    cp = run(["echoscu", *dcmtk_client_tls(pki), "-aec", server.aet, HOST, server.port])
    assert cp.returncode == 0, describe(cp) + server.output()


def test_echoscu_anonymous_tls(launcher, tmp_path, pki):
    """Without --tls-require-client-cert, a client without a certificate is served (the server is still
    verified by the client)."""
    server = tls_receive(launcher, tmp_path, pki)
    cp = run(["echoscu", *dcmtk_client_tls(pki, cert=None), "-aec", server.aet, HOST, server.port])
    assert cp.returncode == 0, describe(cp) + server.output()


def test_echoscu_tls_untrusted_server(launcher, tmp_path, pki):
    """A client trusting another CA refuses our server's certificate: nothing is served."""
    server = tls_receive(launcher, tmp_path, pki)
    cp = run(["echoscu", "+tla", "+cf", pki.rogue_ca, "-aec", server.aet, HOST, server.port])
    assert cp.returncode != 0, describe(cp)


def test_plain_client_against_tls_server(launcher, tmp_path, pki):
    """A client speaking plain DICOM to the TLS port gets nothing; the server keeps serving TLS clients."""
    server = tls_receive(launcher, tmp_path, pki)
    cp = run(["echoscu", "-to", "10", "-ta", "10", "-aec", server.aet, HOST, server.port], timeout=60)
    assert cp.returncode != 0, describe(cp)
    cp = run(["echoscu", *dcmtk_client_tls(pki), "-aec", server.aet, HOST, server.port])
    assert cp.returncode == 0, describe(cp)


def test_storescu_tls(launcher, tmp_path, pki, corpus_dir):
    server = tls_receive(launcher, tmp_path, pki)
    original = corpus(STORE_FILE)
    cp = run(["storescu", *dcmtk_client_tls(pki), "-xs", "-aec", server.aet, HOST, server.port, original])
    assert cp.returncode == 0, describe(cp) + server.output()
    received = server.out / f"{pydicom.dcmread(original, stop_before_pixels=True).SOPInstanceUID}.dcm"
    assert dataset_bytes(received) == dataset_bytes(original)


@pytest.fixture
def dcmtk_tls_scp(launcher, tmp_path, pki):
    """DCMTK storescp with TLS, requiring and verifying client certificates from our CA (its default)."""
    return launcher.storescp(tmp_path / "dcmtk-tls", "STORESCP", "+tls", pki.server_key, pki.server, "-pw",
                             "+cf", pki.ca)


@pytest.mark.parametrize("host", ["localhost", HOST])
def test_lightbox_echo_tls_to_dcmtk(dcmtk_tls_scp, pki, host):
    """The server's certificate names localhost and 127.0.0.1 (subjectAltName): either is verified."""
    cp = lightbox("echo", "--tls", "--tls-ca", pki.ca, "--tls-cert", pki.client, "--tls-key", pki.client_key,
                  "--aec", dcmtk_tls_scp.aet, host, dcmtk_tls_scp.port)
    assert cp.returncode == 0, describe(cp) + dcmtk_tls_scp.output()


def test_lightbox_echo_tls_untrusted_server(dcmtk_tls_scp, pki):
    cp = lightbox("echo", "--tls", "--tls-ca", pki.rogue_ca, "--tls-cert", pki.client, "--tls-key", pki.client_key,
                  "--timeout", "10", "--aec", dcmtk_tls_scp.aet, HOST, dcmtk_tls_scp.port)
    assert cp.returncode == 1, describe(cp)
    assert "certificate" in (cp.stdout + cp.stderr).lower(), describe(cp)


def test_lightbox_echo_tls_without_client_certificate_refused_by_dcmtk(dcmtk_tls_scp, pki):
    cp = lightbox("echo", "--tls", "--tls-ca", pki.ca, "--timeout", "10", "--aec", dcmtk_tls_scp.aet, HOST,
                  dcmtk_tls_scp.port)
    assert cp.returncode == 1, describe(cp)


def test_lightbox_send_tls_to_dcmtk(dcmtk_tls_scp, pki, corpus_dir):
    original = corpus(STORE_FILE)
    cp = lightbox("send", "--tls", "--tls-ca", pki.ca, "--tls-cert", pki.client, "--tls-key", pki.client_key,
                  "--aec", dcmtk_tls_scp.aet, HOST, dcmtk_tls_scp.port, original)
    assert cp.returncode == 0, describe(cp) + dcmtk_tls_scp.output()
    got = files_by_sop_instance(dcmtk_tls_scp.out)
    (path,) = got.values()
    assert dataset_bytes(path) == dataset_bytes(original)


def s_client(port, ca, *options):
    return run(["openssl", "s_client", "-connect", f"{HOST}:{port}", "-servername", "localhost", "-CAfile", ca,
                *options], input="", timeout=30)


def test_tls_1_1_client_refused(launcher, tmp_path, pki):
    """PS3.15 B.12 asks for TLS 1.2 or later: a TLS 1.1-only client (allowed to offer it by security level 0)
    fails the handshake with a protocol version alert, while the same client limited to TLS 1.2 gets through."""
    server = tls_receive(launcher, tmp_path, pki)
    old = s_client(server.port, pki.ca, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
    if "no protocols available" in old.stderr:
        pytest.skip("this openssl cannot offer TLS 1.1 at all")
    assert old.returncode != 0, describe(old)
    assert "alert protocol version" in old.stderr, describe(old)
    assert "Cipher is (NONE)" in old.stdout and "no peer certificate available" in old.stdout, describe(old)
    modern = s_client(server.port, pki.ca, "-tls1_2")
    assert modern.returncode == 0, describe(modern)
    assert "Verify return code: 0 (ok)" in modern.stdout, describe(modern)
    assert "TLSv1.2" in modern.stdout, describe(modern)


def test_client_certificate_required(launcher, tmp_path, pki):
    """With --tls-require-client-cert: no certificate, no association; a certificate from another CA, none
    either; our CA's client certificate, served."""
    server = tls_receive(launcher, tmp_path, pki, "--tls-require-client-cert", "--tls-ca", pki.ca)
    anonymous = run(["echoscu", *dcmtk_client_tls(pki, cert=None), "-aec", server.aet, HOST, server.port])
    assert anonymous.returncode != 0, describe(anonymous)
    rogue = run(["echoscu", *dcmtk_client_tls(pki, cert="rogue_client"), "-aec", server.aet, HOST, server.port])
    assert rogue.returncode != 0, describe(rogue)
    ours = lightbox("echo", "--tls", "--tls-ca", pki.ca, "--timeout", "10", "--aec", server.aet, HOST, server.port)
    assert ours.returncode == 1, describe(ours)
    good = run(["echoscu", *dcmtk_client_tls(pki), "-aec", server.aet, HOST, server.port])
    assert good.returncode == 0, describe(good) + server.output()
    good = lightbox("echo", "--tls", "--tls-ca", pki.ca, "--tls-cert", pki.client, "--tls-key", pki.client_key,
                    "--aec", server.aet, HOST, server.port)
    assert good.returncode == 0, describe(good) + server.output()
