import Crypto
import Foundation

/// SHA-256 fingerprints of playbooks, inputs and failing rows (swift-crypto).
public enum Fingerprint {
    public static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }

    public static func sha256(_ text: String) -> String { sha256(Array(text.utf8)) }

    /// The fingerprint of a file, or nil when it cannot be read.
    public static func sha256(file path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return sha256([UInt8](data))
    }
}
