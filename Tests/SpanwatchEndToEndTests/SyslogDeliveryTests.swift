import SpanwatchProtocols
import Foundation
import Testing

/// Delivery to a real rsyslog (Debian's), started by the test on loopback: every event arrives
/// byte for byte and in order; with the receiver down, events wait in the spool and arrive first
/// when it is back.
@Suite(.serialized) struct SyslogDeliveryTests {
    static let rsyslogd = "/usr/sbin/rsyslogd"
    static var canRun: Bool {
        FileManager.default.isExecutableFile(atPath: rsyslogd) && FileManager.default.isExecutableFile(atPath: LiveCaptureTests.binary)
    }

    /// An rsyslog listening on 127.0.0.1:`port` (imtcp), writing each message's MSG on a line.
    final class Receiver {
        let directory: String
        let port: Int
        let process = Process()
        var output: String { directory + "/received.log" }

        /// `tls`: the CA, certificate and key rsyslog serves TLS with (its ossl driver).
        /// `clientCertificates`: with TLS, ask every sender for a certificate chaining to the CA.
        init(directory: String, port: Int, tls: (ca: String, certificate: String, key: String)? = nil, udp: Bool = false,
             clientCertificates: Bool = false) throws {
            self.directory = directory
            self.port = port
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let driver = tls.map { " DefaultNetstreamDriver=\"ossl\" DefaultNetstreamDriverCAFile=\"\($0.ca)\" "
                + "DefaultNetstreamDriverCertFile=\"\($0.certificate)\" DefaultNetstreamDriverKeyFile=\"\($0.key)\"" } ?? ""
            let module = udp ? "module(load=\"imudp\")" : tls == nil ? "module(load=\"imtcp\")"
                : "module(load=\"imtcp\" StreamDriver.Name=\"ossl\" StreamDriver.Mode=\"1\" StreamDriver.AuthMode=\"\(clientCertificates ? "x509/certvalid" : "anon")\")"
            let config = """
            global(workDirectory="\(directory)" maxMessageSize="256k"\(driver))
            \(module)
            template(name="msgonly" type="string" string="%msg%\\n")
            input(type="\(udp ? "imudp" : "imtcp")" address="127.0.0.1" port="\(port)" ruleset="spanwatch")
            ruleset(name="spanwatch") { action(type="omfile" file="\(directory)/received.log" template="msgonly") }

            """
            try config.write(toFile: directory + "/rsyslog.conf", atomically: true, encoding: .utf8)
            // Through python3 when there is one: it unblocks the signals the test runner may have
            // blocked (a child inherits the mask), so that SIGTERM stops rsyslog cleanly.
            let arguments = ["-n", "-f", directory + "/rsyslog.conf", "-i", directory + "/rsyslog.pid"]
            if FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") {
                process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
                process.arguments = ["-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); "
                    + "os.execv(sys.argv[1], sys.argv[1:])", SyslogDeliveryTests.rsyslogd] + arguments
            } else {
                process.executableURL = URL(fileURLWithPath: SyslogDeliveryTests.rsyslogd)
                process.arguments = arguments
            }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            if udp {  // nothing to connect to: give it a moment to bind
                Thread.sleep(forTimeInterval: 1.0)
                return
            }
            // Listening within 5 s (bounded).
            for _ in 0..<100 {
                if Receiver.listening(port) { return }
                Thread.sleep(forTimeInterval: 0.05)
            }
            throw CocoaError(.fileReadUnknown)
        }

        static func listening(_ port: Int) -> Bool {
            guard let fd = MetricsTests.connectLoopback(port) else { return false }
            close(fd)
            return true
        }

        /// Stops rsyslog the way an operator does (SIGTERM: it writes what it holds, then exits).
        func stopGracefully() {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }

        /// Waits (bounded) until `lines` lines arrived, and stops rsyslog (it flushes its file).
        func stop(expecting lines: Int) -> [String] {
            for _ in 0..<200 {
                if ((try? String(contentsOfFile: output, encoding: .utf8))?.split(separator: "\n").count ?? 0) >= lines { break }
                Thread.sleep(forTimeInterval: 0.05)
            }
            // SIGKILL: a signal mask inherited from the test runner can leave rsyslog deaf to SIGTERM.
            // Its file is written per batch, so what arrived is on disk.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
    }

