#!/usr/bin/env python3
"""The roles of the sample plant, one per network namespace (see make-sample-plant.sh).

Real protocol implementations talk here: pymodbus (Modbus/TCP servers and clients),
python-snap7 (an S7 PLC server and an engineering client), cpppo (an EtherNet/IP adapter that
simulates a ControlLogix, started by the shell script, and its client), c104 (lib60870: an
IEC 60870-5-104 outstation and its master), bacpypes3 (a BACnet/IP air handler controller and a
building management workstation), mosquitto (MQTT, started by the shell script), dnsmasq (DNS),
Python's http.server. DNP3 has no packaged Python
implementation, so the outstation and master below speak it over real TCP sockets with the
link-layer CRCs, transport and application headers of IEEE 1815 built here.

Every role runs for a bounded time (its last argument, in seconds) and then exits.

    python3 plant.py ROLE SECONDS
"""
import base64
import http.server
import logging
import os
import socket
import struct
import sys
import threading
import time

logging.basicConfig(level=logging.ERROR)
ROLE, SECONDS = sys.argv[1], float(sys.argv[2])
DEADLINE = time.monotonic() + SECONDS
T0 = float(os.environ.get("PLANT_T0", time.time()))  # the common start, so attacks land in their stretch


def at(offset):
    """Sleeps until `offset` seconds after the plant's start."""
    delay = T0 + offset - time.time()
    if delay > 0:
        time.sleep(delay)


def alive():
    return time.monotonic() < DEADLINE


# --- Modbus (pymodbus) --------------------------------------------------------------------
def modbus_server(vendor, product, revision):
    from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
    from pymodbus.device import ModbusDeviceIdentification
    from pymodbus.server import StartTcpServer
    store = ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, list(range(1000))),
                               ir=ModbusSequentialDataBlock(0, list(range(100))))
    identity = ModbusDeviceIdentification(info_name={"VendorName": vendor, "ProductCode": product, "MajorMinorRevision": revision})
    threading.Timer(SECONDS, lambda: os._exit(0)).start()
    StartTcpServer(context=ModbusServerContext(slaves=store, single=True), identity=identity, address=("0.0.0.0", 502))


def modbus_client(host):
    from pymodbus.client import ModbusTcpClient
    client = ModbusTcpClient(host, port=502, timeout=0.5, retries=0)
    client.connect()
    return client


def hmi():
    """Polls PLC1 (holding 100-101) and PLC2 (input 0-3) every second, one connection and one
    thread per PLC (as an HMI's drivers do), and reads the historian's page every 10 s."""
    def poll(host, read):
        client = modbus_client(host)
        while alive():
            started = time.monotonic()
            try:
                if not client.connected:
                    client.connect()
                read(client)
            except Exception:
                client.close()
            time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    threads = [threading.Thread(target=poll, args=("10.10.2.20", lambda c: c.read_holding_registers(100, 2, slave=1)), daemon=True),
               threading.Thread(target=poll, args=("10.10.2.21", lambda c: c.read_input_registers(0, 4, slave=1)), daemon=True)]
    for thread in threads:
        thread.start()
    tick = 0
    while alive():
        if tick % 10 == 5:
            historian_page(authorization=None)
        tick += 1
        time.sleep(1.0)


def engineering():
    """Writes a setpoint and reads the PLC's identity at 20 s; reads DB1 of the S7 PLC every 5 s;
    at 75 s stops the S7 PLC and at 77 s downloads a block to it (a PLC STOP and a program
    download from the engineering station: an attack, or the integrator's maintenance)."""
    import snap7
    at(20)
    client = modbus_client("10.10.2.20")
    client.write_registers(300, [1500, 1600], slave=1)
    client.read_device_information()
    client.close()
    s7 = snap7.client.Client()
    s7.connect("10.10.2.40", 0, 1)
    stopped = False
    while alive():
        try:
            s7.db_read(1, 0, 8)
            if time.time() - T0 >= 75 and not stopped:
                stopped = True
                s7.plc_stop()
                at(77)
                try:  # the simulated PLC refuses the block; the request is what the SPAN sees
                    s7.download(bytearray(b"\x70\x70" + bytes(62)), block_num=5)
                except Exception:
                    pass
        except Exception:  # a stopped PLC may hang up; the engineer reconnects
            s7 = snap7.client.Client()
            try:
                s7.connect("10.10.2.40", 0, 1)
            except Exception:
                pass
        time.sleep(5.0)


