#!/usr/bin/env bash
# Sets up (libpcap-dev if missing), builds, and runs spanwatch on the bundled sample plant.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! pkg-config --exists libpcap 2>/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq libpcap-dev pkg-config; else sudo apt-get update -qq && sudo apt-get install -y -qq libpcap-dev pkg-config; fi
fi
swift build -c release --product spanwatch
.build/release/spanwatch run -r samples/sample-plant.pcap -c config/spanwatch.yaml --eve - "$@"
