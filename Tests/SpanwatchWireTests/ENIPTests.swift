import SpanwatchProtocols
import SpanwatchWire
import Testing

func parseENIP(_ bytes: [UInt8]) -> ENIPMessage {
    bytes.withUnsafeBytes { ENIP.parse($0.bytes) }
}

/// An encapsulation header (little-endian) for `command` with `data`, session 0x11223344.
func encapsulation(_ command: UInt16, _ data: [UInt8], context: UInt8 = 0x01) -> [UInt8] {
    [UInt8(command & 0xFF), UInt8(command >> 8), UInt8(data.count & 0xFF), UInt8(data.count >> 8),
     0x44, 0x33, 0x22, 0x11, 0, 0, 0, 0, context, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] + data
}

/// SendRRData with one unconnected data item holding `cip`.
func sendRRData(_ cip: [UInt8]) -> [UInt8] {
    encapsulation(0x006F, [0, 0, 0, 0, 0x0A, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
                           0xB2, 0x00, UInt8(cip.count), 0x00] + cip)
}

@Suite struct ENIPTests {
    @Test func framingByTheEncapsulationLength() {
        let message = encapsulation(0x0065, [0x01, 0x00, 0x00, 0x00])
        func frame(_ bytes: [UInt8]) -> FrameProbe { bytes.withUnsafeBytes { ENIP.probeFrame($0.bytes) } }
        #expect(frame(Array(message[0..<10])) == .needMore(totalLength: 24))
        #expect(frame(Array(message[0..<24])) == .needMore(totalLength: 28))
        #expect(frame(message + message) == .complete(length: 28))
    }

    @Test func getAttributeSingleRequestPath() throws {
        // Get_Attribute_Single (0x0E), path 3 words: class 0x01 (20 01), instance 1 (24 01), attribute 7 (30 07).
        let message = parseENIP(sendRRData([0x0E, 0x03, 0x20, 0x01, 0x24, 0x01, 0x30, 0x07]))
        #expect(message.anomalies.isEmpty && message.command == 0x006F && message.session == 0x1122_3344)
        #expect(message.itemTypes.count == 2 && message.itemTypes.types[1] == 0x00B2)
        let cip = try #require(message.cip)
        #expect(cip.service == 0x0E && !cip.isResponse && cip.path.classID == 1 && cip.path.instance == 1 && cip.path.attribute == 7)
    }

    @Test func symbolicTagAndSixteenBitSegments() throws {
        // Write_Tag (0x4D), path 5 words: ANSI symbol "Speed" (91 05 'Speed' pad), then data.
        let write = parseENIP(sendRRData([0x4D, 0x05, 0x91, 0x05, 0x53, 0x70, 0x65, 0x65, 0x64, 0x00, 0xC4, 0x00, 0x01, 0x00, 0x2A, 0, 0, 0]))
        let path = try #require(write.cip).path
        #expect(path.hasSymbol && String(decoding: path.symbol.array, as: UTF8.self) == "Speed" && path.classID == nil)
        // 16-bit class and instance: 21 00 6B 00, 25 00 34 12.
        let wide = try #require(parseENIP(sendRRData([0x4C, 0x04, 0x21, 0x00, 0x6B, 0x00, 0x25, 0x00, 0x34, 0x12])).cip)
        #expect(wide.path.classID == 0x6B && wide.path.instance == 0x1234)
    }

