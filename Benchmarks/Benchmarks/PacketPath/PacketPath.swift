// Allocation and throughput benchmarks for the packet path, on the project's own sample plant
// capture (samples/sample-plant.pcap: Modbus/TCP polling, made by scripts/pcapgen.py).
//
// - FrameDecoder: every frame through the L2-L4 decoder. Must allocate nothing: the threshold
//   on mallocCountTotal is 0, so `swift package benchmark thresholds check` fails on one malloc.
// - PacketProcessor: the whole engine (flows, reassembly, Modbus pairing) into a sink that
//   drops events. Allocations here are per flow and per session, not per packet: the capture
//   has 3 flows, and the count must stay at that order however many packets it holds.
// - PacketProcessor + EVE: the same, rendering every event as an EVE line into a buffer.
import Benchmark
import Foundation
import SpanwatchCapture
import SpanwatchFlow
import SpanwatchOutput
import SpanwatchPolicy
import SpanwatchProtocols
import SpanwatchWire

struct CapturedFrame {
    var bytes: [UInt8]
    var wireLength: Int
    var timestamp: Int64
}

/// The sample capture, read once into memory (outside every measurement).
let sample: (frames: [CapturedFrame], linkType: LinkType) = {
    let root = URLPath.repositoryRoot
    guard let handle = try? PcapHandle.openOffline(path: root + "/samples/sample-plant.pcap") else {
        fatalError("samples/sample-plant.pcap not found under \(root)")
    }
    var frames: [CapturedFrame] = []
    while true {
        let outcome = handle.next { header, bytes in
            frames.append(CapturedFrame(bytes: bytes.withUnsafeBytes { Array($0) }, wireLength: header.wireLength,
                                        timestamp: header.seconds * 1_000_000 + Int64(header.microseconds)))
        }
        if outcome != .packet { break }
    }
    return (frames, handle.linkType)
}()

enum URLPath {
    /// This file is Benchmarks/Benchmarks/PacketPath/PacketPath.swift in the repository.
    static var repositoryRoot: String {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(4)
        return parts.joined(separator: "/")
    }
}

final class DroppingSink: EventSink {
    var events = 0
    func emit(_ context: EventContext, _ body: EventBody) { events += 1 }
    func emit<Event: ProtocolEvent>(_ context: EventContext, application event: Event) { events += 1 }
}

final class RenderingSink: EventSink {
    let formatter = EveFormatter(sensorName: "bench")
    let buffer = JSONLineBuilder(capacity: 1 << 20)
    func emit(_ context: EventContext, _ body: EventBody) {
        if buffer.count > (1 << 20) - 8192 { buffer.removeAll() }
        formatter.render(context, body, into: buffer)
    }
    func emit<Event: ProtocolEvent>(_ context: EventContext, application event: Event) {
        if buffer.count > (1 << 20) - 8192 { buffer.removeAll() }
        formatter.render(context, application: event, into: buffer)
    }
}

