// swift-tools-version: 6.1
import PackageDescription

// Dependencies run one way:
//   SpanwatchWire (stateless decoding, no I/O)
//     <- SpanwatchFlow (flows, TCP reassembly, app-layer sessions, events as values)
//     <- SpanwatchOutput (EVE JSON lines)
//   SpanwatchCapture (the only module that touches libpcap) and the `spanwatch`
//   executable wire them together.
let package = Package(
    name: "spanwatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "spanwatch", targets: ["spanwatch"]),
        .library(name: "SpanwatchWire", targets: ["SpanwatchWire"]),
        .library(name: "SpanwatchFlow", targets: ["SpanwatchFlow"]),
        .library(name: "SpanwatchOutput", targets: ["SpanwatchOutput"]),
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
        .target(name: "SpanwatchWire"),
        .target(name: "SpanwatchFlow", dependencies: ["SpanwatchWire"]),
        .target(name: "SpanwatchOutput", dependencies: ["SpanwatchWire", "SpanwatchFlow"]),
        .target(name: "SpanwatchCapture", dependencies: ["CPcap", "SpanwatchWire"]),
        .target(
            name: "SpanwatchApp",
            dependencies: [
                "SpanwatchWire", "SpanwatchFlow", "SpanwatchOutput", "SpanwatchCapture",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "spanwatch",
            dependencies: [
                "SpanwatchApp",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "SpanwatchWireTests", dependencies: ["SpanwatchWire"]),
        .testTarget(name: "SpanwatchFlowTests", dependencies: ["SpanwatchWire", "SpanwatchFlow"]),
        .testTarget(name: "SpanwatchOutputTests", dependencies: ["SpanwatchOutput", "SpanwatchFlow"]),
        .testTarget(
            name: "SpanwatchEndToEndTests",
            dependencies: ["SpanwatchApp", "SpanwatchCapture", "SpanwatchFlow", "SpanwatchOutput"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
