import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// One DNP3 application fragment as an event: the link frame that completed it, the fragment,
/// and, for a response, the request it answers (paired by application sequence number).
public struct DNP3Event: Sendable {
    public enum Kind: String, Sendable {
        case request
        case response
        case unsolicitedResponse = "unsolicited_response"
    }

    public var kind: Kind
    public var link: DNP3LinkHeader
    public var fragment: DNP3Fragment
    /// Link frames (transport segments) the fragment was reassembled from.
    public var segments: Int
    /// For a response: the function of the request with the same sequence number, if seen.
    public var requestFunction: DNP3Function?
    public var latency: Int64?
}

/// DNP3 over one flow (TCP or UDP): link frames with their CRCs, transport reassembly of
/// application fragments (bounded), and one `dnp3` event per fragment.
public final class DNP3Session: AppSession {
    /// Transport-layer reassembly state of one direction.
    struct Reassembly {
        var buffer: [UInt8] = []
        var active = false
        var expectedSequence: UInt8 = 0
        var lastSequence: UInt8 = 0xFF
        var segments = 0
        var source: UInt16 = 0
    }

    struct PendingRequest {
        var sequence: UInt8
        var function: DNP3Function
        var time: Timestamp
    }

    let isDatagram: Bool
    let maximumFragmentBytes: Int
    var toServer = StreamFramingDriver<DNP3Link>()
    var toClient = StreamFramingDriver<DNP3Link>()
    var toServerReassembly = Reassembly()
    var toClientReassembly = Reassembly()
    /// Scratch for one frame's user data with the CRCs taken out (at most 250 bytes).
    var userData: [UInt8] = []
    var pending: [PendingRequest] = []
    public private(set) var linkFrames = 0
    public private(set) var badCRCs = 0
    public private(set) var fragments = 0

    public init(limits: SessionLimits, datagram: Bool) {
        maximumFragmentBytes = limits[DNP3Protocol.fragmentBytes]
        self.isDatagram = datagram
        userData.reserveCapacity(DNP3Link.maximumUserData)
    }

    public var heapBytes: Int {
        toServer.heapBytes + toClient.heapBytes + toServerReassembly.buffer.capacity + toClientReassembly.buffer.capacity
            + userData.capacity + pending.capacity * MemoryLayout<PendingRequest>.stride
    }

    public func receive(_ bytes: RawSpan, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        if isDatagram {
            // Each datagram holds whole link frames; nothing carries over between datagrams.
            var offset = 0
            while offset < bytes.byteCount {
                let rest = bytes.extracting(offset..<bytes.byteCount)
                switch DNP3Link.probeFrame(rest) {
                case .complete(let length):
                    handleLinkFrame(rest.extracting(0..<length), direction: direction, flow: flow, emitter: emitter)
                    offset += length
                case .needMore:
                    invalid("dnp3.truncated_link_frame", direction: direction, flow: flow, emitter: emitter)
                    return
                case .invalid(let anomaly):
                    invalid(anomaly, direction: direction, flow: flow, emitter: emitter)
                    return
                }
            }
            return
        }
        if direction == .toServer {
            toServer.feed(bytes, onFrame: { handleLinkFrame($0, direction: .toServer, flow: flow, emitter: emitter) },
                          onInvalid: { invalid($0, direction: .toServer, flow: flow, emitter: emitter) })
        } else {
            toClient.feed(bytes, onFrame: { handleLinkFrame($0, direction: .toClient, flow: flow, emitter: emitter) },
                          onInvalid: { invalid($0, direction: .toClient, flow: flow, emitter: emitter) })
        }
    }

    public func gap(direction: StreamDirection) {
        if direction == .toServer {
            toServer.gap()
            toServerReassembly.active = false
            toServerReassembly.buffer.removeAll(keepingCapacity: true)
        } else {
            toClient.gap()
            toClientReassembly.active = false
            toClientReassembly.buffer.removeAll(keepingCapacity: true)
        }
    }

    public func finish(flow: Flow, emitter: AppEventEmitter) {
        pending.removeAll()
    }

    private func invalid(_ anomaly: String, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        emitter.emitAnomaly(AnomalyEvent(kind: .applayer, event: anomaly, layer: "dnp3"), flow: flow, direction: direction)
    }

