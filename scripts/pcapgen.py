#!/usr/bin/env python3
"""Builds the captures spanwatch bundles: test fixtures and the sample plant.

Standard library only (struct), so it runs on a bare Debian machine. Every packet is
written byte by byte here: Ethernet (with optional 802.1Q/QinQ tags), Linux cooked v1/v2,
IPv4/IPv6, TCP with real checksums, and Modbus/TCP ADUs. Output is deterministic.

    python3 scripts/pcapgen.py fixtures   # Tests/SpanwatchEndToEndTests/Fixtures/*/capture.*
    python3 scripts/pcapgen.py scenarios  # Tests/SpanwatchEndToEndTests/Scenarios/*/{learn,monitor}.pcap
    python3 scripts/pcapgen.py sample     # samples/sample-plant.pcap
"""
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "SpanwatchEndToEndTests", "Fixtures")

LINKTYPE_ETHERNET, LINKTYPE_SLL, LINKTYPE_SLL2 = 1, 113, 276


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def ip4(text):
    return bytes(int(x) for x in text.split("."))


def ip6(text):
    head, _, tail = text.partition("::")
    h = [int(x, 16) for x in head.split(":") if x]
    t = [int(x, 16) for x in tail.split(":") if x]
    groups = h + [0] * (8 - len(h) - len(t)) + t
    return struct.pack("!8H", *groups)


def mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


class Host:
    def __init__(self, ip, mac_text):
        self.ip = ip
        self.v6 = ":" in ip
        self.addr = ip6(ip) if self.v6 else ip4(ip)
        self.mac = mac(mac_text)


def tcp_segment(src, dst, sport, dport, seq, ack, flags, payload):
    offset_flags = (5 << 12) | flags
    header = struct.pack("!HHIIHHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, offset_flags, 64240, 0, 0)
    if src.v6:
        pseudo = src.addr + dst.addr + struct.pack("!IxxxB", len(header) + len(payload), 6)
    else:
        pseudo = src.addr + dst.addr + struct.pack("!xBH", 6, len(header) + len(payload))
    csum = checksum(pseudo + header + payload)
    return header[:16] + struct.pack("!H", csum) + header[18:] + payload


def udp_datagram(src, dst, sport, dport, payload):
    header = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    if src.v6:
        pseudo = src.addr + dst.addr + struct.pack("!IxxxB", len(header) + len(payload), 17)
    else:
        pseudo = src.addr + dst.addr + struct.pack("!xBH", 17, len(header) + len(payload))
    csum = checksum(pseudo + header + payload) or 0xFFFF
    return header[:6] + struct.pack("!H", csum) + payload


def ip_packet(src, dst, proto, body, ident=0):
    if src.v6:
        return struct.pack("!IHBB", 6 << 28, len(body), proto, 64) + src.addr + dst.addr + body
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), ident & 0xFFFF, 0x4000, 64, proto, 0, src.addr, dst.addr)
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + body


def link_frame(link, src, dst, packet, vlans=()):
    ethertype = 0x86DD if src.v6 else 0x0800
    if link == "ethernet":
        # Each tag is TPID + TCI; with two tags the outer one is 802.1ad. The real type follows the last.
        tags = b"".join(struct.pack("!HH", 0x88A8 if (len(vlans) > 1 and i == 0) else 0x8100, vid)
                        for i, vid in enumerate(vlans))
        return dst.mac + src.mac + tags + struct.pack("!H", ethertype) + packet
    if link == "sll":
        return struct.pack("!HHH", 0, 1, 6) + src.mac + b"\0\0" + struct.pack("!H", ethertype) + packet
    if link == "sll2":
        return struct.pack("!HHIHBB", ethertype, 0, 2, 1, 0, 6) + src.mac + b"\0\0" + packet
    raise ValueError(link)


class Capture:
    def __init__(self, link="ethernet", start=1767261600.0):
        self.link = link
        self.time = start
        self.records = []

    def add(self, frame, dt=0.001):
        self.time += dt
        self.records.append((self.time, frame))

    def write_pcap(self, path):
        linktype = {"ethernet": LINKTYPE_ETHERNET, "sll": LINKTYPE_SLL, "sll2": LINKTYPE_SLL2}[self.link]
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
            for t, frame in self.records:
                sec = int(t)
                usec = int(round((t - sec) * 1e6))
                f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)

    def write_pcapng(self, path):
        def block(kind, body):
            body += b"\0" * ((4 - len(body) % 4) % 4)
            length = 12 + len(body)
            return struct.pack("<II", kind, length) + body + struct.pack("<I", length)
        with open(path, "wb") as f:
            f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
            f.write(block(0x00000001, struct.pack("<HHI", LINKTYPE_ETHERNET, 0, 65535)))
            for t, frame in self.records:
                micros = int(round(t * 1e6))
                f.write(block(0x00000006, struct.pack("<IIIII", 0, micros >> 32, micros & 0xFFFFFFFF, len(frame), len(frame)) + frame))


SYN, ACK, PSH, FIN, RST = 0x02, 0x10, 0x08, 0x01, 0x04


class TCPSession:
    """A client/server TCP conversation; sequence numbers are tracked per side."""

    def __init__(self, cap, client, server, cport, sport, cisn=1000, sisn=5000, vlans=()):
        self.cap, self.c, self.s, self.cport, self.sport, self.vlans = cap, client, server, cport, sport, vlans
        self.cseq, self.sseq = cisn, sisn

    def _emit(self, from_client, seq, ack, flags, payload, dt):
        src, dst = (self.c, self.s) if from_client else (self.s, self.c)
        sport, dport = (self.cport, self.sport) if from_client else (self.sport, self.cport)
        segment = tcp_segment(src, dst, sport, dport, seq, ack, flags, payload)
        self.cap.add(link_frame(self.cap.link, src, dst, ip_packet(src, dst, 6, segment), self.vlans), dt)

    def handshake(self, dt=0.001):
        self._emit(True, self.cseq, 0, SYN, b"", dt)
        self._emit(False, self.sseq, self.cseq + 1, SYN | ACK, b"", dt)
        self.cseq += 1
        self.sseq += 1
        self._emit(True, self.cseq, self.sseq, ACK, b"", dt)

    def send(self, from_client, payload, dt=0.001, advance=True, seq=None, ack_only=False):
        """Sends payload from one side; `seq` overrides the sequence number (retransmissions)."""
        if from_client:
            s = self.cseq if seq is None else seq
            self._emit(True, s, self.sseq, ACK | PSH, payload, dt)
            if advance:
                self.cseq = max(self.cseq, s + len(payload))
        else:
            s = self.sseq if seq is None else seq
            self._emit(False, s, self.cseq, ACK | PSH, payload, dt)
            if advance:
                self.sseq = max(self.sseq, s + len(payload))

    def ack(self, from_client, dt=0.0005):
        if from_client:
            self._emit(True, self.cseq, self.sseq, ACK, b"", dt)
        else:
            self._emit(False, self.sseq, self.cseq, ACK, b"", dt)

    def close(self, dt=0.001):
        self._emit(True, self.cseq, self.sseq, FIN | ACK, b"", dt)
        self._emit(False, self.sseq, self.cseq + 1, FIN | ACK, b"", dt)
        self.cseq += 1
        self.sseq += 1
        self._emit(True, self.cseq, self.sseq, ACK, b"", dt)


def mbap(tid, unit, pdu):
    return struct.pack("!HHHB", tid, 0, len(pdu) + 1, unit) + pdu


def read_holding(tid, unit, address, quantity):
    return mbap(tid, unit, struct.pack("!BHH", 3, address, quantity))


def read_holding_response(tid, unit, values):
    return mbap(tid, unit, struct.pack("!BB", 3, 2 * len(values)) + b"".join(struct.pack("!H", v) for v in values))


def write_multiple(tid, unit, address, values):
    return mbap(tid, unit, struct.pack("!BHHB", 16, address, len(values), 2 * len(values)) + b"".join(struct.pack("!H", v) for v in values))


def write_multiple_response(tid, unit, address, count):
    return mbap(tid, unit, struct.pack("!BHH", 16, address, count))


