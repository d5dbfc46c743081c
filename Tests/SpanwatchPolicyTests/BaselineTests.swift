import SpanwatchTestSupport
import SpanwatchProtocols
import SpanwatchFlow
import SpanwatchPolicy
import SpanwatchWire
import Testing

@Suite struct AddressRangesTests {
    @Test func rangesMergeWhenTheyOverlapOrTouch() {
        var set = AddressRanges()
        set.insert(100...109)
        set.insert(0...9)
        set.insert(110...119)  // adjacent: joins 100-109
        set.insert(5...12)  // overlaps 0-9
        #expect(set.ranges == [0...12, 100...119])
        #expect(set.description == "0-12, 100-119")
        set.insert(50...50)
        #expect(set.ranges == [0...12, 50...50, 100...119])
        set.insert(0...200)
        #expect(set.ranges == [0...200])
    }

    @Test func coversNeedsOneRangeHoldingAllOfIt() {
        let set = AddressRanges([0...9, 100...119])
        #expect(set.covers(0...9))
        #expect(set.covers(100...100))
        #expect(set.covers(105...119))
        #expect(!set.covers(9...10))
        #expect(!set.covers(99...100))
        #expect(!set.covers(120...120))
        #expect(!AddressRanges().covers(0...0))
    }

    @Test func theSetIsBoundedAndNeverForgetsAnAddress() {
        var set = AddressRanges()
        for index in 0..<200 { set.insert(UInt32(index * 10)...UInt32(index * 10)) }
        #expect(set.ranges.count == AddressRanges.capacity)
        for index in 0..<200 { #expect(set.covers(UInt32(index * 10)...UInt32(index * 10))) }
    }

    @Test func extremesDoNotOverflow() {
        var set = AddressRanges()
        set.insert(UInt32.max...UInt32.max)
        set.insert(0...0)
        set.insert((UInt32.max - 1)...(UInt32.max - 1))
        #expect(set.ranges == [0...0, (UInt32.max - 1)...UInt32.max])
        #expect(AddressRanges.parseRange("7") == 7...7)
        #expect(AddressRanges.parseRange("9-7") == nil)
        #expect(AddressRanges.parseRange("a-7") == nil)
    }
}

@Suite struct BaselineKeyTests {
    static func sample() -> Baseline {
        var baseline = Baseline()
        var host = BaselineHost(address: IPAddress("10.0.1.10")!)
        host.macs = [MACAddress("00:1b:1b:00:00:01")!]
        host.identity = ["firmware": "V3.2.6"]
        baseline.hosts[host.address] = host
        let key = EdgeKey.parse("10.0.2.20 > 10.0.1.10 tcp/502 modbus")!
        var edge = BaselineEdge()
        edge.insert(.modbusUnit(1))
        edge.insert(.modbusFunction(3))
        edge.insert(.modbusWrite(.holdingRegisters, 100...109))
        edge.polling = PollingCycle(periodMilliseconds: 1000, jitterMilliseconds: 20)
        baseline.edges[key] = edge
        baseline.dnsNames[IPAddress("10.0.2.20")!] = ["historian.plant.local"]
        return baseline
    }

    @Test func edgeKeysReadBackTheirText() throws {
        for text in ["10.0.2.20 > 10.0.1.10 tcp/502 modbus", "10.0.2.20 > 10.0.1.10 udp/20000", "fd00::1 > fd00::2 tcp/102 s7comm",
                     "10.0.2.20 > 10.0.1.10 icmp"] {
            #expect(EdgeKey.parse(Substring(text))?.description == text)
        }
        for bad in ["10.0.2.20 10.0.1.10 tcp/502", "10.0.2.20 > x tcp/502", "10.0.2.20 > 10.0.1.10 tcp/99999", "10.0.2.20 > 10.0.1.10 sctp/1",
                    "10.0.2.20 > 10.0.1.10 tcp/502 ftp", "10.0.2.20 > 10.0.1.10 icmp/3"] {
            #expect(EdgeKey.parse(Substring(bad)) == nil, "\(bad)")
        }
    }

    @Test func operationKeysReadBackTheirText() {
        let operations: [ObservedOperation] = [
            .modbusUnit(3), .modbusFunction(16), .modbusRead(.inputRegisters, 0...3), .modbusWrite(.coils, 7...7),
            .dnp3Link(DNP3LinkPair(master: 1, outstation: 10)), .dnp3Function(13), .dnp3Group(60), .dnp3Write(12, 0...3),
            .s7Function("WRITE_VAR"), .s7Write("DB1", 0...15), .s7PIService("P_PROGRAM"),
            .mqttClientID("line1 sensor"), .mqttPublish("plant/line1/temp"), .mqttSubscribe("plant/#"),
            .httpMethod("POST"), .httpHost("historian.plant.local"),
        ]
        for operation in operations {
            #expect(ObservedOperation.parse(Substring(operation.keyText)) == operation, "\(operation.keyText)")
        }
        #expect(ObservedOperation.parse("dnp3.function COLD_RESTART") == .dnp3Function(13))
        #expect(ObservedOperation.parse("modbus.write tables 1-2") == nil)
        #expect(ObservedOperation.parse("nothing") == nil)
    }

