/// The baseline's vocabulary of operations, one field at a time, as each protocol defines it in
/// its folder: the baseline engine, the YAML file and `baseline approve` handle every protocol's
/// operations with this one model, so a new protocol needs no baseline code of its own.
///
/// A field is either a set of values (`modbus.function 16`, `mqtt.publish plant/line1`) or a set
/// of address ranges per table (`modbus.write holding_registers 100-109`).

/// One value of a set field: a number (function codes, unit ids, packed link addresses) or a
/// name (topics, S7 function names). Numbers sort as numbers.
public enum OperationValue: Hashable, Sendable, Comparable {
    case number(UInt32)
    case text(String)

    public static func < (a: OperationValue, b: OperationValue) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): x < y
        case (.text(let x), .text(let y)): x < y
        case (.number, .text): true
        case (.text, .number): false
        }
    }

    public var number: UInt32? { if case .number(let value) = self { value } else { nil } }
    public var text: String? { if case .text(let value) = self { value } else { nil } }
}

/// One field of a protocol's operations: its names in keys and in the file, how its values are
/// written and read, and how it constrains an edge.
public final class OperationField: Sendable {
    public enum Kind: Sendable, Equatable {
        /// A set of values, checked by membership (`new_operation`).
        case set
        /// Address ranges per table; writes are checked by coverage (`write_out_of_range`), reads
        /// are kept for the reviewer and never alert.
        case ranges(isWrite: Bool)
    }

    /// How the YAML file lists a set field.
    public enum Layout: Sendable, Equatable {
        /// `functions: [3, 16]`, values plain or quoted.
        case inline(quoted: Bool)
        /// One value per line (topics, host names): adding one is a one-line diff.
        case block
    }

    public let protocolName: String
    /// The field in keys: `modbus.function 16`.
    public let key: String
    /// The field in the file: `functions:` under the edge's `modbus:`.
    public let section: String
    public let kind: Kind
    /// Whether a value listed here makes the edge's protocol restricted (an edge with none of
    /// its protocol's constraining fields listed allows any operation of it).
    public let constrainsEdge: Bool
    /// Values kept at most; past it the edge allows any value of this field (`nil`: no cap).
    public let capacity: Int?
    public let layout: Layout
    let formatValue: @Sendable (OperationValue) -> String
    let parseValue: @Sendable (Substring) -> OperationValue?
    let describeValue: @Sendable (OperationValue, String?, ClosedRange<UInt32>?) -> String
    let commentValues: (@Sendable ([OperationValue]) -> String)?
    let isWriteValue: @Sendable (OperationValue) -> Bool
    /// For range fields: the table names allowed (nil: any), for the file's error message.
    public let tables: [String]?
    /// What the file says when a value cannot be read (`has an unknown DNP3 function '...'`).
    let invalidValueMessage: @Sendable (String) -> String
    /// Set fields of integers: the file lists numbers up to this (unit ids, function codes).
    public let numericLimit: Int?
    /// The order of a range field's tables in key lines (`g2` before `g12`).
    public let tableOrder: @Sendable (String, String) -> Bool

    public init(protocolName: String, key: String, section: String, kind: Kind = .set, constrainsEdge: Bool = true, capacity: Int? = nil,
                layout: Layout = .inline(quoted: false), tables: [String]? = nil, numericLimit: Int? = nil,
                format: @escaping @Sendable (OperationValue) -> String = OperationField.plain,
                parse: @escaping @Sendable (Substring) -> OperationValue? = OperationField.textValue,
                describe: @escaping @Sendable (OperationValue, String?, ClosedRange<UInt32>?) -> String,
                comment: (@Sendable ([OperationValue]) -> String)? = nil,
                isWrite: @escaping @Sendable (OperationValue) -> Bool = { _ in false },
                invalidValue: @escaping @Sendable (String) -> String = { "has an invalid value '\($0)'" },
                tableOrder: @escaping @Sendable (String, String) -> Bool = { $0 < $1 }) {
        self.protocolName = protocolName
        self.key = key
        self.section = section
        self.kind = kind
        self.constrainsEdge = constrainsEdge
        self.capacity = capacity
        self.layout = layout
        self.tables = tables
        formatValue = format
        parseValue = parse
        describeValue = describe
        commentValues = comment
        isWriteValue = isWrite
        invalidValueMessage = invalidValue
        self.tableOrder = tableOrder
        self.numericLimit = numericLimit
    }

