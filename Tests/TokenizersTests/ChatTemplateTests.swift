import Foundation
import TestSupport
import Tokenizers
import XCTest

/// The Jinja interpreter against Python jinja2 renders (Fixtures/llm/templates/generate_goldens.py)
/// of the SmolLM2, ChatML, Llama-3, Mistral and Qwen2 chat templates.
final class ChatTemplateTests: XCTestCase {
    struct Message: Decodable {
        let role: String
        let content: String
    }
    struct Golden: Decodable {
        let template: String
        let messages: [Message]
        let add_generation_prompt: Bool
        let bos_token: String
        let eos_token: String
        let rendered: String?
        let error: String?
    }

    func testTemplatesRenderAsJinja2Does() throws {
        let goldens = try FixturePaths.jsonLines("llm/templates/goldens.jsonl", as: Golden.self)
        XCTAssertEqual(goldens.count, 30)
        var templates: [String: JinjaTemplate] = [:]
        for golden in goldens {
            if templates[golden.template] == nil {
                let source = try String(
                    contentsOfFile: FixturePaths.path("llm/templates/\(golden.template).jinja"), encoding: .utf8)
                templates[golden.template] = try JinjaTemplate(source)
            }
            let messages = golden.messages.map {
                JinjaValue.dictionary(["role": .string($0.role), "content": .string($0.content)])
            }
            let variables: [String: JinjaValue] = [
                "messages": .array(messages), "add_generation_prompt": .bool(golden.add_generation_prompt),
                "bos_token": .string(golden.bos_token), "eos_token": .string(golden.eos_token),
            ]
            do {
                let rendered = try XCTUnwrap(templates[golden.template]).render(variables)
                XCTAssertEqual(rendered, golden.rendered, "\(golden.template) with \(golden.messages.map(\.role))")
                XCTAssertNil(golden.error, "\(golden.template): expected the error \(golden.error ?? "")")
            } catch let error as JinjaError {
                XCTAssertEqual(error.message, golden.error, "\(golden.template) with \(golden.messages.map(\.role))")
            }
        }
    }

    func testExpressionsFiltersAndControlFlow() throws {
        func render(_ source: String, _ variables: [String: JinjaValue] = [:]) throws -> String {
            try JinjaTemplate(source).render(variables)
        }
        XCTAssertEqual(try render("{{ 1 + 2 * 3 }}|{{ 7 // 2 }}|{{ 7 % 3 }}|{{ 'a' ~ 1 }}|{{ -3 }}"), "7|3|1|a1|-3")
        XCTAssertEqual(
            try render("{% for x in [1, 2, 3] %}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}"), "1,2,3")
        XCTAssertEqual(
            try render(
                "{% set ns = namespace(total=0) %}{% for x in range(4) %}{% set ns.total = ns.total + x %}{% endfor %}{{ ns.total }}"
            ), "6")
        XCTAssertEqual(
            try render(
                "{{ '  hi  ' | trim }}|{{ [1, 2] | length }}|{{ 'abc' | upper }}|{{ none is none }}|{{ x is defined }}"),
            "hi|2|ABC|True|False")
        XCTAssertEqual(
            try render("{{ 'a,b' .split(',') | join('-') }}|{{ 'hello'[1:3] }}|{{ [3, 1][-1] }}"), "a-b|el|1")
        XCTAssertEqual(try render("{% if a %}A{% elif b %}B{% else %}C{% endif %}", ["b": .bool(true)]), "B")
        XCTAssertEqual(try render("{{ {'k': [1, 'x']} | tojson }}"), "{\"k\": [1, \"x\"]}")
        XCTAssertEqual(
            try render("{% for x in [1, 2, 3, 4] %}{% if x == 3 %}{% break %}{% endif %}{{ x }}{% endfor %}"), "12")
        XCTAssertEqual(
            try render("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Bo') }}"),
            "Hi Bo!")
        XCTAssertEqual(try render("  {%- if true -%}  x  {%- endif -%}  "), "x")
        XCTAssertEqual(try render("a\n  {% if true %}\nb\n  {% endif %}\nc"), "a\nb\nc")
    }

    func testErrorsNameTheLine() {
        XCTAssertThrowsError(try JinjaTemplate("line one\n{% if x %}unclosed")) { error in
            XCTAssertTrue("\(error)".contains("endif"), "\(error)")
        }
        XCTAssertThrowsError(try JinjaTemplate("a\nb {{ x | nosuchfilter }}").render(["x": .int(1)])) { error in
            XCTAssertEqual((error as? JinjaError)?.line, 2)
            XCTAssertTrue("\(error)".contains("nosuchfilter"))
        }
        XCTAssertThrowsError(try JinjaTemplate("{{ raise_exception('bad roles') }}").render([:])) { error in
            XCTAssertEqual((error as? JinjaError)?.message, "bad roles")
        }
    }
}