    @Test func replyStatusAndMultipleServicePacket() throws {
        // Reply to Get_Attribute_Single (0x8E), general status 0x14 with one extended word 0x0001.
        let reply = try #require(parseENIP(sendRRData([0x8E, 0x00, 0x14, 0x01, 0x01, 0x00])).cip)
        #expect(reply.isResponse && reply.service == 0x0E && reply.generalStatus == 0x14 && reply.extendedStatus == 1)
        // Multiple Service Packet to the Message Router (20 02 24 01) with two services at offsets 6 and 12:
        // Get_Attribute_Single class 1 inst 1 attr 1, Stop (0x07) class 0x8E? (20 8E 24 01).
        let msp = try #require(parseENIP(sendRRData([0x0A, 0x02, 0x20, 0x02, 0x24, 0x01,
                                                      0x02, 0x00, 0x06, 0x00, 0x0E, 0x00,
                                                      0x0E, 0x03, 0x20, 0x01, 0x24, 0x01, 0x30, 0x01,
                                                      0x07, 0x02, 0x20, 0x8E, 0x24, 0x01])).cip)
        #expect(msp.service == 0x0A && msp.embeddedCount == 2)
        #expect(msp.embedded[0].service == 0x0E && msp.embedded[0].path.attribute == 1)
        #expect(msp.embedded[1].service == 0x07 && msp.embedded[1].path.classID == 0x8E)
    }

    @Test func unconnectedSendCarriesItsRequest() throws {
        // Unconnected Send (0x52) to the Connection Manager (20 06 24 01): ticks, timeout, size 8,
        // then Get_Attributes_All of Identity instance 1 (01 02 20 01 24 01), pad, route path.
        let send = try #require(parseENIP(sendRRData([0x52, 0x02, 0x20, 0x06, 0x24, 0x01, 0x0A, 0xF0, 0x06, 0x00,
                                                       0x01, 0x02, 0x20, 0x01, 0x24, 0x01, 0x01, 0x00, 0x01, 0x00])).cip)
        #expect(send.embeddedCount == 1 && send.embedded[0].service == 0x01 && send.embedded[0].path.classID == 1)
    }

    @Test func listIdentityReply() throws {
        // ListIdentity reply: one identity item (0x000C): version 1, socket address, vendor 1,
        // device type 14, product 54, revision 20.11, status 0x0030, serial 0x00C0FFEE, name "1756-L71", state 3.
        var item: [UInt8] = [0x01, 0x00] + [0x00, 0x02, 0xAF, 0x12, 192, 168, 1, 10] + [UInt8](repeating: 0, count: 8)
        item += [0x01, 0x00, 0x0E, 0x00, 0x36, 0x00, 20, 11, 0x30, 0x00, 0xEE, 0xFF, 0xC0, 0x00, 8] + Array("1756-L71".utf8) + [3]
        let message = parseENIP(encapsulation(0x0063, [0x01, 0x00, 0x0C, 0x00, UInt8(item.count), 0x00] + item))
        let identity = try #require(message.identity)
        #expect(identity.vendorID == 1 && identity.deviceType == 14 && identity.productCode == 54)
        #expect(identity.revisionMajor == 20 && identity.revisionMinor == 11 && identity.serial == 0x00C0_FFEE && identity.state == 3)
        #expect(String(decoding: identity.productName.array, as: UTF8.self) == "1756-L71")
    }

    @Test func implicitIOAndDetection() {
        // Sequenced address (0x8002, conn 0x11, seq 7), connected data (0x00B1, 4 bytes: seq count 2, data 2).
        let io: [UInt8] = [0x02, 0x00, 0x02, 0x80, 0x08, 0x00, 0x11, 0, 0, 0, 0x07, 0, 0, 0, 0xB1, 0x00, 0x04, 0x00, 0x02, 0x00, 0xAA, 0xBB]
        let message = io.withUnsafeBytes { ENIP.parseIO($0.bytes) }
        #expect(message.isIO && message.connectionID == 0x11 && message.encapsulationSequence == 7 && message.ioLength == 4)
        #expect(io.withUnsafeBytes { ENIP.probeIO($0.bytes) } == .match)
        let register = encapsulation(0x0065, [0x01, 0x00, 0x00, 0x00])
        #expect(register.withUnsafeBytes { ENIP.probe($0.bytes, datagram: false, onPort: false) } == .match)
        #expect(register.withUnsafeBytes { ENIP.probe($0.bytes, datagram: true, onPort: false) } == .match)
        #expect((register + [0]).withUnsafeBytes { ENIP.probe($0.bytes, datagram: true, onPort: false) } == .no)  // a datagram is one message
        #expect(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8).withUnsafeBytes { ENIP.probe($0.bytes, datagram: false, onPort: false) } == .no)
        // A NetBIOS/SMB start (00 00, a big-endian length, zeros) is no NOP off port 44818.
        let smb: [UInt8] = [0x00, 0x00, 0x00, 0x85] + [UInt8](repeating: 0, count: 40)
        #expect(smb.withUnsafeBytes { ENIP.probe($0.bytes, datagram: false, onPort: false) } == .no)
        // Off the port a first segment holds its whole first message.
        let cut = Array(register[0..<26])
        #expect(cut.withUnsafeBytes { ENIP.probe($0.bytes, datagram: false, onPort: false) } == .no)
        #expect(cut.withUnsafeBytes { ENIP.probe($0.bytes, datagram: false, onPort: true) } == .match)
    }

    @Test func shortAndMalformedInputIsAValue() {
        let message = sendRRData([0x0E, 0x03, 0x20, 0x01, 0x24, 0x01, 0x30, 0x07])
        for length in 0..<message.count { _ = parseENIP(Array(message[0..<length])) }  // never traps
        #expect(parseENIP(Array(message[0..<20])).anomalies.contains(.truncated))
        #expect(parseENIP(message + [0]).anomalies.contains(.lengthMismatch))
        #expect(parseENIP(encapsulation(0x0099, [])).anomalies.contains(.unknownCommand))
    }
}

