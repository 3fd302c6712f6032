import Foundation

/// A compiled Jinja template: the subset chat templates use (for/if/elif/else, set and namespaces,
/// macros, filters, tests, string and dict methods, loop variables, `raise_exception`), rendered with
/// `trim_blocks` and `lstrip_blocks` as Hugging Face and llama.cpp do.
public struct JinjaTemplate: Sendable {
    private let nodes: [JinjaNode]

    public init(_ source: String) throws(JinjaError) {
        nodes = try JinjaParser.parse(source)
    }

    /// Renders with the given top-level variables. Rendering is bounded (``JinjaLimits``): a
    /// template that runs too long, nests macro calls too deep or writes too much is an error.
    public func render(_ variables: [String: JinjaValue], limits: JinjaLimits = JinjaLimits()) throws(JinjaError)
        -> String
    {
        var renderer = JinjaRenderer(frames: [variables], budget: RenderBudget(limits))
        var output = ""
        _ = try renderer.run(nodes, into: &output)
        return output
    }
}

/// Bounds on one rendering: templates come from model files, i.e. from whoever made them.
public struct JinjaLimits: Sendable {
    /// Statements and loop iterations executed.
    public var steps = 5_000_000
    /// Macro calls inside each other.
    public var callDepth = 64
    /// Bytes written, macro and block captures included.
    public var outputBytes = 64 << 20

    public init() {}
}

/// What one rendering has used of its limits; shared by the renderers of its macro calls.
final class RenderBudget {
    let limits: JinjaLimits
    var steps = 0
    var callDepth = 0
    var outputBytes = 0

    init(_ limits: JinjaLimits) { self.limits = limits }

    func step(line: Int) throws(JinjaError) {
        steps += 1
        guard steps <= limits.steps else {
            throw JinjaError(message: "the template ran more than \(limits.steps) steps", line: line)
        }
    }

    func wrote(_ text: String, line: Int) throws(JinjaError) {
        outputBytes += text.utf8.count
        guard outputBytes <= limits.outputBytes else {
            throw JinjaError(message: "the template wrote more than \(limits.outputBytes) bytes", line: line)
        }
    }
}

/// What a statement list ended with.
private enum Flow { case normal, breakLoop, continueLoop }

private struct JinjaRenderer {
    var frames: [[String: JinjaValue]]
    var line = 0
    let budget: RenderBudget
    /// Functions every template can call; made per rendering, since values are not shared.
    let globals = JinjaRenderer.makeGlobals()

    func error(_ message: String) -> JinjaError { JinjaError(message: message, line: line) }

    func lookup(_ name: String) -> JinjaValue {
        for frame in frames.reversed() { if let value = frame[name] { return value } }
        return globals[name] ?? .undefined
    }

    mutating func assign(_ name: String, _ value: JinjaValue) { frames[frames.count - 1][name] = value }

    /// The widest indent `indent` and `tojson` accept.
    static let maximumIndent = 64

    /// An integer result, or an error where Python's unbounded integers would leave Int's range.
    func checked(_ result: (partialValue: Int, overflow: Bool), _ a: Int, _ op: String, _ b: Int) throws(JinjaError)
        -> Int
    {
        guard !result.overflow else { throw error("\(a) \(op) \(b) does not fit in 64 bits") }
        return result.partialValue
    }

