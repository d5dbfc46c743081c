#!/usr/bin/env bash
# Two spanwatch binaries side by side on the benchmark capture: `run` (protocol events off;
# flows, anomalies, alerts and stats written), `run` with the sample zones and a learned baseline
# (every flow and operation checked), and `decode` (every event written), all to /dev/null,
# alternating OLD and NEW in each round so that both see the same machine. Prints the median of
# ROUNDS wall-clock times and NEW/OLD. A benchmark, not a test.
#   scripts/bench-compare.sh OLD_BINARY NEW_BINARY [ROUNDS]     (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?usage: $0 OLD NEW [ROUNDS]}
new=${2:?usage: $0 OLD NEW [ROUNDS]}
rounds=${3:-5}
out=bench-out
mkdir -p "$out"
pcap=$out/bench-20.pcap
[ -f "$pcap" ] || bash ../shared/bench/make-bench-pcap.sh "$pcap" 20
cat > "$out/compare.yaml" <<'YAML'
version: 1
outputs:
  eve:
    types: [alert, flow, anomaly, stats]
YAML
# Zones from the sample config, outputs as above; a baseline of the whole capture.
python3 - "$out/compare-zones.yaml" <<'PY'
import re, sys
text = open("config/spanwatch.yaml").read()
text = re.sub(r"(?ms)^outputs:.*?(?=^\S)", "outputs:\n  eve:\n    types: [alert, flow, anomaly, stats]\n", text)
text = re.sub(r"(?ms)^baseline:.*?(?=^\S|\Z)", "", text)
text = re.sub(r"(?ms)^limits:.*?(?=^\S|\Z)", "", text)  # keys one binary may not know; defaults are the same
open(sys.argv[1], "w").write(text)
PY
"$old" learn -r "$pcap" -o "$out/compare-baseline.yaml" >/dev/null 2>&1
# A run that fails is reported, never timed.
for binary in "$old" "$new"; do
    "$binary" check-config -c "$out/compare-zones.yaml" >/dev/null
    "$binary" run -r samples/plant/plant.pcap -c "$out/compare-zones.yaml" -b "$out/compare-baseline.yaml" --eve /dev/null 2>/dev/null \
        || { echo "$binary: run with zones and baseline fails" >&2; exit 1; }
done

seconds() {  # prints the wall-clock seconds of the command
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A times
for round in $(seq "$rounds"); do
    for side in old new; do
        binary=$old
        [ "$side" = new ] && binary=$new
        times[run-$side]+="$(seconds "$binary" run -r "$pcap" -c "$out/compare.yaml" --eve /dev/null) "
        times[baseline-$side]+="$(seconds "$binary" run -r "$pcap" -c "$out/compare-zones.yaml" -b "$out/compare-baseline.yaml" --eve /dev/null) "
        times[decode-$side]+="$(seconds "$binary" decode -r "$pcap") "
    done
    echo "round $round done" >&2
done
printf '%-22s %10s %10s %8s\n' command old_s new_s new/old
for job in run baseline decode; do
    o=$(echo "${times[$job-old]}" | tr ' ' '\n' | grep . | median)
    n=$(echo "${times[$job-new]}" | tr ' ' '\n' | grep . | median)
    printf '%-22s %10.3f %10.3f %8.3f\n' "$job" "$o" "$n" "$(echo "$n / $o" | bc -l)"
done