def rogue():
    """A laptop nobody knows: at 65 s writes holding registers of PLC1 (FC16, then FC6), at 67 s
    writes DB1 of the S7 PLC, at 69 s publishes a setpoint to the MQTT broker under a topic
    nobody used; at 85 s sweeps PLC2's ports."""
    import subprocess
    import snap7
    at(65)
    client = modbus_client("10.10.2.20")
    client.write_registers(100, [0, 0], slave=1)
    client.write_register(101, 7, slave=1)
    client.close()
    at(67)
    s7 = snap7.client.Client()
    try:
        s7.connect("10.10.2.40", 0, 1)
        s7.db_write(1, 2, bytearray([0x00, 0x63]))
        s7.disconnect()
    except Exception:
        pass
    at(69)
    subprocess.run(["mosquitto_pub", "-h", "10.40.0.10", "-i", "laptop", "-t", "plant/line1/setpoint", "-m", "95.0"], timeout=5, check=False)
    at(85)
    for port in range(1, 41):
        with socket.socket() as s:
            s.settimeout(0.2)
            try:
                s.connect(("10.10.2.21", port))
            except OSError:
                pass


def s7_plc():
    import snap7
    from snap7.type import SrvArea
    server = snap7.server.Server()
    db1 = bytearray(64)
    server.register_area(SrvArea.DB, 1, db1)
    server.start(tcp_port=102)
    while alive():
        time.sleep(0.5)
    server.stop()


# --- DNP3 (IEEE 1815) over TCP -------------------------------------------------------------
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pcapgen import dnp3_link  # noqa: E402  (link header and block CRCs, as the fixtures use)


def dnp3_frame(user_data, destination, source, master):
    return dnp3_link(0xC4 if master else 0x44, destination, source, user_data)  # DIR (master) | PRM | unconfirmed data


