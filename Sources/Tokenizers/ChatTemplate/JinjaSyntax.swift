/// A template error with the line it happened on.
public struct JinjaError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public let line: Int
    public var description: String { line > 0 ? "line \(line): \(message)" : message }
}

/// Tokens inside `{{ }}` and `{% %}`.
enum JinjaToken: Equatable {
    case name(String)
    case string(String)
    case int(Int)
    case double(Double)
    case op(String)
}

/// A template split into text and tags, with Jinja's whitespace control applied (`-` markers, and
/// `trim_blocks` / `lstrip_blocks` as Hugging Face and llama.cpp render chat templates).
enum JinjaSegment {
    case text(String)
    case output([JinjaToken], line: Int)
    case statement([JinjaToken], line: Int)
}

enum JinjaLexer {
    static func segments(_ source: String) throws(JinjaError) -> [JinjaSegment] {
        let s = Array(source.unicodeScalars)
        var segments: [JinjaSegment] = []
        var text: [Unicode.Scalar] = []
        var i = 0, line = 1
        var trimNextLeading = false, trimNextNewline = false
        func flushText() {
            if !text.isEmpty { segments.append(.text(String(String.UnicodeScalarView(text)))) }
            text = []
        }
        while i < s.count {
            let isTag = s[i] == "{" && i + 1 < s.count && (s[i + 1] == "{" || s[i + 1] == "%" || s[i + 1] == "#")
            if !isTag {
                if trimNextLeading {
                    if s[i].properties.isWhitespace {
                        if s[i] == "\n" { line += 1 }
                        i += 1
                        continue
                    }
                    trimNextLeading = false
                }
                if trimNextNewline {
                    trimNextNewline = false
                    if s[i] == "\n" {
                        line += 1
                        i += 1
                        continue
                    }
                }
                if s[i] == "\n" { line += 1 }
                text.append(s[i])
                i += 1
                continue
            }
            trimNextLeading = false
            trimNextNewline = false
            let kind = s[i + 1]
            let close: [Unicode.Scalar] = kind == "{" ? ["}", "}"] : kind == "%" ? ["%", "}"] : ["#", "}"]
            var j = i + 2
            let stripBefore = j < s.count && s[j] == "-"
            let keepBefore = j < s.count && s[j] == "+"
            if stripBefore || keepBefore { j += 1 }
            // Find the end of the tag (strings may contain the closing characters).
            var end = -1
            var quote: Unicode.Scalar?
            var k = j
            while k + 1 < s.count {
                if kind != "#", let q = quote {
                    if s[k] == "\\" {
                        k += 2
                        continue
                    }
                    if s[k] == q { quote = nil }
                } else if kind != "#" && (s[k] == "'" || s[k] == "\"") {
                    quote = s[k]
                } else if s[k] == close[0] && s[k + 1] == close[1] {
                    end = k
                    break
                }
                k += 1
            }
            guard end >= 0 else { throw JinjaError(message: "unclosed tag", line: line) }
            var contentEnd = end
            let stripAfter = contentEnd > j && s[contentEnd - 1] == "-"
            if stripAfter { contentEnd -= 1 }
            if stripBefore {
                while let last = text.last, last.properties.isWhitespace { text.removeLast() }
            } else if kind != "{" && !keepBefore {
                // lstrip_blocks: drop spaces and tabs between the line start and a block tag.
                var k = i
                while k > 0 && (s[k - 1] == " " || s[k - 1] == "\t") { k -= 1 }
                if k == 0 || s[k - 1] == "\n" {
                    while let last = text.last, last == " " || last == "\t" { text.removeLast() }
                }
            }
            flushText()
            let tagLine = line
            for scalar in s[j..<contentEnd] where scalar == "\n" { line += 1 }
            let content = Array(s[j..<contentEnd])
            switch kind {
            case "{": segments.append(.output(try tokens(content, line: tagLine), line: tagLine))
            case "%": segments.append(.statement(try tokens(content, line: tagLine), line: tagLine))
            default: break
            }
            i = end + 2
            if stripAfter { trimNextLeading = true } else if kind != "{" { trimNextNewline = true }
        }
        flushText()
        return segments
    }

