// swift-tools-version:6.0
// Fuzz targets for libFuzzer, outside the normal build: scripts/fuzz.sh TARGET SECONDS builds
// them with -sanitize=fuzzer,address and runs one. Each target feeds its input to one of Tally's
// readers; a crash, trap, hang or AddressSanitizer report is a bug to turn into a corpus case.
import PackageDescription

let targets = ["FuzzPlaybook", "FuzzDelimited", "FuzzCalpads", "FuzzXlsx", "FuzzJournal", "FuzzExportPath"]
let package = Package(
    name: "TallyFuzz",
    products: targets.map { .executable(name: $0, targets: [$0]) },
    dependencies: [.package(name: "Tally", path: ".."), .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20")],
    targets: targets.map {
        .executableTarget(
            name: $0,
            dependencies: ["FuzzDriver", .product(name: "TallyCore", package: "Tally")]
                + ($0 == "FuzzXlsx" ? [.product(name: "ZIPFoundation", package: "ZIPFoundation")] : []))
    } + [.target(name: "CFuzzer"), .target(name: "FuzzDriver", dependencies: ["CFuzzer"])]
)
