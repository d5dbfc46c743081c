import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// One APDU as an event (CONTRACT: one `iec104` event per APCI), with the latency of a
/// confirmation to the activation it answers.
public struct IEC104Event: Sendable {
    public var apdu: IEC104APDU
    /// Which side sent it.
    public var direction: StreamDirection
    /// For an activation confirmation or termination: time since the activation it answers.
    public var latency: Int64? = nil
}

/// IEC 60870-5-104 over one TCP flow: APDUs framed in both directions, send sequence numbers
/// followed per direction (a gap or a step back is an anomaly), STARTDT/STOPDT followed (data
/// while transfer is stopped is an anomaly), activations paired with their confirmations.
public final class IEC104Session: AppSession {
    struct Activation {
        var typeID: UInt8
        var commonAddress: UInt16
        var address: UInt32
        var time: Timestamp
    }

    // Framers and sequence state apart: a framer calls back into the session while it feeds.
    var toServerFramer = StreamFramingDriver<IEC104>()
    var toClientFramer = StreamFramingDriver<IEC104>()
    /// The N(S) the next I-frame of each direction should carry (nil until one is seen, and after a gap).
    var toServerExpectedSend: UInt16? = nil
    var toClientExpectedSend: UInt16? = nil
    /// Data transfer started (STARTDT con) or stopped (STOPDT con, or a connection seen from its
    /// start); nil while unknown (picked up midstream).
    var transferStarted: Bool? = nil
    var sawFirstBytes = false
    /// Activations waiting for their confirmation; past the limit the oldest is forgotten (counted).
    var pending: PendingRequests<Activation>
    public private(set) var apdus = 0
    public var forgottenActivations: Int { pending.evicted }
    public private(set) var skippedBytes = 0

    public init(limits: SessionLimits) {
        pending = PendingRequests(capacity: limits[IEC104Protocol.pendingActivations])
    }

    public var heapBytes: Int {
        toServerFramer.heapBytes + toClientFramer.heapBytes + pending.heapBytes
    }

    public func receive(_ bytes: RawSpan, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        if !sawFirstBytes {
            sawFirstBytes = true
            // A connection seen from its SYN starts with transfer stopped (IEC 60870-5-104 §5.3).
            if !flow.midstream { transferStarted = false }
        }
        if direction == .toServer {
            toServerFramer.feed(bytes, onFrame: { handle($0, direction: .toServer, flow: flow, emitter: emitter) },
                                 onInvalid: { invalid($0, direction: .toServer, flow: flow, emitter: emitter) })
        } else {
            toClientFramer.feed(bytes, onFrame: { handle($0, direction: .toClient, flow: flow, emitter: emitter) },
                                 onInvalid: { invalid($0, direction: .toClient, flow: flow, emitter: emitter) })
        }
    }

    public func gap(direction: StreamDirection) {
        if direction == .toServer {
            toServerFramer.gap()
            toServerExpectedSend = nil
        } else {
            toClientFramer.gap()
            toClientExpectedSend = nil
        }
    }

    public func finish(flow: Flow, emitter: AppEventEmitter) {
        _ = pending.drain()
    }

    private func invalid(_ anomaly: String, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        emitter.emitAnomaly(AnomalyEvent(kind: .applayer, event: anomaly, layer: "iec104"), flow: flow, direction: direction)
    }

    private func handle(_ bytes: RawSpan, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        guard bytes.u8(0) == IEC104.startByte else {
            // Bytes before a start byte: one is a keep-alive's stray byte (normal on Windows
            // peers, skipped quietly); more is something else.
            skippedBytes += bytes.byteCount
            if bytes.byteCount > 1 { invalid("iec104.bytes_before_apdu", direction: direction, flow: flow, emitter: emitter) }
            return
        }
        apdus += 1
        let apdu = IEC104.parse(bytes)
        for name in apdu.anomalies.eventNames { invalid(name, direction: direction, flow: flow, emitter: emitter) }
        var latency: Int64? = nil
        switch apdu.format {
        case .i:
            checkSequence(apdu.sendSequence, direction: direction, flow: flow, emitter: emitter)
            if transferStarted == false { invalid("iec104.data_while_stopped", direction: direction, flow: flow, emitter: emitter) }
            if let asdu = apdu.asdu { latency = pair(asdu, now: flow.lastTime) }
        case .u:
            // Confirmations change the state: STARTDT con (2) starts, STOPDT con (8) stops.
            if apdu.uFunction == 0x02 { transferStarted = true }
            if apdu.uFunction == 0x08 { transferStarted = false }
        case .s:
            break
        }
        guard emitter.wants(IEC104Event.eventType) else { return }
        emitter.emitApp(IEC104Event(apdu: apdu, direction: direction, latency: latency), flow: flow, direction: direction)
    }

    /// N(S) counts I-frames modulo 2^15 per direction.
    private func checkSequence(_ send: UInt16, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        let expected = direction == .toServer ? toServerExpectedSend : toClientExpectedSend
        if let expected, send != expected {
            let ahead = (send &- expected) & 0x7FFF
            invalid(ahead < 0x4000 ? "iec104.sequence_gap" : "iec104.sequence_out_of_order", direction: direction, flow: flow, emitter: emitter)
        }
        let next = (send &+ 1) & 0x7FFF
        if direction == .toServer { toServerExpectedSend = next } else { toClientExpectedSend = next }
    }

    /// Activations (cause 6) wait; a confirmation or termination (7, 10) of the same type, common
    /// address and first object answers the oldest one (returns its latency).
    private func pair(_ asdu: IEC104ASDU, now: Timestamp) -> Int64? {
        if asdu.cause == 6 {
            _ = pending.append(Activation(typeID: asdu.typeID, commonAddress: asdu.commonAddress, address: asdu.firstAddress, time: now))
            return nil
        }
        guard asdu.cause == 7 || asdu.cause == 10 else { return nil }
        // The termination follows the confirmation: the activation is kept for it.
        let activation = pending.take(keep: asdu.cause == 7) {
            $0.typeID == asdu.typeID && $0.commonAddress == asdu.commonAddress && $0.address == asdu.firstAddress
        }
        return activation.map { now - $0.time }
    }
}
