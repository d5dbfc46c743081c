#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer + AddressSanitizer) of a protocol's parsing path.
# The Wire, JSON, Flow and Protocols sources are compiled as one module with the target in Fuzz/<Target>Fuzz.swift;
# seeds are the TCP/UDP payloads of the shared corpus for that protocol (../shared/pcaps).
# usage: scripts/fuzz.sh frame|dnp3|s7comm|modbus|enip|iec104|bacnet|dns|http|mqtt [SECONDS]     (default 600)
# (frame: the frame decoder and its tunnels; seeds are whole frames of tunnels/ and edge/)
# Crashes land in fuzz-out/<target>/ (crash-*); turn each into a fixture.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh frame|dnp3|s7comm|modbus|enip|iec104|bacnet|dns|http|mqtt [SECONDS]}
seconds=${2:-600}
case $target in
  frame) file=FrameFuzz.swift; filter=''; corpus=(../shared/pcaps/tunnels ../shared/pcaps/edge) ;;
  dnp3) file=DNP3Fuzz.swift; filter='dnp3'; corpus=(../shared/pcaps/dnp3 ../shared/pcaps/edge) ;;
  s7comm) file=S7CommFuzz.swift; filter='tcp.port==102'; corpus=(../shared/pcaps/s7comm ../shared/pcaps/edge) ;;
  modbus) file=ModbusFuzz.swift; filter='tcp.port==502'; corpus=(../shared/pcaps/modbus) ;;
  iec104) file=IEC104Fuzz.swift; filter='tcp.port==2404'; corpus=(../shared/pcaps/iec104) ;;
  bacnet) file=BACnetFuzz.swift; filter='udp.port==47808'; corpus=(../shared/pcaps/bacnet) ;;
  enip) file=ENIPFuzz.swift; filter='enip || cip'; corpus=(../shared/pcaps/enip) ;;
  dns) file=DNSFuzz.swift; filter='dns'; corpus=(../shared/pcaps/dns ../shared/pcaps/edge) ;;
  mqtt) file=MQTTFuzz.swift; filter='mqtt'; corpus=(../shared/pcaps/mqtt ../shared/pcaps/edge) ;;
  http) file=HTTPFuzz.swift; filter='http'; corpus=(../shared/pcaps/http ../shared/pcaps/edge) ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
out=fuzz-out/$target
mkdir -p "$out/src" "$out/corpus" "$out/seeds"
rm -f "$out"/src/*.swift
for f in Sources/SpanwatchWire/*.swift Sources/SpanwatchJSON/*.swift Sources/SpanwatchFlow/*.swift Sources/SpanwatchProtocols/*.swift Sources/SpanwatchProtocols/*/*.swift; do
  grep -v '^import Spanwatch' "$f" > "$out/src/$(echo "${f#Sources/}" | tr '/' '-')"
done
cp "Fuzz/$file" Fuzz/FuzzSupport.swift "$out/src/"
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name SpanwatchFuzz "$out"/src/*.swift -o "$out/fuzz-$target"
if [ "$target" = frame ] && [ -z "$(ls -A "$out/seeds")" ]; then
  # Whole frames of the classic pcap files (the first 200 of each).
  python3 - "$out/seeds" "${corpus[@]}" <<'PY'
import glob, os, struct, sys
out = sys.argv[1]
for folder in sys.argv[2:]:
    for path in sorted(glob.glob(folder + "/*.pcap")):
        data = open(path, "rb").read()
        if len(data) < 24 or data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            continue
        offset, n = 24, 0
        while offset + 16 <= len(data) and n < 200:
            caplen = struct.unpack("<I", data[offset + 8:offset + 12])[0]
            frame = data[offset + 16:offset + 16 + caplen]
            open(os.path.join(out, "%s-%d" % (os.path.basename(path), n)), "wb").write(frame)
            offset, n = offset + 16 + caplen, n + 1
PY
fi
if [ -z "$(ls -A "$out/seeds")" ] && command -v tshark >/dev/null; then
  for dir in "${corpus[@]}"; do
    for pcap in "$dir"/*.pcap*; do
      [ -f "$pcap" ] || continue
      case $target in dnp3) [[ $pcap == *dnp3* ]] || continue ;; s7comm) [[ $pcap == *s7* ]] || continue ;; dns) [[ $pcap == *dns* ]] || continue ;; http) [[ $pcap == *http* ]] || continue ;; mqtt) [[ $pcap == *mqtt* ]] || continue ;; esac
      { tshark -r "$pcap" -Y "$filter && (tcp.len>0 || udp.length>8)" -T fields -e tcp.payload -e udp.payload 2>/dev/null || true; } \
        | python3 -c '
import sys
name, out = sys.argv[1], sys.argv[2]
for n, line in enumerate(sys.stdin):
    if n >= 200: break
    text = "".join(line.split()).split(",")[0]
    try:
        payload = bytes.fromhex(text)
    except ValueError:
        continue
    if payload:
        open("%s/%s-%d" % (out, name, n), "wb").write(bytes([1]) + payload)
' "$(basename "$pcap")" "$out/seeds"
    done
  done
fi
echo "seeds: $(ls "$out/seeds" | wc -l); running $seconds s"
SWIFT_BACKTRACE=enable=no "$out/fuzz-$target" -max_total_time="$seconds" -max_len=4096 -artifact_prefix="$out/" -print_final_stats=1 "$out/corpus" "$out/seeds"