/// Execute PCCC's command, read from the CIP request that carries it.
@Suite struct PCCCCommandTests {
    /// The request data of iti-cip-pccc.pcap frame 473: requestor id (length 7, vendor 0x004D,
    /// serial 0x3D2B31E0), CMD 0x0F, STS 0, TNS 0xC64E, FNC 0x80 (change CPU mode), mode 1.
    static let changeToProgram: [UInt8] = [0x4B, 0x02, 0x20, 0x67, 0x24, 0x01, 0x07, 0x4D, 0x00, 0xE0, 0x31, 0x2B, 0x3D, 0x0F, 0x00, 0x4E, 0xC6, 0x80, 0x01]

    @Test func changeCPUModeIsReadAndCritical() throws {
        let message = try #require(Self.changeToProgram.withUnsafeBytes { CIPMessage.parse($0.bytes) })
        #expect(message.pccc == PCCCCommand(command: 0x0F, function: 0x80, mode: 1))
        #expect(message.pccc?.criticalOperation?.operation == "PCCC change CPU mode to Remote Program")
        #expect(message.pccc?.criticalOperation?.category == "mode_change")
    }

    @Test func downloadsAreCriticalAndReadsAreNot() {
        #expect(PCCCCommand(command: 0x0F, function: 0x50, mode: nil).criticalOperation?.category == "program_download")
        #expect(PCCCCommand(command: 0x0F, function: 0x53, mode: nil).criticalOperation?.category == "program_upload")
        #expect(PCCCCommand(command: 0x0F, function: 0xA2, mode: nil).criticalOperation == nil)  // protected typed logical read
        #expect(PCCCCommand(command: 0x06, function: 0x03, mode: nil).criticalOperation == nil)  // diagnostic status
    }

    @Test func aShortRequestorIDOrCommandIsNoCommand() {
        for data: [UInt8] in [[0x4B, 0x02, 0x20, 0x67, 0x24, 0x01], [0x4B, 0x02, 0x20, 0x67, 0x24, 0x01, 0x07, 0x4D], [0x4B, 0x02, 0x20, 0x67, 0x24, 0x01, 0x00, 0x0F]] {
            let message = data.withUnsafeBytes { CIPMessage.parse($0.bytes) }
            #expect(message?.pccc == nil)
        }
    }
}
