#!/usr/bin/env bash
# Allocation and throughput benchmarks (ordo-one/benchmark) of the packet path on the bundled
# sample capture. FrameDecoder has a threshold of zero mallocs: `thresholds check` fails on one.
# usage: scripts/bench-alloc.sh        (first run builds the benchmark framework: a few minutes)
set -euo pipefail
cd "$(dirname "$0")/../Benchmarks"
swift package --disable-sandbox benchmark --no-progress "$@"
