/// Finds special tokens ("<|im_start|>", "[CLS]") in UTF-8 text so that they are kept whole, leftmost
/// first and, among tokens starting at the same place, longest first (as the reference tokenizers do).
struct SpecialTokenMatcher: Sendable {
    /// (bytes, id) per first byte, longest first.
    private var byFirstByte: [[(bytes: [UInt8], id: Int)]] = Array(repeating: [], count: 256)
    private(set) var isEmpty = true

    init(_ tokens: [(content: String, id: Int)]) {
        for (content, id) in tokens where !content.isEmpty {
            let bytes = Array(content.utf8)
            byFirstByte[Int(bytes[0])].append((bytes, id))
            isEmpty = false
        }
        for b in 0..<256 { byFirstByte[b].sort { $0.bytes.count > $1.bytes.count } }
    }

    /// Splits `text` into runs of ordinary text and special tokens, calling `ordinary` with each text
    /// range and `special` with each token id, in order.
    func split(_ text: [UInt8], ordinary: (Range<Int>) -> Void, special: (Int) -> Void) {
        if isEmpty {
            if !text.isEmpty { ordinary(0..<text.count) }
            return
        }
        var start = 0, i = 0
        let n = text.count
        outer: while i < n {
            let candidates = byFirstByte[Int(text[i])]
            if !candidates.isEmpty {
                for (bytes, id) in candidates where i + bytes.count <= n {
                    var equal = true
                    for k in 1..<bytes.count where text[i + k] != bytes[k] { equal = false; break }
                    if equal {
                        if start < i { ordinary(start..<i) }
                        special(id)
                        i += bytes.count
                        start = i
                        continue outer
                    }
                }
            }
            i += 1
        }
        if start < n { ordinary(start..<n) }
    }
}
