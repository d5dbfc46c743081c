import SpanwatchProtocols
import SpanwatchWire
import Testing

func parseBACnet(_ bytes: [UInt8]) -> BACnetMessage {
    bytes.withUnsafeBytes { BACnet.parse($0.bytes) }
}

@Suite struct BACnetTests {
    // Original-Unicast-NPDU (0x0A), 17 bytes; NPDU version 1, control 0x04 (expecting reply);
    // Confirmed-Request, max APDU 1476 (0x05), invoke id 1, read-property (12):
    // object analog-input 0 (context 0: 0C 00 00 00 00), property present-value (context 1: 19 55).
    static let readProperty: [UInt8] = [0x81, 0x0A, 0x00, 0x11, 0x01, 0x04,
                                        0x00, 0x05, 0x01, 0x0C, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x19, 0x55]

    @Test func readPropertyRequest() throws {
        let message = parseBACnet(Self.readProperty)
        #expect(message.anomalies.isEmpty && message.function == 0x0A && message.bvlcLength == 17)
        #expect(message.hasNPDU && message.npduControl == 0x04 && message.hasAPDU && message.apduType == 0)
        #expect(message.invokeID == 1 && message.service == 12 && !message.segmented && message.isRequest)
        #expect(message.object == BACnetObject(type: 0, instance: 0) && message.propertyID == 85)
        #expect(BACnetNames.confirmedService(12)?.description == "read-property" && BACnetNames.property(85)?.description == "present-value")
    }

    @Test func readPropertyAckCarriesItsValue() {
        // ComplexACK (0x30), invoke 1, read-property; device 1234 (context 0: 0C 02 00 04 D2),
        // model-name (19 46), opening tag 3 (3E), a character string of 6 bytes (75 06: the length
        // follows) in UTF-8 (00) "Tower", closing tag 3 (3F). 26 bytes in all.
        let message = parseBACnet([0x81, 0x0A, 0x00, 0x1A, 0x01, 0x00,
                                   0x30, 0x01, 0x0C, 0x0C, 0x02, 0x00, 0x04, 0xD2, 0x19, 0x46,
                                   0x3E, 0x75, 0x06, 0x00, 0x54, 0x6F, 0x77, 0x65, 0x72, 0x3F])
        #expect(message.anomalies.isEmpty && message.apduType == 3 && message.invokeID == 1 && message.service == 12)
        #expect(message.object == BACnetObject(type: 8, instance: 1234) && message.propertyID == 70)
        if case .text(let text)? = message.value { #expect(String(decoding: text.array, as: UTF8.self) == "Tower") } else { Issue.record("no value") }
    }

    @Test func iAmIdentity() {
        // Original-Broadcast-NPDU, 24 bytes; NPDU to every network (DNET 0xFFFF, hop count 255);
        // Unconfirmed-Request (0x10) i-am (0): device 260001 (C4 02 03 F7 A1), max APDU 1476
        // (22 05 C4), segmentation both (91 00), vendor 15 (21 0F).
        let message = parseBACnet([0x81, 0x0B, 0x00, 0x18, 0x01, 0x20, 0xFF, 0xFF, 0x00, 0xFF,
                                   0x10, 0x00, 0xC4, 0x02, 0x03, 0xF7, 0xA1, 0x22, 0x05, 0xC4, 0x91, 0x00, 0x21, 0x0F])
        #expect(message.anomalies.isEmpty && message.destinationNetwork == 0xFFFF && message.apduType == 1 && message.service == 0)
        #expect(message.object == BACnetObject(type: 8, instance: 260001) && message.maximumAPDU == 1476 && message.vendorID == 15)
    }

    @Test func errorRejectAndAbort() {
        // Error (0x50), invoke 2, read-property, class object (91 01), code unknown-object (91 1F).
        let error = parseBACnet([0x81, 0x0A, 0x00, 0x0D, 0x01, 0x00, 0x50, 0x02, 0x0C, 0x91, 0x01, 0x91, 0x1F])
        #expect(error.apduType == 5 && error.service == 12 && error.errorClass == 1 && error.errorCode == 31)
        let reject = parseBACnet([0x81, 0x0A, 0x00, 0x09, 0x01, 0x00, 0x60, 0x03, 0x09])
        #expect(reject.apduType == 6 && reject.invokeID == 3 && reject.reason == 9 && reject.service == nil)
        let abort = parseBACnet([0x81, 0x0A, 0x00, 0x09, 0x01, 0x00, 0x71, 0x04, 0x04])
        #expect(abort.apduType == 7 && abort.reason == 4)
    }

    @Test func malformedMessagesAreNamed() {
        #expect(parseBACnet([0x82, 0x0A, 0x00, 0x04]).anomalies.contains(.invalidBVLC))
        #expect(parseBACnet(Self.readProperty + [0x00]).anomalies.contains(.lengthMismatch))
        #expect(parseBACnet(Array(Self.readProperty[0..<8])).anomalies.contains(.truncated))
        #expect(parseBACnet([0x81, 0x0A, 0x00, 0x06, 0x02, 0x00]).anomalies.contains(.invalidNPDU))
        for length in 0..<Self.readProperty.count { _ = parseBACnet(Array(Self.readProperty[0..<length])) }  // never traps
    }

    @Test func detection() {
        func probe(_ bytes: [UInt8], onPort: Bool) -> ProbeVerdict { bytes.withUnsafeBytes { BACnet.probe($0.bytes, onPort: onPort) } }
        #expect(probe(Self.readProperty, onPort: false) == .match)
        var badVersion = Self.readProperty
        badVersion[4] = 0x10
        #expect(probe(badVersion, onPort: false) == .no && probe(badVersion, onPort: true) == .match)
        #expect(probe([0x81, 0x0D, 0x00, 0x04], onPort: true) == .no)  // no such BVLC function
        #expect(probe([0x45, 0x00, 0x00, 0x1C], onPort: false) == .no)
    }
}