func feed(_ processor: PacketProcessor) {
    let linkType = sample.linkType
    for (index, frame) in sample.frames.enumerated() {
        frame.bytes.withUnsafeBytes { raw in
            processor.process(raw.bytes, linkType: linkType, wireLength: frame.wireLength, timestamp: frame.timestamp,
                              pcapCount: UInt64(index + 1))
        }
    }
    processor.finish()
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .memoryLeaked],
        scalingFactor: .one,
        maxDuration: .seconds(2),
        maxIterations: 200
    )

    Benchmark("FrameDecoder (all sample frames)",
              configuration: .init(thresholds: [.mallocCountTotal: .init(absolute: [.p100: 0])])) { benchmark in
        var frame = DecodedFrame()
        let linkType = sample.linkType
        var tcp = 0
        benchmark.startMeasurement()
        for captured in sample.frames {
            captured.bytes.withUnsafeBytes { raw in
                FrameDecoder.decode(raw.bytes, linkType: linkType, wireLength: captured.wireLength, into: &frame)
            }
            if frame.transport == .tcp { tcp += 1 }
        }
        benchmark.stopMeasurement()
        blackHole(tcp)
    }

    // Application-layer decoders on real PDUs: a DNP3 response with 100 analog inputs and a CROB
    // operate; an S7 WRITE_VAR job and a READ_SZL identity response. Zero mallocs required.
    let dnp3Response: [UInt8] = [0xC1, 0x81, 0x00, 0x00, 30, 1, 0x00, 0, 99] + (0..<100).flatMap { i -> [UInt8] in [0x01, UInt8(i), 0x03, 0, 0] }
    let dnp3Operate: [UInt8] = [0xC5, 0x05, 12, 1, 0x28, 1, 0, 7, 0, 0x41, 1, 0xF4, 1, 0, 0, 0, 0, 0, 0, 0]
    let s7Write: [UInt8] = [0x32, 0x01, 0, 0, 0, 7, 0, 14, 0, 12, 0x05, 1, 0x12, 0x0A, 0x10, 0x02, 0, 8, 0, 1, 0x84, 0, 0, 0x80,
                            0x00, 0x04, 0, 64, 1, 2, 3, 4, 5, 6, 7, 8]
    Benchmark("DNP3 + S7comm application decoders",
              configuration: .init(thresholds: [.mallocCountTotal: .init(absolute: [.p100: 0])])) { benchmark in
        var objects = 0
        benchmark.startMeasurement()
        for _ in 0..<100 {
            dnp3Response.withUnsafeBytes { objects += DNP3Application.parse($0.bytes).objectCount }
            dnp3Operate.withUnsafeBytes { objects += DNP3Application.parse($0.bytes).pointCount }
            s7Write.withUnsafeBytes { objects += Int(S7Comm.parse($0.bytes).itemCount) }
        }
        benchmark.stopMeasurement()
        blackHole(objects)
    }

    // The protocols of #14 on typical PDUs: an IEC 104 I-frame with 2 floats in sequence, a BACnet
    // ReadProperty-ACK carrying a string, an EtherNet/IP SendRRData Multiple Service Packet with two
    // services. Zero mallocs required.
    let iec104Floats: [UInt8] = [0x68, 0x16, 0x00, 0x00, 0x00, 0x00, 0x0D, 0x82, 0x03, 0x00, 0x01, 0x00, 0x64, 0x00, 0x00,
                                 0x00, 0x00, 0x48, 0x41, 0x00, 0x00, 0x00, 0x80, 0xBF, 0x00]
    let bacnetAck: [UInt8] = [0x81, 0x0A, 0x00, 0x1A, 0x01, 0x00, 0x30, 0x01, 0x0C, 0x0C, 0x02, 0x00, 0x04, 0xD2, 0x19, 0x46,
                              0x3E, 0x75, 0x06, 0x00, 0x54, 0x6F, 0x77, 0x65, 0x72, 0x3F]
    let enipMultiple: [UInt8] = {
        let cip: [UInt8] = [0x0A, 0x02, 0x20, 0x02, 0x24, 0x01, 0x02, 0x00, 0x06, 0x00, 0x0E, 0x00,
                            0x0E, 0x03, 0x20, 0x01, 0x24, 0x01, 0x30, 0x01, 0x4C, 0x04, 0x91, 0x05, 0x53, 0x70, 0x65, 0x65, 0x64, 0x00]
        let data: [UInt8] = [0, 0, 0, 0, 0x0A, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xB2, 0x00, UInt8(cip.count), 0x00] + cip
        return [0x6F, 0x00, UInt8(data.count), 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] + data
    }()
    Benchmark("IEC 104 + BACnet + EtherNet/IP decoders",
              configuration: .init(thresholds: [.mallocCountTotal: .init(absolute: [.p100: 0])])) { benchmark in
        var seen = 0
        benchmark.startMeasurement()
        for _ in 0..<100 {
            iec104Floats.withUnsafeBytes { seen += IEC104.parse($0.bytes).asdu?.keptObjectCount ?? 0 }
            bacnetAck.withUnsafeBytes { seen += Int(BACnet.parse($0.bytes).propertyID ?? 0) }
            enipMultiple.withUnsafeBytes { seen += ENIP.parse($0.bytes).cip?.embeddedCount ?? 0 }
        }
        benchmark.stopMeasurement()
        blackHole(seen)
    }

    // IT/IoT parsers on real messages: a DNS response with a compressed answer and EDNS, an HTTP
    // request head with Basic credentials, an MQTT 5 PUBLISH with properties. Zero mallocs required:
    // text is made from these only when an event is written.
    let dnsResponse: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 1, 3, 0x70, 0x6C, 0x63, 7, 0x65, 0x78, 0x61, 0x6D, 0x70, 0x6C,
                                0x65, 0, 0, 1, 0, 1, 0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1,
                                0, 0, 41, 0x10, 0, 0, 0, 0x80, 0, 0, 0]
    let httpHead = Array("GET /config HTTP/1.1\r\nHost: hmi.plant.local\r\nUser-Agent: curl/8.0\r\nAuthorization: Basic YWRtaW46eA==\r\n\r\n".utf8)
    let mqttPublish: [UInt8] = [0x32, 0x0F, 0, 3, 0x61, 0x2F, 0x62, 0, 7, 5, 1, 1, 0x23, 0, 1, 0x68, 0x69]
    Benchmark("DNS + HTTP + MQTT parsers",
              configuration: .init(thresholds: [.mallocCountTotal: .init(absolute: [.p100: 0])])) { benchmark in
        var seen = 0
        benchmark.startMeasurement()
        for _ in 0..<100 {
            dnsResponse.withUnsafeBytes { seen += DNS.parse($0.bytes).recordsParsed }
            httpHead.withUnsafeBytes { raw in
                if case .success(let head) = HTTP.parseHead(raw.bytes) { seen += head.headerCount }
            }
            mqttPublish.withUnsafeBytes { seen += MQTT.parse($0.bytes, level: 5).propertyCount }
        }
        benchmark.stopMeasurement()
        blackHole(seen)
    }

    Benchmark("PacketProcessor (sample capture, events dropped)") { benchmark in
        let sink = DroppingSink()
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: sink)
        benchmark.startMeasurement()
        feed(processor)
        benchmark.stopMeasurement()
        blackHole(sink.events)
    }

    Benchmark("PacketProcessor + EVE rendering (sample capture)") { benchmark in
        let sink = RenderingSink()
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: sink)
        benchmark.startMeasurement()
        feed(processor)
        benchmark.stopMeasurement()
        blackHole(sink.buffer.count)
    }

    // The daemon's output path: every event rendered once and fanned out to two EVE files
    // (/dev/null, one taking alerts alone) and a syslog spool on disk (no receiver).
    Benchmark("PacketProcessor + EveWriter: two files and a syslog spool (sample capture)") { benchmark in
        let directory = "/tmp/spanwatch-bench-spool-\(getpid())"
        defer {
            if let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) {
                for entry in entries { unlink(directory + "/" + entry) }
            }
            rmdir(directory)
        }
        guard let spool = try? Spool(directory: directory, maximumBytes: 256 << 20) else { return }
        let writer = EveWriter(formatter: EveFormatter(sensorName: "bench"), eventTypes: ProtocolRegistry.standard.eventTypes)
        try? writer.addOutput(path: "/dev/null")
        try? writer.addOutput(path: "/dev/null", types: ["alert"])
        writer.addSyslogOutput(name: "syslog:bench:601", encoder: SyslogEncoder(hostname: "bench"), spool: spool)
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: writer)
        benchmark.startMeasurement()
        feed(processor)
        writer.flush()
        benchmark.stopMeasurement()
        blackHole(spool.pendingBytes)
    }

    /// The engine with the policy layer in front of a dropping sink, optionally monitoring with a baseline.
    func measurePolicy(_ benchmark: Benchmark, baseline: Baseline?) {
        let sink = DroppingSink()
        let engine = PolicyEngine(policy: ZonePolicy(), downstream: sink)
        if let baseline { engine.monitor(with: baseline) }
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: engine)
        processor.observer = engine
        benchmark.startMeasurement()
        feed(processor)
        benchmark.stopMeasurement()
        blackHole(sink.events)
    }

    Benchmark("PacketProcessor + policy, no baseline (sample capture)") { benchmark in
        measurePolicy(benchmark, baseline: nil)
    }

    // The policy layer with a baseline learned from the same capture: every flow's edge and every
    // operation is checked (and found). Allocations stay per flow: nothing per packet or PDU.
    Benchmark("PacketProcessor + policy + learned baseline (sample capture)") { benchmark in
        let learner = PolicyEngine(policy: ZonePolicy(), downstream: DroppingSink())
        learner.startLearning()
        let learning = PacketProcessor(configuration: EngineConfiguration(), sink: learner)
        learning.observer = learner
        feed(learning)
        measurePolicy(benchmark, baseline: learner.finishLearning()!)
    }
}
