#!/usr/bin/env bash
# Builds samples/plant/plant.pcap: a small plant on one machine, real protocol implementations
# in network namespaces on one switch (a bridge). What a SPAN port sees is every frame entering
# the switch once: tcpdump records each switch port inbound (-Q in), and mergecap merges them by
# time. (A tc mirred SPAN needs kernel classifiers that containers often lack.)
#
#   0-60 s   normal operation (what spanwatch learns): an HMI polls two Modbus PLCs every second
#            and reads the historian's page; the engineering station writes a setpoint and reads
#            an S7 PLC; a SCADA master polls a DNP3 RTU; an IoT sensor publishes over MQTT; the
#            HMI resolves the historian through the plant's DNS server; the HMI reads a Logix
#            PLC's tags over EtherNet/IP/CIP every 2 s, and the engineering station broadcasts
#            a ListIdentity and reads them at 25 s; the SCADA master holds an IEC 104 link to a
#            substation RTU (interrogations every 10 s, counters every 30 s, cyclic measurands);
#            in the building zone a BMS workstation broadcasts a BACnet Who-Is to its subnet and
#            reads an air handler's temperature every 5 s.
#   60-100 s attacks: a new laptop writes Modbus registers (65 s: FC16, then FC6), an S7 data
#            block (67 s) and an MQTT setpoint under a new topic (69 s), the engineering station
#            writes a Logix tag it never wrote (68 s), the HMI resolves www.facebook.com and
#            connects to it (70 s), the S7 PLC is stopped (75 s) and a block downloaded to it
#            (77 s), the RTU gets a DNP3 cold
#            restart (80 s), the SCADA master opens a breaker with an IEC 104 single command
#            (82 s), the laptop sweeps a PLC's ports (85 s), the BMS workstation reinitializes the
#            air handler (86 s), an operator logs in to the historian with HTTP Basic (88 s) and
#            the sensor with an MQTT password (90 s), and PLC2 goes silent (92 s).
#
# Needs root, iproute2, tcpdump, mergecap (wireshark-common), mosquitto, dnsmasq, python3 with pymodbus 3.6 and
# python-snap7 3.x, cpppo, c104 and bacpypes3:
#   apt-get install -y tcpdump mosquitto mosquitto-clients dnsmasq-base
#   pip install pymodbus==3.6.9 python-snap7==3.3.0 cpppo==5.2.5 c104==2.2.1 bacpypes3==0.0.110
# Not run by CI: the capture it writes is committed. Takes about two minutes.
set -euo pipefail
cd "$(dirname "$0")"
OUT=${1:-../../samples/plant/plant.pcap}
SECONDS_TOTAL=100
PREFIX=sp
WORK=$(mktemp -d)
PIDS=()

# name ip[/prefix] mac: a host without a prefix is alone on its /32 (every address on-link by the
# default route); the BACnet hosts get their real subnet, /16, whose directed broadcast bacpypes3
# binds to, though the building zone declares only the /24 cut from it.
HOSTS=(
  "hmi 10.10.1.10 00:0c:29:aa:00:10"
  "eng 10.10.1.50 00:0c:29:aa:00:50"
  "hist 10.10.1.80 00:0c:29:aa:01:80"
  "rogue 10.10.1.99 3c:52:82:00:00:99"
  "plc1 10.10.2.20 00:80:f4:12:34:56"
  "plc2 10.10.2.21 00:0e:8c:00:21:21"
  "plc3 10.10.2.40 00:1b:1b:12:34:40"
  "plc4 10.10.2.50 00:00:bc:0a:02:50"
  "scada 10.20.1.5 00:0c:29:aa:00:05"
  "rtu 10.20.2.30 00:30:a7:01:02:03"
  "rtu104 10.20.2.31 00:0a:dc:14:02:31"
  "bms 10.30.1.10/16 00:0c:29:aa:30:10"
  "ahu 10.30.1.20/16 00:10:7f:30:01:20"
  "broker 10.40.0.10 00:0c:29:aa:40:10"
  "sensor 10.40.1.7 18:fe:34:40:01:07"
  "dns 10.0.0.53 00:0c:29:aa:00:53"
  "inet 203.0.113.35 00:0c:29:aa:ff:01"
)

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for entry in "${HOSTS[@]}"; do ip netns del "$PREFIX-${entry%% *}" 2>/dev/null || true; done
  ip netns del "$PREFIX-sw" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$PREFIX-sw"