    mutating func run(_ nodes: [JinjaNode], into output: inout String) throws(JinjaError) -> Flow {
        for node in nodes {
            try budget.step(line: line)
            switch node {
            case let .text(text):
                try budget.wrote(text, line: line)
                output += text
            case let .output(expression, line):
                self.line = line
                let text = try evaluate(expression).rendered
                try budget.wrote(text, line: line)
                output += text
            case let .conditional(branches, otherwise, line):
                self.line = line
                var taken = false
                for (condition, body) in branches where try evaluate(condition).isTruthy {
                    taken = true
                    let flow = try run(body, into: &output)
                    if flow != .normal { return flow }
                    break
                }
                if !taken {
                    let flow = try run(otherwise, into: &output)
                    if flow != .normal { return flow }
                }
            case let .loop(targets, iterable, condition, body, otherwise, line):
                self.line = line
                try loop(
                    targets: targets, iterable: iterable, condition: condition, body: body, otherwise: otherwise,
                    into: &output)
            case let .assign(target, expression, line):
                self.line = line
                let value = try evaluate(expression)
                if target.count == 1 {
                    assign(target[0], value)
                } else {
                    guard case let .object(object) = lookup(target[0]) else {
                        throw error("cannot set an attribute of '\(target[0])'")
                    }
                    // A cycle would make printing, JSON and comparison recurse forever.
                    guard !value.reaches(object) else {
                        throw error("'\(target[0]).\(target[1])' cannot hold a value that contains '\(target[0])'")
                    }
                    object[target[1]] = value
                }
            case let .assignBlock(name, body):
                var captured = ""
                _ = try run(body, into: &captured)
                assign(name, .string(captured))
            case let .macro(name, parameters, body):
                let definitionFrames = frames, budget = self.budget, line = self.line
                assign(
                    name,
                    .function { positional, named in
                        budget.callDepth += 1
                        defer { budget.callDepth -= 1 }
                        guard budget.callDepth <= budget.limits.callDepth else {
                            throw JinjaError(
                                message: "macro calls nest deeper than \(budget.limits.callDepth)", line: line)
                        }
                        var frame: [String: JinjaValue] = [:]
                        var renderer = JinjaRenderer(frames: definitionFrames, budget: budget)
                        for (index, (parameter, fallback)) in parameters.enumerated() {
                            if index < positional.count {
                                frame[parameter] = positional[index]
                            } else if let value = named[parameter] {
                                frame[parameter] = value
                            } else if let fallback {
                                frame[parameter] = try renderer.evaluate(fallback)
                            } else {
                                frame[parameter] = .undefined
                            }
                        }
                        renderer.frames.append(frame)
                        var text = ""
                        _ = try renderer.run(body, into: &text)
                        return .string(text)
                    })
            case .breakLoop: return .breakLoop
            case .continueLoop: return .continueLoop
            }
        }
        return .normal
    }

