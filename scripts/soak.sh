#!/usr/bin/env bash
# Soak: the daemon captures live for a while, with the sample plant replayed in a loop into a
# veth pair (a namespace of its own), EVE to a file, a syslog output spooling to disk (receiver
# absent, so the spool grows to its cap and then drops by class), and the metrics endpoint on.
# Samples the resident memory every 10 s and prints it with the slope over the second half:
# a daemon that runs for years must be flat once warm. A measurement, not a test.
# usage: sudo scripts/soak.sh [MINUTES] [PPS]     (default 10 minutes at 5000 packets/s)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
pps=${2:-5000}
out=bench-out/soak
rm -rf "$out"; mkdir -p "$out"
swift build -c release --product spanwatch >/dev/null
ns=swsoak$$; host=swsoakh; peer=swsoakp
cleanup() {
  [ -n "${replay:-}" ] && kill "$replay" 2>/dev/null || true
  [ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null || true
  ip link del "$host" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$ns"
ip link add "$host" type veth peer name "$peer"
ip link set "$peer" netns "$ns"
sysctl -qw "net.ipv6.conf.$host.disable_ipv6=1"
ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$peer.disable_ipv6=1"
ip link set "$host" up
ip netns exec "$ns" ip link set "$peer" up
cat > "$out/soak.yaml" <<YAML
version: 1
outputs:
  stats_interval: 60s
  eve:
    path: $PWD/$out/eve.json
  syslog:
    address: 127.0.0.1:9
    spool: $PWD/$out/spool
    spool_size: 64MiB
metrics:
  listen: 127.0.0.1:19911
YAML
.build/release/spanwatch run -i "$host" -c "$out/soak.yaml" 2>"$out/stderr" &
daemon=$!
sleep 2
ip netns exec "$ns" tcpreplay --loop=0 --pps="$pps" -i "$peer" samples/plant/plant.pcap >/dev/null 2>&1 &
replay=$!
samples=$((minutes * 6))
echo "seconds rss_kib"
for i in $(seq 1 "$samples"); do
  sleep 10
  rss=$(awk '/^VmRSS/{print $2}' "/proc/$daemon/status")
  echo "$((i * 10)) $rss" | tee -a "$out/rss.txt"
done
kill "$replay"; replay=
curl -s 127.0.0.1:19911/metrics | grep -E '^spanwatch_(capture_(packets|kernel_drops)_total|flow_active|output_(pending_bytes|dropped_events_total))' || true
kill -TERM "$daemon"; wait "$daemon" || true; daemon=
# Least-squares slope of RSS over the second half (KiB per minute).
awk -v n="$samples" 'NR > n / 2 { x += $1; y += $2; xx += $1 * $1; xy += $1 * $2; k++ }
  END { slope = (k * xy - x * y) / (k * xx - x * x); printf "RSS slope over the second half: %.1f KiB/min (last %d KiB)\n", slope * 60, $2 }' "$out/rss.txt"
tail -3 "$out/stderr"