    private func handleLinkFrame(_ frame: RawSpan, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        linkFrames += 1
        let header = DNP3LinkHeader(frame)
        guard header.carriesUserData else {
            // Link-only frames (resets, ACKs, link status) carry no application data; a bad
            // header CRC is still reported.
            if !DNP3Link.headerCRCIsValid(frame) {
                badCRCs += 1
                invalid("dnp3.bad_link_crc", direction: direction, flow: flow, emitter: emitter)
            }
            return
        }
        if DNP3Link.extractUserData(frame, into: &userData) != nil {
            // The frame is not passed up: its data cannot be trusted.
            badCRCs += 1
            invalid("dnp3.bad_link_crc", direction: direction, flow: flow, emitter: emitter)
            return
        }
        let transport = userData[0]
        let fin = transport & 0x80 != 0
        let fir = transport & 0x40 != 0
        let sequence = transport & 0x3F
        var state = direction == .toServer ? toServerReassembly : toClientReassembly
        defer { if direction == .toServer { toServerReassembly = state } else { toClientReassembly = state } }

        if fir {
            if state.active {
                invalid("dnp3.transport_fragment_discarded", direction: direction, flow: flow, emitter: emitter)
            }
            state.buffer.removeAll(keepingCapacity: true)
            state.active = true
            state.segments = 0
            state.source = header.source
        } else {
            guard state.active else {
                // A repeat of the segment just completed is a link retransmission, not an error.
                if sequence != state.lastSequence {
                    invalid("dnp3.transport_out_of_sequence", direction: direction, flow: flow, emitter: emitter)
                }
                return
            }
            if sequence != state.expectedSequence {
                if sequence == state.lastSequence { return }  // duplicate segment
                invalid("dnp3.transport_out_of_sequence", direction: direction, flow: flow, emitter: emitter)
                state.active = false
                state.buffer.removeAll(keepingCapacity: true)
                return
            }
        }
        state.lastSequence = sequence
        state.expectedSequence = (sequence + 1) & 0x3F
        state.segments += 1

        if fir && fin {
            // The common case: a fragment in one link frame, parsed in place.
            state.active = false
            userData.withUnsafeBytes { raw in
                emitFragment(raw.bytes.extracting(1..<raw.count), header: header, segments: 1, direction: direction, flow: flow, emitter: emitter)
            }
            return
        }
        guard state.buffer.count + userData.count - 1 <= maximumFragmentBytes else {
            invalid("dnp3.fragment_too_long", direction: direction, flow: flow, emitter: emitter)
            state.active = false
            state.buffer.removeAll(keepingCapacity: true)
            return
        }
        userData.withUnsafeBytes { raw in state.buffer.appendBytes(of: raw.bytes.extracting(1..<raw.count)) }
        if fin {
            state.active = false
            let segments = state.segments
            state.buffer.withUnsafeBytes { raw in
                emitFragment(raw.bytes, header: header, segments: segments, direction: direction, flow: flow, emitter: emitter)
            }
            state.buffer.removeAll(keepingCapacity: true)
        }
    }

    private func emitFragment(_ bytes: RawSpan, header: DNP3LinkHeader, segments: Int, direction: StreamDirection,
                              flow: Flow, emitter: AppEventEmitter) {
        fragments += 1
        let fragment = DNP3Application.parse(bytes)
        for name in fragment.anomalies.eventNames {
            invalid(name, direction: direction, flow: flow, emitter: emitter)
        }
        var kind = DNP3Event.Kind.request
        var requestFunction: DNP3Function? = nil
        var latency: Int64? = nil
        switch fragment.function.rawValue {
        case 130:
            kind = .unsolicitedResponse
        case 129, 131:
            kind = .response
            if let index = pending.firstIndex(where: { $0.sequence == fragment.sequence }) {
                let request = pending.remove(at: index)
                requestFunction = request.function
                latency = flow.lastTime - request.time
            }
        case 0:
            break  // confirms answer responses; nothing answers them
        default:
            if pending.count >= 16 { pending.removeFirst() }
            if pending.capacity == 0 { pending.reserveCapacity(16) }
            pending.removeAll { $0.sequence == fragment.sequence }
            pending.append(PendingRequest(sequence: fragment.sequence, function: fragment.function, time: flow.lastTime))
        }
        guard emitter.wants(DNP3Event.eventType) else { return }
        let event = DNP3Event(kind: kind, link: header, fragment: fragment, segments: segments, requestFunction: requestFunction,
                              latency: latency)
        emitter.emitApp(event, flow: flow, direction: direction)
    }
}
