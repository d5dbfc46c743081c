#!/usr/bin/env bash
# The main job on the bundled sample plant (samples/plant/plant.pcap, made with real Modbus, S7,
# EtherNet/IP, IEC 104, BACnet, DNP3, MQTT, DNS and HTTP implementations by
# scripts/sample-plant/make-sample-plant.sh):
# learn the first minute of normal traffic, write the baseline for review, monitor the rest with
# it, print the alerts as a table and keep the JSON lines.
#
# Sets up what the build needs (libpcap-dev, libssl-dev) if it is missing, and builds spanwatch.
# Output goes to demo-out/ (or $SPANWATCH_DEMO_OUT): eve.json and sample-plant-baseline.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! pkg-config --exists libpcap openssl 2>/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq libpcap-dev libssl-dev pkg-config
    else sudo apt-get update -qq && sudo apt-get install -y -qq libpcap-dev libssl-dev pkg-config; fi
fi
swift build -c release --product spanwatch
spanwatch=$PWD/.build/release/spanwatch
out=${SPANWATCH_DEMO_OUT:-demo-out}
mkdir -p "$out"
rm -f "$out/eve.json" "$out/sample-plant-baseline.yaml"
(cd "$out" && "$spanwatch" run -r "$OLDPWD/samples/plant/plant.pcap" -c "$OLDPWD/samples/plant/spanwatch.yaml" --eve eve.json "$@")
echo
"$spanwatch" alerts "$out/eve.json"
echo
echo "EVE JSON lines: $out/eve.json   learned baseline: $out/sample-plant-baseline.yaml"
