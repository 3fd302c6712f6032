/// The UnicodeScripts pre-tokenizer: a new piece wherever the script changes, with Hiragana,
/// Katakana, Hangul and U+30FC counted as Han, and spaces belonging to either side.
enum UnicodeScripts {
    /// The Script property's number in ``UnicodeScriptTable``.
    static func script(of scalar: Unicode.Scalar) -> UInt8 {
        let starts = UnicodeScriptTable.starts
        var low = 0, high = starts.count
        while high - low > 1 {
            let middle = (low + high) / 2
            if starts[middle] <= scalar.value { low = middle } else { high = middle }
        }
        return UnicodeScriptTable.scripts[low]
    }

    static let han: UInt8 = scriptNumber("Han")
    static let merged: Set<UInt8> = [scriptNumber("Hiragana"), scriptNumber("Katakana"), scriptNumber("Hangul")]

    private static func scriptNumber(_ name: String) -> UInt8 {
        UInt8(UnicodeScriptTable.names.firstIndex(of: name) ?? 0)
    }

    /// The script used for splitting; nil for a space, which joins any script.
    static func splittingScript(of scalar: Unicode.Scalar) -> UInt8? {
        if scalar == " " { return nil }
        if scalar.value == 0x30FC { return han }
        let raw = script(of: scalar)
        return merged.contains(raw) ? han : raw
    }

    /// Piece ranges of `text`.
    static func split(_ text: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        var boundaries: [Int] = []
        var last: UInt8?
        for (offset, scalar) in text.enumerated() {
            // Spaces neither start a piece nor change the current script, so leading spaces are dropped.
            guard let current = splittingScript(of: scalar) else { continue }
            if last != current { boundaries.append(offset) }
            last = current
        }
        boundaries.append(text.count)
        return zip(boundaries, boundaries.dropFirst()).map { $0..<$1 }
    }
}