    static func tokens(_ s: [Unicode.Scalar], line: Int) throws(JinjaError) -> [JinjaToken] {
        var tokens: [JinjaToken] = []
        var i = 0
        while i < s.count {
            let c = s[i]
            if c.properties.isWhitespace {
                i += 1
                continue
            }
            if c == "_" || c.properties.isAlphabetic {
                var j = i
                while j < s.count && (s[j] == "_" || s[j].properties.isAlphabetic || ("0"..."9").contains(s[j])) {
                    j += 1
                }
                tokens.append(.name(String(String.UnicodeScalarView(s[i..<j]))))
                i = j
            } else if ("0"..."9").contains(c) {
                var j = i
                var isDouble = false
                while j < s.count
                    && (("0"..."9").contains(s[j]) || s[j] == "_"
                        || (s[j] == "." && !isDouble && j + 1 < s.count && ("0"..."9").contains(s[j + 1])))
                {
                    if s[j] == "." { isDouble = true }
                    j += 1
                }
                let literal = String(String.UnicodeScalarView(s[i..<j])).replacingOccurrences(of: "_", with: "")
                if isDouble {
                    tokens.append(.double(Double(literal) ?? 0))
                } else {
                    guard let value = Int(literal) else {
                        throw JinjaError(message: "number \(literal) is too large", line: line)
                    }
                    tokens.append(.int(value))
                }
                i = j
            } else if c == "'" || c == "\"" {
                var j = i + 1
                var out = String.UnicodeScalarView()
                while j < s.count && s[j] != c {
                    if s[j] == "\\" && j + 1 < s.count {
                        j += 1
                        switch s[j] {
                        case "n": out.append("\n")
                        case "t": out.append("\t")
                        case "r": out.append("\r")
                        case "\\", "'", "\"": out.append(s[j])
                        default:
                            out.append("\\")
                            out.append(s[j])
                        }
                    } else {
                        out.append(s[j])
                    }
                    j += 1
                }
                guard j < s.count else { throw JinjaError(message: "unterminated string", line: line) }
                tokens.append(.string(String(out)))
                i = j + 1
            } else {
                let two = i + 1 < s.count ? String(String.UnicodeScalarView([c, s[i + 1]])) : ""
                if ["==", "!=", "<=", ">=", "//", "**"].contains(two) {
                    tokens.append(.op(two))
                    i += 2
                } else if "+-*/%~<>=()[]{},.:|".unicodeScalars.contains(c) {
                    tokens.append(.op(String(c)))
                    i += 1
                } else {
                    throw JinjaError(message: "unexpected character '\(c)'", line: line)
                }
            }
        }
        return tokens
    }
}

/// A constant written in a template.
enum JinjaLiteral: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)

    /// The value the constant evaluates to.
    var value: JinjaValue {
        switch self {
        case .none: return .none
        case let .bool(b): return .bool(b)
        case let .int(i): return .int(i)
        case let .double(d): return .double(d)
        case let .string(s): return .string(s)
        }
    }
}

/// Expressions.
indirect enum JinjaExpression: Sendable {
    case literal(JinjaLiteral)
    case name(String)
    case list([JinjaExpression])
    case dict([(JinjaExpression, JinjaExpression)])
    case attribute(JinjaExpression, String)
    case index(JinjaExpression, JinjaExpression)
    case slice(JinjaExpression, JinjaExpression?, JinjaExpression?, JinjaExpression?)
    case call(JinjaExpression, [JinjaExpression], [(String, JinjaExpression)])
    case filter(JinjaExpression, String, [JinjaExpression], [(String, JinjaExpression)])
    case test(JinjaExpression, String, [JinjaExpression], negated: Bool)
    case unary(String, JinjaExpression)
    case binary(String, JinjaExpression, JinjaExpression)
    case conditional(JinjaExpression, condition: JinjaExpression, otherwise: JinjaExpression?)
}

/// Template statements.
indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpression, line: Int)
    case conditional([(JinjaExpression, [JinjaNode])], otherwise: [JinjaNode], line: Int)
    case loop(
        targets: [String], iterable: JinjaExpression, condition: JinjaExpression?, body: [JinjaNode],
        otherwise: [JinjaNode], line: Int)
    case assign(target: [String], JinjaExpression, line: Int)
    case assignBlock(name: String, body: [JinjaNode])
    case macro(name: String, parameters: [(String, JinjaExpression?)], body: [JinjaNode])
    case breakLoop, continueLoop
}