    mutating func loop(
        targets: [String], iterable: JinjaExpression, condition: JinjaExpression?, body: [JinjaNode],
        otherwise: [JinjaNode],
        into output: inout String
    ) throws(JinjaError) {
        var items = try iterate(try evaluate(iterable))
        if let condition {
            var kept: [JinjaValue] = []
            for item in items {
                frames.append([:])
                bind(targets, item)
                let keep = try evaluate(condition).isTruthy
                frames.removeLast()
                if keep { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty {
            _ = try run(otherwise, into: &output)
            return
        }
        for (index, item) in items.enumerated() {
            try budget.step(line: line)
            frames.append([:])
            bind(targets, item)
            let loopObject = JinjaObject([
                ("index", .int(index + 1)), ("index0", .int(index)), ("first", .bool(index == 0)),
                ("last", .bool(index == items.count - 1)),
                ("length", .int(items.count)), ("revindex", .int(items.count - index)),
                ("revindex0", .int(items.count - index - 1)),
                ("previtem", index > 0 ? items[index - 1] : .undefined),
                ("nextitem", index + 1 < items.count ? items[index + 1] : .undefined),
            ])
            assign("loop", .object(loopObject))
            let flow = try run(body, into: &output)
            frames.removeLast()
            if flow == .breakLoop { break }
        }
    }

    mutating func bind(_ targets: [String], _ item: JinjaValue) {
        if targets.count == 1 {
            assign(targets[0], item)
        } else if case let .array(parts) = item {
            for (index, target) in targets.enumerated() {
                assign(target, index < parts.count ? parts[index] : .undefined)
            }
        }
    }

    func iterate(_ value: JinjaValue) throws(JinjaError) -> [JinjaValue] {
        switch value {
        case let .array(items): return items
        case let .object(object): return object.keys.map { .string($0) }
        case let .string(s): return s.unicodeScalars.map { .string(String($0)) }
        case .undefined, .none: return []
        default: throw error("\(value.typeName) is not iterable")
        }
    }

    // MARK: expressions

    mutating func evaluate(_ expression: JinjaExpression) throws(JinjaError) -> JinjaValue {
        switch expression {
        case let .literal(constant): return constant.value
        case let .name(name): return lookup(name)
        case let .list(items):
            var values: [JinjaValue] = []
            for item in items { values.append(try evaluate(item)) }
            return .array(values)
        case let .dict(pairs):
            let object = JinjaObject()
            for (key, value) in pairs { object[try evaluate(key).rendered] = try evaluate(value) }
            return .object(object)
        case let .attribute(base, name):
            let value = try evaluate(base)
            return try attribute(value, name)
        case let .index(base, index):
            let value = try evaluate(base), key = try evaluate(index)
            if case .undefined = value { throw error("cannot index an undefined value") }
            switch (value, key) {
            case let (.array(items), .int(i)):
                let at = i < 0 ? items.count + i : i
                return items.indices.contains(at) ? items[at] : .undefined
            case let (.string(s), .int(i)):
                let scalars = Array(s.unicodeScalars)
                let at = i < 0 ? scalars.count + i : i
                return scalars.indices.contains(at) ? .string(String(scalars[at])) : .undefined
            case let (.object(object), .string(k)):
                if let member = object[k] { return member }
                return try attribute(value, k)
            default: return .undefined
            }
        case let .slice(base, start, stop, step):
            let value = try evaluate(base)
            let from = try start.map { e throws(JinjaError) in try evaluate(e) },
                to = try stop.map { e throws(JinjaError) in try evaluate(e) }
            let by = try step.map { e throws(JinjaError) in try evaluate(e) }
            return try slice(value, from, to, by)
        case let .call(callee, positional, named):
            let function = try evaluate(callee)
            guard case let .function(body) = function else { throw error("\(describe(callee)) is not callable") }
            var arguments: [JinjaValue] = []
            for argument in positional { arguments.append(try evaluate(argument)) }
            var keywords: [String: JinjaValue] = [:]
            for (key, value) in named { keywords[key] = try evaluate(value) }
            do { return try body(arguments, keywords) } catch let failure as JinjaError { throw failure } catch {
                throw self.error("\(error)")
            }
        case let .filter(base, name, positional, named):
            let value = try evaluate(base)
            var arguments: [JinjaValue] = []
            for argument in positional { arguments.append(try evaluate(argument)) }
            var keywords: [String: JinjaValue] = [:]
            for (key, value) in named { keywords[key] = try evaluate(value) }
            return try filter(name, value, arguments, keywords)
        case let .test(base, name, positional, negated):
            let value = try evaluate(base)
            var arguments: [JinjaValue] = []
            for argument in positional { arguments.append(try evaluate(argument)) }
            let result = try test(name, value, arguments)
            return .bool(negated ? !result : result)
        case let .unary(op, operand):
            let value = try evaluate(operand)
            switch (op, value) {
            case ("not", _): return .bool(!value.isTruthy)
            case let ("-", .int(i)): return .int(-i)
            case let ("-", .double(d)): return .double(-d)
            default: throw error("bad operand for unary \(op): \(value.typeName)")
            }
        case let .binary(op, left, right):
            if op == "and" {
                let l = try evaluate(left)
                return l.isTruthy ? try evaluate(right) : l
            }
            if op == "or" {
                let l = try evaluate(left)
                return l.isTruthy ? l : try evaluate(right)
            }
            return try binary(op, try evaluate(left), try evaluate(right))
        case let .conditional(value, condition, otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(value) }
            return try otherwise.map { e throws(JinjaError) in try evaluate(e) } ?? .undefined
        }
    }

    func describe(_ expression: JinjaExpression) -> String {
        switch expression {
        case let .name(n): return "'\(n)'"
        case let .attribute(_, n): return "'\(n)'"
        default: return "the expression"
        }
    }

    func slice(_ value: JinjaValue, _ start: JinjaValue?, _ stop: JinjaValue?, _ step: JinjaValue?) throws(JinjaError)
        -> JinjaValue
    {
        func pick<T>(_ items: [T]) -> [T] {
            let count = items.count
            let by: Int = {
                if case let .int(s)? = step, s != 0 { return s }
                return 1
            }()
            func resolve(_ v: JinjaValue?, _ fallback: Int) -> Int {
                guard case let .int(i)? = v else { return fallback }
                let at = i < 0 ? i + count : i
                return by > 0 ? min(max(at, 0), count) : min(max(at, -1), count - 1)
            }
            var result: [T] = []
            var i = resolve(start, by > 0 ? 0 : count - 1)
            let end = resolve(stop, by > 0 ? count : -1)
            while by > 0 ? i < end : i > end {
                result.append(items[i])
                i += by
            }
            return result
        }
        switch value {
        case let .array(items): return .array(pick(items))
        case let .string(s): return .string(String(String.UnicodeScalarView(pick(Array(s.unicodeScalars)))))
        default: throw error("cannot slice \(value.typeName)")
        }
    }

    func binary(_ op: String, _ l: JinjaValue, _ r: JinjaValue) throws(JinjaError) -> JinjaValue {
        switch op {
        case "==": return .bool(l == r)
        case "!=": return .bool(l != r)
        case "~": return .string(l.rendered + r.rendered)
        case "in":
            switch r {
            case let .array(items): return .bool(items.contains(l))
            case let .string(s): return .bool(s.contains(l.rendered))
            case let .object(object): return .bool(object[l.rendered] != nil)
            default: return .bool(false)
            }
        default: break
        }
        switch (l, r) {
        case let (.int(a), .int(b)):
            switch op {
            case "+": return .int(try checked(a.addingReportingOverflow(b), a, op, b))
            case "-": return .int(try checked(a.subtractingReportingOverflow(b), a, op, b))
            case "*": return .int(try checked(a.multipliedReportingOverflow(by: b), a, op, b))
            case "/": return b == 0 ? .undefined : .double(Double(a) / Double(b))
            case "//":
                // Python's floor division, exact on integers.
                guard b != 0 else { return .undefined }
                let quotient = try checked(a.dividedReportingOverflow(by: b), a, op, b)
                let remainder = a.remainderReportingOverflow(dividingBy: b).partialValue
                return .int(remainder != 0 && (remainder < 0) != (b < 0) ? quotient - 1 : quotient)
            case "%":
                // Python's modulo: the sign of the divisor.
                guard b != 0 else { return .undefined }
                let remainder = a.remainderReportingOverflow(dividingBy: b).partialValue
                return .int(remainder != 0 && (remainder < 0) != (b < 0) ? remainder + b : remainder)
            case "**":
                guard b >= 0 else { return .double(pow(Double(a), Double(b))) }
                var result = 1, base = a, exponent = b
                while exponent > 0 {
                    if exponent & 1 == 1 {
                        result = try checked(result.multipliedReportingOverflow(by: base), a, op, b)
                    }
                    exponent >>= 1
                    if exponent > 0 { base = try checked(base.multipliedReportingOverflow(by: base), a, op, b) }
                }
                return .int(result)
            case "<": return .bool(a < b)
            case ">": return .bool(a > b)
            case "<=": return .bool(a <= b)
            case ">=": return .bool(a >= b)
            default: break
            }
        case (.int, .double), (.double, .int), (.double, .double):
            let a = number(l), b = number(r)
            switch op {
            case "+": return .double(a + b)
            case "-": return .double(a - b)
            case "*": return .double(a * b)
            case "/": return .double(a / b)
            case "//": return .double((a / b).rounded(.down))
            case "%": return .double(a - b * (a / b).rounded(.down))
            case "**": return .double(pow(a, b))
            case "<": return .bool(a < b)
            case ">": return .bool(a > b)
            case "<=": return .bool(a <= b)
            case ">=": return .bool(a >= b)
            default: break
            }
        case let (.string(a), .string(b)):
            switch op {
            case "+": return .string(a + b)
            case "<":
                return .bool(
                    Array(a.unicodeScalars.map(\.value)).lexicographicallyPrecedes(b.unicodeScalars.map(\.value)))
            case ">":
                return .bool(
                    Array(b.unicodeScalars.map(\.value)).lexicographicallyPrecedes(a.unicodeScalars.map(\.value)))
            default: break
            }
        case let (.array(a), .array(b)) where op == "+": return .array(a + b)
        case let (.string(a), .int(n)) where op == "*":
            let (bytes, overflow) = a.utf8.count.multipliedReportingOverflow(by: max(0, n))
            guard !overflow, bytes <= budget.limits.outputBytes else {
                throw error("a string repeated \(n) times is longer than \(budget.limits.outputBytes) bytes")
            }
            return .string(String(repeating: a, count: max(0, n)))
        default: break
        }
        throw error("unsupported operand types for \(op): \(l.typeName) and \(r.typeName)")
    }

    func number(_ v: JinjaValue) -> Double {
        switch v {
        case let .int(i): return Double(i)
        case let .double(d): return d
        case let .bool(b): return b ? 1 : 0
        default: return 0
        }
    }

    // MARK: attributes and methods

    func attribute(_ value: JinjaValue, _ name: String) throws(JinjaError) -> JinjaValue {
        switch value {
        case .undefined: throw error("'\(name)' of an undefined value")
        case let .object(object):
            if let member = object[name] { return member }
            switch name {
            case "items": return .function { _, _ in .array(object.pairs.map { .array([.string($0.0), $0.1]) }) }
            case "keys": return .function { _, _ in .array(object.keys.map { .string($0) }) }
            case "values": return .function { _, _ in .array(object.pairs.map(\.1)) }
            case "get":
                return .function { args, _ in
                    guard let key = args.first else { return .none }
                    return object[key.rendered] ?? (args.count > 1 ? args[1] : .none)
                }
            default: return .undefined
            }
        case let .string(s): return stringMethod(s, name)
        case let .array(items):
            switch name {
            case "index": return .function { args, _ in .int(items.firstIndex { $0 == (args.first ?? .none) } ?? -1) }
            case "count": return .function { args, _ in .int(items.filter { $0 == (args.first ?? .none) }.count) }
            default: return .undefined
            }
        default: return .undefined
        }
    }

    func stringMethod(_ s: String, _ name: String) -> JinjaValue {
        func characters(_ args: [JinjaValue]) -> Set<Unicode.Scalar>? {
            if case let .string(chars)? = args.first { return Set(chars.unicodeScalars) }
            return nil
        }
        func strip(_ args: [JinjaValue], leading: Bool, trailing: Bool) -> JinjaValue {
            let set = characters(args)
            var scalars = Array(s.unicodeScalars)[...]
            let remove: (Unicode.Scalar) -> Bool = { set?.contains($0) ?? $0.properties.isWhitespace }
            if leading { while let first = scalars.first, remove(first) { scalars = scalars.dropFirst() } }
            if trailing { while let last = scalars.last, remove(last) { scalars = scalars.dropLast() } }
            return .string(String(String.UnicodeScalarView(scalars)))
        }
        switch name {
        case "strip": return .function { args, _ in strip(args, leading: true, trailing: true) }
        case "lstrip": return .function { args, _ in strip(args, leading: true, trailing: false) }
        case "rstrip": return .function { args, _ in strip(args, leading: false, trailing: true) }
        case "upper": return .function { _, _ in .string(s.uppercased()) }
        case "lower": return .function { _, _ in .string(s.lowercased()) }
        case "title": return .function { _, _ in .string(s.capitalized) }
        case "capitalize": return .function { _, _ in .string(s.prefix(1).uppercased() + s.dropFirst().lowercased()) }
        case "startswith":
            return .function { args, _ in
                .bool(s.unicodeScalars.starts(with: (args.first?.rendered ?? "").unicodeScalars))
            }
        case "endswith":
            return .function { args, _ in
                .bool(
                    Array(s.unicodeScalars).reversed().starts(
                        with: Array((args.first?.rendered ?? "").unicodeScalars).reversed()))
            }
        case "replace":
            return .function { args, _ in
                guard args.count >= 2 else { return .string(s) }
                return .string(s.replacingOccurrences(of: args[0].rendered, with: args[1].rendered))
            }
        case "split":
            return .function { args, _ in
                if case let .string(separator)? = args.first, !separator.isEmpty {
                    return .array(s.components(separatedBy: separator).map { .string($0) })
                }
                return .array(s.split(whereSeparator: { $0.isWhitespace }).map { .string(String($0)) })
            }
        case "find":
            return .function { args, _ in
                guard let range = s.range(of: args.first?.rendered ?? "") else { return .int(-1) }
                return .int(s.unicodeScalars.distance(from: s.startIndex, to: range.lowerBound))
            }
        case "count":
            return .function { args, _ in .int(max(0, s.components(separatedBy: args.first?.rendered ?? "").count - 1))
            }
        default: return .undefined
        }
    }

    // MARK: filters and tests

    func filter(_ name: String, _ value: JinjaValue, _ args: [JinjaValue], _ named: [String: JinjaValue])
        throws(JinjaError) -> JinjaValue
    {
        switch name {
        case "trim":
            if case let .function(strip) = stringMethod(value.rendered, "strip") {
                do { return try strip([], [:]) } catch { return value }
            }
            return value
        case "length", "count":
            switch value {
            case let .string(s): return .int(s.unicodeScalars.count)
            case let .array(a): return .int(a.count)
            case let .object(o): return .int(o.keys.count)
            default: return .int(0)
            }
        case "upper": return .string(value.rendered.uppercased())
        case "lower": return .string(value.rendered.lowercased())
        case "title": return .string(value.rendered.capitalized)
        case "capitalize":
            return .string(value.rendered.prefix(1).uppercased() + value.rendered.dropFirst().lowercased())
        case "string": return .string(value.rendered)
        case "int":
            switch value {
            case let .int(i): return .int(i)
            case let .double(d): return .int(Int(d))
            case let .string(s): return .int(Int(s.trimmingCharacters(in: .whitespaces)) ?? 0)
            case let .bool(b): return .int(b ? 1 : 0)
            default: return .int(0)
            }
        case "float":
            return .double(value.rendered == "" ? 0 : number(value) == 0 ? Double(value.rendered) ?? 0 : number(value))
        case "abs":
            if case let .int(i) = value { return .int(abs(i)) }
            return .double(abs(number(value)))
        case "first": return try iterate(value).first ?? .undefined
        case "last": return try iterate(value).last ?? .undefined
        case "list": return .array(try iterate(value))
        case "reverse":
            if case let .string(s) = value { return .string(String(s.reversed())) }
            return .array(try iterate(value).reversed())
        case "join":
            let separator = args.first?.rendered ?? ""
            return .string(try iterate(value).map(\.rendered).joined(separator: separator))
        case "default", "d":
            let fallback = args.first ?? .string("")
            let boolean = (args.count > 1 ? args[1] : named["boolean"] ?? .bool(false)).isTruthy
            if case .undefined = value { return fallback }
            return boolean && !value.isTruthy ? fallback : value
        case "replace":
            guard args.count >= 2 else { throw error("replace needs two arguments") }
            return .string(value.rendered.replacingOccurrences(of: args[0].rendered, with: args[1].rendered))
        case "tojson":
            let indent: Int? = {
                if case let .int(i)? = (args.first ?? named["indent"]) { return i }
                return nil
            }()
            if let indent, !(0...JinjaRenderer.maximumIndent).contains(indent) {
                throw error("tojson indent \(indent) is outside 0...\(JinjaRenderer.maximumIndent)")
            }
            return .string(value.json(indent: indent))
        case "items":
            guard case let .object(object) = value else { return .array([]) }
            return .array(object.pairs.map { .array([.string($0.0), $0.1]) })
        case "safe", "e", "escape": return value
        case "unique":
            var seen: [JinjaValue] = []
            for item in try iterate(value) where !seen.contains(item) { seen.append(item) }
            return .array(seen)
        case "map":
            if case let .string(attributeName)? = named["attribute"] {
                var mapped: [JinjaValue] = []
                for item in try iterate(value) { mapped.append(try attribute(item, attributeName)) }
                return .array(mapped)
            }
            guard case let .string(filterName)? = args.first else {
                throw error("map needs a filter name or attribute=")
            }
            var mapped: [JinjaValue] = []
            for item in try iterate(value) { mapped.append(try filter(filterName, item, Array(args.dropFirst()), [:])) }
            return .array(mapped)
        case "selectattr", "rejectattr":
            guard case let .string(attributeName)? = args.first else { throw error("\(name) needs an attribute name") }
            var kept: [JinjaValue] = []
            for item in try iterate(value) {
                let member = (try? attribute(item, attributeName)) ?? .undefined
                var passes = member.isTruthy
                if args.count > 1, case let .string(testName) = args[1] {
                    passes = try test(testName, member, Array(args.dropFirst(2)))
                }
                if passes == (name == "selectattr") { kept.append(item) }
            }
            return .array(kept)
        case "select", "reject":
            var kept: [JinjaValue] = []
            for item in try iterate(value) {
                var passes = item.isTruthy
                if case let .string(testName)? = args.first {
                    passes = try test(testName, item, Array(args.dropFirst()))
                }
                if passes == (name == "select") { kept.append(item) }
            }
            return .array(kept)
        case "round":
            let digits: Int = {
                if case let .int(i)? = args.first { return i }
                return 0
            }()
            let scale = pow(10, Double(digits))
            return .double((number(value) * scale).rounded(.toNearestOrEven) / scale)
        case "indent":
            let width: Int = {
                if case let .int(i)? = (args.first ?? named["width"]) { return i }
                return 4
            }()
            guard (0...JinjaRenderer.maximumIndent).contains(width) else {
                throw error("indent width \(width) is outside 0...\(JinjaRenderer.maximumIndent)")
            }
            let pad = String(repeating: " ", count: width)
            let first = (args.count > 1 ? args[1] : named["first"] ?? .bool(false)).isTruthy
            let lines = value.rendered.components(separatedBy: "\n")
            return .string(
                lines.enumerated().map { index, line in (index == 0 && !first) || line.isEmpty ? line : pad + line }
                    .joined(separator: "\n"))
        default:
            throw error("unknown filter '\(name)'")
        }
    }

    func test(_ name: String, _ value: JinjaValue, _ args: [JinjaValue]) throws(JinjaError) -> Bool {
        switch name {
        case "defined":
            if case .undefined = value { return false }
            return true
        case "undefined":
            if case .undefined = value { return true }
            return false
        case "none":
            if case .none = value { return true }
            return false
        case "string":
            if case .string = value { return true }
            return false
        case "number":
            switch value {
            case .int, .double: return true
            default: return false
            }
        case "integer":
            if case .int = value { return true }
            return false
        case "float":
            if case .double = value { return true }
            return false
        case "boolean":
            if case .bool = value { return true }
            return false
        case "true":
            if case .bool(true) = value { return true }
            return false
        case "false":
            if case .bool(false) = value { return true }
            return false
        case "mapping":
            if case .object = value { return true }
            return false
        case "sequence", "iterable":
            switch value {
            case .array, .string, .object: return true
            default: return false
            }
        case "callable":
            if case .function = value { return true }
            return false
        case "even":
            if case let .int(i) = value { return i % 2 == 0 }
            return false
        case "odd":
            if case let .int(i) = value { return i % 2 != 0 }
            return false
        case "equalto", "eq", "==": return value == (args.first ?? .undefined)
        case "ne", "!=": return value != (args.first ?? .undefined)
        case "in": return try binary("in", value, args.first ?? .undefined).isTruthy
        case "lower": return value.rendered == value.rendered.lowercased()
        case "upper": return value.rendered == value.rendered.uppercased()
        default: throw error("unknown test '\(name)'")
        }
    }

    /// Functions every template can call.
    static func makeGlobals() -> [String: JinjaValue] {
        [
            "raise_exception": .function { args, _ in
                throw JinjaError(message: args.first?.rendered ?? "raise_exception called", line: 0)
            },
            "range": .function { args, _ in
                let numbers = args.compactMap { v -> Int? in
                    if case let .int(i) = v { return i }
                    return nil
                }
                guard numbers.count == args.count, !numbers.isEmpty, numbers.count <= 3 else {
                    throw JinjaError(message: "range() takes 1 to 3 integers", line: 0)
                }
                let (start, stop, step) =
                    numbers.count == 1
                    ? (0, numbers[0], 1) : (numbers[0], numbers[1], numbers.count > 2 ? numbers[2] : 1)
                guard step != 0 else { throw JinjaError(message: "range() step must not be zero", line: 0) }
                let count = max(0, (stop - start + step + (step > 0 ? -1 : 1)) / step)
                guard count <= 1_000_000 else {
                    throw JinjaError(message: "range() of \(count) items is too long", line: 0)
                }
                return .array((0..<count).map { .int(start + $0 * step) })
            },
            "namespace": .function { _, named in
                .object(JinjaObject(named.keys.sorted().map { ($0, named[$0] ?? .none) }))
            },
            "dict": .function { _, named in .object(JinjaObject(named.keys.sorted().map { ($0, named[$0] ?? .none) }))
            },
            "strftime_now": .function { args, _ in
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_US_POSIX")
                let format = args.first?.rendered ?? "%Y-%m-%d"
                formatter.dateFormat = format.replacingOccurrences(of: "%Y", with: "yyyy").replacingOccurrences(
                    of: "%m", with: "MM"
                )
                .replacingOccurrences(of: "%d", with: "dd").replacingOccurrences(of: "%B", with: "MMMM")
                .replacingOccurrences(of: "%b", with: "MMM")
                .replacingOccurrences(of: "%H", with: "HH").replacingOccurrences(of: "%M", with: "mm")
                return .string(formatter.string(from: Date()))
            },
        ]
    }
}
