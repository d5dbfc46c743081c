import Foundation
import SpanwatchApp
import SpanwatchFlow
import SpanwatchProtocols
import Testing

/// The documentation table of protocols is derived from the registry, never written by hand.
@Suite struct ProtocolCatalogTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func docsProtocolsIsTheRegistrysTable() throws {
        let committed = try String(contentsOf: Self.repositoryRoot.appendingPathComponent("docs/PROTOCOLS.md"), encoding: .utf8)
        #expect(committed == ProtocolCatalog.markdown(), "regenerate with: spanwatch protocols > docs/PROTOCOLS.md")
    }

    @Test func everyRegisteredProtocolHasARow() {
        let table = ProtocolCatalog.markdown()
        for name in ProtocolRegistry.standard.names { #expect(table.contains("\n| \(name) |"), "\(name)") }
    }
}
