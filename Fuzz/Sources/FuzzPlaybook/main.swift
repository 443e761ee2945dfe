import Foundation
import FuzzDriver
import TallyCore

/// Playbook text through the parser and the checker, with every load given a fixed schema (so
/// steps, expressions and types are checked as deeply as a real run checks them). A real run
/// walks on a 1 GB stack (`LargeStack`); here the main thread's stack may grow as large
/// (scripts/fuzz.sh raises `ulimit -s`): a thread per input, with AddressSanitizer clearing
/// its stack's shadow at every exit, ran a tenth as many inputs.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPlaybook(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    check(text)
    return 0
}

func check(_ text: String) {
    guard let playbook = try? Parser.parse(source: text, file: "fuzz.playbook") else { return }
    let schema = Schema(columns: [
        .init(name: "SSID", type: .text), .init(name: "SchoolOfAttendance", type: .text),
        .init(name: "GradeLevelCode", type: .text), .init(name: "n", type: .integer),
        .init(name: "score", type: .decimal), .init(name: "EnrollmentStartDate", type: .date),
        .init(name: "active", type: .boolean),
    ])
    let checker = Checker(
        playbook: playbook, overrides: [:], baseDirectory: "/nonexistent-fuzz",
        displayBase: "/nonexistent-fuzz"
    ) { _ in schema }
    if case .success(let plan) = checker.check() {
        _ = CheckReport.render(plan: plan, inputs: [], showAST: true)
    }
}

runFuzzer { data, size in data.map { fuzzPlaybook($0, size) } ?? 0 }
