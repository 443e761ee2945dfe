import Foundation
import XCTest
@testable import TallyCore

/// A `path` parameter given on the command line is relative to where the command runs; its
/// default, to the playbook's folder. Text parameters still refuse / and .. in paths.
final class PathParamTests: XCTestCase {
    func testPathParametersResolveAgainstTheRightFolder() throws {
        let scratch = try Scratch()
        try scratch.write("pb/data/s.csv", "SSID,G\n1000000001,03\n")
        try scratch.write("other/s.csv", "SSID,G\n1000000001,03\n1000000002,04\n")
        try scratch.write("pb/p.playbook", "param data: path = \"data\"\nparam lea: text = \"a\"\nload s from \"{data}/s.csv\"\n")
        var options = scratch.options   // the command runs in the scratch folder
        let byDefault = Runner.run(path: scratch.path("pb/p.playbook"), options: options)
        XCTAssertEqual(byDefault.inputs.first?.rows, 1, "\(byDefault.errors)")
        XCTAssertEqual(byDefault.inputs.first?.path, "pb/data/s.csv")
        options.params = ["data": "other"]
        let given = Runner.run(path: scratch.path("pb/p.playbook"), options: options)
        XCTAssertEqual(given.inputs.first?.rows, 2, "\(given.errors)")
        XCTAssertEqual(given.inputs.first?.path, "other/s.csv")
        // A text parameter with a / is still refused, and the error says to declare a path.
        try scratch.write("pb/q.playbook", "param lea: text = \"a\"\nload s from \"{lea}/s.csv\"\n")
        options.params = ["lea": "../other"]
        let refused = Runner.run(path: scratch.path("pb/q.playbook"), options: options)
        XCTAssertEqual(refused.exitStatus, 2)
        XCTAssertEqual(refused.errors.first?.help, "to let it name a folder, declare it as a path: param lea: path = \"data/2025\"")
    }
}
