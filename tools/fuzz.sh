#!/usr/bin/env bash
# Builds the libFuzzer targets (the DICOM reader, the PDU decoder) and runs each for a bounded time.
# Usage: tools/fuzz.sh SECONDS [TARGET...]   (targets: reader pdu pixels; default all, SECONDS each)
# Seeds: the shared corpus for the reader (an empty corpus when it is absent); generated PDUs for the decoder.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("${@:-reader}")
[ $# -eq 0 ] && targets=(reader pdu pixels)
out=.build/fuzz
mkdir -p "$out"
# Crash inputs go to .fuzz/ (not the checkout's root); Swift's backtracer and ASan do not mix.
export SWIFT_BACKTRACE=enable=no

build() {  # name, entry file, extra sources...
    local name=$1 entry=$2
    shift 2
    local sources
    sources="$(find Sources/DICOMCore -name '*.swift' | sort) $*"
    if [ ! -x "$out/$name" ] || [ -n "$(find Sources/DICOMCore Sources/DICOMNetwork/UpperLayer Fuzz -newer "$out/$name" -name '*.swift' | head -1)" ]; then
        echo "fuzz: building the $name target"
        flock /tmp/swift-build.lock swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name DICOMCore \
            $sources "$entry" -o "$out/$name" 2>&1 | grep -E "error" | grep -v "Cannot export local symbol" || true
    fi
}

# The pixel decoders: DICOMCore, ImageCodecs and the library wrappers compiled as one module (their imports of
# each other removed), the C glue for libjpeg compiled with the fuzzer's instrumentation, the libraries linked.
build_pixels() {
    local src="$out/pixels-src" dirs="Sources/DICOMCore Sources/ImageCodecs Sources/CharLS Sources/OpenJPEG Sources/JPEGTurbo Sources/JPEGXL Sources/Zlib"
    if [ -x "$out/pixels" ] && [ -z "$(find $dirs Sources/CJPEGGlue Fuzz/PixelFuzz.swift -newer "$out/pixels" -type f | head -1)" ]; then
        return
    fi
    echo "fuzz: building the pixels target"
    rm -rf "$src" "$out/pixels" && mkdir -p "$src/glue"
    for f in $(find $dirs -name '*.swift' | sort); do
        mkdir -p "$src/$(dirname "$f")"
        sed -E '/^import (DICOMCore|ImageCodecs|CharLS|OpenJPEG|JPEGTurbo|JPEGXL|Zlib)$/d' "$f" > "$src/$f"
    done
    cp Sources/CJPEGGlue/include/jpegglue.h "$src/glue/"
    printf 'module CJPEGGlue {\n    header "jpegglue.h"\n    export *\n}\n' > "$src/glue/module.modulemap"
    clang -O1 -fsanitize=fuzzer-no-link,address -c Sources/CJPEGGlue/jpegglue.c -I Sources/CJPEGGlue/include -o "$out/jpegglue.o"
    flock /tmp/swift-build.lock swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name Pixels \
        $(find "$src" -name '*.swift' | sort) Fuzz/PixelFuzz.swift "$out/jpegglue.o" \
        -I "$src/glue" -I Sources/CCharLS -I Sources/COpenJPEG -I /usr/include/openjpeg-2.5 -I Sources/CZlib -I Sources/CJXL \
        -lopenjp2 -lcharls -ljpeg -ljxl -lz -o "$out/pixels" 2>&1 | grep -E "error" | grep -v "Cannot export local symbol" || true
    [ -x "$out/pixels" ] || { echo "fuzz: the pixels target did not build" >&2; exit 1; }
}

run() {  # name, corpus dirs...
    local name=$1
    shift
    mkdir -p ".fuzz/$name"
    echo "fuzz: running $name for ${seconds}s"
    local status=0
    "$out/$name" -artifact_prefix=".fuzz/$name-" ".fuzz/$name" "$@" -max_total_time="$seconds" -max_len=16384 \
        -malloc_limit_mb=256 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 > ".fuzz/$name.log" 2>&1 || status=$?
    grep -E "^stat::(number_of_executed_units|new_units_added|peak_rss_mb)" ".fuzz/$name.log" || true
    if [ "$status" != 0 ]; then
        grep -E "Fatal error|ERROR" ".fuzz/$name.log" | head -5 >&2 || true
        echo "fuzz: $name failed on an input; see .fuzz/$name.log and the crash file in .fuzz/" >&2
        exit 1
    fi
}

for target in "${targets[@]}"; do
    case "$target" in
    reader)
        build reader Fuzz/ReaderFuzz.swift
        seeds=()
        if [ -d ../shared/corpus ]; then
            # Small files make fast seeds; the large ones add nothing the fuzzer can mutate within max_len.
            mkdir -p .fuzz/reader-seeds
            find ../shared/corpus -type f -size -64k ! -name '*.csv' -exec cp -n {} .fuzz/reader-seeds/ \; 2>/dev/null || true
            seeds+=(.fuzz/reader-seeds)
        else
            echo "fuzz: ../shared/corpus is absent; the reader starts from an empty corpus"
        fi
        run reader "${seeds[@]}"
        ;;
    pdu)
        build pdu Fuzz/PDUFuzz.swift Sources/DICOMNetwork/UpperLayer/PDU.swift \
            Sources/DICOMNetwork/UpperLayer/AssociationPDUs.swift Sources/DICOMNetwork/UpperLayer/PDUCodec.swift
        mkdir -p .fuzz/pdu-seeds
        python3 tools/pdu_seeds.py .fuzz/pdu-seeds
        run pdu .fuzz/pdu-seeds
        ;;
    pixels)
        build_pixels
        mkdir -p .fuzz/pixels-seeds
        ${PYTHON:-python3} tools/pixel_seeds.py .fuzz/pixels-seeds || true
        run pixels .fuzz/pixels-seeds
        ;;
    *) echo "fuzz: unknown target $target" >&2; exit 2 ;;
    esac
done
