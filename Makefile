# Lightbox: `make run` and `make test` work on a fresh Debian machine as root.
SHELL := /bin/bash
SWIFT ?= swift
VENV := .venv
PY := $(VENV)/bin/python
# Debian packages the build, the tests and the benchmarks use.
APT_PACKAGES := pkg-config zlib1g-dev libssl-dev libsqlite3-dev libjpeg62-turbo-dev libopenjp2-7-dev libcharls-dev libspng-dev libjxl-dev libjxl-tools libcivetweb-dev curl openssl dcmtk dicom3tools python3 python3-venv time orthanc orthanc-dicomweb iproute2 util-linux
FUZZ_SECONDS ?= 60

.PHONY: run test build deps venv swift-test reference-test fuzz bench generate clean

# The server on its defaults: data in ./lightbox-data, DICOM on 127.0.0.1:11112 as LIGHTBOX, demo studies on
# the first start of an empty archive. Ctrl-C stops it gracefully.
run: deps build
	.build/release/lightbox serve

test: deps venv build swift-test reference-test interop-test fuzz

build:
	$(SWIFT) build -c release --product lightbox

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: tools/requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r tools/requirements.txt
	touch $@

swift-test:
	$(SWIFT) test --parallel

# Checks against the references (pydicom, DCMTK) through the real command line.
reference-test: venv build
	LIGHTBOX=.build/release/lightbox $(PY) -m pytest -q Tests/Reference

# Against real peers: DCMTK's and pynetdicom's SCUs and SCPs, TLS, hostile peers.
interop-test: venv build
	LIGHTBOX=.build/release/lightbox $(PY) -m pytest -q Tests/Interop

# libFuzzer over the reader, the PDU decoder and the pixel decoders, seeded from the corpus, for a bounded time.
fuzz: venv
	PYTHON=$(PY) tools/fuzz.sh $(FUZZ_SECONDS) reader pdu pixels

bench: deps venv build
	$(PY) bench/parse.py
	$(PY) bench/store.py
	$(PY) bench/archive.py
	$(PY) bench/pixels.py
	$(PY) bench/dicomweb.py

# Regenerates the data dictionary, UID registry and character set tables from their sources.
generate: venv
	$(PY) tools/generate_dictionary.py
	$(PY) tools/generate_charsets.py

clean:
	rm -rf .build $(VENV)
