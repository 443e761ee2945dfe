import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// Every function the language has says what it computes (the editor's hover and completion).
final class FunctionDocsTests: XCTestCase {
    func testEveryFunctionHasADocAndNoDocNamesAFunctionThatIsGone() {
        let functions = Set(FunctionRegistry.all.keys)
        let documented = Set(FunctionDocs.text.keys)
        XCTAssertEqual(functions.subtracting(documented).sorted(), [], "functions with no entry in FunctionDocs")
        XCTAssertEqual(documented.subtracting(functions).sorted(), [], "FunctionDocs entries for no function")
        for (name, doc) in FunctionDocs.text { XCTAssertGreaterThan(doc.count, 10, name) }
    }
}
