#!/usr/bin/env bash
# Builds the libFuzzer target over the DICOM reader and runs it for a bounded time.
# Usage: tools/fuzz.sh SECONDS. Seeds: the shared corpus when present, else a demo file.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
out=.build/fuzz
mkdir -p "$out" .fuzz/reader
sources=$(find Sources/DICOMCore -name '*.swift' | sort)
if [ ! -x "$out/reader" ] || [ -n "$(find Sources/DICOMCore Fuzz -newer "$out/reader" -name '*.swift' | head -1)" ]; then
    echo "fuzz: building the reader target"
    flock /tmp/swift-build.lock swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name DICOMCore \
        $sources Fuzz/ReaderFuzz.swift -o "$out/reader" 2>&1 | grep -v "Cannot export local symbol" || true
fi
seeds=()
if [ -d ../shared/corpus ]; then
    # Small files make fast seeds; the large ones add nothing the fuzzer can mutate within max_len.
    mkdir -p .fuzz/seeds
    find ../shared/corpus -type f -size -64k ! -name '*.csv' -exec cp -n {} .fuzz/seeds/ \; 2>/dev/null || true
    seeds+=(.fuzz/seeds)
else
    echo "fuzz: ../shared/corpus is absent; starting from an empty corpus"
fi
echo "fuzz: running for ${seconds}s"
# Crash inputs go to .fuzz/ (not the checkout's root); Swift's backtracer and ASan do not mix.
export SWIFT_BACKTRACE=enable=no
"$out/reader" -artifact_prefix=.fuzz/ .fuzz/reader "${seeds[@]}" -max_total_time="$seconds" -max_len=16384 -malloc_limit_mb=256 \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 > .fuzz/reader.log 2>&1 || status=$?
tail -12 .fuzz/reader.log
if [ "${status:-0}" != 0 ]; then
    echo "fuzz: the reader failed on an input; see .fuzz/reader.log and the crash-* file in .fuzz/" >&2
    exit 1
fi
