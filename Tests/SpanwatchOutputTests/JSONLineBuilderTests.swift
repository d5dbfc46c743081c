import SpanwatchProtocols
import Foundation
import SpanwatchOutput
import SpanwatchWire
import Testing

@Suite struct JSONLineBuilderTests {
    func line(_ build: (inout JSONLineBuilder) -> Void) -> String {
        var builder = JSONLineBuilder()
        build(&builder)
        return String(decoding: builder.bytes, as: UTF8.self)
    }

    @Test func fixedOrderNestedObjectsAndArrays() {
        let text = line { b in
            b.beginObject()
            b.field("a", 1)
            b.beginObject("o")
            b.field("t", true)
            b.endObject()
            b.beginArray("v")
            b.element(UInt16(7)); b.element(UInt16(8))
            b.endArray()
            b.field("n", -42)
            b.endObject()
            b.newline()
        }
        #expect(text == "{\"a\":1,\"o\":{\"t\":true},\"v\":[7,8],\"n\":-42}\n")
    }

    @Test func escapingAndControlCharacters() {
        let text = line { b in
            b.beginObject(); b.field("s", "q\"b\\n\n\t\r\u{01}\u{7F}/é"); b.endObject()
        }
        #expect(text == "{\"s\":\"q\\\"b\\\\n\\n\\t\\r\\u0001\\u007f/é\"}")
        let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
        #expect(parsed?["s"] == "q\"b\\n\n\t\r\u{01}\u{7F}/é")
    }

    @Test func invalidUTF8FromTheWireIsReplacedNeverPassedThrough() {
        let text = line { b in
            b.beginObject(); b.field("topic", bytes: [0x61, 0xFF, 0xC3, 0x28, 0x62]); b.endObject()
        }
        #expect(String(validating: Array(text.utf8), as: UTF8.self) != nil)
        #expect(text == "{\"topic\":\"a\u{FFFD}\u{FFFD}(b\"}")
    }

    @Test func extremeIntegers() {
        let text = line { b in
            b.beginObject(); b.field("max", UInt64.max); b.field("min", Int64.min); b.field("zero", 0); b.endObject()
        }
        #expect(text == "{\"max\":18446744073709551615,\"min\":-9223372036854775808,\"zero\":0}")
    }

    @Test func eveTimestamps() {
        #expect(EveTimestamp.format(microseconds: 0) == "1970-01-01T00:00:00.000000+0000")
        #expect(EveTimestamp.format(microseconds: 1_767_261_600_007_999) == "2026-01-01T10:00:00.007999+0000")
        #expect(EveTimestamp.format(microseconds: 951_782_400_000_001) == "2000-02-29T00:00:00.000001+0000")
        #expect(EveTimestamp.format(microseconds: -1) == "1969-12-31T23:59:59.999999+0000")
    }
}

@Suite struct JSONLineBuilderDirectFieldTests {
    @Test func addressesTimestampsAndIdsWrittenWithoutStrings() {
        let builder = JSONLineBuilder(capacity: 16)  // far too small: must grow
        builder.beginObject()
        builder.field("v4", ip: IPAddress(ipv4: 0xC0A8_0A01))
        builder.field("v6", ip: IPAddress("2001:db8::1")!)
        builder.field("mapped", ip: IPAddress("::ffff:10.0.0.1")!)
        builder.field("mac", mac: MACAddress(raw: 0x000C_29AB_CDEF))
        builder.field("t", timestamp: 1_767_261_600_007_999)
        builder.field("flags", hexByte: 0x1B)
        builder.field("id", "sensor\"1", colon: 42)
        builder.field("ratio", decimal: 2.5, places: 3)
        builder.endObject()
        builder.newline()
        let text = String(decoding: builder.bytes, as: UTF8.self)
        #expect(text == #"{"v4":"192.168.10.1","v6":"2001:db8::1","mapped":"::ffff:10.0.0.1","mac":"00:0c:29:ab:cd:ef","t":"2026-01-01T10:00:00.007999+0000","flags":"1b","id":"sensor\"1:42","ratio":2.500}"# + "\n")
    }

    @Test func linesAccumulateAndRemoveAllStartsOver() {
        let builder = JSONLineBuilder(capacity: 64)
        for i in 0..<100 {
            builder.beginObject(); builder.field("i", i); builder.beginArray("a"); builder.element(UInt8(1)); builder.endArray(); builder.endObject(); builder.newline()
        }
        let lines = String(decoding: builder.bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 100)
        #expect(lines[99] == #"{"i":99,"a":[1]}"#)
        builder.removeAll()
        #expect(builder.count == 0)
    }
}