def dnp3_read_frame(sock):
    head = sock.recv(10, socket.MSG_WAITALL)
    if len(head) < 10:
        return None
    length = head[2] - 5
    blocks = length + 2 * ((length + 15) // 16)
    body = sock.recv(blocks, socket.MSG_WAITALL)
    data = b""
    while body:
        data += body[:16] if len(body) > 18 else body[:-2]
        body = body[18:]
    return data[:length]


def rtu():
    """A DNP3 outstation (address 10) answering reads with binary inputs and analog values, and
    a cold restart with a time delay."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", 20000))
    listener.listen(1)
    listener.settimeout(1.0)
    sequence = 0
    while alive():
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            continue
        conn.settimeout(1.0)
        while alive():
            try:
                data = dnp3_read_frame(conn)
            except socket.timeout:
                continue
            if not data:
                break
            app_seq, function = data[1] & 0x0F, data[2]
            if function == 1:  # READ: g1v2 four binary inputs, g30v1 two analog inputs
                objects = bytes([1, 2, 0x00, 0, 3, 0x81, 0x81, 0x01, 0x81]) + bytes([30, 1, 0x00, 0, 1]) + struct.pack("<BiBi", 1, 2048, 1, 17)
            elif function == 13:  # COLD_RESTART: g52v2 time delay, and IIN device restart
                objects = bytes([52, 2, 0x07, 1]) + struct.pack("<H", 5000)
            else:
                objects = b""
            iin = b"\x80\x00" if function == 13 else b"\x00\x00"
            response = bytes([0xC0 | sequence & 0x3F, 0xC0 | app_seq, 0x81]) + iin + objects
            sequence += 1
            conn.sendall(dnp3_frame(response, destination=1, source=10, master=False))
        conn.close()


def scada():
    """The DNP3 master (address 1) polls class 0 every 2 s; at 80 s it sends a COLD_RESTART."""
    sock = socket.create_connection(("10.20.2.30", 20000), timeout=2.0)
    sequence = 0
    restarted = False
    while alive():
        if time.time() - T0 >= 80 and not restarted:
            function, objects, restarted = 13, b"", True
        else:
            function, objects = 1, bytes([60, 1, 0x06])  # class 0 data, all points
        request = bytes([0xC0 | sequence & 0x3F, 0xC0 | sequence & 0x0F, function]) + objects
        sock.sendall(dnp3_frame(request, destination=10, source=1, master=True))
        dnp3_read_frame(sock)
        sequence += 1
        time.sleep(2.0)
    sock.close()


# --- EtherNet/IP + CIP (cpppo's client; the adapter is `python3 -m cpppo.server.enip`) ---------
LOGIX = "10.10.2.50"


def logix_session():
    from cpppo.server.enip import client
    return client.connector(host=LOGIX, timeout=2.0)


def logix_transfer(connection, tags):
    """Reads or writes tags (cpppo's syntax: `Temp`, `Setpoint[0-3]`, `Setpoint[1]=(INT)55`) with
    Read/Write Tag services inside Unconnected Send, as a Logix client does."""
    from cpppo.server.enip import client
    return [value for _, _, _, _, _, value in connection.pipeline(operations=client.parse_operations(tags), depth=1)]


def hmi_tags():
    """The HMI's EtherNet/IP driver: one session to the Logix PLC, its tags read every 2 s."""
    connection = None
    while alive():
        started = time.monotonic()
        try:
            if connection is None:
                connection = logix_session()
            logix_transfer(connection, ["Temp", "Setpoint[0-3]"])
        except Exception:
            connection = None
        time.sleep(max(0.0, 2.0 - (time.monotonic() - started)))


def engineering_logix():
    """The engineering station looks for EtherNet/IP devices (a ListIdentity broadcast) and reads
    the Logix PLC's setpoints at 25 s; at 68 s it writes a setpoint, which it never did before."""
    from cpppo.server.enip import client
    at(25)
    with client.client(host="255.255.255.255", udp=True, broadcast=True) as discovery:
        discovery.list_identity(timeout=1.0)
        while client.await_response(discovery, timeout=1.0)[0]:
            pass
    with logix_session() as connection:
        logix_transfer(connection, ["Setpoint[0-3]"])
    at(68)
    with logix_session() as connection:
        logix_transfer(connection, ["Setpoint[1]=(INT)55"])


# --- IEC 60870-5-104 (c104, on lib60870) ------------------------------------------------------
def substation_rtu():
    """A substation RTU (common address 47): a feeder current sent every 2 s, a breaker position,
    an energy counter, and the breaker's single command."""
    import c104
    server = c104.Server(ip="0.0.0.0", port=2404)
    station = server.add_station(common_address=47)
    station.add_point(io_address=1001, type=c104.Type.M_ME_NC_1, report_ms=2000)
    station.add_point(io_address=2001, type=c104.Type.M_SP_NA_1)
    station.add_point(io_address=3001, type=c104.Type.M_IT_NA_1)
    station.add_point(io_address=5001, type=c104.Type.C_SC_NA_1)
    server.start()
    while alive():
        time.sleep(0.5)
    server.stop()


def telecontrol_master():
    """The SCADA master's IEC 104 link: STARTDT, a general interrogation and clock sync at
    connect, a general interrogation every 10 s and a counter interrogation every 30 s (the first
    at 10 s, so that even a short learning period sees one); at 82 s
    it opens the breaker (a single command: the attack)."""
    import c104
    client = c104.Client()
    connection = client.add_connection(ip="10.20.2.31", port=2404, init=c104.Init.ALL)
    station = connection.add_station(common_address=47)
    breaker = station.add_point(io_address=5001, type=c104.Type.C_SC_NA_1)
    client.start()
    tick, opened = 1, False
    while alive():
        time.sleep(1.0)
        if time.time() - T0 >= 82 and not opened:
            opened = True
            breaker.value = False
            breaker.transmit(cause=c104.Cot.ACTIVATION)
        if tick % 10 == 0:
            connection.interrogation(common_address=47, cause=c104.Cot.ACTIVATION, qualifier=c104.Qoi.STATION)
        if tick % 30 == 10:
            connection.counter_interrogation(common_address=47, cause=c104.Cot.ACTIVATION, qualifier=c104.Rqt.GENERAL, freeze=c104.Frz.READ)
        tick += 1
    client.stop()


# --- BACnet/IP (bacpypes3) ----------------------------------------------------------------------
def bacnet_arguments(name, instance, address):
    from bacpypes3.argparse import SimpleArgumentParser
    return SimpleArgumentParser().parse_args(["--name", name, "--instance", str(instance), "--address", address,
                                              "--vendoridentifier", "999"])


def air_handler():
    """An air handler controller (device 3056) with its supply air temperature."""
    import asyncio
    from bacpypes3.app import Application
    from bacpypes3.local.analog import AnalogValueObject

    async def serve():
        app = Application.from_args(bacnet_arguments("ahu-1", 3056, "10.30.1.20/16"))
        app.add_object(AnalogValueObject(objectIdentifier="analog-value,1", objectName="supply-air-temp",
                                         presentValue=21.5, statusFlags=[0, 0, 0, 0], units="degrees-celsius"))
        while alive():
            await asyncio.sleep(0.5)
        app.close()
    asyncio.run(serve())


def building_workstation():
    """The building management workstation: Who-Is to the subnet's broadcast at start, the AHU's
    model name, then its supply air temperature every 5 s; at 86 s a ReinitializeDevice
    (warm start) of the AHU, the attack."""
    import asyncio
    from bacpypes3.apdu import ErrorRejectAbortNack, ReinitializeDeviceRequest
    from bacpypes3.app import Application
    from bacpypes3.pdu import Address
    from bacpypes3.primitivedata import ObjectIdentifier

    async def work():
        app = Application.from_args(bacnet_arguments("bms-ws", 10, "10.30.1.10/16"))
        ahu = Address("10.30.1.20")
        await asyncio.sleep(0.5)
        await app.who_is(3056, 3056)
        reinitialized = False
        while alive():
            started = time.monotonic()
            try:
                if time.time() - T0 >= 86 and not reinitialized:
                    reinitialized = True
                    await app.request(ReinitializeDeviceRequest(reinitializedStateOfDevice="warmstart", destination=ahu))
                await app.read_property(ahu, ObjectIdentifier("analog-value,1"), "present-value")
            except (Exception, ErrorRejectAbortNack):  # bacpypes3 raises a refusal as a BaseException
                pass
            await asyncio.sleep(max(0.0, 5.0 - (time.monotonic() - started)))
        app.close()
    asyncio.run(work())


# --- HTTP: the historian's trend page (Basic auth optional, as such pages are) ---------------
class Historian(http.server.BaseHTTPRequestHandler):
    server_version = "historian/2.1"

    def do_GET(self):
        body = b"<html><body>trend</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def historian():
    server = http.server.HTTPServer(("0.0.0.0", 80), Historian)
    server.timeout = 0.5
    while alive():
        server.handle_request()


def historian_page(authorization):
    headers = f"GET /trend HTTP/1.1\r\nHost: historian.plant.local\r\nUser-Agent: hmi-panel/4.2\r\n"
    if authorization:
        headers += "Authorization: Basic " + base64.b64encode(authorization.encode()).decode() + "\r\n"
    try:
        with socket.create_connection(("10.10.1.80", 80), timeout=1.0) as s:
            s.sendall((headers + "Connection: close\r\n\r\n").encode())
            while s.recv(4096):
                pass
    except OSError:
        pass


def operator():
    """At 88 s an operator opens the historian page from the HMI with a password, in clear."""
    at(88)
    historian_page(authorization="operator:Sup3rSecret")


# --- DNS lookups through the plant resolver (dnsmasq) -----------------------------------------
def dns_query(name, server="10.0.0.53"):
    ident = int(time.time() * 1000) & 0xFFFF
    question = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack("!HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        s.sendto(struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question, (server, 53))
        try:
            reply = s.recv(512)
        except socket.timeout:
            return None
    return socket.inet_ntoa(reply[-4:]) if len(reply) >= 4 and reply[3] & 0x0F == 0 else None


def hmi_lookups():
    """The HMI resolves its historian every 20 s; at 70 s it resolves www.facebook.com and opens
    TLS to the answer (the sewing machine that wants Facebook)."""
    while alive():
        elapsed = time.time() - T0
        dns_query("historian.plant.local")
        if 70 <= elapsed < 90:
            address = dns_query("www.facebook.com")
            if address:
                try:
                    with socket.create_connection((address, 443), timeout=1.0) as s:
                        s.sendall(b"\x16\x03\x01\x00\x05hello")
                        s.recv(64)
                except OSError:
                    pass
            time.sleep(30)
        time.sleep(20)


def internet():
    """Something on the internet answering TLS hellos on 443."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", 443))
    listener.listen(4)
    listener.settimeout(0.5)
    while alive():
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            continue
        with conn:
            conn.settimeout(1.0)
            try:
                conn.recv(64)
                conn.sendall(b"\x16\x03\x03\x00\x05world")
            except OSError:
                pass


ROLES = {
    "plc1": lambda: modbus_server("Schneider Electric", "BMX P34 2020", "v3.10"),
    "plc2": lambda: modbus_server("Siemens", "SIMATIC ET 200SP", "V4.2"),
    "plc3": s7_plc, "hmi": hmi, "eng": engineering, "rogue": rogue, "rtu": rtu, "scada": scada,
    "historian": historian, "operator": operator, "hmi-lookups": hmi_lookups, "internet": internet,
    "hmi-tags": hmi_tags, "eng-logix": engineering_logix, "substation-rtu": substation_rtu,
    "telecontrol-master": telecontrol_master, "ahu": air_handler, "bms": building_workstation,
}

if __name__ == "__main__":
    ROLES[ROLE]()