    static func config(_ directory: String, port: Int, spoolSize: String = "256MiB", drainTimeout: String = "2s") throws -> String {
        let path = directory + "/spanwatch.yaml"
        try """
        version: 1
        outputs:
          syslog:
            address: 127.0.0.1:\(port)
            spool: \(directory)/spool
            spool_size: \(spoolSize)
            drain_timeout: \(drainTimeout)

        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func workspace(_ name: String) -> (String, Int) {
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        let directory = NSTemporaryDirectory() + "spanwatch-syslog-\(pid)-\(name)"
        try? FileManager.default.removeItem(atPath: directory)
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return (directory, 20000 + (pid * 7 + name.count * 131) % 20000)
    }

    static func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test(.enabled(if: canRun, "needs rsyslog (apt-get install rsyslog) and a built spanwatch"))
    func everyEventArrivesByteForByteInOrder() throws {
        let (directory, port) = Self.workspace("order")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let receiver = try Receiver(directory: directory + "/rsyslog", port: port)
        let capture = SharedCorpus.repositoryRoot.appendingPathComponent("samples/plant/plant.pcap").path
        let run = try LiveCaptureTests.run([LiveCaptureTests.binary, "run", "-r", capture, "-c", try Self.config(directory, port: port),
                                            "--eve", directory + "/eve.json"])
        let expected = Self.lines(directory + "/eve.json")
        let received = receiver.stop(expecting: expected.count)
        #expect(run.status == 0)
        #expect(expected.count > 500)
        #expect(received == expected)
        #expect(run.errors.contains("\(expected.count) records sent, 0 bytes left in the spool"), "\(run.errors)")
    }

    @Test(.enabled(if: canRun, "needs rsyslog (apt-get install rsyslog) and a built spanwatch"))
    func withTheReceiverDownEventsWaitInTheSpoolAndArriveFirst() throws {
        let (directory, port) = Self.workspace("down")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try Self.config(directory, port: port)
        let plant = SharedCorpus.repositoryRoot.appendingPathComponent("samples/plant/plant.pcap").path
        let small = SharedCorpus.repositoryRoot.appendingPathComponent("samples/sample-plant.pcap").path
        // Nobody listens: everything stays spooled (the run ends after its 2 s drain timeout).
        let first = try LiveCaptureTests.run([LiveCaptureTests.binary, "run", "-r", plant, "-c", config, "--eve", directory + "/first.json"])
        #expect(first.status == 0)
        #expect(first.errors.contains("0 records sent"), "\(first.errors)")
        // The receiver comes up; the next run delivers the backlog first, then its own events.
        let receiver = try Receiver(directory: directory + "/rsyslog", port: port)
        let second = try LiveCaptureTests.run([LiveCaptureTests.binary, "run", "-r", small, "-c", config, "--eve", directory + "/second.json"])
        let expected = Self.lines(directory + "/first.json") + Self.lines(directory + "/second.json")
        let received = receiver.stop(expecting: expected.count)
        #expect(second.status == 0)
        #expect(received.count == expected.count)
        #expect(received == expected)
    }

    /// RFC 5426, one message per datagram, for receivers that only speak UDP.
    @Test(.enabled(if: canRun, "needs rsyslog (apt-get install rsyslog) and a built spanwatch"))
    func udpCarriesOneMessagePerDatagram() throws {
        let (directory, port) = Self.workspace("udp")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let receiver = try Receiver(directory: directory + "/rsyslog", port: port, udp: true)
        let path = directory + "/udp.yaml"
        try "version: 1\noutputs:\n  syslog:\n    address: 127.0.0.1:\(port)\n    transport: udp\n    spool: \(directory)/spool\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let capture = SharedCorpus.repositoryRoot.appendingPathComponent("samples/sample-plant.pcap").path
        let run = try LiveCaptureTests.run([LiveCaptureTests.binary, "run", "-r", capture, "-c", path, "--eve", directory + "/eve.json"])
        let expected = Self.lines(directory + "/eve.json")
        let received = receiver.stop(expecting: expected.count)
        #expect(run.status == 0 && run.errors.contains("\(expected.count) records sent"), "\(run.errors)")
        // UDP has no flow control: even paced, a busy receiver can lose datagrams (which is why TCP
        // and TLS are the transports to use). What arrives is whole, in order.
        var position = expected.startIndex
        for line in received {
            guard let found = expected[position...].firstIndex(of: line) else {
                Issue.record("a datagram that was not sent, or out of order: \(line.prefix(120))")
                break
            }
            position = found + 1
        }
        #expect(received.count * 2 >= expected.count, "\(received.count) of \(expected.count) arrived")
    }

    /// A spool too small for the backlog: events are dropped before alerts, every alert arrives,
    /// and a loss record says how many events are missing, matching the run's own count.
    @Test(.enabled(if: canRun, "needs rsyslog (apt-get install rsyslog) and a built spanwatch"))
    func aFullSpoolDropsEventsBeforeAlertsAndSaysSo() throws {
        let (directory, port) = Self.workspace("full")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try Self.config(directory, port: port, spoolSize: "128KiB")
        let plant = SharedCorpus.repositoryRoot.appendingPathComponent("samples/plant/plant.pcap").path
        let first = try LiveCaptureTests.run([LiveCaptureTests.binary, "run", "-r", plant, "-c", config, "--eve", directory + "/first.json"])
        let dropped = first.errors
        let match = try #require(dropped.range(of: #"dropped \(spool or disk full\): 0 alerts and (\d+) events"#, options: .regularExpression))
        let droppedEvents = Int(dropped[match].split(separator: " ")[8])!
        #expect(droppedEvents > 100)
        let receiver = try Receiver(directory: directory + "/rsyslog", port: port)
        let small = SharedCorpus.repositoryRoot.appendingPathComponent("samples/sample-plant.pcap").path
        // The second run starts with a nearly full spool: it may drop a few events of its own.
        let second = try LiveCaptureTests.run([LiveCaptureTests.binary, "run", "-r", small, "-c", config, "--eve", "/dev/null"])
        let secondDropped = second.errors.range(of: #"0 alerts and (\d+) events"#, options: .regularExpression)
            .map { Int(second.errors[$0].split(separator: " ")[3])! } ?? 0
        let sent = Self.lines(directory + "/first.json")
        let received = receiver.stop(expecting: sent.count - droppedEvents + 1)
        // Every alert of the first run arrived, in order; what arrived is what was sent, minus the dropped events.
        let alerts = sent.filter { $0.contains("\"event_type\":\"alert\"") }
        #expect(alerts.count >= 5)
        #expect(received.filter { $0.contains("\"event_type\":\"alert\"") }.prefix(alerts.count) == ArraySlice(alerts))
        // Loss records (one each time room came back) add up to the run's own count.
        let losses = received.filter { $0.contains("\"spool_loss\"") }
        let reported = losses.compactMap { line -> Int? in
            guard let range = line.range(of: #"dropped_events":(\d+)"#, options: .regularExpression) else { return nil }
            return Int(line[range].split(separator: ":")[1])
        }
        #expect(!losses.isEmpty && losses.allSatisfy { $0.contains("\"dropped_alerts\":0,") })
        #expect(reported.reduce(0, +) == droppedEvents + secondDropped, "\(losses)")
        let fromFirst = received.filter { sent.contains($0) }
        #expect(fromFirst.count == sent.count - droppedEvents)
    }
}

enum SequenceReservationBlock { static let size = 10_000 }

/// The daemon's lifecycle with delivery on: SIGHUP reopens the EVE file (logrotate), `kill -9`
/// mid-stream loses no integrity (every line delivered is valid JSON) and the restart continues
/// `seq` without reusing a number.
@Suite(.serialized) struct DaemonLifecycleTests {
    static var canRun: Bool { SyslogDeliveryTests.canRun && LiveCaptureTests.canRun }

    @Test(.enabled(if: canRun, "needs root, iproute2, tcpreplay, rsyslog and a built spanwatch"))
    func sighupReopensAndKill9NeitherCorruptsNorReusesSeq() throws {
        let (directory, port) = SyslogDeliveryTests.workspace("lifecycle")
        let id = ProcessInfo.processInfo.processIdentifier % 10000 + 2
        let veth = try VethPair(namespace: "swlc\(id)", host: "swlh\(id)", peer: "swlp\(id)")
        let namespace = veth.namespace, host = veth.host, peer = veth.peer
        defer {
            veth.remove()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let receiver = try SyslogDeliveryTests.Receiver(directory: directory + "/rsyslog", port: port)
        let config = try SyslogDeliveryTests.config(directory, port: port)
        let eve = directory + "/eve.json"
        let plant = SharedCorpus.repositoryRoot.appendingPathComponent("samples/plant/plant.pcap").path
        let small = SharedCorpus.repositoryRoot.appendingPathComponent("samples/sample-plant.pcap").path

        func start(_ seconds: Int) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: LiveCaptureTests.binary)
            process.arguments = ["run", "-i", host, "-c", config, "--eve", eve, "--duration", String(seconds)]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: 1.5)
            return process
        }
        func replay(_ file: String) throws {
            try LiveCaptureTests.run(["ip", "netns", "exec", namespace, "tcpreplay", "--topspeed", "-i", peer, file])
        }

        let first = try start(30)
        try replay(plant)
        Thread.sleep(forTimeInterval: 1.0)
        // logrotate: move the file away, SIGHUP, and the next events go to a new eve.json.
        try FileManager.default.moveItem(atPath: eve, toPath: eve + ".1")
        kill(first.processIdentifier, SIGHUP)
        Thread.sleep(forTimeInterval: 0.5)
        try replay(small)
        Thread.sleep(forTimeInterval: 2.0)  // the EVE buffer flushes at exit or when full: poll stats, then kill
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        // Restart: the spool reopens and seq continues after the reserved block.
        let second = try start(4)
        try replay(small)
        second.waitUntilExit()
        #expect(second.terminationStatus == 0)
        #expect(FileManager.default.fileExists(atPath: eve + ".1"))
        let rotated = SyslogDeliveryTests.lines(eve + ".1")
        let current = SyslogDeliveryTests.lines(eve)
        #expect(!current.isEmpty)  // the second run wrote to the new file (the first died with its buffer)
        let received = receiver.stop(expecting: 600)
        // At least once: a record sent but not known to be acknowledged before the kill is sent again
        // after the restart. A repeated seq must be the same line (a duplicate, never a reused
        // number); the new ones rise strictly, across the kill and the restart.
        var seen: [Int: String] = [:]
        var newest = 0
        var duplicates = 0
        for line in received {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]  // every line is whole JSON
            let sequence = try #require((object?["spanwatch"] as? [String: Any])?["seq"] as? Int)
            if let earlier = seen[sequence] {
                #expect(earlier == line, "seq \(sequence) reused for another event")
                duplicates += 1
                continue
            }
            #expect(sequence > newest, "seq \(sequence) after \(newest)")
            seen[sequence] = line
            newest = sequence
        }
        #expect(received.count > 500, "\(received.count) received, \(duplicates) of them sent again after the kill")
        #expect(seen.keys.contains { $0 > SequenceReservationBlock.size })  // the restart began after the first run's reserved block
        #expect(rotated.count > 400)  // SIGHUP flushed the first file before reopening
    }
}

/// Syslog over TLS (RFC 5425) to rsyslog's OpenSSL driver: delivery byte for byte when the
/// receiver's certificate chains to the configured CA and carries the configured name; nothing at
/// all (never plain text) when the name does not match.
@Suite(.serialized) struct SyslogTLSTests {
    static var canRun: Bool {
        SyslogDeliveryTests.canRun && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
            && FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so")
    }

    /// A throwaway CA and a certificate for localhost / 127.0.0.1 signed by it.
    static func certificates(in directory: String) throws -> (ca: String, certificate: String, key: String) {
        try LiveCaptureTests.run(["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/ca.key", "-out",
                                  directory + "/ca.pem", "-days", "2", "-subj", "/CN=spanwatch test CA"])
        let server = try signed("server", subject: "/CN=localhost", extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1", in: directory)
        return (directory + "/ca.pem", server.certificate, server.key)
    }

    /// A client certificate signed by the test CA.
    static func clientCertificate(in directory: String) throws -> (certificate: String, key: String) {
        try signed("client", subject: "/CN=ot-sensor-01", extensions: "extendedKeyUsage=clientAuth", in: directory)
    }

    /// A key and a certificate `NAME.pem` signed by the CA in `directory`.
    static func signed(_ name: String, subject: String, extensions: String, in directory: String) throws -> (certificate: String, key: String) {
        let openssl = "/usr/bin/openssl"
        let base = directory + "/" + name
        try LiveCaptureTests.run([openssl, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", base + ".key", "-out", base + ".csr", "-subj", subject])
        try (extensions + "\n").write(toFile: base + ".cnf", atomically: true, encoding: .utf8)
        try LiveCaptureTests.run([openssl, "x509", "-req", "-in", base + ".csr", "-CA", directory + "/ca.pem", "-CAkey", directory + "/ca.key",
                                  "-CAcreateserial", "-out", base + ".pem", "-days", "2", "-extfile", base + ".cnf"])
        return (base + ".pem", base + ".key")
    }

    static func config(_ directory: String, port: Int, ca: String, serverName: String, spool: String,
                       client: (certificate: String, key: String)? = nil) throws -> String {
        let path = directory + "/\(spool).yaml"
        let clientLines = client.map { "\n      cert_file: \($0.certificate)\n      key_file: \($0.key)" } ?? ""
        try """
        version: 1
        outputs:
          syslog:
            address: 127.0.0.1:\(port)
            transport: tls
            tls:
              ca_file: \(ca)
              server_name: \(serverName)\(clientLines)
            spool: \(directory)/\(spool)
            drain_timeout: 2s

        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(.enabled(if: canRun, "needs rsyslog with its OpenSSL driver (rsyslog-openssl), openssl and a built spanwatch"))
    func deliversOverTLSAndRefusesAWrongName() throws {
        let (directory, port) = SyslogDeliveryTests.workspace("tls")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try Self.certificates(in: directory)
        let receiver = try SyslogDeliveryTests.Receiver(directory: directory + "/rsyslog", port: port, tls: files)
        let capture = SharedCorpus.repositoryRoot.appendingPathComponent("samples/sample-plant.pcap").path
        // The certificate names someone else: no handshake, so nothing is sent, and it stays spooled.
        let wrong = try LiveCaptureTests.run([LiveCaptureTests.binary, "run", "-r", capture, "-c",
                                              try Self.config(directory, port: port, ca: files.ca, serverName: "siem.example.net", spool: "wrong"),
                                              "--eve", "/dev/null"])
        #expect(wrong.errors.contains("0 records sent") && wrong.errors.contains("TLS: hostname mismatch"), "\(wrong.errors)")
        // The right name: every event, byte for byte, in order.
        let right = try LiveCaptureTests.run([LiveCaptureTests.binary, "run", "-r", capture, "-c",
                                              try Self.config(directory, port: port, ca: files.ca, serverName: "localhost", spool: "right"),
                                              "--eve", directory + "/eve.json"])
        let expected = SyslogDeliveryTests.lines(directory + "/eve.json")
        let received = receiver.stop(expecting: expected.count)
        #expect(right.status == 0)
        #expect(received == expected)
    }
}

extension OutputFanOutTests {
    /// `--types` on the command line takes the place of each output's own types.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: LiveCaptureTests.binary), "needs a built spanwatch"))
    func typesOnTheCommandLineWin() throws {
        let (directory, _) = SyslogDeliveryTests.workspace("types-override")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = directory + "/spanwatch.yaml"
        try "version: 1\noutputs:\n  eve:\n    - path: \(directory)/a.json\n    - path: \(directory)/b.json\n      types: [alert]\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let capture = SharedCorpus.repositoryRoot.appendingPathComponent("samples/plant/plant.pcap").path
        let run = try LiveCaptureTests.run([LiveCaptureTests.binary, "run", "-r", capture, "-c", config, "--types", "flow"])
        #expect(run.status == 0, "\(run.errors)")
        let a = SyslogDeliveryTests.lines(directory + "/a.json")
        #expect(a.count > 50 && a.allSatisfy { $0.contains("\"event_type\":\"flow\"") })
        #expect(SyslogDeliveryTests.lines(directory + "/b.json") == a)
    }
}

/// SIGTERM with the receiver away: the drain waits (up to drain_timeout) for it; a second
/// SIGTERM ends the wait at once. Exit 0 either way; what was not sent stays spooled.
@Suite(.serialized) struct StopDrainTests {
    @Test(.enabled(if: MetricsTests.canRun, "needs root (live capture on lo) and a built spanwatch"))
    func aSecondSigtermCutsTheDrainShort() throws {
        let (directory, port) = SyslogDeliveryTests.workspace("second-term")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try SyslogDeliveryTests.config(directory, port: port, drainTimeout: "60s")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: LiveCaptureTests.binary)
        process.arguments = ["run", "-i", "lo", "-c", config, "--eve", "/dev/null"]
        let errorPath = directory + "/stderr"
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        Thread.sleep(forTimeInterval: 1.5)
        kill(process.processIdentifier, SIGTERM)
        Thread.sleep(forTimeInterval: 1.5)
        #expect(process.isRunning, "draining: nobody listens on \(port)")
        let second = Date()
        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<100 where process.isRunning { Thread.sleep(forTimeInterval: 0.05) }  // at most 5 s
        #expect(!process.isRunning && Date().timeIntervalSince(second) < 5)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        #expect(errors.contains("0 records sent") && !errors.contains(" 0 bytes left"), "\(errors)")
    }
}