HMI = Host("10.10.1.10", "00:0c:29:aa:00:10")
PLC = Host("10.10.2.20", "00:80:f4:12:34:56")  # 00:80:F4 Telemecanique (Schneider)
HMI6 = Host("fd00:10::10", "00:0c:29:aa:00:10")
PLC6 = Host("fd00:20::20", "00:80:f4:12:34:56")
ENG = Host("10.10.1.50", "00:0c:29:aa:00:50")
S7PLC = Host("10.10.2.40", "00:1b:1b:12:34:40")  # 00:1B:1B Siemens
SCANNER = Host("10.10.1.66", "00:0c:29:aa:00:66")
SENSOR = Host("10.40.1.7", "00:0c:29:aa:40:07")
BROKER = Host("10.40.0.10", "00:0c:29:aa:40:10")
WEBHMI = Host("10.10.2.80", "00:0c:29:aa:02:80")
SEWING = Host("10.30.1.7", "00:0c:29:aa:30:07")
RESOLVER = Host("10.30.0.53", "00:0c:29:aa:30:53")
FACEBOOK = Host("203.0.113.35", "00:0c:29:aa:ff:01")  # the gateway's MAC in real life; a documentation address
SCADA = Host("10.20.1.5", "00:0c:29:aa:00:05")
RTU = Host("10.20.2.30", "00:30:a7:01:02:03")  # 00:30:A7 Schweitzer Engineering Laboratories


def polling_pair(session, tid, address=100, values=(1, 2)):
    session.send(True, read_holding(tid, 1, address, len(values)))
    session.send(False, read_holding_response(tid, 1, list(values)))


# DNP3 (IEEE 1815): link frames with a CRC after the header and after every 16 data bytes.
def dnp3_crc(data):
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA6BC if crc & 1 else crc >> 1
    return struct.pack("<H", ~crc & 0xFFFF)


def dnp3_link(control, dst, src, user_data):
    header = b"\x05\x64" + bytes([5 + len(user_data), control]) + struct.pack("<HH", dst, src)
    out = header + dnp3_crc(header)
    for i in range(0, len(user_data), 16):
        block = user_data[i:i + 16]
        out += block + dnp3_crc(block)
    return out


def dnp3_frames(app, from_master, dst, src, first_tseq=0, segment_size=249):
    """An application fragment as link frames (unconfirmed user data), split into transport segments."""
    control = (0x80 if from_master else 0x00) | 0x40 | 0x04
    pieces = [app[i:i + segment_size] for i in range(0, len(app), segment_size)] or [b""]
    frames = []
    for n, piece in enumerate(pieces):
        th = (0x40 if n == 0 else 0) | (0x80 if n == len(pieces) - 1 else 0) | ((first_tseq + n) & 0x3F)
        frames.append(dnp3_link(control, dst, src, bytes([th]) + piece))
    return frames


def dnp3_request(seq, function, objects=b""):
    return bytes([0xC0 | (seq & 0x0F), function]) + objects


def dnp3_response(seq, objects=b"", function=0x81, iin=(0, 0), unsolicited=False, confirm=False):
    control = 0xC0 | (seq & 0x0F) | (0x10 if unsolicited else 0) | (0x20 if confirm else 0)
    return bytes([control, function, iin[0], iin[1]]) + objects


def crob(index, code=0x41, count=1, on_ms=500, off_ms=0, status=0):
    """g12v1 with a 2-byte count and 2-byte index prefixes (qualifier 0x28): one control relay output block."""
    return bytes([12, 1, 0x28]) + struct.pack("<HH", 1, index) + struct.pack("<BBIIB", code, count, on_ms, off_ms, status)


def fixture(name, capture, ext="pcap", readme=""):
    folder = os.path.join(FIXTURES, name)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "capture." + ext)
    if ext == "pcapng":
        capture.write_pcapng(path)
    else:
        capture.write_pcap(path)
    with open(os.path.join(folder, "README.md"), "w") as f:
        f.write("# %s\n\n%s\n\nMade by `scripts/pcapgen.py fixtures` (synthetic, written byte by byte); "
                "`expected.jsonl` is spanwatch's `decode` output, reviewed by hand.\n" % (name, readme.strip()))


def make_fixtures():
    cap = Capture()
    s = TCPSession(cap, HMI, PLC, 50100, 502)
    s.handshake()
    adu = read_holding(1, 1, 100, 2)
    s.send(True, adu[:5])
    s.send(True, adu[5:])
    s.send(False, read_holding_response(1, 1, [11, 22]))
    s.close()
    fixture("modbus-adu-across-two-segments", cap,
            readme="One Modbus request split 5 + 7 bytes over two TCP segments (the split is inside the MBAP header); "
                   "proves the framing driver buffers the first part and emits one transaction when the second arrives.")

    cap = Capture()
    s = TCPSession(cap, HMI, PLC, 50101, 502)
    s.handshake()
    s.send(True, read_holding(1, 1, 100, 2) + write_multiple(2, 1, 200, [7, 8, 9]))
    s.send(False, read_holding_response(1, 1, [11, 22]) + write_multiple_response(2, 1, 200, 3))
    s.close()
    fixture("modbus-two-adus-in-one-segment", cap,
            readme="Two requests (FC 3 and FC 16) in one segment and both responses in one segment: two transactions, paired by id.")

    cap = Capture()
    s = TCPSession(cap, HMI, PLC, 50102, 502)
    s.handshake()
    first = s.cseq
    s.send(True, read_holding(1, 1, 100, 2))
    s.send(True, read_holding(1, 1, 100, 2), seq=first)  # same bytes again
    s.send(False, read_holding_response(1, 1, [11, 22]))
    s.close()
    fixture("tcp-retransmission", cap,
            readme="A request retransmitted with identical bytes: one transaction, no anomaly (the copy is recognised as old data).")

    cap = Capture()
    s = TCPSession(cap, HMI, PLC, 50103, 502)
    s.handshake()
    first = s.cseq
    s.send(True, write_multiple(1, 1, 200, [1]))
    s.send(True, write_multiple(1, 1, 200, [0xDEAD]), seq=first)  # same sequence, different value
    s.send(False, write_multiple_response(1, 1, 200, 1))
    s.close()
    fixture("tcp-overlap-different-data", cap,
            readme="A write retransmitted with a different register value at the same sequence number (an evasion pattern): "
                   "first data wins (value 1 is reported) and `stream.reassembly_overlap_different_data` is raised.")

    cap = Capture()
    s = TCPSession(cap, HMI, PLC, 50104, 502)
    s.handshake()
    a = read_holding(1, 1, 100, 1)
    b = read_holding(2, 1, 101, 1)
    base = s.cseq
    s.send(True, b, seq=base + len(a), advance=False)  # second request first
    s.send(True, a, seq=base, advance=False)
    s.cseq = base + len(a) + len(b)
    s.send(False, read_holding_response(1, 1, [5]) + read_holding_response(2, 1, [6]))
    s.close()
    fixture("tcp-out-of-order", cap,
            readme="The second request arrives before the first: reassembly holds it and delivers both in sequence order.")

    cap = Capture()
    s = TCPSession(cap, HMI, PLC, 50105, 502)
    s.handshake()
    polling_pair(s, 1)
    lost = read_holding(2, 1, 100, 2)
    s.cseq += len(lost)  # the sensor never sees this segment
    s.ack(False)  # the PLC acknowledges past it
    polling_pair(s, 3)
    s.close()
    fixture("tcp-gap-resync", cap,
            readme="A request segment the sensor never saw, acknowledged by the PLC: `stream.reassembly_gap` is reported and the "
                   "parser resynchronises on the next ADU (transaction 3 is decoded).")

    def one_poll(port, link="ethernet", client=HMI, server=PLC, vlans=()):
        cap = Capture(link=link)
        s = TCPSession(cap, client, server, port, 502, vlans=vlans)
        s.handshake()
        polling_pair(s, 1)
        s.close()
        return cap

    fixture("modbus-qinq", one_poll(50106, vlans=(100, 20)),
            readme="Modbus polling inside QinQ (outer 802.1ad tag 100, inner 802.1Q tag 20): `vlan` is [100, 20].")
    fixture("modbus-ipv6", one_poll(50107, client=HMI6, server=PLC6),
            readme="Modbus/TCP over IPv6: addresses are written in RFC 5952 form.")
    fixture("modbus-linux-cooked", one_poll(50108, link="sll"),
            readme="Modbus polling captured with `tcpdump -i any` (Linux cooked v1, link type 113).")
    fixture("modbus-linux-cooked-v2", one_poll(50109, link="sll2"), readme="The same in Linux cooked v2 (link type 276).")
    fixture("modbus-pcapng", one_poll(50110), ext="pcapng", readme="Modbus polling in a pcapng file (SHB, IDB, EPB blocks).")

    # A capture cut in the middle of its last record.
    cap = Capture()
    s = TCPSession(cap, HMI, PLC, 50111, 502)
    s.handshake()
    polling_pair(s, 1)
    polling_pair(s, 2)
    fixture("truncated-file", cap, readme="A capture whose last record is cut short (as when the disk filled): everything before "
                                          "the damage is decoded and the read error is counted.")
    path = os.path.join(FIXTURES, "truncated-file", "capture.pcap")
    data = open(path, "rb").read()
    open(path, "wb").write(data[:-10])


