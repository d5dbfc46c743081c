import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// Modbus/TCP over one flow: frames ADUs in both directions, pairs requests with responses
/// by transaction id, and emits one `modbus` event per transaction.
public final class ModbusSession: AppSession {
    struct Pending {
        var transactionId: UInt16
        var pdu: ModbusPDU
        var time: Timestamp
    }

    var toServer = StreamFramingDriver<ModbusTCP>()
    var toClient = StreamFramingDriver<ModbusTCP>()
    /// Unanswered requests, oldest first (bounded by `limits.modbus_pending_requests`).
    var pending: PendingRequests<Pending>
    var transactionIndex: UInt64 = 0
    public private(set) var requests = 0
    public private(set) var responses = 0
    public private(set) var unmatchedResponses = 0
    public var evictedRequests: Int { pending.evicted }

    public init(limits: SessionLimits) {
        pending = PendingRequests(capacity: limits[ModbusProtocol.pendingRequests])
    }

    public var heapBytes: Int {
        toServer.heapBytes + toClient.heapBytes + pending.heapBytes
    }

    public func receive(_ bytes: RawSpan, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        // Closures passed straight to `feed` stay non-escaping: no context is allocated.
        let segmentLength = bytes.byteCount
        if direction == .toServer {
            toServer.feed(bytes, onFrame: { handleRequest($0, flow: flow, emitter: emitter) },
                          onInvalid: { invalid($0, segmentLength: segmentLength, direction: .toServer, flow: flow, emitter: emitter) })
        } else {
            toClient.feed(bytes, onFrame: { handleResponse($0, flow: flow, emitter: emitter) },
                          onInvalid: { invalid($0, segmentLength: segmentLength, direction: .toClient, flow: flow, emitter: emitter) })
        }
    }

    private func invalid(_ anomaly: String, segmentLength: Int, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        var event = AnomalyEvent(kind: .applayer, event: anomaly, layer: "modbus")
        event.length = segmentLength
        emitter.emitAnomaly(event, flow: flow, direction: direction)
    }

    public func gap(direction: StreamDirection) {
        if direction == .toServer { toServer.gap() } else { toClient.gap() }
    }

    public func finish(flow: Flow, emitter: AppEventEmitter) {
        // Unanswered requests, oldest first.
        for entry in pending.drain() {
            emitTransaction(request: entry.pdu, response: nil, identification: nil, latency: nil, flow: flow, emitter: emitter)
        }
    }

    private func handleRequest(_ adu: RawSpan, flow: Flow, emitter: AppEventEmitter) {
        let pdu = ModbusTCP.parse(adu, direction: .request)
        requests += 1
        reportAnomalies(pdu.anomalies, flow: flow, direction: .toServer, emitter: emitter)
        if let previous = takePending(pdu.transactionId) {
            // Transaction id reused before its answer: the old request stays unanswered.
            emitTransaction(request: previous.pdu, response: nil, identification: nil, latency: nil, flow: flow, emitter: emitter)
        }
        if let oldest = pending.append(Pending(transactionId: pdu.transactionId, pdu: pdu, time: flow.lastTime)) {
            var event = AnomalyEvent(kind: .applayer, event: "modbus.request_flood", layer: "modbus")
            event.length = pending.capacity
            emitter.emitAnomaly(event, flow: flow, direction: .toServer)
            emitTransaction(request: oldest.pdu, response: nil, identification: nil, latency: nil, flow: flow, emitter: emitter)
        }
    }

    private func handleResponse(_ adu: RawSpan, flow: Flow, emitter: AppEventEmitter) {
        let pdu = ModbusTCP.parse(adu, direction: .response)
        responses += 1
        reportAnomalies(pdu.anomalies, flow: flow, direction: .toClient, emitter: emitter)
        let identification = pdu.function == .encapsulatedInterfaceTransport && !pdu.isException
            ? ModbusDeviceIdentification(responseADU: adu) : nil
        if let request = takePending(pdu.transactionId) {
            var response = pdu
            // Responses to writes of many values echo only address and quantity: keep the request's.
            if !response.hasAddress && request.pdu.hasAddress && !response.isException {
                response.address = request.pdu.address
                response.quantity = request.pdu.quantity
                response.hasAddress = true
                response.hasQuantity = request.pdu.hasQuantity
            }
            if request.pdu.function != pdu.function {
                let event = AnomalyEvent(kind: .applayer, event: "modbus.response_function_mismatch", layer: "modbus")
                emitter.emitAnomaly(event, flow: flow, direction: .toClient)
            }
            emitTransaction(request: request.pdu, response: response, identification: identification,
                            latency: flow.lastTime - request.time, flow: flow, emitter: emitter)
        } else {
            unmatchedResponses += 1
            // A capture that starts mid-session shows answers to requests sent before it began:
            // that is not the device's fault, so only a response after the first request counts.
            if !(flow.midstream && requests == 0) {
                let event = AnomalyEvent(kind: .applayer, event: "modbus.unsolicited_response", layer: "modbus")
                emitter.emitAnomaly(event, flow: flow, direction: .toClient)
            }
            emitTransaction(request: nil, response: pdu, identification: identification, latency: nil, flow: flow, emitter: emitter)
        }
    }

    /// Removes and returns the pending request with this transaction id (order is kept).
    private func takePending(_ transactionId: UInt16) -> Pending? {
        pending.take { $0.transactionId == transactionId }
    }

    private func reportAnomalies(_ anomalies: ModbusAnomalies, flow: Flow, direction: StreamDirection, emitter: AppEventEmitter) {
        guard !anomalies.isEmpty else { return }
        for name in anomalies.eventNames {
            emitter.emitAnomaly(AnomalyEvent(kind: .applayer, event: name, layer: "modbus"), flow: flow, direction: direction)
        }
    }

    private func emitTransaction(request: ModbusPDU?, response: ModbusPDU?, identification: ModbusDeviceIdentification?,
                                 latency: Int64?, flow: Flow, emitter: AppEventEmitter) {
        guard emitter.wants(ModbusTransaction.eventType) else {
            transactionIndex += 1
            return
        }
        var transaction = ModbusTransaction(request: request, response: response, deviceIdentification: identification)
        transaction.transactionIndex = transactionIndex
        transaction.latency = latency
        transactionIndex += 1
        emitter.emitApp(transaction, flow: flow, direction: response != nil ? .toClient : .toServer)
    }
}
