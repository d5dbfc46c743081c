#!/usr/bin/env bash
# Packets/s of one spanwatch binary on the benchmark capture (the default mix) and on a second mix
# that adds EtherNet/IP, IEC 60870-5-104 and BACnet captures (built with BENCH_SOURCES), `run`
# (protocol events off) and `decode` (every event), median of ROUNDS, to /dev/null.
#   scripts/bench-mix.sh [BINARY] [ROUNDS]    (default .build/release/spanwatch, 3)
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/release/spanwatch}
rounds=${2:-3}
mkdir -p bench-out
old=bench-out/bench-20.pcap
new=bench-out/bench-mix3-20.pcap
[ -f "$old" ] || bash ../shared/bench/make-bench-pcap.sh "$old" 20
if [ ! -f "$new" ]; then
    BENCH_SOURCES="mixed/plant1-modbus-s7comm-enip.pcap modbus/plant1-modbustcp.pcap s7comm/plant1-s7comm.pcap dnp3/dataset-capture-large.pcap
        mqtt/mqtt-many-messages.pcap http/zeek-bro-org.pcap mixed/dns-http-malcolm.pcap modbus/zeek-modbus-big.pcap
        s7comm/wireshark-varservice-libnodave-bench.pcap enip/iti-cip-pccc.pcap enip/iti-ethernetip-cip.pcap iec104/lab-vinci104.pcap
        iec104/lab-104-deneme.pcap bacnet/icsnpp-bacnet-example.pcap" bash ../shared/bench/make-bench-pcap.sh "$new" 20
fi
printf 'version: 1\noutputs:\n  eve:\n    types: [alert, flow, anomaly, stats]\n' > bench-out/mix.yaml
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for pcap in "$old" "$new"; do
    packets=$(capinfos -c -M -T -r "$pcap" | awk -F'\t' 'NR==1{print $2}')
    for job in run decode; do
        times=""
        for _ in $(seq "$rounds"); do
            start=$(date +%s.%N)
            if [ "$job" = run ]; then "$binary" run -r "$pcap" -c bench-out/mix.yaml --eve /dev/null >/dev/null 2>&1
            else "$binary" decode -r "$pcap" >/dev/null 2>&1; fi
            end=$(date +%s.%N)
            times+="$(echo "$end - $start" | bc) "
        done
        seconds=$(echo "$times" | tr ' ' '\n' | grep . | median)
        printf '%-28s %-7s %9s packets %7.2f s %6.2f M packets/s\n' "$(basename "$pcap")" "$job" "$packets" "$seconds" "$(echo "$packets / $seconds / 1000000" | bc -l)"
    done
done
