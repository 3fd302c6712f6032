import Foundation
import XCTest

@testable import Tokenizers

final class JSONReaderTests: XCTestCase {
    func testValuesEscapesAndErrors() throws {
        let text =
            #"{"a": [1, -2, 3.5, 1e3, true, false, null], "s": "\u00e9\ud83d\ude00\n\"", "k\u0301": 7, "\ufeffbom": 1}"#
        let value = try JSONReader.parse(Array(text.utf8), name: "t")
        XCTAssertEqual(value["a"]?.array?.compactMap(\.double), [1, -2, 3.5, 1000])
        XCTAssertEqual(value["s"]?.string, "\u{e9}\u{1F600}\n\"")
        // Keys stay byte-exact: "k" + U+0301 is not "ḱ", and a leading U+FEFF survives.
        XCTAssertEqual(value["k\u{301}"]?.int, 7)
        XCTAssertNil(value["\u{1E31}"])
        XCTAssertEqual(value["\u{FEFF}bom"]?.int, 1)
        for bad in ["{", "[1,]", "{\"a\" 1}", "\"\\x\"", "01x", "[1] 2"] {
            XCTAssertThrowsError(try JSONReader.parse(Array(bad.utf8), name: "bad.json")) { error in
                XCTAssertTrue("\(error)".contains("bad.json") && "\(error)".contains("at byte"), "\(error)")
            }
        }
    }
}