def make_dnp3_fixtures():
    master, outstation = 1, 10
    class0 = bytes([60, 1, 0x06])
    # 100 analog inputs (g30v1, 5 bytes each, indexes 0-99): a 510-byte fragment in 3 link frames.
    analogs = bytes([30, 1, 0x00, 0, 99]) + b"".join(struct.pack("<BI", 0x01, 1000 + i) for i in range(100))

    cap = Capture()
    s = TCPSession(cap, SCADA, RTU, 50200, 20000)
    s.handshake()
    for frame in dnp3_frames(dnp3_request(1, 1, class0), True, outstation, master):
        s.send(True, frame)
    for frame in dnp3_frames(dnp3_response(1, analogs), False, master, outstation, first_tseq=62):
        s.send(False, frame)
    s.close()
    fixture("dnp3-fragment-over-link-frames", cap,
            readme="A class 0 read answered by a 510-byte fragment (100 analog inputs, g30v1) in three link frames, one per TCP "
                   "segment, with transport sequence numbers 62, 63, 0 (the wrap that tshark 4.0 does not follow): one `dnp3` "
                   "response event, `segments: 3`, paired with the READ.")

    cap = Capture()
    s = TCPSession(cap, SCADA, RTU, 50201, 20000)
    s.handshake()
    bad = bytearray(dnp3_frames(dnp3_request(2, 5, crob(7, code=0x81)), True, outstation, master)[0])
    bad[-3] ^= 0xFF  # a data byte of the last block: that block's CRC no longer matches
    s.send(True, bytes(bad))
    for frame in dnp3_frames(dnp3_request(3, 5, crob(7, code=0x41)), True, outstation, master, first_tseq=1):
        s.send(True, frame)
    for frame in dnp3_frames(dnp3_response(3, crob(7, code=0x41)), False, master, outstation):
        s.send(False, frame)
    s.close()
    fixture("dnp3-bad-crc", cap,
            readme="A DIRECT_OPERATE whose last data block fails its CRC: `dnp3.bad_link_crc` and no `dnp3` event (the frame is "
                   "not passed up). The next DIRECT_OPERATE (CROB on index 7, code 0x41: PULSE_ON, CLOSE) and its echo are "
                   "decoded, with the CROB's fields under `points`.")

    cap = Capture()
    s = TCPSession(cap, SCADA, RTU, 50202, 20000)
    s.handshake()
    unsolicited = dnp3_frames(dnp3_response(5, bytes([2, 1, 0x28]) + struct.pack("<HH", 1, 3) + bytes([0x81]), function=0x82, unsolicited=True,
                                            confirm=True), False, master, outstation)[0]
    s.send(False, unsolicited)
    confirm = dnp3_frames(bytes([0xD5, 0]), True, outstation, master)[0]
    select = dnp3_frames(dnp3_request(6, 3, crob(3, code=0x81)), True, outstation, master, first_tseq=1)[0]
    s.send(True, confirm + select)
    response = dnp3_frames(dnp3_response(6, crob(3, code=0x81)), False, master, outstation, first_tseq=1)[0]
    s.send(False, response)
    s.close()
    fixture("dnp3-several-frames-in-one-segment", cap,
            readme="One TCP segment from the master carries two link frames: the CONFIRM of an unsolicited response (binary input "
                   "event g2v1) and a SELECT (CROB on index 3, code 0x81: PULSE_ON, TRIP); the outstation's response follows. Three fragments, three events; "
                   "the response is paired with the SELECT by application sequence 6.")

    cap = Capture()
    def udp(from_master, payload):
        src, dst = (SCADA, RTU) if from_master else (RTU, SCADA)
        sport, dport = (50300, 20000) if from_master else (20000, 50300)
        cap.add(link_frame("ethernet", src, dst, ip_packet(src, dst, 17, udp_datagram(src, dst, sport, dport, payload))))
    udp(True, dnp3_frames(dnp3_request(1, 1, class0), True, outstation, master)[0])
    udp(False, dnp3_frames(dnp3_response(1, bytes([1, 2, 0x00, 0, 3]) + bytes([0x01, 0x81, 0x01, 0x01])), False, master,
                           outstation)[0])
    udp(True, dnp3_frames(dnp3_request(2, 13), True, outstation, master, first_tseq=1)[0])
    udp(False, dnp3_frames(dnp3_response(2, bytes([52, 2, 0x07, 1]) + struct.pack("<H", 2000), iin=(0x80, 0)), False, master,
                           outstation, first_tseq=1)[0])
    fixture("dnp3-over-udp", cap,
            readme="DNP3 over UDP port 20000: a class 0 read answered with four binary inputs (g1v2), then a COLD_RESTART answered "
                   "with a time delay (g52v2, 2000 ms) and IIN device_restart. Each datagram holds whole link frames.")


# S7comm: TPKT (RFC 1006) + COTP (ISO 8073) + S7 (protocol id 0x32).
def tpkt(cotp_tpdu):
    return struct.pack("!BBH", 3, 0, 4 + len(cotp_tpdu)) + cotp_tpdu


def cotp_cr(src_tsap, dst_tsap, confirm=False, src_ref=1, dst_ref=0):
    params = b"\xc0\x01\x0a" + b"\xc1" + bytes([len(src_tsap)]) + src_tsap + b"\xc2" + bytes([len(dst_tsap)]) + dst_tsap
    body = bytes([0xD0 if confirm else 0xE0]) + struct.pack("!HHB", dst_ref, src_ref, 0) + params
    return bytes([len(body)]) + body


def cotp_dt(payload, eot=True, number=0):
    return bytes([2, 0xF0, (0x80 if eot else 0) | number]) + payload


def s7(rosctr, ref, params, data=b"", error=None):
    header = struct.pack("!BBHHHH", 0x32, rosctr, 0, ref, len(params), len(data))
    if rosctr in (2, 3):
        header += bytes(error or (0, 0))
    return header + params + data


def s7_write_db(ref, db, byte_address, values):
    item = bytes([0x12, 0x0A, 0x10, 0x02]) + struct.pack("!HHB", len(values), db, 0x84) + (byte_address * 8).to_bytes(3, "big")
    data = bytes([0x00, 0x04]) + struct.pack("!H", len(values) * 8) + bytes(values)
    return s7(1, ref, bytes([0x05, 1]) + item, data)


