#!/usr/bin/env bash
# Speed and memory on the shared benchmark capture, as ratios to the libpcap floor.
# Runs, on the same file: the floor (../shared/bench/pcapfloor.c), ndpiReader, tshark, and
# spanwatch `run` (protocol-event logging off: every PDU still parsed; flows and anomalies
# written), `run` with a syslog output too (spooled to disk), `learn` (a baseline of the whole file), `run` again with that baseline and the
# sample config's zones loaded (every flow and operation checked), and `decode` (every event
# written), all to /dev/null. Prints packets/s, the ratio
# to the floor and peak RSS. A benchmark, not a test: numbers move with the machine.
# usage: scripts/bench.sh [COPIES]   (default 20: about 2.1 M packets)
#        BENCH_QUICK=1 scripts/bench.sh   skips tshark and ndpiReader (spanwatch and the floor only)
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-20}
shared=../shared
out=bench-out
mkdir -p "$out"
for t in tcprewrite editcap mergecap capinfos tshark; do
  command -v $t >/dev/null || { echo "installing tcpreplay, tshark"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpreplay tshark wireshark-common libndpi-bin >/dev/null; break; }
done
pcap=$out/bench-$copies.pcap
[ -f "$pcap" ] || bash "$shared/bench/make-bench-pcap.sh" "$pcap" "$copies"
packets=$(capinfos -c -M -T -r "$pcap" | awk -F'\t' 'NR==1{print $2}')
cc -O2 -o "$out/pcapfloor" "$shared/bench/pcapfloor.c" -lpcap
swift build -c release --product spanwatch >/dev/null
cat > "$out/bench.yaml" <<'YAML'
version: 1
outputs:
  eve:
    types: [alert, flow, anomaly, stats]
YAML
# The same output types, also to a syslog receiver that is not there: the spool's cost (every
# record is written to disk; nothing is delivered). The spool is emptied before each run.
cat > "$out/bench-syslog.yaml" <<YAML
version: 1
outputs:
  eve:
    types: [alert, flow, anomaly, stats]
  syslog:
    address: 127.0.0.1:9
    spool: $PWD/$out/bench-spool
    spool_size: 4GiB
    drain_timeout: 0s
    types: [alert, flow, anomaly, stats]
YAML
# The documented sample's zones and conduits, plus the output types above.
# (The sample's whole outputs section is cut, up to the next top-level key, and replaced.)
awk '/^outputs:/{skip=1; next} /^[a-z]/{skip=0} !skip' config/spanwatch.yaml > "$out/bench-zones.yaml"
printf 'outputs:\n  eve:\n    types: [alert, flow, anomaly, stats]\n' >> "$out/bench-zones.yaml"
.build/release/spanwatch check-config -c "$out/bench-zones.yaml" >/dev/null

measure() {  # name, command...
  local name=$1; shift
  local start end rss
  start=$(date +%s.%N)
  local status=0
  /usr/bin/time -f '%M' -o "$out/rss.txt" "$@" >/dev/null 2>"$out/$name.stderr" || status=$?
  end=$(date +%s.%N)
  # A run that failed is no figure: say so (on the terminal) rather than report its time.
  [ "$status" -eq 0 ] || echo "$name exited $status: $(grep -v '^Command exited' "$out/$name.stderr" | tail -1)" >&2
  rss=$(tail -1 "$out/rss.txt")
  echo "$name $(echo "$end - $start" | bc -l) $rss"
}

{
  measure floor "$out/pcapfloor" "$pcap"
  if [ -z "${BENCH_QUICK:-}" ]; then
    command -v ndpiReader >/dev/null && measure ndpiReader ndpiReader -i "$pcap" -q || true
    measure tshark tshark -n -r "$pcap"
  fi
  measure spanwatch-run .build/release/spanwatch run -r "$pcap" -c "$out/bench.yaml" --eve /dev/null
  rm -rf "$out/bench-spool"
  measure spanwatch-run-syslog .build/release/spanwatch run -r "$pcap" -c "$out/bench-syslog.yaml" --eve /dev/null
  rm -rf "$out/bench-spool"
  measure spanwatch-learn .build/release/spanwatch learn -r "$pcap" -c "$out/bench-zones.yaml" -o "$out/bench-baseline.yaml"
  measure spanwatch-run-baseline .build/release/spanwatch run -r "$pcap" -c "$out/bench-zones.yaml" -b "$out/bench-baseline.yaml" --eve /dev/null
  measure spanwatch-decode .build/release/spanwatch decode -r "$pcap"
} > "$out/times.txt"

floor=$(awk '$1=="floor"{print $2}' "$out/times.txt")
tshark_t=$(awk '$1=="tshark"{print $2}' "$out/times.txt")
printf '%-18s %12s %14s %12s %14s\n' tool seconds packets/s vs-floor peak-RSS-MiB
while read -r name secs rss; do
  pps=$(echo "$packets / $secs" | bc -l)
  ratio=$(echo "$floor / $secs" | bc -l)
  printf '%-18s %12.2f %14.0f %11.3fx %14.1f\n' "$name" "$secs" "$pps" "$ratio" "$(echo "$rss / 1024" | bc -l)"
done < "$out/times.txt"
decode_t=$(awk '$1=="spanwatch-decode"{print $2}' "$out/times.txt")
if [ -n "$tshark_t" ]; then printf 'packets: %s; decode vs tshark: %.1fx\n' "$packets" "$(echo "$tshark_t / $decode_t" | bc -l)"; fi
echo "baseline loaded by run-baseline: $(grep -o 'learned [^;]*' "$out/spanwatch-learn.stderr")"