/// Parses tag tokens into expressions and segments into a statement tree.
struct JinjaParser {
    private var tokens: [JinjaToken] = []
    private var position = 0
    private var line = 0
    private let segments: [JinjaSegment]
    private var segmentIndex = 0
    private var depth = 0

    init(segments: [JinjaSegment]) { self.segments = segments }

    static func parse(_ source: String) throws(JinjaError) -> [JinjaNode] {
        var parser = JinjaParser(segments: try JinjaLexer.segments(source))
        let (nodes, end) = try parser.block(until: [])
        if let end { throw JinjaError(message: "unexpected '{% \(end) %}'", line: parser.line) }
        return nodes
    }

    // MARK: statements

    /// Nodes up to one of the `until` statements (its keyword is returned; its tokens stay current).
    private mutating func block(until: Set<String>) throws(JinjaError) -> ([JinjaNode], String?) {
        try descend()
        defer { depth -= 1 }
        var nodes: [JinjaNode] = []
        while segmentIndex < segments.count {
            let segment = segments[segmentIndex]
            segmentIndex += 1
            switch segment {
            case let .text(text): nodes.append(.text(text))
            case let .output(tokens, line):
                start(tokens, line)
                nodes.append(.output(try expression(), line: line))
                try expectEnd()
            case let .statement(tokens, line):
                start(tokens, line)
                guard case let .name(keyword)? = peek() else { throw error("expected a statement keyword") }
                if until.contains(keyword) {
                    position += 1
                    return (nodes, keyword)
                }
                position += 1
                nodes.append(try statement(keyword, line: line))
            }
        }
        if !until.isEmpty {
            throw JinjaError(message: "missing '{% \(until.sorted().joined(separator: "' or '")) %}'", line: line)
        }
        return (nodes, nil)
    }

    private mutating func statement(_ keyword: String, line: Int) throws(JinjaError) -> JinjaNode {
        switch keyword {
        case "if":
            var branches: [(JinjaExpression, [JinjaNode])] = []
            var condition = try expression()
            try expectEnd()
            while true {
                let (body, end) = try block(until: ["elif", "else", "endif"])
                branches.append((condition, body))
                switch end {
                case "elif":
                    condition = try expression()
                    try expectEnd()
                case "else":
                    try expectEnd()
                    let (otherwise, _) = try block(until: ["endif"])
                    try expectEnd()
                    return .conditional(branches, otherwise: otherwise, line: line)
                default:
                    try expectEnd()
                    return .conditional(branches, otherwise: [], line: line)
                }
            }
        case "for":
            var targets = [try name()]
            while accept(.op(",")) { targets.append(try name()) }
            guard accept(.name("in")) else { throw error("expected 'in'") }
            let iterable = try conditionalFree()
            let condition = accept(.name("if")) ? try expression() : nil
            _ = accept(.name("recursive"))
            try expectEnd()
            let (body, end) = try block(until: ["else", "endfor"])
            try expectEnd()
            var otherwise: [JinjaNode] = []
            if end == "else" {
                (otherwise, _) = try block(until: ["endfor"])
                try expectEnd()
            }
            return .loop(
                targets: targets, iterable: iterable, condition: condition, body: body, otherwise: otherwise, line: line
            )
        case "set":
            var target = [try name()]
            while accept(.op(".")) { target.append(try name()) }
            if accept(.op("=")) {
                let value = try expression()
                try expectEnd()
                return .assign(target: target, value, line: line)
            }
            try expectEnd()
            let (body, _) = try block(until: ["endset"])
            try expectEnd()
            return .assignBlock(name: target[0], body: body)
        case "macro":
            let macroName = try name()
            var parameters: [(String, JinjaExpression?)] = []
            guard accept(.op("(")) else { throw error("expected '(' after the macro name") }
            while !accept(.op(")")) {
                let parameter = try name()
                parameters.append((parameter, accept(.op("=")) ? try expression() : nil))
                _ = accept(.op(","))
            }
            try expectEnd()
            let (body, _) = try block(until: ["endmacro"])
            try expectEnd()
            return .macro(name: macroName, parameters: parameters, body: body)
        case "break":
            try expectEnd()
            return .breakLoop
        case "continue":
            try expectEnd()
            return .continueLoop
        case "generation", "endgeneration": return .text("")
        default: throw error("unknown statement '\(keyword)'")
        }
    }

