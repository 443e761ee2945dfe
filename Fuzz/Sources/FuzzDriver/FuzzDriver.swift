import CFuzzer
import Foundation

/// What libFuzzer calls with each input (nil data for an empty one).
public typealias FuzzTarget = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Hands the command line and `target` to libFuzzer's driver. SwiftPM names an executable's
/// entry point itself, so libFuzzer's own `main` is not used; each target's main.swift calls this.
public func runFuzzer(_ target: FuzzTarget) -> Never {
    var arguments = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&arguments, &argv, target))
}
