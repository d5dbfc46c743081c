import Foundation
import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchWire
import Testing

/// Agreement with tshark (../shared/pcaps/expected, written by oracle.py): per capture, messages
/// per (encapsulation command, CIP service, reply) and implicit I/O packets must equal tshark's
/// counts, as agree.py counts them.
@Suite struct ENIPOracleTests {
    static var captures: [String] {
        SharedCorpus.captures(in: "enip") + (SharedCorpus.captures(in: "mixed") + SharedCorpus.captures(in: "edge")).filter { capture in
            (try? Oracle.tsharkRecords(capture, protocols: ["enip"]).isEmpty == false) ?? false
        }
    }

    static let explainedDifferences: [String: Oracle.Explained] = [
        // Keys name services without their class: 0x4E reads Read_Modify_Write (here a Forward_Close).
        "enip/lab-cip-connection-manager.pcap": (["send_rr_data Forward_Open request: tshark 3, spanwatch 16",
                                                  "send_rr_data Read_Modify_Write request: tshark 0, spanwatch 1"],
            "frame 5 is a 1,460-byte segment that starts 1,265 bytes before the first byte the capture saw of its flow (picked up "
            + "midstream at frame 1): tshark calls it a retransmission and reads none of it; those bytes were never seen before, "
            + "and spanwatch reads the 13 Forward Opens and the Forward Close they hold."),
        "enip/lab-logix-tag-writes-gaps.pcap": (["send_unit_data Read_Tag reply: tshark 115, spanwatch 117"],
            "a capture with holes: two replies follow a gap in their direction; spanwatch resynchronises on the next "
            + "encapsulation header after the gap and reads them, tshark's reassembly loses them."),
    ]

    static func key(_ command: Int?, _ service: Int?, _ reply: Bool?, io: Bool) -> String {
        if io { return "io" }
        let name = command.map { ENIP.commandName(UInt16($0)).description } ?? "-"
        guard let service else { return name }
        return "\(name) \(CIPNames.service(UInt8(service & 0x7F), classID: nil)) \(reply == true ? "reply" : "request")"
    }

    static func tsharkCounts(_ capture: String) throws -> [String: Int] {
        var counts = [String: Int]()
        for record in try Oracle.tsharkRecords(capture, protocols: ["enip"]) where record["retrans"] as? Bool != true {
            counts[key(record["command"] as? Int, record["cip_service"] as? Int, record["is_response"] as? Bool,
                       io: record["io"] as? Bool == true), default: 0] += 1
        }
        return counts
    }

    static func spanwatchCounts(_ capture: String) throws -> [String: Int] {
        var counts = [String: Int]()
        for record in try Oracle.events(capture) {
            guard let event = record.body.application(as: ENIPEvent.self) else { continue }
            if event.io != nil { counts["io", default: 0] += 1 }
            for message in [event.request, event.response].compactMap({ $0 }) {
                let cip = message.cip
                counts[key(Int(message.command), cip.map { Int($0.service) }, cip?.isResponse, io: false), default: 0] += 1
            }
        }
        return counts
    }

    @Test(.enabled(if: SharedCorpus.pcaps != nil, "../shared/pcaps is absent: tshark agreement not checked"), arguments: captures)
    func agreesWithTshark(capture: String) throws {
        Oracle.expectAgreement(capture, tshark: try Self.tsharkCounts(capture), spanwatch: try Self.spanwatchCounts(capture),
                               explained: Self.explainedDifferences[capture])
    }

    /// Execute PCCC (a MicroLogix read and written by RSLinx, and switched to program mode and back
    /// to run): every PCCC command as tshark reads it (`tshark -T fields -e cip.pccc.cmd.code -e
    /// cip.pccc.fnc.code_06 -e cip.pccc.fnc.code_0f -e cip.pccc.cpu.mode_80`), and the two mode
    /// changes are critical operations.
    @Test(.enabled(if: SharedCorpus.pcaps != nil, "../shared/pcaps is absent: tshark agreement not checked"))
    func pcccCommandsAndModeChanges() throws {
        var commands = [String: Int]()
        for record in try Oracle.events("enip/iti-cip-pccc.pcap") {
            guard let pccc = record.body.application(as: ENIPEvent.self)?.request?.cip?.pccc else { continue }
            let function = pccc.function.map { String(format: "0x%02x", $0) } ?? "-"
            commands[String(format: "0x%02x ", pccc.command) + function + (pccc.mode.map { " mode \($0)" } ?? ""), default: 0] += 1
        }
        #expect(commands == ["0x06 0x03": 4664, "0x0f 0xa2": 103, "0x0f 0xa3": 4655, "0x0f 0xab": 4,
                             "0x0f 0x80 mode 1": 1, "0x0f 0x80 mode 6": 1])
        let critical = try Oracle.events("enip/iti-cip-pccc.pcap").compactMap { $0.body.application(as: ENIPEvent.self)?.criticalOperation?.operation }
        #expect(critical == ["PCCC change CPU mode to Remote Program", "PCCC change CPU mode to Remote Run"])
    }

    @Test(.enabled(if: SharedCorpus.pcaps != nil, "../shared/pcaps is absent: tshark agreement not checked"))
    func theCorpusHasENIP() {
        #expect(Self.captures.count >= 23)
    }
}
