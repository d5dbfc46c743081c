import SpanwatchProtocols
import SpanwatchFlow
import SpanwatchWire
import Testing

/// The official Community ID v1 vectors (corelight/community-id-spec, baseline/README.md and
/// baseline_deflt.json), copied with attribution.
@Suite struct CommunityIDTests {
    static let a6 = "fe80:0001:0203:0405:0607:0809:0A0B:0C0D"
    static let b6 = "fe80:1011:1213:1415:1617:1819:1A1B:1C1D"

    struct Vector: Sendable, CustomStringConvertible {
        var proto: UInt8, src: String, dst: String, sport: UInt16, dport: UInt16, seed0: String, seed1: String
        var description: String { "\(proto) \(src):\(sport) -> \(dst):\(dport)" }
    }

    static let vectors: [Vector] = [
        Vector(proto: 6, src: "1.2.3.4", dst: "5.6.7.8", sport: 1122, dport: 3344, seed0: "1:wCb3OG7yAFWelaUydu0D+125CLM=", seed1: "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="),
        Vector(proto: 6, src: "5.6.7.8", dst: "1.2.3.4", sport: 3344, dport: 1122, seed0: "1:wCb3OG7yAFWelaUydu0D+125CLM=", seed1: "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="),
        Vector(proto: 17, src: "1.2.3.4", dst: "5.6.7.8", sport: 1122, dport: 3344, seed0: "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=", seed1: "1:OShq+iKDAMVouh/4bMxB9Sz4amw="),
        Vector(proto: 132, src: "1.2.3.4", dst: "5.6.7.8", sport: 1122, dport: 3344, seed0: "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=", seed1: "1:uitchpn5MMGAQKBJh7bIr/bAr7s="),
        Vector(proto: 1, src: "1.2.3.4", dst: "5.6.7.8", sport: 8, dport: 0, seed0: "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=", seed1: "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="),
        Vector(proto: 1, src: "5.6.7.8", dst: "1.2.3.4", sport: 0, dport: 0, seed0: "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=", seed1: "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="),
        Vector(proto: 1, src: "1.2.3.4", dst: "5.6.7.8", sport: 11, dport: 0, seed0: "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=", seed1: "1:1DD7cWGC/Yg91YGsQeni8du3pIA="),
        Vector(proto: 58, src: a6, dst: b6, sport: 128, dport: 0, seed0: "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=", seed1: "1:IO27GQzPuCtNnwFvjWALMHu5tJE="),
        Vector(proto: 58, src: b6, dst: a6, sport: 129, dport: 0, seed0: "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=", seed1: "1:IO27GQzPuCtNnwFvjWALMHu5tJE="),
        Vector(proto: 58, src: a6, dst: b6, sport: 146, dport: 0, seed0: "1:fYC8+pz24E+EhANP1EZhpX0Dw10=", seed1: "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s="),
        Vector(proto: 46, src: "1.2.3.4", dst: "5.6.7.8", sport: 0, dport: 0, seed0: "1:ikv3kmf89luf73WPz1jOs49S768=", seed1: "1:/buhqeOmaRCopOZFy9HnoJd5XW8="),
        Vector(proto: 46, src: "5.6.7.8", dst: "1.2.3.4", sport: 0, dport: 0, seed0: "1:ikv3kmf89luf73WPz1jOs49S768=", seed1: "1:/buhqeOmaRCopOZFy9HnoJd5XW8="),
        Vector(proto: 46, src: a6, dst: b6, sport: 0, dport: 0, seed0: "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=", seed1: "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM="),
        Vector(proto: 46, src: b6, dst: a6, sport: 0, dport: 0, seed0: "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=", seed1: "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM="),
    ]

    @Test(arguments: vectors)
    func officialVector(_ v: Vector) {
        let src = IPAddress(v.src)!, dst = IPAddress(v.dst)!
        #expect(CommunityID.compute(source: src, destination: dst, ipProtocol: v.proto, sourcePort: v.sport, destinationPort: v.dport) == v.seed0)
        #expect(CommunityID.compute(source: src, destination: dst, ipProtocol: v.proto, sourcePort: v.sport, destinationPort: v.dport, seed: 1) == v.seed1)
    }

    @Test func hexForm() {
        let value = CommunityID.compute(source: IPAddress("1.2.3.4")!, destination: IPAddress("5.6.7.8")!, ipProtocol: 6,
                                        sourcePort: 1122, destinationPort: 3344, base64: false)
        #expect(value == "1:c026f7386ef200559e95a53276ed03fb5db908b3")
    }

    @Test func extraVectorsFromBaselineJSON() {
        #expect(CommunityID.compute(source: IPAddress("fe80::200:86ff:fe05:80da")!, destination: IPAddress("ff02::2")!, ipProtocol: 58,
                                    sourcePort: 133, destinationPort: 0) == "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=")
        #expect(CommunityID.compute(source: IPAddress("2001:470:e5bf:dead:4957:2174:e82c:4887")!, destination: IPAddress("2607:f8b0:400c:c03::1a")!,
                                    ipProtocol: 6, sourcePort: 63943, destinationPort: 25) == "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=")
        #expect(CommunityID.compute(source: IPAddress("192.168.170.8")!, destination: IPAddress("192.168.170.56")!, ipProtocol: 132,
                                    sourcePort: 7, destinationPort: 7) == "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=")
        #expect(CommunityID.compute(source: IPAddress("128.232.110.120")!, destination: IPAddress("66.35.250.204")!, ipProtocol: 6,
                                    sourcePort: 34855, destinationPort: 80) == "1:LQU9qZlK+B5F3KDmev6m5PMibrg=")
    }
}
