"""Shared set-up of the interop tests: the lightbox binary, the corpus, the DCMTK tools, peers on free ports
(stopped at the end of their fixture's scope) and a throw-away PKI for the TLS tests."""
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from interop_support import CORPUS, LIGHTBOX, Launcher, missing_tools  # noqa: E402

if not CORPUS.is_dir():
    print(f"\nSKIP: {CORPUS} is absent; the interop tests that send corpus files are skipped", file=sys.stderr)


def pytest_configure(config):
    # Corpus files with odd UIDs (leading zeros, say) make pydicom warn as it reads them; that is not ours.
    config.addinivalue_line("filterwarnings", "ignore:Invalid value for VR:UserWarning")


def pytest_terminal_summary(terminalreporter):
    if not CORPUS.is_dir():
        terminalreporter.write_line(f"SKIP: {CORPUS} is absent; the interop tests that send corpus files were skipped")
    missing = missing_tools()
    if missing:
        terminalreporter.write_line(f"SKIP: {', '.join(missing)} not found; the interop tests that need them were skipped")


@pytest.fixture(scope="session")
def lightbox():
    if not Path(LIGHTBOX).exists():
        pytest.fail(f"{LIGHTBOX} is missing: run `make build` first")
    return LIGHTBOX


@pytest.fixture(scope="session")
def dcmtk():
    missing = missing_tools()
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (DCMTK and openssl come with `make deps`)")


@pytest.fixture(scope="session")
def corpus_dir():
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is absent (a fresh clone has no ../shared)")
    return CORPUS


@pytest.fixture
def launcher(tmp_path_factory, lightbox):
    """Peers started by one test, stopped when it ends."""
    lc = Launcher(tmp_path_factory.mktemp("peers"))
    yield lc
    lc.stop_all()


@pytest.fixture(scope="module")
def module_launcher(tmp_path_factory, lightbox):
    """Peers shared by the tests of a module, stopped when the module is done."""
    lc = Launcher(tmp_path_factory.mktemp("module-peers"))
    yield lc
    lc.stop_all()


def _openssl(*args, cwd):
    cp = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if cp.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)}: {cp.stderr}")


def _ca(folder, name, subject):
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem",
             "-days", "2", "-subj", subject, "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)


def _leaf(folder, name, subject, ca, usage):
    ext = Path(folder) / f"{name}.ext"
    ext.write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                   f"extendedKeyUsage={usage}\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject,
             cwd=folder)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial",
             "-out", f"{name}.pem", "-days", "2", "-extfile", ext.name, cwd=folder)


class PKI:
    def __init__(self, folder):
        self.folder = Path(folder)

    def __getattr__(self, name):
        # ca, server, client, rogue_ca, rogue_client: .pem certificates and .key keys
        if name.endswith("_key"):
            return str(self.folder / f"{name[:-4]}.key")
        return str(self.folder / f"{name}.pem")


@pytest.fixture(scope="session")
def pki(tmp_path_factory, dcmtk):
    """A CA, a server certificate (localhost, 127.0.0.1), a client certificate, and a client certificate from
    another CA, made with the openssl command line."""
    folder = tmp_path_factory.mktemp("pki")
    _ca(folder, "ca", "/CN=Lightbox Interop Test CA")
    _leaf(folder, "server", "/CN=localhost", "ca", "serverAuth")
    _leaf(folder, "client", "/CN=interop-client", "ca", "clientAuth")
    _ca(folder, "rogue_ca", "/CN=Someone Else's CA")
    _leaf(folder, "rogue_client", "/CN=rogue-client", "rogue_ca", "clientAuth")
    _leaf(folder, "rogue_server", "/CN=localhost", "rogue_ca", "serverAuth")
    return PKI(folder)