    @Test func approveAddsExactlyTheNamedKey() throws {
        var baseline = Self.sample()
        let before = Set(baseline.keyLines())
        let edge = "edge 10.0.2.20 > 10.0.1.10 tcp/502 modbus"
        #expect(try baseline.approve("\(edge) | modbus.function 16"))
        #expect(Set(baseline.keyLines()).subtracting(before) == ["\(edge) | modbus.function 16"])
        #expect(try baseline.approve("\(edge) | modbus.function 16") == false)  // twice: no change
        // A write range next to a learned one extends it.
        #expect(try baseline.approve("\(edge) | modbus.write holding_registers 110-111"))
        #expect(baseline.edges[EdgeKey.parse("10.0.2.20 > 10.0.1.10 tcp/502 modbus")!]?.modbus.writes[.holdingRegisters]?.ranges == [100...111])
        #expect(try baseline.approve("host 10.0.9.9"))
        #expect(baseline.hosts[IPAddress("10.0.9.9")!] != nil)
        #expect(try baseline.approve("host 10.0.1.10 | identity firmware V3.3.0"))
        #expect(baseline.hosts[IPAddress("10.0.1.10")!]?.identity["firmware"] == "V3.3.0")
        #expect(try baseline.approve("dns 10.0.2.20 Time.Windows.com"))
        #expect(baseline.dnsNames[IPAddress("10.0.2.20")!]?.contains("time.windows.com") == true)
        // A new edge with an operation brings the edge.
        #expect(try baseline.approve("edge 10.0.9.9 > 10.0.1.10 tcp/102 s7comm | s7comm.function PLC_STOP"))
        #expect(baseline.edges[EdgeKey.parse("10.0.9.9 > 10.0.1.10 tcp/102 s7comm")!]?.s7comm.functions == ["PLC_STOP"])
        #expect(throws: BaselineKeyError.self) { try baseline.approve("edge 10.0.9.9 > 10.0.1.10 tcp/102 s7comm | s7comm.nonsense x") }
        #expect(throws: BaselineKeyError.self) { try baseline.approve("router 10.0.0.1") }
    }

    @Test func mergeIsAUnionInAnyOrder() {
        var a = Self.sample()
        var b = Baseline()
        var edge = BaselineEdge()
        edge.insert(.modbusFunction(16))
        edge.insert(.modbusWrite(.holdingRegisters, 110...119))
        edge.polling = PollingCycle(periodMilliseconds: 2000, jitterMilliseconds: 5)
        b.edges[EdgeKey.parse("10.0.2.20 > 10.0.1.10 tcp/502 modbus")!] = edge
        b.hosts[IPAddress("10.0.9.9")!] = BaselineHost(address: IPAddress("10.0.9.9")!)
        var ab = a
        ab.merge(b)
        var ba = b
        ba.merge(a)
        #expect(ab.keyLines() == ba.keyLines())
        let merged = ab.edges[EdgeKey.parse("10.0.2.20 > 10.0.1.10 tcp/502 modbus")!]!
        #expect(merged.modbus.functions == [3, 16])
        #expect(merged.modbus.writes[.holdingRegisters]?.ranges == [100...119])
        #expect(merged.polling == PollingCycle(periodMilliseconds: 2000, jitterMilliseconds: 20))  // tolerates both
        a.merge(a)
        #expect(a.keyLines() == Self.sample().keyLines())  // idempotent
    }
}

@Suite struct PollingCycleTests {
    @Test func aRegularMasterHasACycleAndAnIrregularOneNone() {
        let regular: [Int64] = (0..<20).map { 1_000_000 + ($0 % 2 == 0 ? 10_000 : -10_000) }
        #expect(BaselineLearner.pollingCycleForTests([regular]) == PollingCycle(periodMilliseconds: 1000, jitterMilliseconds: 10))
        let irregular: [Int64] = [100_000, 5_000_000, 300_000, 9_000_000, 1_000_000, 2_000_000]
        #expect(BaselineLearner.pollingCycleForTests([irregular]) == nil)
        #expect(BaselineLearner.pollingCycleForTests([[1_000_000, 1_000_000, 1_000_000]]) == nil)  // too few samples
    }

    @Test func silenceAllowsThreeCyclesAndJitter() {
        #expect(PollingCycle(periodMilliseconds: 1000, jitterMilliseconds: 10).silenceAllowedMicroseconds == 3_040_000)
        #expect(PollingCycle(periodMilliseconds: 100, jitterMilliseconds: 0).silenceAllowedMicroseconds == 2_000_000)
    }
}
