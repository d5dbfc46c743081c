import SpanwatchProtocols
import Foundation
import Testing

/// `run -u nobody`: once the interface is open the daemon is nobody, with CAP_NET_RAW as its
/// only capability and no way back; capture goes on.
@Suite struct PrivilegeDropTests {
    @Test(.enabled(if: MetricsTests.canRun, "needs root (live capture on lo) and a built spanwatch"))
    func runsAsTheUserWithOnlyNetRaw() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: LiveCaptureTests.binary)
        process.arguments = ["run", "-i", "lo", "-u", "nobody", "--duration", "3", "--types", "flow", "--eve", "-", "udp port 9"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 1.5)
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> String? {
            status.split(separator: "\n").first { $0.hasPrefix(name + ":") }.map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }
        // Traffic after the drop is still captured (a datagram to the discard port on lo).
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(9).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let payload: [UInt8] = Array("spanwatch".utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { target in
                payload.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, target, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        close(fd)
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let nobody = String(getpwnam("nobody")!.pointee.pw_uid)
        #expect(field("Uid")?.split(separator: "\t").allSatisfy { $0 == nobody } == true, "\(status)")
        #expect(field("CapEff") == "0000000000002000" && field("CapPrm") == "0000000000002000", "\(status)")  // CAP_NET_RAW only
        #expect(field("NoNewPrivs") == "1")
        #expect(process.terminationStatus == 0)
        #expect(output.contains("\"dest_port\":9"), "\(output)")
    }
}