SW="ip netns exec $PREFIX-sw"
$SW sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
$SW ip link add br0 type bridge
$SW ip link set br0 up
for entry in "${HOSTS[@]}"; do
  read -r name ip mac <<<"$entry"
  ns="$PREFIX-$name"
  ip netns add "$ns"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip link add "p-$name" type veth peer name "h-$name"
  ip link set "p-$name" netns "$PREFIX-sw"
  ip link set "h-$name" netns "$ns"
  ip netns exec "$ns" ip link set "h-$name" name eth0
  ip netns exec "$ns" ip link set eth0 address "$mac"
  case $ip in
    */*) ip netns exec "$ns" ip addr add "$ip" brd + dev eth0 ;;
    *) ip netns exec "$ns" ip addr add "$ip/32" dev eth0 ;;
  esac
  ip netns exec "$ns" ip link set eth0 up
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" ip route add default dev eth0  # one flat link: every address is on-link
  $SW ip link set "p-$name" master br0
  $SW ip link set "p-$name" up
done

mkdir -p "$(dirname "$OUT")"
CAPTURES=()
for entry in "${HOSTS[@]}"; do
  name=${entry%% *}
  $SW tcpdump -q -i "p-$name" -Q in -s 0 -U -w "$WORK/port-$name.pcap" 2>/dev/null &
  CAPTURES+=($!)
done
sleep 2

run() {  # run NAMESPACE COMMAND...: a bounded background process
  local ns=$1; shift
  ip netns exec "$PREFIX-$ns" timeout $((SECONDS_TOTAL + 30)) "$@" >"$WORK/$ns.log" 2>&1 &
  PIDS+=($!)
}
# Every role outlives the capture (servers by 20 s, clients by 10 s): the recording ends while
# the plant still runs, as a SPAN capture cut from a running plant does.
SERVE=$((SECONDS_TOTAL + 20))
ACT=$((SECONDS_TOTAL + 10))

# Servers.
run plc1 python3 plant.py plc1 $SERVE
run plc2 python3 plant.py plc2 $SERVE
run plc3 python3 plant.py plc3 $SERVE
run rtu python3 plant.py rtu $SERVE
run hist python3 plant.py historian $SERVE
run inet python3 plant.py internet $SERVE
run plc4 python3 -m cpppo.server.enip --address 0.0.0.0:44818 Temp=REAL Setpoint=INT[10]
run rtu104 python3 plant.py substation-rtu $SERVE
run ahu python3 plant.py ahu $SERVE
printf 'listener 1883 10.40.0.10\nallow_anonymous true\npersistence false\n' >"$WORK/mosquitto.conf"
run broker mosquitto -c "$WORK/mosquitto.conf"
run dns dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces --listen-address=10.0.0.53 --user=root \
  --pid-file="$WORK/dnsmasq.pid" --address=/historian.plant.local/10.10.1.80 --address=/www.facebook.com/203.0.113.35
sleep 5  # pymodbus, snap7, cpppo and bacpypes3 take a few seconds to import and listen

# Clients, from a common start.
export PLANT_T0
PLANT_T0=$(date +%s.%N)
run hmi python3 plant.py hmi $ACT
sleep 0.2
run eng python3 plant.py eng $ACT
run scada python3 plant.py scada $ACT
run rogue python3 plant.py rogue $ACT
run bms python3 plant.py bms $ACT
for role in hmi-tags:hmi eng-logix:eng telecontrol-master:scada; do  # a second role in a namespace
  ip netns exec "$PREFIX-${role#*:}" timeout $((SECONDS_TOTAL + 10)) python3 plant.py "${role%%:*}" $ACT >"$WORK/${role%%:*}.log" 2>&1 &
  PIDS+=($!)
done
ip netns exec "$PREFIX-hmi" timeout $((SECONDS_TOTAL + 10)) python3 plant.py hmi-lookups $ACT >"$WORK/lookups.log" 2>&1 &
PIDS+=($!)
ip netns exec "$PREFIX-hmi" timeout $((SECONDS_TOTAL + 10)) python3 plant.py operator $ACT >"$WORK/operator.log" 2>&1 &
PIDS+=($!)
(
  # The IoT sensor: a reading every 5 s, anonymously; at 90 s once with a username and password.
  for second in $(seq 0 5 $((SECONDS_TOTAL - 5))); do
    if [ "$second" = 90 ]; then
      ip netns exec "$PREFIX-sensor" mosquitto_pub -h 10.40.0.10 -i sensor-7 -u sensor7 -P hunter2 -t plant/line1/temp -m 22.0 || true
    else
      ip netns exec "$PREFIX-sensor" mosquitto_pub -h 10.40.0.10 -i sensor-7 -t plant/line1/temp -m 21.5 || true
    fi
    sleep 5
  done
) &
PIDS+=($!)
# PLC2 goes silent at 92 s: its link goes down, as a device that loses power (the HMI keeps
# polling the other PLC, so time goes on in the capture).
( sleep 92; ip netns exec "$PREFIX-plc2" ip link set eth0 down || true ) &
PIDS+=($!)

sleep $SECONDS_TOTAL
kill "${CAPTURES[@]}" 2>/dev/null || true  # tcpdump: flush and close
wait "${CAPTURES[@]}" 2>/dev/null || true
mergecap -F pcap -w "$OUT" "$WORK"/port-*.pcap
echo "wrote $OUT: $(stat -c %s "$OUT") bytes"
for log in "$WORK"/*.log; do
  if [ -s "$log" ]; then echo "--- $(basename "$log")"; tail -3 "$log"; fi
done
