// swift-tools-version: 6.1
// Benchmarks for spanwatch's packet path (ordo-one/benchmark), kept in their own package so
// the main build and CI do not compile the benchmark framework.
//   cd Benchmarks && swift package benchmark            (or: scripts/bench-alloc.sh)
import PackageDescription

let package = Package(
    name: "spanwatch-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "spanwatch", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "PacketPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SpanwatchWire", package: "spanwatch"),
                .product(name: "SpanwatchFlow", package: "spanwatch"),
                .product(name: "SpanwatchProtocols", package: "spanwatch"),
                .product(name: "SpanwatchOutput", package: "spanwatch"),
                .product(name: "SpanwatchPolicy", package: "spanwatch"),
                .product(name: "SpanwatchCapture", package: "spanwatch"),
            ],
            path: "Benchmarks/PacketPath",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