    /// The value as keys and the file write it.
    public func format(_ value: OperationValue) -> String { formatValue(value) }
    /// A value from its written form.
    public func parse(_ text: Substring) -> OperationValue? { parseValue(text) }
    /// The comment after an inline list (`# ReadHoldingRegisters, WriteMultipleRegisters`).
    public func comment(_ values: [OperationValue]) -> String { commentValues?(values) ?? "" }
    public func invalidValue(_ text: String) -> String { invalidValueMessage(text) }

    public static let plain: @Sendable (OperationValue) -> String = { value in
        switch value {
        case .number(let number): String(number)
        case .text(let text): text
        }
    }
    public static let textValue: @Sendable (Substring) -> OperationValue? = { .text(String($0)) }
    /// Numbers 0-255 (unit ids, function codes, object groups).
    public static let byteValue: @Sendable (Substring) -> OperationValue? = { text in UInt8(text).map { .number(UInt32($0)) } }
}

extension OperationField: Hashable {
    public static func == (a: OperationField, b: OperationField) -> Bool { a === b }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}

/// One operation a protocol event shows a client using on an edge, in the baseline's terms.
/// Learning inserts them into the edge; monitoring asks the edge whether it allows them.
public struct ProtocolOperation: Sendable, Equatable {
    public let field: OperationField
    /// The value (set fields) or the table (range fields: `holding_registers`, `g12`, `DB1`).
    public var value: OperationValue
    /// The addresses (range fields).
    public var range: ClosedRange<UInt32>?

    public init(_ field: OperationField, _ value: OperationValue) {
        self.field = field
        self.value = value
        range = nil
    }

    public init(_ field: OperationField, table: String, _ range: ClosedRange<UInt32>) {
        self.field = field
        value = .text(table)
        self.range = range
    }

    /// Judged by range (`write_out_of_range`), not membership.
    public var isRangedWrite: Bool { field.kind == .ranges(isWrite: true) }

    /// A write or control function (a first write on an edge is severity 1).
    public var isWrite: Bool { field.isWriteValue(value) }

    /// The baseline key below the edge: `modbus.function 16`, `modbus.write holding_registers 100-109`.
    public var keyText: String {
        let head = "\(field.protocolName).\(field.key) \(field.format(value))"
        guard let range else { return head }
        return head + " " + AddressRanges.text(range)
    }

    /// What a person reads in the alert's signature.
    public var humanText: String { field.describeValue(value, nil, range) }

    /// Parses `keyText` back (for `baseline approve`), with the fields of these protocols.
    public static func parse(_ text: Substring, vocabularies: [OperationVocabulary]) -> ProtocolOperation? {
        guard let space = text.firstIndex(of: " ") else { return nil }
        let name = text[..<space]
        let rest = text[text.index(after: space)...]
        for vocabulary in vocabularies {
            for field in vocabulary.fields where name == "\(field.protocolName).\(field.key)" {
                switch field.kind {
                case .set:
                    return field.parse(rest).map { ProtocolOperation(field, $0) }
                case .ranges:
                    let parts = rest.split(separator: " ")
                    guard parts.count == 2, let range = AddressRanges.parseRange(parts[1]) else { return nil }
                    let table = String(parts[0])
                    if let tables = field.tables, !tables.contains(table) { return nil }
                    guard field.parse(parts[0]) != nil else { return nil }
                    return ProtocolOperation(field, table: table, range)
                }
            }
        }
        return nil
    }

    public static func == (a: ProtocolOperation, b: ProtocolOperation) -> Bool {
        a.field === b.field && a.value == b.value && a.range == b.range
    }
}

/// A protocol's operation fields, in the order its section of the baseline file lists them.
public struct OperationVocabulary: Sendable {
    public let protocolName: String
    public let fields: [OperationField]
    public init(protocolName: String, fields: [OperationField]) {
        self.protocolName = protocolName
        self.fields = fields
    }

    public static func none(_ protocolName: String) -> OperationVocabulary { OperationVocabulary(protocolName: protocolName, fields: []) }
}
