import Crypto
import Foundation
import TallyModel

/// SHA-256 fingerprints of playbooks, inputs and failing rows (swift-crypto).
public enum Fingerprint {
    public static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }

    /// An input's bytes (mapped from the file, most often), hashed in place.
    public static func sha256(_ bytes: FileBytes) -> String {
        bytes.withUnsafeBufferPointer { p in
            SHA256.hash(data: UnsafeRawBufferPointer(p)).map { byte in
                let s = String(byte, radix: 16)
                return s.count == 1 ? "0" + s : s
            }.joined()
        }
    }

    public static func sha256(_ text: String) -> String { sha256(Array(text.utf8)) }

    /// The fingerprint of a file, or nil when it cannot be read.
    public static func sha256(file path: String) -> String? {
        if Loader.isPattern(path) {
            // A folder of files (`extracts/*.txt`): each file's name and SHA-256, in name order.
            guard let files = try? Loader.matches(path), !files.isEmpty else { return nil }
            var lines = ""
            for file in files {
                guard let sha = sha256(file: file) else { return nil }
                lines += (file as NSString).lastPathComponent + "\t" + sha + "\n"
            }
            return sha256(lines)
        }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return sha256([UInt8](data))
    }
}
