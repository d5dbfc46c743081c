import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// A COTP connection-management TPDU (CR, CC, DR, DC, ER) as an event: the TSAPs of a connection
/// request tell an engineering station (PG) from an HMI (OP).
public struct COTPEvent: Sendable {
    public var header: COTP.Header
}

/// One S7 PDU (S7comm, or an S7comm-plus summary) as an event.
public struct S7Event: Sendable {
    public enum Payload: Sendable {
        case s7comm(S7PDU)
        case s7commPlus(S7CommPlus.Summary)
    }

    public var payload: Payload
    /// COTP DT TPDUs the PDU was reassembled from.
    public var segments: Int
    /// For an ack or ack-data: the function of the job with the same PDU reference, if seen.
    public var jobFunction: UInt8?
    public var latency: Int64?
}

/// TPKT/COTP/S7 over one TCP flow (port 102): frames TPKTs, reassembles COTP DT TPDUs up to their
/// end-of-transmission bit (bounded), and emits `cotp` and `s7comm` events.
public final class S7Session: AppSession {
    struct Reassembly {
        var buffer: [UInt8] = []
        var segments = 0
    }

    struct PendingJob {
        var reference: UInt16
        var function: UInt8
        var time: Timestamp
    }

    let maximumPDUBytes: Int
    var toServer = StreamFramingDriver<TPKT>()
    var toClient = StreamFramingDriver<TPKT>()
    var toServerReassembly = Reassembly()
    var toClientReassembly = Reassembly()
    var pending: [PendingJob] = []
    public private(set) var pdus = 0

    public init(limits: SessionLimits) {
        maximumPDUBytes = limits[S7commProtocol.pduBytes]
    }

    public var heapBytes: Int {
        toServer.heapBytes + toClient.heapBytes + toServerReassembly.buffer.capacity + toClientReassembly.buffer.capacity
            + pending.capacity * MemoryLayout<PendingJob>.stride
    }

    public func receive(_ bytes: RawSpan, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        if direction == .toServer {
            toServer.feed(bytes, onFrame: { handleTPKT($0, direction: .toServer, flow: flow, emitter: emitter) },
                          onInvalid: { invalid($0, direction: .toServer, flow: flow, emitter: emitter) })
        } else {
            toClient.feed(bytes, onFrame: { handleTPKT($0, direction: .toClient, flow: flow, emitter: emitter) },
                          onInvalid: { invalid($0, direction: .toClient, flow: flow, emitter: emitter) })
        }
    }

    public func gap(direction: StreamDirection) {
        if direction == .toServer {
            toServer.gap()
            toServerReassembly.buffer.removeAll(keepingCapacity: true)
        } else {
            toClient.gap()
            toClientReassembly.buffer.removeAll(keepingCapacity: true)
        }
    }

    public func finish(flow: Flow, emitter: AppEventEmitter) {
        pending.removeAll()
    }

    private func invalid(_ anomaly: String, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        let layer = anomaly.hasPrefix("tpkt") ? "tpkt" : anomaly.hasPrefix("cotp") ? "cotp" : "s7comm"
        emitter.emitAnomaly(AnomalyEvent(kind: .applayer, event: anomaly, layer: layer), flow: flow, direction: direction)
    }

    private func handleTPKT(_ frame: RawSpan, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        let tpdu = frame.extracting(TPKT.headerLength..<frame.byteCount)
        let header: COTP.Header
        switch COTP.parse(tpdu) {
        case .success(let parsed): header = parsed
        case .failure(let error):
            invalid(error.rawValue, direction: direction, flow: flow, emitter: emitter)
            return
        }
        guard header.type == .data else {
            switch header.type {
            case .connectionRequest, .connectionConfirm, .disconnectRequest, .disconnectConfirm, .error:
                if emitter.wants(COTPEvent.eventType) { emitter.emitApp(COTPEvent(header: header), flow: flow, direction: direction) }
            default:
                break
            }
            return
        }
        let payload = tpdu.extracting(header.headerLength..<tpdu.byteCount)
        var state = direction == .toServer ? toServerReassembly : toClientReassembly
        defer { if direction == .toServer { toServerReassembly = state } else { toClientReassembly = state } }
        if header.endOfTransmission && state.buffer.isEmpty {
            emitPDU(payload, segments: 1, direction: direction, flow: flow, emitter: emitter)
            return
        }
        guard state.buffer.count + payload.byteCount <= maximumPDUBytes else {
            invalid("cotp.reassembly_too_long", direction: direction, flow: flow, emitter: emitter)
            state.buffer.removeAll(keepingCapacity: true)
            state.segments = 0
            return
        }
        state.buffer.appendBytes(of: payload)
        state.segments += 1
        if header.endOfTransmission {
            let segments = state.segments
            state.buffer.withUnsafeBytes { emitPDU($0.bytes, segments: segments, direction: direction, flow: flow, emitter: emitter) }
            state.buffer.removeAll(keepingCapacity: true)
            state.segments = 0
        }
    }

    private func emitPDU(_ payload: RawSpan, segments: Int, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        guard payload.byteCount > 0 else { return }
        pdus += 1
        if S7CommPlus.looksLikeS7CommPlus(payload) {
            guard emitter.wants(S7Event.eventType) else { return }
            let event = S7Event(payload: .s7commPlus(S7CommPlus.parse(payload)), segments: segments)
            emitter.emitApp(event, flow: flow, direction: direction)
            return
        }
        guard payload.u8(0) == S7Comm.protocolID else {
            invalid("s7comm.unknown_protocol_id", direction: direction, flow: flow, emitter: emitter)
            return
        }
        let pdu = S7Comm.parse(payload)
        for name in pdu.anomalies.eventNames { invalid(name, direction: direction, flow: flow, emitter: emitter) }
        var jobFunction: UInt8? = nil
        var latency: Int64? = nil
        switch pdu.rosctr {
        case 1:
            if pending.count >= 16 { pending.removeFirst() }
            if pending.capacity == 0 { pending.reserveCapacity(16) }
            pending.append(PendingJob(reference: pdu.pduReference, function: pdu.function, time: flow.lastTime))
        case 2, 3:
            if let index = pending.firstIndex(where: { $0.reference == pdu.pduReference }) {
                let job = pending.remove(at: index)
                jobFunction = job.function
                latency = flow.lastTime - job.time
            }
        default:
            break
        }
        guard emitter.wants(S7Event.eventType) else { return }
        let event = S7Event(payload: .s7comm(pdu), segments: segments, jobFunction: jobFunction, latency: latency)
        emitter.emitApp(event, flow: flow, direction: direction)
    }
}
