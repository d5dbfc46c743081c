import SpanwatchFlow
import SpanwatchProtocols

/// The operations a protocol event shows, in the baseline's terms (each protocol's vocabulary,
/// in its folder): learning inserts them into the edge, monitoring asks the edge whether it
/// allows them; both read them from `ProtocolEvent.visitOperations`, so they cannot disagree.
public typealias ObservedOperation = ProtocolOperation

extension ProtocolOperation {
    /// Parses `keyText` back (`baseline approve`), with the standard protocols' vocabularies.
    public static func parse(_ text: Substring) -> ProtocolOperation? {
        parse(text, vocabularies: ProtocolRegistry.standard.vocabularies)
    }
}

extension ProtocolRegistry {
    public var vocabularies: [OperationVocabulary] { protocols.map { $0.vocabulary } }
}

extension BaselineEdge {
    /// Adds an observed operation (learning, or `baseline approve`). Fields with a capacity stop
    /// growing there (the edge then allows any value of the field).
    public mutating func insert(_ operation: ProtocolOperation) {
        let field = operation.field
        switch field.kind {
        case .set:
            if let capacity = field.capacity, (fields[field]?.values.count ?? 0) >= capacity { return }
            fields[field, default: OperationSet()].values.insert(operation.value)
        case .ranges:
            guard let range = operation.range, case .text(let table) = operation.value else { return }
            fields[field, default: OperationSet()].tables[table, default: AddressRanges()].insert(range)
        }
    }

    /// Whether the edge allows an operation. An edge with nothing listed in its protocol's
    /// restricting fields allows any operation of it (an edge approved from a new_flow alert,
    /// before anyone restricts it); once something is listed, every set field of that protocol
    /// constrains. Write ranges constrain the tables they are listed for; reads never alert.
    public func allows(_ operation: ProtocolOperation) -> Bool {
        let field = operation.field
        switch field.kind {
        case .ranges(let isWrite):
            guard isWrite, let range = operation.range, case .text(let table) = operation.value else { return true }
            return fields[field]?.tables[table].map { $0.isEmpty || $0.covers(range) } ?? true
        case .set:
            guard restricts(field.protocolName) else { return true }
            guard let values = fields[field]?.values else { return false }
            if values.contains(operation.value) { return true }
            if let capacity = field.capacity { return values.count >= capacity }
            return false
        }
    }
}