    // MARK: expressions

    private mutating func start(_ tokens: [JinjaToken], _ line: Int) {
        self.tokens = tokens
        position = 0
        self.line = line
    }

    private func peek(_ offset: Int = 0) -> JinjaToken? {
        position + offset < tokens.count ? tokens[position + offset] : nil
    }
    private func error(_ message: String) -> JinjaError { JinjaError(message: message, line: line) }

    private mutating func accept(_ token: JinjaToken) -> Bool {
        guard peek() == token else { return false }
        position += 1
        return true
    }

    private mutating func expect(_ token: JinjaToken) throws(JinjaError) {
        guard accept(token) else { throw error("expected \(token)") }
    }

    private mutating func expectEnd() throws(JinjaError) {
        if let extra = peek() { throw error("unexpected \(extra)") }
    }

    private mutating func name() throws(JinjaError) -> String {
        guard case let .name(n)? = peek() else { throw error("expected a name") }
        position += 1
        return n
    }

    /// How deep blocks and expressions nest at most: far beyond real templates, far below what
    /// would exhaust the stack while parsing or rendering.
    static let maximumDepth = 200

    /// Enters one level of nesting (the caller leaves it with `depth -= 1`).
    private mutating func descend() throws(JinjaError) {
        depth += 1
        guard depth <= JinjaParser.maximumDepth else {
            throw error("the template nests deeper than \(JinjaParser.maximumDepth) levels")
        }
    }

    mutating func expression() throws(JinjaError) -> JinjaExpression {
        try descend()
        defer { depth -= 1 }
        let value = try or()
        guard accept(.name("if")) else { return value }
        let condition = try or()
        let otherwise = accept(.name("else")) ? try expression() : nil
        return .conditional(value, condition: condition, otherwise: otherwise)
    }

    /// An expression without a trailing `if` (a for loop's iterable, before its filter).
    private mutating func conditionalFree() throws(JinjaError) -> JinjaExpression { try or() }

    private mutating func or() throws(JinjaError) -> JinjaExpression {
        var left = try and()
        while accept(.name("or")) { left = .binary("or", left, try and()) }
        return left
    }

    private mutating func and() throws(JinjaError) -> JinjaExpression {
        var left = try not()
        while accept(.name("and")) { left = .binary("and", left, try not()) }
        return left
    }

    private mutating func not() throws(JinjaError) -> JinjaExpression {
        try descend()
        defer { depth -= 1 }
        if accept(.name("not")) { return .unary("not", try not()) }
        return try comparison()
    }

    private mutating func comparison() throws(JinjaError) -> JinjaExpression {
        var left = try additive()
        while true {
            if case let .op(op)? = peek(), ["==", "!=", "<", ">", "<=", ">="].contains(op) {
                position += 1
                left = .binary(op, left, try additive())
            } else if accept(.name("in")) {
                left = .binary("in", left, try additive())
            } else if peek() == .name("not") && peek(1) == .name("in") {
                position += 2
                left = .unary("not", .binary("in", left, try additive()))
            } else if accept(.name("is")) {
                let negated = accept(.name("not"))
                let test = try name()
                var arguments: [JinjaExpression] = []
                if accept(.op("(")) {
                    while !accept(.op(")")) {
                        arguments.append(try expression())
                        _ = accept(.op(","))
                    }
                } else if let next = peek(), case .name = next, !["and", "or", "else", "if"].contains(nameText(next)) {
                    arguments.append(try primary())
                } else if let next = peek(), case .string = next {
                    arguments.append(try primary())
                } else if let next = peek(), case .int = next {
                    arguments.append(try primary())
                }
                left = .test(left, test, arguments, negated: negated)
            } else {
                return left
            }
        }
    }

    private func nameText(_ token: JinjaToken) -> String {
        if case let .name(n) = token { return n }
        return ""
    }

