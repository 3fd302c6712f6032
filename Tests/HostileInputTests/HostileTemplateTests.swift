import Foundation
import Generation
import TestSupport
import Tokenizers
import XCTest

/// Chat templates come from model files, i.e. from whoever made them: arithmetic that leaves 64
/// bits, loops and recursion without end, huge outputs and cycles are errors naming the line.
final class HostileTemplateTests: XCTestCase {
    private func render(_ source: String, limits: JinjaLimits = JinjaLimits()) throws -> String {
        try JinjaTemplate(source).render([:], limits: limits)
    }

    private func assertFails(
        _ source: String, _ message: String, limits: JinjaLimits = JinjaLimits(), file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertThrowsError(try render(source, limits: limits), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(message), "\(source): \(error)", file: file, line: line)
        }
    }

    func testIntegerArithmeticIsPythonsOrAnError() throws {
        assertFails("{{ 2 ** 64 }}", "2 ** 64 does not fit in 64 bits")
        assertFails("{{ 9223372036854775807 + 1 }}", "does not fit in 64 bits")
        assertFails("{{ 4611686018427387904 * 4 }}", "does not fit in 64 bits")
        XCTAssertEqual(try render("{{ 9223372036854775807 // 1 }}"), "9223372036854775807")
        XCTAssertEqual(try render("{{ 5 % 9223372036854775807 }}"), "5")
        XCTAssertEqual(
            try render("{{ -7 // 2 }} {{ -7 % 2 }} {{ 7 % -2 }} {{ 2 ** 62 }} {{ 2 ** -1 }}"),
            "-4 1 -1 4611686018427387904 0.5")
        XCTAssertEqual(try render("{{ (0 - 9223372036854775807 - 1) % -1 }}"), "0")
    }

    func testRunawayTemplatesStop() throws {
        // 10^12 iterations; a small step limit keeps the unoptimised test build quick.
        var steps = JinjaLimits()
        steps.steps = 100_000
        assertFails(
            "{% for i in range(1000000) %}{% for j in range(1000000) %}{% endfor %}{% endfor %}",
            "ran more than 100000",
            limits: steps)
        assertFails("{% macro f(g) %}{{ g(g) }}{% endmacro %}{{ f(f) }}", "macro calls nest deeper than 64")
        assertFails("{{ 'abc' * 100000000000 }}", "longer than")
        assertFails(
            String(repeating: "{{ ('x' ~ ", count: 1) + String(repeating: "(", count: 10_000) + "1"
                + String(repeating: ")", count: 10_000) + ") }}", "nests deeper than 200")
        assertFails("{% set ns = namespace(a=1) %}{% set ns.a = ns %}{{ ns }}", "cannot hold a value that contains")
        assertFails("{{ 'x\ny' | indent(-5) }}", "indent width -5")
        assertFails("{{ [1] | tojson(indent=1000000000) }}", "tojson indent")
        var limits = JinjaLimits()
        limits.outputBytes = 1000
        XCTAssertThrowsError(
            try JinjaTemplate("{% for i in range(100) %}0123456789abcdef{% endfor %}").render([:], limits: limits))
    }

    func testHostileModelMetadataIsAnError() throws {
        for epsilon in [-Float.infinity, .nan, -1] {
            let path = try TinyModelFile.write(epsilon: epsilon)
            defer { try? FileManager.default.removeItem(atPath: path) }
            XCTAssertThrowsError(try TextGenerator(path: path)) { error in
                XCTAssertTrue("\(error)".contains("llama.attention.layer_norm_rms_epsilon"), "\(epsilon): \(error)")
            }
        }
    }
}
