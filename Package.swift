// swift-tools-version: 6.1
import PackageDescription

// Dependencies run one way (docs/ARCHITECTURE.md):
//   SpanwatchWire (stateless L2-L4 decoding, no I/O), SpanwatchJSON (the JSON line builder)
//     <- SpanwatchFlow (flows, TCP reassembly, detection, the protocol descriptor and event contract)
//     <- SpanwatchProtocols (one folder per protocol, and the registry: the one list of protocols)
//   SpanwatchPolicy and SpanwatchOutput know protocols only through SpanwatchFlow's contract;
//   SpanwatchCapture (the only module that touches libpcap), SpanwatchApp and the `spanwatch`
//   executable wire them together.
// Release builds drop the runtime exclusivity checks on the packet path (they were 10% of the
// profile); debug builds and the tests keep them, so a violation is still caught there.
let hotPathSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "spanwatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "spanwatch", targets: ["spanwatch"]),
        .library(name: "SpanwatchWire", targets: ["SpanwatchWire"]),
        .library(name: "SpanwatchJSON", targets: ["SpanwatchJSON"]),
        .library(name: "SpanwatchFlow", targets: ["SpanwatchFlow"]),
        .library(name: "SpanwatchProtocols", targets: ["SpanwatchProtocols"]),
        .library(name: "SpanwatchOutput", targets: ["SpanwatchOutput"]),
        .library(name: "SpanwatchPolicy", targets: ["SpanwatchPolicy"]),
        .library(name: "SpanwatchCapture", targets: ["SpanwatchCapture"]),
        .library(name: "SpanwatchApp", targets: ["SpanwatchApp"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .target(name: "SpanwatchWire", swiftSettings: hotPathSettings),
        .target(name: "SpanwatchJSON", dependencies: ["SpanwatchWire"], swiftSettings: hotPathSettings),
        .target(name: "SpanwatchFlow", dependencies: ["SpanwatchWire", "SpanwatchJSON"], swiftSettings: hotPathSettings),
        .target(name: "SpanwatchProtocols", dependencies: ["SpanwatchWire", "SpanwatchJSON", "SpanwatchFlow"], swiftSettings: hotPathSettings),
        .target(name: "SpanwatchPolicy", dependencies: ["SpanwatchWire", "SpanwatchFlow", "SpanwatchProtocols"], swiftSettings: hotPathSettings),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "SpanwatchOutput", dependencies: ["SpanwatchWire", "SpanwatchJSON", "SpanwatchFlow", "COpenSSL"], swiftSettings: hotPathSettings),
        .target(name: "SpanwatchCapture", dependencies: ["CPcap", "SpanwatchWire"]),
        .systemLibrary(name: "CLinux"),
        .target(
            name: "SpanwatchApp",
            dependencies: [
                "SpanwatchWire", "SpanwatchFlow", "SpanwatchProtocols", "SpanwatchPolicy", "SpanwatchOutput", "SpanwatchCapture", "CLinux",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "spanwatch",
            dependencies: [
                "SpanwatchApp", "SpanwatchPolicy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "SpanwatchWireTests", dependencies: ["SpanwatchWire", "SpanwatchProtocols"]),
        .testTarget(name: "SpanwatchFlowTests", dependencies: ["SpanwatchWire", "SpanwatchFlow", "SpanwatchProtocols", "SpanwatchTestSupport"]),
        // Helpers the test targets share (not shipped).
        .target(name: "SpanwatchTestSupport", dependencies: ["SpanwatchWire", "SpanwatchFlow", "SpanwatchPolicy", "SpanwatchProtocols"],
                path: "Tests/SpanwatchTestSupport"),
        .testTarget(name: "SpanwatchPolicyTests", dependencies: ["SpanwatchPolicy", "SpanwatchFlow", "SpanwatchWire", "SpanwatchProtocols", "SpanwatchOutput", "SpanwatchTestSupport"]),
        .testTarget(name: "SpanwatchOutputTests", dependencies: ["SpanwatchOutput", "SpanwatchFlow", "SpanwatchWire", "SpanwatchProtocols"]),
        .testTarget(name: "SpanwatchAppTests", dependencies: ["SpanwatchApp", "SpanwatchFlow", "SpanwatchPolicy", "SpanwatchProtocols", "SpanwatchWire"]),
        .testTarget(
            name: "SpanwatchEndToEndTests",
            dependencies: ["SpanwatchApp", "SpanwatchCapture", "SpanwatchFlow", "SpanwatchProtocols", "SpanwatchOutput", "SpanwatchPolicy", "SpanwatchTestSupport"],
            exclude: ["Scenarios", "Captures", "BaselineFixtures"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