    private mutating func additive() throws(JinjaError) -> JinjaExpression {
        var left = try concatenation()
        while case let .op(op)? = peek(), op == "+" || op == "-" {
            position += 1
            left = .binary(op, left, try concatenation())
        }
        return left
    }

    private mutating func concatenation() throws(JinjaError) -> JinjaExpression {
        var left = try multiplicative()
        while accept(.op("~")) { left = .binary("~", left, try multiplicative()) }
        return left
    }

    private mutating func multiplicative() throws(JinjaError) -> JinjaExpression {
        var left = try power()
        while case let .op(op)? = peek(), ["*", "/", "//", "%"].contains(op) {
            position += 1
            left = .binary(op, left, try power())
        }
        return left
    }

    private mutating func power() throws(JinjaError) -> JinjaExpression {
        let left = try unary()
        if accept(.op("**")) { return .binary("**", left, try unary()) }
        return left
    }

    private mutating func unary() throws(JinjaError) -> JinjaExpression {
        try descend()
        defer { depth -= 1 }
        if accept(.op("-")) { return .unary("-", try unary()) }
        if accept(.op("+")) { return try unary() }
        return try postfix(try primary())
    }

    private mutating func arguments() throws(JinjaError) -> ([JinjaExpression], [(String, JinjaExpression)]) {
        var positional: [JinjaExpression] = [], named: [(String, JinjaExpression)] = []
        while !accept(.op(")")) {
            if case let .name(key)? = peek(), peek(1) == .op("=") {
                position += 2
                named.append((key, try expression()))
            } else {
                positional.append(try expression())
            }
            if !accept(.op(",")) {
                try expect(.op(")"))
                break
            }
        }
        return (positional, named)
    }

    private mutating func postfix(_ base: JinjaExpression) throws(JinjaError) -> JinjaExpression {
        var value = base
        while true {
            if accept(.op(".")) {
                value = .attribute(value, try name())
            } else if accept(.op("[")) {
                var parts: [JinjaExpression?] = [nil]
                var isSlice = false
                while !accept(.op("]")) {
                    if accept(.op(":")) {
                        isSlice = true
                        parts.append(nil)
                    } else {
                        parts[parts.count - 1] = try expression()
                    }
                }
                if isSlice {
                    value = .slice(value, parts[0], parts.count > 1 ? parts[1] : nil, parts.count > 2 ? parts[2] : nil)
                } else {
                    guard let index = parts[0] else { throw error("empty subscript") }
                    value = .index(value, index)
                }
            } else if accept(.op("(")) {
                let (positional, named) = try arguments()
                value = .call(value, positional, named)
            } else if accept(.op("|")) {
                let filter = try name()
                var positional: [JinjaExpression] = [], named: [(String, JinjaExpression)] = []
                if accept(.op("(")) { (positional, named) = try arguments() }
                value = .filter(value, filter, positional, named)
            } else {
                return value
            }
        }
    }

    private mutating func primary() throws(JinjaError) -> JinjaExpression {
        guard let token = peek() else { throw error("unexpected end of expression") }
        position += 1
        switch token {
        case let .string(s):
            var text = s
            // Adjacent string literals concatenate.
            while case let .string(more)? = peek() {
                text += more
                position += 1
            }
            return .literal(.string(text))
        case let .int(i): return .literal(.int(i))
        case let .double(d): return .literal(.double(d))
        case let .name(n):
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n)
            }
        case .op("("):
            let first = try expression()
            if accept(.op(",")) {
                var items = [first]
                while !accept(.op(")")) {
                    items.append(try expression())
                    _ = accept(.op(","))
                }
                return .list(items)
            }
            try expect(.op(")"))
            return first
        case .op("["):
            var items: [JinjaExpression] = []
            while !accept(.op("]")) {
                items.append(try expression())
                if !accept(.op(",")) {
                    try expect(.op("]"))
                    break
                }
            }
            return .list(items)
        case .op("{"):
            var pairs: [(JinjaExpression, JinjaExpression)] = []
            while !accept(.op("}")) {
                let key = try expression()
                try expect(.op(":"))
                pairs.append((key, try expression()))
                if !accept(.op(",")) {
                    try expect(.op("}"))
                    break
                }
            }
            return .dict(pairs)
        default:
            throw error("unexpected \(token)")
        }
    }
}
