import Foundation

/// Unicode normalisation forms as rewrite streams (see ``NormalizedText``), with the alignment
/// changes Hugging Face `tokenizers` reports: decomposed scalars after the first are insertions,
/// canonical reordering carries each scalar's change along, and a composition swallows the scalar
/// it absorbs.
enum UnicodeForm: Sendable {
    case nfd, nfkd, nfc, nfkc

    /// Applies this form to `text`.
    func apply(to text: inout NormalizedText) {
        // Below U+00A0 every scalar is its own normal form and a starter.
        guard text.scalars.contains(where: { $0.value >= 0xA0 }) else { return }
        text.rewrite(0..<text.scalars.count, with: stream(text.scalars))
    }

    /// The `(scalar, change)` stream that normalises `scalars`.
    func stream(_ scalars: [Unicode.Scalar]) -> [(Unicode.Scalar, Int)] {
        let compatibility = self == .nfkd || self == .nfkc
        var decomposed: [(scalar: Unicode.Scalar, change: Int, combiningClass: UInt8)] = []
        decomposed.reserveCapacity(scalars.count)
        var pendingFrom = 0
        func sortPending() {
            // Canonical ordering: a stable sort of the non-starters since the last starter.
            if decomposed.count - pendingFrom > 1 {
                let sorted = decomposed[pendingFrom...].enumerated().sorted {
                    ($0.element.combiningClass, $0.offset) < ($1.element.combiningClass, $1.offset)
                }.map(\.element)
                decomposed.replaceSubrange(pendingFrom..., with: sorted)
            }
            pendingFrom = decomposed.count
        }
        for scalar in scalars {
            for (index, part) in UnicodeForm.decomposition(of: scalar, compatibility: compatibility).enumerated() {
                let combiningClass = UnicodeForm.combiningClass(part)
                if combiningClass == 0 { sortPending() }
                decomposed.append((part, index == 0 ? 0 : 1, combiningClass))
                if combiningClass == 0 { pendingFrom = decomposed.count }
            }
        }
        sortPending()
        if self == .nfd || self == .nfkd { return decomposed.map { ($0.scalar, $0.change) } }
        return UnicodeForm.recompose(decomposed)
    }

    /// Canonical composition of a decomposed stream, as the `unicode-normalization` crate's
    /// recomposition iterator orders its output.
    private static func recompose(_ input: [(scalar: Unicode.Scalar, change: Int, combiningClass: UInt8)]) -> [(
        Unicode.Scalar, Int
    )] {
        var output: [(Unicode.Scalar, Int)] = []
        output.reserveCapacity(input.count)
        var starter: (Unicode.Scalar, Int)?
        var blocked: [(Unicode.Scalar, Int)] = []
        var lastClass: UInt8?
        for (scalar, change, combiningClass) in input {
            guard let current = starter else {
                if combiningClass != 0 {
                    output.append((scalar, change))
                    continue
                }
                starter = (scalar, change)
                continue
            }
            if let last = lastClass, last >= combiningClass {
                // Blocked from the starter.
                if combiningClass == 0 {
                    output.append(current)
                    output += blocked
                    blocked = []
                    lastClass = nil
                    starter = (scalar, change)
                } else {
                    blocked.append((scalar, change))
                    lastClass = combiningClass
                }
                continue
            }
            if let composed = compose(current.0, scalar) {
                starter = (composed, current.1 + change - 1)
                continue
            }
            if lastClass == nil, combiningClass == 0 {
                output.append(current)
                starter = (scalar, change)
                continue
            }
            blocked.append((scalar, change))
            lastClass = combiningClass
        }
        if let starter { output.append(starter) }
        output += blocked
        return output
    }

    static func combiningClass(_ scalar: Unicode.Scalar) -> UInt8 {
        scalar.value < 0x300 ? 0 : UInt8(truncatingIfNeeded: scalar.properties.canonicalCombiningClass.rawValue)
    }

    /// The full canonical or compatibility decomposition of one scalar.
    static func decomposition(of scalar: Unicode.Scalar, compatibility: Bool) -> [Unicode.Scalar] {
        if scalar.value < 0xA0 { return [scalar] }
        let text = String(scalar)
        let decomposed =
            compatibility ? text.decomposedStringWithCompatibilityMapping : text.decomposedStringWithCanonicalMapping
        return Array(decomposed.unicodeScalars)
    }

    /// The primary composite of `first` and `second`, if there is one.
    static func compose(_ first: Unicode.Scalar, _ second: Unicode.Scalar) -> Unicode.Scalar? {
        if second.value < 0x300 { return nil }
        // Hangul syllables compose arithmetically: L + V, then LV + T.
        if first.value >= 0x1100, first.value <= 0x1112, second.value >= 0x1161, second.value <= 0x1175 {
            return Unicode.Scalar(0xAC00 + (first.value - 0x1100) * 588 + (second.value - 0x1161) * 28)
        }
        if first.value >= 0xAC00, first.value <= 0xD7A3, (first.value - 0xAC00) % 28 == 0, second.value >= 0x11A8,
            second.value <= 0x11C2
        {
            return Unicode.Scalar(first.value + second.value - 0x11A7)
        }
        var pair = String.UnicodeScalarView()
        pair.append(first)
        pair.append(second)
        let composed = String(pair).precomposedStringWithCanonicalMapping.unicodeScalars
        guard composed.count == 1, let result = composed.first else { return nil }
        return result
    }
}