extension SyslogTLSTests {
    /// A receiver that asks for a client certificate: a sensor trusting another CA, and one with
    /// no certificate of its own, send nothing (and never plain text); with its certificate,
    /// everything arrives.
    @Test(.enabled(if: canRun, "needs rsyslog with its OpenSSL driver (rsyslog-openssl), openssl and a built spanwatch"))
    func aWrongCAOrAMissingClientCertificateSendsNothing() throws {
        let (directory, port) = SyslogDeliveryTests.workspace("tls-client")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try Self.certificates(in: directory)
        let client = try Self.clientCertificate(in: directory)
        let other = directory + "/other"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        let otherCA = try Self.certificates(in: other).ca
        let receiver = try SyslogDeliveryTests.Receiver(directory: directory + "/rsyslog", port: port, tls: files, clientCertificates: true)
        let capture = SharedCorpus.repositoryRoot.appendingPathComponent("samples/sample-plant.pcap").path
        func run(_ spool: String, ca: String, client: (certificate: String, key: String)?, eve: String = "/dev/null") throws -> String {
            let config = try Self.config(directory, port: port, ca: ca, serverName: "localhost", spool: spool, client: client)
            let result = try LiveCaptureTests.run([LiveCaptureTests.binary, "run", "-r", capture, "-c", config, "--eve", eve])
            #expect(result.status == 0)
            return result.errors
        }
        let wrongCA = try run("wrong-ca", ca: otherCA, client: client)
        #expect(wrongCA.contains("0 records sent") && wrongCA.contains("(last: TLS: self-signed certificate in certificate chain)"), "\(wrongCA)")
        let noCertificate = try run("no-certificate", ca: files.ca, client: nil)
        #expect(noCertificate.contains("0 records sent") && noCertificate.contains("(last: TLS: "), "\(noCertificate)")
        let right = try run("right", ca: files.ca, client: client, eve: directory + "/eve.json")
        let expected = SyslogDeliveryTests.lines(directory + "/eve.json")
        #expect(expected.count > 100 && right.contains("\(expected.count) records sent, 0 bytes left"), "\(right)")
        // Only what the right sensor sent reached the receiver: nothing from the refused ones.
        #expect(receiver.stop(expecting: expected.count) == expected)
    }
}