def make_s7_fixtures():
    cap = Capture()
    s = TCPSession(cap, ENG, S7PLC, 50400, 102)
    s.handshake()
    s.send(True, tpkt(cotp_cr(b"\x01\x00", b"\x01\x02")))
    s.send(False, tpkt(cotp_cr(b"\x01\x00", b"\x01\x02", confirm=True, src_ref=3, dst_ref=1)))
    write = s7_write_db(7, 1, 16, list(range(40)))
    # One S7 PDU in three COTP DT TPDUs (EOT only on the last), each in its own TPKT and segment.
    s.send(True, tpkt(cotp_dt(write[:20], eot=False, number=0)))
    s.send(True, tpkt(cotp_dt(write[20:45], eot=False, number=1)))
    s.send(True, tpkt(cotp_dt(write[45:], eot=True, number=2)))
    s.send(False, tpkt(cotp_dt(s7(3, 7, bytes([0x05, 1]), bytes([0xFF])))))
    stop = s7(1, 8, bytes([0x29, 0, 0, 0, 0, 0, 9]) + b"P_PROGRAM")
    s.send(True, tpkt(cotp_dt(stop)))
    s.send(False, tpkt(cotp_dt(s7(3, 8, bytes([0x29])))))
    s.close()
    fixture("s7comm-cotp-segmentation", cap,
            readme="An engineering station (COTP CR with TSAPs 0100 -> 0102: a PG connection to rack 0, slot 2) writes 40 bytes to "
                   "DB1.DBB16: the WRITE_VAR job is cut into three COTP DT TPDUs, and only the last has the EOT bit. One `s7comm` "
                   "event with `segments: 3`, then the ack-data (return code 0xFF, success), then PLC_STOP (P_PROGRAM) and its ack.")

    cap = Capture(link="sll")
    s = TCPSession(cap, HMI, S7PLC, 50401, 102)
    s.handshake()
    s.send(True, tpkt(cotp_cr(b"\x02\x00", b"\x02\x02")))
    s.send(False, tpkt(cotp_cr(b"\x02\x00", b"\x02\x02", confirm=True, src_ref=4, dst_ref=1)))
    s.send(True, tpkt(cotp_dt(s7(1, 1, bytes([0xF0, 0, 0, 1, 0, 1, 0x01, 0xE0])))))
    s.send(False, tpkt(cotp_dt(s7(3, 1, bytes([0xF0, 0, 0, 1, 0, 1, 0x00, 0xF0])))))
    read = bytes([0x04, 1, 0x12, 0x0A, 0x10, 0x02]) + struct.pack("!HHB", 4, 0, 0x83) + (100 * 8).to_bytes(3, "big")
    s.send(True, tpkt(cotp_dt(s7(1, 2, read))))
    s.send(False, tpkt(cotp_dt(s7(3, 2, bytes([0x04, 1]), bytes([0xFF, 0x04, 0x00, 0x20, 1, 2, 3, 4])))))
    s.close()
    fixture("s7comm-linux-cooked", cap,
            readme="S7comm captured with `tcpdump -i any` (Linux cooked v1): an HMI (TSAP 0200, an OP connection) sets up communication "
                   "(PDU size 480, answered 240) and reads MB100..MB103 (area FLAGS).")

    cap = Capture()
    s = TCPSession(cap, HMI, S7PLC, 50402, 102)
    s.handshake()
    s.send(True, tpkt(cotp_cr(b"\x06\x20", b"SIMATIC-ROOT-HMI")))
    s.send(False, tpkt(cotp_cr(b"\x06\x20", b"SIMATIC-ROOT-HMI", confirm=True, src_ref=9, dst_ref=1)))
    # S7comm-plus V1 CreateObject request and response; then a V3 GetMultiVariables with a 32-byte digest.
    s.send(True, tpkt(cotp_dt(bytes([0x72, 1]) + struct.pack("!H", 8) + bytes([0x31, 0, 0]) + struct.pack("!H", 0x04CA) + b"\x00\x00\x00")))
    s.send(False, tpkt(cotp_dt(bytes([0x72, 1]) + struct.pack("!H", 8) + bytes([0x32, 0, 0]) + struct.pack("!H", 0x04CA) + b"\x00\x00\x00")))
    s.send(True, tpkt(cotp_dt(bytes([0x72, 3]) + struct.pack("!H", 41) + bytes([32]) + bytes(range(32)) + bytes([0x31, 0, 0]) + struct.pack("!H", 0x054C) + b"\x00\x00")))
    s.close()
    fixture("s7commplus", cap,
            readme="S7comm-plus (protocol id 0x72) from an HMI (called TSAP 'SIMATIC-ROOT-HMI'): a V1 CreateObject request and response, "
                   "and a V3 GetMultiVariables whose 32-byte integrity digest is skipped to find the opcode. Reported with version, "
                   "opcode and function only.")


# DNS (RFC 1035).
def dns_name(name):
    return b"".join(bytes([len(label)]) + label.encode() for label in name.split(".") if label) + b"\x00"


def dns_message(ident, flags, questions=(), answers=(), raw_tail=b""):
    body = struct.pack("!HHHHHH", ident, flags, len(questions), len(answers), 0, 0)
    for name, qtype in questions:
        body += dns_name(name) + struct.pack("!HH", qtype, 1)
    for name_bytes, rtype, ttl, rdata in answers:
        body += name_bytes + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata
    return body + raw_tail


def make_dns_fixtures():
    def udp(cap, src, dst, sport, dport, payload):
        cap.add(link_frame("ethernet", src, dst, ip_packet(src, dst, 17, udp_datagram(src, dst, sport, dport, payload))))

    # The address -> name cache: a sewing machine resolves www.facebook.com, then connects to it.
    cap = Capture()
    query = dns_message(0x1111, 0x0100, [("www.facebook.com", 1)])
    udp(cap, SEWING, RESOLVER, 40000, 53, query)
    answer = dns_message(0x1111, 0x8180, [("www.facebook.com", 1)],
                         [(b"\xc0\x0c", 5, 300, dns_name("star-mini.c10r.facebook.com")),
                          (dns_name("star-mini.c10r.facebook.com"), 1, 60, ip4("203.0.113.35"))])
    udp(cap, RESOLVER, SEWING, 53, 40000, answer)
    s = TCPSession(cap, SEWING, FACEBOOK, 40001, 443)
    s.handshake()
    s.send(True, b"\x16\x03\x01\x00\x05hello")
    s.close()
    fixture("dns-cache-names-a-later-flow", cap,
            readme="A sewing machine (10.30.1.7) resolves www.facebook.com (a CNAME to star-mini.c10r.facebook.com, A 203.0.113.35), "
                   "then opens TCP 443 to that address: the later flow's record carries `dns_name: www.facebook.com`, the name "
                   "the device asked for.")

    # A compression pointer that points at itself, and one that points forward.
    cap = Capture()
    loop = dns_message(0x2222, 0x8180, [("plc.example", 1)], raw_tail=b"")
    loop = struct.pack("!HHHHHH", 0x2222, 0x8180, 1, 1, 0, 0) + dns_name("plc.example") + struct.pack("!HH", 1, 1)
    at = len(loop)
    loop += struct.pack("!H", 0xC000 | at) + struct.pack("!HHIH", 1, 1, 60, 4) + ip4("10.0.0.1")
    udp(cap, SEWING, RESOLVER, 40002, 53, dns_message(0x2222, 0x0100, [("plc.example", 1)]))
    udp(cap, RESOLVER, SEWING, 53, 40002, loop)
    forward = struct.pack("!HHHHHH", 0x3333, 0x0100, 1, 0, 0, 0) + b"\xc0\x20" + struct.pack("!HH", 1, 1) + bytes(20)
    udp(cap, SEWING, RESOLVER, 40003, 53, forward)
    fixture("dns-compression-loop", cap,
            readme="A response whose answer name is a compression pointer to itself, and a query whose name points forward: "
                   "both end with `dns.name_pointer_loop` (a pointer must point to an earlier name), nothing loops, the "
                   "messages are still reported with what could be read.")

    # DNS over TCP: two queries in one segment, two responses in one segment.
    cap = Capture()
    s = TCPSession(cap, SEWING, RESOLVER, 40004, 53)
    s.handshake()
    q1 = dns_message(0x4444, 0x0100, [("historian.plant.local", 1)])
    q2 = dns_message(0x4445, 0x0100, [("historian.plant.local", 28)])
    s.send(True, struct.pack("!H", len(q1)) + q1 + struct.pack("!H", len(q2)) + q2)
    r1 = dns_message(0x4444, 0x8580, [("historian.plant.local", 1)], [(b"\xc0\x0c", 1, 3600, ip4("10.30.2.10"))])
    r2 = dns_message(0x4445, 0x8583, [("historian.plant.local", 28)])
    s.send(False, struct.pack("!H", len(r1)) + r1 + struct.pack("!H", len(r2)) + r2)
    s.close()
    fixture("dns-over-tcp-two-messages", cap,
            readme="DNS over TCP port 53: two length-prefixed queries (A and AAAA) in one segment, both answers in one segment "
                   "(A 10.30.2.10; AAAA NXDOMAIN, authoritative): four `dns` events, responses paired by id (`latency_us`).")


