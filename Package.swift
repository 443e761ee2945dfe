// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Tally",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "tally", targets: ["tally"]),
        .library(name: "TallyModel", targets: ["TallyModel"]),
        .library(name: "TallyData", targets: ["TallyData"]),
        .library(name: "TallyCore", targets: ["TallyCore"]),
        .library(name: "TallyLSP", targets: ["TallyLSP"]),
        .library(name: "TallyServer", targets: ["TallyServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
    ],
    targets: [
        // The layers, each depending only on those above it in this list (the compiler holds the
        // direction; docs/ARCHITECTURE.md draws the graph).
        // Values, columnar tables and their kernels, diagnostics, functions: no playbook, no file format.
        .target(
            name: "TallyModel",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/TallyModel",
            exclude: ["Diagnostics/README.md", "Functions/README.md", "README.md", "Table/README.md"]
        ),
        // Data written by scripts/ (CALPADS layouts, rules, codes, sample records, report templates).
        .target(
            name: "TallyData", path: "Sources/TallyData",
            exclude: ["README.md"]),
        // The language (syntax, checker, steps, runtime) and the formats, QA store and reports it runs with.
        .target(
            name: "TallyCore",
            dependencies: [
                "TallyModel",
                "TallyData",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Ink", package: "Ink"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Sources/TallyCore",
            exclude: [
                "Expressions/README.md", "Formats/README.md", "IO/README.md", "QAStore/README.md", "Reports/README.md", "Runtime/README.md",
                "Sample/README.md", "Semantics/README.md", "Steps/README.md", "Syntax/README.md",
            ]
        ),
        // `tally lsp`: the language server (JSON-RPC over stdio, on TallyCore's checker).
        .target(
            name: "TallyLSP", dependencies: ["TallyCore", "TallyModel"], path: "Sources/TallyLSP",
            exclude: ["README.md"]),
        // `tally watch`: the live notebook's session, routes and page templates (Hummingbird).
        .target(
            name: "TallyServer",
            dependencies: [
                "TallyCore",
                "TallyModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            path: "Sources/TallyServer",
            exclude: ["README.md"]
        ),
        .executableTarget(
            name: "tally",
            dependencies: [
                "TallyModel",
                "TallyCore",
                "TallyLSP",
                "TallyServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Sources/tally"
        ),
        .testTarget(
            name: "TallyCoreTests",
            dependencies: ["TallyModel", "TallyData", "TallyCore", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            path: "Tests/TallyCoreTests",
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "TallyServerTests",
            dependencies: [
                "TallyServer",
                "TallyCore",
                "TallyModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/TallyServerTests"
        ),
        .testTarget(
            name: "GoldenTests",
            dependencies: ["TallyCore", "TallyModel"],
            path: "Tests/GoldenTests",
            exclude: ["Cases"]
        ),
    ]
)