/// The receiver stopped for 60 seconds under a steady alert rate (one a second, live), then
/// started again: every alert arrives (some twice, after the reconnect: at least once).
@Suite(.serialized) struct ReceiverOutageTests {
    @Test(.enabled(if: DaemonLifecycleTests.canRun, "needs root, iproute2, tcpreplay, rsyslog and a built spanwatch"))
    func noAlertIsLostWhileTheReceiverIsDownForAMinute() throws {
        let (directory, port) = SyslogDeliveryTests.workspace("outage")
        let id = ProcessInfo.processInfo.processIdentifier % 10000 + 5
        let veth = try VethPair(namespace: "swou\(id)", host: "swoh\(id)", peer: "swop\(id)")
        let namespace = veth.namespace, host = veth.host, peer = veth.peer
        defer {
            veth.remove()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let config = try SyslogDeliveryTests.config(directory, port: port)
        let eve = directory + "/eve.json"
        let capture = SharedCorpus.repositoryRoot.appendingPathComponent("Tests/SpanwatchEndToEndTests/Captures/steady-alerts.pcap").path

        var receiver = try SyslogDeliveryTests.Receiver(directory: directory + "/rsyslog", port: port)
        let sensor = Process()
        sensor.executableURL = URL(fileURLWithPath: LiveCaptureTests.binary)
        sensor.arguments = ["run", "-i", host, "-c", config, "--eve", eve, "--types", "alert", "--duration", "105"]
        sensor.standardOutput = FileHandle.nullDevice
        sensor.standardError = FileHandle.nullDevice
        try sensor.run()
        Thread.sleep(forTimeInterval: 1.5)
        // 90 s of traffic, an alert each second, in real time.
        let replay = Process()
        replay.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        replay.arguments = ["ip", "netns", "exec", namespace, "tcpreplay", "-i", peer, capture]
        replay.standardOutput = FileHandle.nullDevice
        replay.standardError = FileHandle.nullDevice
        try replay.run()
        Thread.sleep(forTimeInterval: 10)
        receiver.stopGracefully()  // down for a minute, while alerts keep coming
        Thread.sleep(forTimeInterval: 60)
        receiver = try SyslogDeliveryTests.Receiver(directory: directory + "/rsyslog", port: port)
        replay.waitUntilExit()
        Thread.sleep(forTimeInterval: 8)  // reconnect (back-off at most 30 s, jittered) ... bounded below
        kill(sensor.processIdentifier, SIGTERM)  // exit delivers what is left (drain timeout)
        sensor.waitUntilExit()
        let alerts = SyslogDeliveryTests.lines(eve)
        let received = Set(receiver.stop(expecting: alerts.count))
        #expect(alerts.count == 90)
        let missing = alerts.filter { !received.contains($0) }
        #expect(missing.isEmpty, "\(missing.count) of \(alerts.count) alerts never arrived")
    }
}


/// Every output at once, each with its own types: two EVE files and two syslog receivers (real
/// rsyslogs), all fed from one rendering of each event.
@Suite(.serialized) struct OutputFanOutTests {
    @Test(.enabled(if: SyslogDeliveryTests.canRun, "needs rsyslog (apt-get install rsyslog) and a built spanwatch"))
    func everyOutputGetsExactlyItsTypes() throws {
        let (directory, port) = SyslogDeliveryTests.workspace("fan-out")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let alertsReceiver = try SyslogDeliveryTests.Receiver(directory: directory + "/rsyslog-a", port: port)
        let everythingReceiver = try SyslogDeliveryTests.Receiver(directory: directory + "/rsyslog-b", port: port + 1)
        let config = directory + "/spanwatch.yaml"
        try """
        version: 1
        outputs:
          eve:
            - path: \(directory)/all.json
            - path: \(directory)/alerts.json
              types: [alert]
          syslog:
            - address: 127.0.0.1:\(port)
              spool: \(directory)/spool-a
              types: [alert, stats]
              drain_timeout: 2s
            - address: 127.0.0.1:\(port + 1)
              spool: \(directory)/spool-b
              drain_timeout: 2s

        """.write(toFile: config, atomically: true, encoding: .utf8)
        let capture = SharedCorpus.repositoryRoot.appendingPathComponent("samples/plant/plant.pcap").path
        let run = try LiveCaptureTests.run([LiveCaptureTests.binary, "run", "-r", capture, "-c", config])
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.output.isEmpty, "configured EVE files replace stdout")
        let all = SyslogDeliveryTests.lines(directory + "/all.json")
        func typed(_ types: [String]) -> [String] {
            all.filter { line in types.contains { line.contains("\"event_type\":\"\($0)\"") } }
        }
        #expect(all.count > 500)
        #expect(typed(["alert"]).count >= 5)
        #expect(SyslogDeliveryTests.lines(directory + "/alerts.json") == typed(["alert"]))
        #expect(alertsReceiver.stop(expecting: typed(["alert", "stats"]).count) == typed(["alert", "stats"]))
        #expect(everythingReceiver.stop(expecting: all.count) == all)
        // The closing stats name every output with what it took.
        let stats = try #require(JSONSerialization.jsonObject(with: Data(all.last!.utf8)) as? [String: Any])
        let outputs = try #require(((stats["stats"] as? [String: Any])?["output"] as? [String: Any])?["outputs"] as? [String: [String: Int]])
        #expect(outputs["eve:\(directory)/alerts.json"]?["lines"] == typed(["alert"]).count)
        #expect(outputs["syslog:127.0.0.1:\(port)"]?["lines"] == typed(["alert", "stats"]).count - 1)  // not counting itself
        #expect(outputs["syslog:127.0.0.1:\(port + 1)"]?["lines"] == all.count - 1)
        #expect(run.errors.contains("syslog:127.0.0.1:\(port): \(typed(["alert", "stats"]).count) records sent, 0 bytes left"), "\(run.errors)")
    }
}