def make_http_fixtures():
    cap = Capture()
    s = TCPSession(cap, HMI, WEBHMI, 50500, 80)
    s.handshake()
    s.send(True, b"GET /status HTTP/1.1\r\nHost: hmi.plant.local\r\n\r\n"
                 b"GET /alarms HTTP/1.1\r\nHost: hmi.plant.local\r\n\r\n"
                 b"HEAD /trend.csv HTTP/1.1\r\nHost: hmi.plant.local\r\n\r\n")
    s.send(False, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
                  b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]"
                  b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n")
    s.close()
    fixture("http-pipelining", cap,
            readme="Three pipelined requests in one segment (two GETs and a HEAD) and their three responses in one segment: three "
                   "`http` transactions, paired in order; the HEAD response announces 5000 bytes and has no body.")

    cap = Capture()
    s = TCPSession(cap, HMI, WEBHMI, 50501, 80)
    s.handshake()
    s.send(True, b"GET /firmware.bin HTTP/1.1\r\nHost: hmi.plant.local\r\nUser-Agent: python-requests/2.31\r\n\r\n")
    s.send(False, b"HTTP/1.1 200 OK\r\nServer: embedded-httpd\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"10\r\n0123456789abcdef\r\n")
    s.send(False, b"5;ext=1\r\nvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n")
    s.send(True, b"GET /next HTTP/1.1\r\nHost: hmi.plant.local\r\n\r\n")
    s.send(False, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    s.close()
    fixture("http-chunked-body", cap,
            readme="A response body in chunked encoding (16 + 5 bytes, a chunk extension, a trailer field) across two segments, "
                   "skipped without being buffered: `length` 21; the next transaction on the connection is found after it.")

    cap = Capture()
    s = TCPSession(cap, HMI, WEBHMI, 50502, 8080)
    s.handshake()
    s.send(True, b"POST /api/setpoint HTTP/1.1\r\nHost: hmi.plant.local:8080\r\nContent-Ty")
    s.send(True, b"pe: application/json\r\nContent-Length: 12\r\n\r\n{\"sp\": 42.5}")
    s.send(False, b"HTTP/1.1 204 No Content\r\n\r\n")
    s.close()
    fixture("http-header-across-segments", cap,
            readme="A request head cut in the middle of a header name (Content-Type) across two segments on port 8080: the head is "
                   "kept until its end arrives, then parsed; the 12-byte body is skipped.")

    cap = Capture()
    s = TCPSession(cap, ENG, WEBHMI, 50503, 80)
    s.handshake()
    # admin:Sup3rSecret! in Basic credentials; the password must appear nowhere in the output.
    s.send(True, b"GET /config HTTP/1.1\r\nHost: hmi.plant.local\r\nAuthorization: Basic YWRtaW46U3VwM3JTZWNyZXQh\r\n\r\n")
    s.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    s.close()
    fixture("http-basic-auth", cap,
            readme="An engineering station logs in to an HMI's web server with Basic credentials (admin / Sup3rSecret!): the event "
                   "carries `authorization_scheme: Basic` and `username: admin`; the password appears nowhere in the output (the "
                   "test checks the expected lines for it, in clear and in base64).")


# MQTT (OASIS MQTT 3.1.1 and 5.0).
def mqtt_varint(value):
    out = b""
    while True:
        byte = value % 128
        value //= 128
        out += bytes([byte | (0x80 if value else 0)])
        if not value:
            return out


def mqtt_str(text):
    data = text.encode() if isinstance(text, str) else text
    return struct.pack("!H", len(data)) + data


def mqtt(first_byte, body):
    return bytes([first_byte]) + mqtt_varint(len(body)) + body


def make_mqtt_fixtures():
    cap = Capture()
    s = TCPSession(cap, SENSOR, BROKER, 50600, 1883)
    s.handshake()
    # CONNECT v5: clean start, username + password, keepalive 60; properties: session expiry 3600,
    # receive maximum 20, a user property ("site", "plant-1").
    props = b"\x11" + struct.pack("!I", 3600) + b"\x21" + struct.pack("!H", 20) + b"\x26" + mqtt_str("site") + mqtt_str("plant-1")
    connect = mqtt_str("MQTT") + bytes([5, 0xC2]) + struct.pack("!H", 60) + mqtt_varint(len(props)) + props
    connect += mqtt_str("vibration-sensor-7") + mqtt_str("sensor7") + mqtt_str("hunter2-not-logged")
    s.send(True, mqtt(0x10, connect))
    s.send(False, mqtt(0x20, bytes([0, 0]) + mqtt_varint(4) + b"\x24\x01\x25\x01"))  # maximum QoS 1, retain available
    pub_props = b"\x01\x01" + b"\x03" + mqtt_str("application/json")
    publish = mqtt_str("plant/line1/vibration") + struct.pack("!H", 7) + mqtt_varint(len(pub_props)) + pub_props + b'{"rms": 0.42}'
    s.send(True, mqtt(0x32, publish))
    s.send(False, mqtt(0x40, struct.pack("!H", 7) + bytes([0x00]) + mqtt_varint(0)))
    subscribe = struct.pack("!H", 8) + mqtt_varint(0) + mqtt_str("plant/+/commands") + bytes([1]) + mqtt_str("$SYS/#") + bytes([0])
    s.send(True, mqtt(0x82, subscribe))
    s.send(False, mqtt(0x90, struct.pack("!H", 8) + mqtt_varint(0) + bytes([1, 0x87])))
    s.send(True, mqtt(0xE0, bytes([0x00]) + mqtt_varint(0)))
    s.close()
    fixture("mqtt5-properties", cap,
            readme="An MQTT 5 session: CONNECT with username, password (flag only: the password itself appears nowhere) and three "
                   "properties including a user property; CONNACK; a QoS 1 PUBLISH with properties and its PUBACK; a SUBSCRIBE to "
                   "two filters (one of them $SYS/#) answered with QoS 1 and 0x87 (not authorized); DISCONNECT.")

    cap = Capture()
    s = TCPSession(cap, SENSOR, BROKER, 50601, 1883)
    s.handshake()
    s.send(True, mqtt(0x10, mqtt_str("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 30) + mqtt_str("plc-gateway")))
    s.send(False, mqtt(0x20, bytes([0, 0])))
    payload = bytes(range(256)) * 2
    message = mqtt(0x30, mqtt_str("plant/line1/recipe") + payload) + mqtt(0xC0, b"")
    s.send(True, message[:3])
    s.send(True, message[3:200])
    s.send(True, message[200:])
    s.send(False, mqtt(0xD0, b""))
    s.close()
    fixture("mqtt-message-across-segments", cap,
            readme="MQTT 3.1.1: a 534-byte PUBLISH cut into three segments (the first ends inside the remaining-length field), "
                   "followed in the last segment by a PINGREQ: two messages, payload_length 512.")


def make_policy_fixtures():
    cap = Capture()
    # Allowed: the HMI (supervisory) polls the PLC (control) over Modbus, a conduit service.
    s = TCPSession(cap, HMI, PLC, 50700, 502)
    s.handshake()
    polling_pair(s, 1)
    s.close()
    # Not allowed: an IoT sensor (iot zone) writes to the PLC; twice, on two connections.
    for port in (50701, 50702):
        s = TCPSession(cap, SENSOR, PLC, port, 502)
        s.handshake()
        s.send(True, write_multiple(1, 1, 300, [1]))
        s.send(False, write_multiple_response(1, 1, 300, 1))
        s.close()
    # Not allowed once the protocol is known: HTTP from the HMI to the PLC's web server on 8080
    # (the conduit supervisory -> control carries Modbus, S7comm and DNP3 only).
    s = TCPSession(cap, HMI, PLC, 50703, 8080)
    s.handshake()
    s.send(True, b"GET /diag HTTP/1.1\r\nHost: plc\r\n\r\n")
    s.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    s.close()
    # A vendor's RDP session into the control zone (the engineering station is in supervisory).
    s = TCPSession(cap, ENG, PLC, 50704, 3389)
    s.handshake()  # answered: a session, not a probe
    s.send(True, b"\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00")
    s.close()
    fixture("zone-policy", cap,
            readme="Zones and conduits of config/spanwatch.yaml at work (the test runs it with that config): Modbus from the HMI "
                   "(supervisory) to the PLC (control) is allowed; an IoT sensor writing to the PLC is a zone_violation, raised "
                   "once for two connections (the second is counted as a repeat); HTTP from the HMI to the PLC on 8080 is a "
                   "zone_violation decided when the protocol is known; RDP (tcp/3389) from the engineering station into the control zone is "
                   "remote_access and a zone_violation. `expected.jsonl` is decode without zones.")


def make_scan_fixture():
    cap = Capture()
    # A compromised HMI sweeps the PLC's ports 1-40 with SYNs; closed ports answer RST.
    for port in range(1, 41):
        s = TCPSession(cap, SCANNER, PLC, 51000 + port, port)
        s._emit(True, s.cseq, 0, SYN, b"", 0.0005)
        s._emit(False, 0, s.cseq + 1, RST | ACK, b"", 0.0005)
    # The regular poller, for contrast: one flow, many transactions.
    s = TCPSession(cap, HMI, PLC, 51100, 502)
    s.handshake()
    for tid in range(1, 31):
        polling_pair(s, tid)
    s.close()
    fixture("port-scan", cap,
            readme="A host sweeps the PLC's TCP ports 1-40 (SYN, answered by RST): one port_scan alert (25 distinct targets within a "
                   "minute), raised once; the HMI's 30 polls over one connection raise nothing.")


# Baseline scenarios: a learning capture of the plant's normal traffic and a monitoring capture
# of a later stretch with one change in it (or, for a near miss, a change that must not alert).
SCENARIOS = os.path.join(ROOT, "Tests", "SpanwatchEndToEndTests", "Scenarios")
PLC2 = Host("10.10.2.21", "00:0e:8c:00:21:21")  # 00:0E:8C Siemens
WEBSUP = Host("10.10.1.80", "00:0c:29:aa:01:80")  # a historian's web page, in the supervisory zone
CORPDNS = Host("10.0.0.53", "00:0c:29:aa:00:53")
OFFICE = Host("10.0.5.5", "00:0c:29:aa:05:05")
OFFICE2 = Host("10.0.5.6", "00:0c:29:aa:05:06")
CLOUD = Host("203.0.113.10", "00:0c:29:aa:ff:02")
ROGUE = Host("10.10.1.99", "00:0c:29:aa:00:99")
LEARN_START = 1767261600.0
MONITOR_START = LEARN_START + 3600


def udp_send(cap, src, dst, sport, dport, payload, dt=0.001):
    cap.add(link_frame("ethernet", src, dst, ip_packet(src, dst, 17, udp_datagram(src, dst, sport, dport, payload))), dt)


class Plant:
    """The normal plant: the HMI polls two PLCs once a second; the engineering station writes a
    setpoint and reads the PLC's identity; PLC2 resolves a name now and then; an office PC talks
    to a cloud service and to another office PC over SSH; the HMI reads the historian's web page."""

    def __init__(self, cap, base_port=50000):
        self.cap = cap
        self.poll1 = TCPSession(cap, HMI, PLC, base_port, 502)
        self.poll2 = TCPSession(cap, HMI, PLC2, base_port + 1, 502, cisn=2000, sisn=9000)
        self.poll1.handshake()
        self.poll2.handshake()
        self.tid = 1
        self.port = base_port + 10
        self.plc2_answers = True
        self.plc2_every = 1

    def next_port(self):
        self.port += 1
        return self.port

    def cycle(self, index):
        polling_pair(self.poll1, self.tid, 100, (200 + index % 50, 17))
        self.poll1.ack(True)
        self.tid += 1
        if index % self.plc2_every == 0 and self.plc2_answers is not None:
            self.poll2.send(True, mbap(self.tid, 1, struct.pack("!BHH", 4, 0, 4)), dt=0.002)
            if self.plc2_answers:
                self.poll2.send(False, mbap(self.tid, 1, struct.pack("!BB", 4, 8) + struct.pack("!4H", 1, 2, 3, index % 50)), dt=0.004)
            self.poll2.ack(True)
            self.tid += 1
        self.cap.time += 0.99

    def engineering(self, address=300, values=(1500, 1600), revision=b"v3.10", extra=None):
        e = TCPSession(self.cap, ENG, PLC, self.next_port(), 502, cisn=7000, sisn=3000)
        e.handshake()
        e.send(True, write_multiple(1, 1, address, list(values)))
        e.send(False, write_multiple_response(1, 1, address, len(values)))
        e.send(True, mbap(2, 1, struct.pack("!BBBB", 43, 14, 1, 0)))
        objects = [(0, b"Schneider Electric"), (1, b"BMX P34 2020"), (2, revision)]
        body = struct.pack("!BBBBBBB", 43, 14, 1, 1, 0, 0, len(objects)) + b"".join(struct.pack("!BB", i, len(v)) + v for i, v in objects)
        e.send(False, mbap(2, 1, body))
        e.send(True, mbap(3, 1, struct.pack("!BHH", 8, 0, 0xA5A5)))  # diagnostics: return query data (harmless)
        e.send(False, mbap(3, 1, struct.pack("!BHH", 8, 0, 0xA5A5)))
        if extra:
            extra(e)
        e.close()

    def resolve(self, name, client=PLC2):
        ident = self.port & 0xFFFF
        port = self.next_port()
        udp_send(self.cap, client, CORPDNS, port, 53, dns_message(ident, 0x0100, [(name, 1)]))
        udp_send(self.cap, CORPDNS, client, 53, port, dns_message(ident, 0x8180, [(name, 1)], [(b"\xc0\x0c", 1, 60, ip4("10.0.0.123"))]))

    def office(self, server=CLOUD):
        s = TCPSession(self.cap, OFFICE, server, self.next_port(), 443)
        s.handshake()
        s.send(True, b"\x16\x03\x01\x00\x05hello")
        s.send(False, b"\x16\x03\x03\x00\x05world")
        s.close()
        s = TCPSession(self.cap, OFFICE, OFFICE2, self.next_port(), 22)
        s.handshake()
        s.send(False, b"SSH-2.0-OpenSSH_9.2\r\n")
        s.send(True, b"SSH-2.0-OpenSSH_9.2\r\n")
        s.close()

    def web(self, authorization=None):
        s = TCPSession(self.cap, HMI, WEBSUP, self.next_port(), 80)
        s.handshake()
        auth = b"Authorization: Basic " + authorization + b"\r\n" if authorization else b""
        s.send(True, b"GET /trend HTTP/1.1\r\nHost: historian.plant.local\r\n" + auth + b"\r\n")
        s.send(False, b"HTTP/1.1 200 OK\r\nServer: historian/2.1\r\nContent-Length: 0\r\n\r\n")
        s.close()

    def normal_stretch(self, cycles, engineering=True, hooks=None):
        hooks = hooks or {}
        for index in range(cycles):
            self.cycle(index)
            if index == 2:
                self.resolve("historian.plant.local")
                self.resolve("time.windows.com")  # outside the local domain, but the plant's habit
            if index == 4:
                self.office()
            if index == 6:
                self.web()
            if index == 8 and engineering:
                self.engineering()
            if index in hooks:
                hooks[index](self)

    def finish(self):
        self.poll1.close()
        self.poll2.close()


def scenario(name, readme, monitor_hooks=None, cycles=20, config=None, plant_setup=None, learn_hooks=None):
    folder = os.path.join(SCENARIOS, name)
    os.makedirs(folder, exist_ok=True)
    learn = Capture(start=LEARN_START)
    plant = Plant(learn)
    plant.normal_stretch(30, hooks=learn_hooks)
    plant.finish()
    # The normal learning stretch is shared; a scenario that learns something else keeps its own.
    learn.write_pcap(os.path.join(folder, "learn.pcap") if learn_hooks else os.path.join(SCENARIOS, "plant-learn.pcap"))
    monitor = Capture(start=MONITOR_START)
    plant = Plant(monitor, base_port=52000)
    if plant_setup:
        plant_setup(plant)
    plant.normal_stretch(cycles, engineering=monitor_hooks is None or 8 not in monitor_hooks, hooks=monitor_hooks)
    plant.finish()
    monitor.write_pcap(os.path.join(folder, "monitor.pcap"))
    with open(os.path.join(folder, "README.md"), "w") as f:
        f.write(f"# {name}\n\n{readme}\n\nLearn on " + ("`learn.pcap`" if learn_hooks else "`../plant-learn.pcap`") + " (30 s of the plant), then monitor `monitor.pcap` "
                "(a later stretch) with config/spanwatch.yaml" + (" and this folder's `config.yaml`" if config else "") +
                ". `expected.txt` lists the alerts (kind | baseline key | signature); empty for a near miss.\n")
    if config:
        with open(os.path.join(folder, "config.yaml"), "w") as f:
            f.write(config)


def make_baseline_scenarios():
    scenario("no-alerts-on-a-later-stretch",
             "No false positives: 20 s of the same plant an hour later, with new TCP connections (new client ports) for every "
             "poller. Nothing in it is new, so nothing alerts.")

    def rogue_writes(plant):
        r = TCPSession(plant.cap, ROGUE, PLC, plant.next_port(), 502)
        r.handshake()
        r.send(True, write_multiple(1, 1, 300, [9999]))
        r.send(False, write_multiple_response(1, 1, 300, 1))
        r.close()
    scenario("new-host-writes-registers",
             "A laptop nobody knows (10.10.1.99) appears in the supervisory zone and writes a holding register of the PLC: "
             "new_host and new_flow (the conduit supervisory -> control allows Modbus, so no zone violation).",
             monitor_hooks={5: rogue_writes})

    def s7_to_plc(plant):
        s = TCPSession(plant.cap, HMI, PLC, plant.next_port(), 102)
        s.handshake()
        s.send(True, tpkt(cotp_cr(b"\x01\x00", b"\x01\x02")))
        s.send(False, tpkt(cotp_cr(b"\x01\x00", b"\x01\x02", confirm=True, src_ref=3, dst_ref=1)))
        s.send(True, tpkt(cotp_dt(s7(1, 1, bytes([0xF0, 0, 0, 1, 0, 1, 0x01, 0xE0])))))
        s.send(False, tpkt(cotp_dt(s7(3, 1, bytes([0xF0, 0, 0, 1, 0, 1, 0x00, 0xF0])))))
        s.close()
    scenario("new-flow-between-known-hosts",
             "The HMI, which only ever polled the PLC over Modbus, opens an S7comm session (tcp/102) to it: new_flow naming the "
             "edge. Both hosts are known, so no new_host.", monitor_hooks={5: s7_to_plc})

    def hmi_writes(plant):
        plant.poll1.send(True, write_multiple(9000, 1, 100, [0]))
        plant.poll1.send(False, write_multiple_response(9000, 1, 100, 1))
    scenario("new-operation-first-write",
             "The HMI, which only ever read holding registers 100-101 on its polling connection, writes register 100: a "
             "new_operation (Modbus function 16 never used on the edge), severity 1, T0855.", monitor_hooks={5: hmi_writes})

    def hmi_reads_elsewhere(plant):
        plant.poll1.send(True, read_holding(9001, 1, 500, 10))
        plant.poll1.send(False, read_holding_response(9001, 1, list(range(10))))
    scenario("near-miss-read-on-a-learned-edge",
             "Near miss: the HMI reads registers 500-509 with the function it always uses (3). Reads are learned but only the "
             "function is judged, so nothing alerts.", monitor_hooks={5: hmi_reads_elsewhere})

    scenario("write-out-of-range",
             "The engineering station, which learned writes to holding registers 300-301 only, writes register 400: "
             "write_out_of_range naming the learned ranges.", monitor_hooks={8: lambda p: p.engineering(address=400, values=(7,))})
    scenario("near-miss-write-inside-learned-range",
             "Near miss: the engineering station writes register 301 alone, inside the learned 300-301.",
             monitor_hooks={8: lambda p: p.engineering(address=301, values=(7,))})

    def plc2_dies(plant):
        plant.plc2_answers = None  # no requests, no answers: the device is off and the master gave up
    scenario("device-silent",
             "PLC2 (polled every second while learning) stops at second 5; the PLC's polling goes on, so packet time runs: "
             "device_silent once the silence passes three cycles plus jitter.", monitor_hooks={5: plc2_dies})
    scenario("near-miss-slower-polling",
             "Near miss: the HMI polls PLC2 every 2 s instead of every second: slower but regular, within three cycles.",
             plant_setup=lambda p: setattr(p, "plc2_every", 2))

    scenario("asset-change-firmware",
             "The PLC answers the engineering station's device identification with revision v3.20 where the baseline learned "
             "v3.10: asset_change (firmware), severity 1, T0839.",
             monitor_hooks={8: lambda p: p.engineering(revision=b"v3.20")})

    def new_mac(plant):
        impostor = Host(PLC2.ip, "00:0c:29:de:ad:01")
        s = TCPSession(plant.cap, HMI, impostor, plant.next_port(), 502, cisn=4000, sisn=8000)
        s.handshake()
        s.send(True, mbap(9100, 1, struct.pack("!BHH", 4, 0, 4)))
        s.send(False, mbap(9100, 1, struct.pack("!BB", 4, 8) + struct.pack("!4H", 1, 2, 3, 4)))
        s.close()
    scenario("asset-change-mac",
             "PLC2's address answers from another MAC (a VMware OUI where the baseline has Siemens): asset_change (MAC), T0830.",
             monitor_hooks={5: new_mac})

    def malformed(plant):
        plant.poll1.send(True, read_holding(9200, 1, 100, 0))  # quantity 0: not a valid read (1-125)
        plant.poll1.send(False, mbap(9200, 1, struct.pack("!BB", 0x83, 3)))  # exception 3: illegal data value
    scenario("protocol-anomaly",
             "A Modbus read of 0 registers (valid reads ask for 1-125) on the HMI's polling connection, answered with exception 3: "
             "protocol_anomaly.",
             monitor_hooks={5: malformed})

    def valid_exception(plant):
        plant.poll1.send(True, read_holding(9201, 1, 9000, 2))
        plant.poll1.send(False, mbap(9201, 1, struct.pack("!BB", 0x83, 2)))  # exception 2: illegal data address
    scenario("near-miss-exception-is-not-an-anomaly",
             "Near miss: the HMI reads registers the PLC does not have and gets exception 2 (illegal data address): a "
             "well-formed answer, no protocol_anomaly.", monitor_hooks={5: valid_exception})

    def plc2_pauses(plant):
        plant.plc2_answers = None

    def plc2_resumes(plant):
        plant.plc2_answers = True
    scenario("near-miss-polling-paused-two-cycles",
             "Near miss: PLC2's polling pauses for two cycles and resumes: within three cycles plus jitter, no device_silent.",
             monitor_hooks={5: plc2_pauses, 7: plc2_resumes})

    def listen_only(e):
        e.send(True, mbap(4, 1, struct.pack("!BHH", 8, 4, 0)))  # diagnostics: force listen only
        e.send(False, mbap(4, 1, struct.pack("!BHH", 8, 4, 0)))
    scenario("critical-operation-listen-only",
             "The engineering station forces the PLC into listen-only mode (Modbus diagnostics 4): critical_operation, T0858. "
             "Function 8 was learned (return query data), so there is no new_operation.",
             monitor_hooks={8: lambda p: p.engineering(extra=listen_only)})
    scenario("near-miss-critical-operation-allowed",
             "Near miss: the same listen-only command, with `allowed_operations` allowing mode changes from the engineering "
             "station (a named host) to the control zone.",
             monitor_hooks={8: lambda p: p.engineering(extra=listen_only)},
             config=ALLOWED_CONFIG)

    scenario("cleartext-credentials",
             "The HMI reads the historian's web page with HTTP Basic credentials: cleartext_credentials naming the user, never "
             "the password.", monitor_hooks={6: lambda p: p.web(authorization=b"b3BlcmF0b3I6c2VjcmV0")})

    scenario("external-dns",
             "PLC2 (control zone, no internet) resolves www.facebook.com: external_dns, with the key that approval would add.",
             monitor_hooks={3: lambda p: p.resolve("www.facebook.com")})
    scenario("near-miss-dns-name-in-baseline",
             "Near miss: PLC2 resolves time.windows.com, outside the zone's local domain but learned in the baseline; and "
             "historian.plant.local, a local name. The normal stretch does both; this scenario only makes it explicit.",
             monitor_hooks={3: lambda p: p.resolve("time.windows.com")})

    def plc2_to_internet(plant):
        s = TCPSession(plant.cap, PLC2, FACEBOOK, plant.next_port(), 443)
        s.handshake()
        s.send(True, b"\x16\x03\x01\x00\x05hello")
        s.close()
    scenario("internet-egress",
             "PLC2 (control zone, no internet) opens TLS to a public address: internet_egress, a zone_violation (no conduit "
             "from control to external) and a new_flow.", monitor_hooks={5: plc2_to_internet})
    scenario("near-miss-office-to-a-new-cloud-address",
             "Near miss: an office PC (enterprise zone, internet allowed) reaches a cloud address it never used: the internet "
             "side of a zone allowed to reach it is not the baseline's business.",
             monitor_hooks={4: lambda p: p.office(server=FACEBOOK)})

    def vnc_into_control(plant):
        s = TCPSession(plant.cap, OFFICE, PLC2, plant.next_port(), 5900)
        s.handshake()
        s.send(False, b"RFB 003.008\n")
        s.close()
    scenario("remote-access-vnc",
             "An office PC opens VNC to PLC2's panel: remote_access into the control zone, a zone_violation and a new_flow.",
             monitor_hooks={5: vnc_into_control})
    scenario("near-miss-ssh-inside-enterprise",
             "Near miss: SSH between two office PCs (enterprise zone), learned: not into or out of an OT zone. The normal "
             "stretch has it; nothing alerts.")

    def sensor_writes(plant):
        s = TCPSession(plant.cap, SENSOR, PLC, plant.next_port(), 502)
        s.handshake()
        s.send(True, write_multiple(1, 1, 300, [5]))
        s.send(False, write_multiple_response(1, 1, 300, 1))
        s.close()
    scenario("zone-violation-despite-baseline",
             "An IoT sensor writes to the PLC, in the learning stretch and again while monitoring: the baseline learned it, but "
             "no conduit allows iot -> control, so zone_violation is raised whatever the baseline says (and nothing else).",
             monitor_hooks={5: sensor_writes}, learn_hooks={5: sensor_writes})

    def sweep(plant):
        for port in range(1, 31):
            s = TCPSession(plant.cap, HMI, PLC2, 53000 + port, port)
            s._emit(True, s.cseq, 0, SYN, b"", 0.0005)
            s._emit(False, 0, s.cseq + 1, RST | ACK, b"", 0.0005)
    scenario("port-scan",
             "The HMI sweeps PLC2's ports 1-30 (refused): port_scan, T0846. Refused connections make no edges, so no new_flow.",
             monitor_hooks={5: sweep})


ALLOWED_CONFIG = """version: 1
# config/spanwatch.yaml's zones and conduits, plus a named engineering station allowed to change
# the operating mode of the control zone's devices.
zones:
  - name: enterprise
    cidrs: [10.0.0.0/8]
    internet: true
  - name: supervisory
    cidrs: [10.10.1.0/24]
    local_domains: [plant.local]
  - name: control
    cidrs: [10.10.2.0/24, 10.20.0.0/16]
    local_domains: [plant.local]
  - name: iot
    cidrs: [10.30.0.0/16, 10.40.0.0/16]
    local_domains: [plant.local]
conduits:
  - {from: supervisory, to: control, services: [modbus, s7comm, dnp3]}
  - {from: enterprise, to: supervisory, services: [tcp/443]}
  - {from: iot, to: enterprise, services: [mqtt, dns]}
  - {from: control, to: enterprise, services: [dns]}
hosts:
  - {address: 10.10.1.50, name: eng-ws-1, roles: [engineering_workstation]}
allowed_operations:
  - {from: [eng-ws-1], to: [control], operations: [mode_change, program_download]}
"""


def make_steady_alerts():
    """90 s with an alert every second: the HMI logs in to the historian with HTTP Basic, a
    different user each time (so each is a new alert key), between the usual polls."""
    cap = Capture(start=LEARN_START)
    plant = Plant(cap, base_port=54000)
    for index in range(90):
        plant.cycle(index)
        user = f"operator{index:02d}:secret".encode()
        import base64
        plant.web(authorization=base64.b64encode(user))
    plant.finish()
    folder = os.path.join(ROOT, "Tests", "SpanwatchEndToEndTests", "Captures")
    os.makedirs(folder, exist_ok=True)
    cap.write_pcap(os.path.join(folder, "steady-alerts.pcap"))


def make_sample():
    """A small plant: an HMI polling two PLCs, an engineering station writing setpoints."""
    cap = Capture(start=1767261600.0)
    plc2 = Host("10.10.2.21", "00:0e:8c:00:21:21")  # 00:0E:8C Siemens
    ews = Host("10.10.1.50", "00:0c:29:aa:00:50")
    s1 = TCPSession(cap, HMI, PLC, 50200, 502)
    s2 = TCPSession(cap, HMI, plc2, 50201, 502, cisn=2000, sisn=9000)
    s1.handshake()
    s2.handshake()
    tid = 1
    for cycle in range(60):
        polling_pair(s1, tid, 100, (200 + cycle, 17))
        s1.ack(True)
        tid += 1
        s2.send(True, mbap(tid, 1, struct.pack("!BHH", 4, 0, 4)), dt=0.002)
        s2.send(False, mbap(tid, 1, struct.pack("!BB", 4, 8) + struct.pack("!4H", 1, 2, 3, cycle)), dt=0.004)
        s2.ack(True)
        tid += 1
        cap.time += 0.99
    e = TCPSession(cap, ews, PLC, 50300, 502, cisn=7000, sisn=3000)
    e.handshake()
    e.send(True, write_multiple(1, 1, 300, [1500, 1600]))
    e.send(False, write_multiple_response(1, 1, 300, 2))
    e.send(True, mbap(2, 1, struct.pack("!BBBB", 43, 14, 1, 0)))
    objects = [(0, b"Schneider Electric"), (1, b"BMX P34 2020"), (2, b"v3.10")]
    body = struct.pack("!BBBBBBB", 43, 14, 1, 1, 0, 0, len(objects)) + b"".join(struct.pack("!BB", i, len(v)) + v for i, v in objects)
    e.send(False, mbap(2, 1, body))
    e.send(True, mbap(3, 1, struct.pack("!BHH", 8, 4, 0)))  # diagnostics: force listen only
    e.send(False, mbap(3, 1, struct.pack("!BB", 0x88, 1)))  # exception: illegal function
    e.close()
    s1.close()
    s2.close()
    os.makedirs(os.path.join(ROOT, "samples"), exist_ok=True)
    cap.write_pcap(os.path.join(ROOT, "samples", "sample-plant.pcap"))


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what in ("fixtures", "all"):
        make_fixtures()
        make_dnp3_fixtures()
        make_s7_fixtures()
        make_dns_fixtures()
        make_http_fixtures()
        make_mqtt_fixtures()
        make_policy_fixtures()
        make_scan_fixture()
    if what in ("scenarios", "all"):
        make_baseline_scenarios()
    if what in ("captures", "all"):
        make_steady_alerts()
    if what in ("sample", "all"):
        make_sample()
