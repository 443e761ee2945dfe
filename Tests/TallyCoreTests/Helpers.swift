import Foundation
@testable import TallyCore

/// A scratch folder with files, removed when the test ends.
final class Scratch {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tally-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Data(text.utf8)) }

    @discardableResult
    func write(_ name: String, _ data: Data) throws -> String {
        let target = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: target)
        return target.path
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func read(_ name: String) -> String? { try? String(contentsOfFile: path(name), encoding: .utf8) }

    var options: RunOptions {
        var o = RunOptions()
        o.displayBase = url.path
        return o
    }
}

/// Reads CSV text through the real reader.
func readCSV(_ text: String, _ configure: (inout DelimitedOptions) -> Void = { _ in }) throws -> Table {
    var options = DelimitedOptions()
    configure(&options)
    return try DelimitedReader.read(InputFile(path: "t.csv", displayName: "t.csv", bytes: Array(text.utf8), size: text.utf8.count),
                                    options: options)
}

func readBytes(_ bytes: [UInt8], _ configure: (inout DelimitedOptions) -> Void = { _ in }) throws -> Table {
    var options = DelimitedOptions()
    configure(&options)
    return try DelimitedReader.read(InputFile(path: "t.csv", displayName: "t.csv", bytes: bytes, size: bytes.count), options: options)
}

extension Table {
    func strings(_ name: String) -> [String?] {
        guard let c = column(name) else { return [] }
        return (0..<rowCount).map { c.isNull($0) ? nil : c.value($0).display }
    }
}
