/// Where a tensor's bytes lie in a file, for the check that no two tensors share bytes: a
/// tensor whose range reaches into another's (a type or offset changed to one that reads its
/// neighbour's bytes) is a damaged file, not weights.
struct TensorByteRange {
    let name: String
    let start: Int
    let count: Int
    var end: Int { start + count }

    /// The first two ranges that overlap, or nil; empty ranges overlap nothing. `ranges` need not be sorted.
    static func firstOverlap(_ ranges: [TensorByteRange]) -> (TensorByteRange, TensorByteRange)? {
        let sorted = ranges.filter { $0.count > 0 }.sorted { ($0.start, $0.count, $0.name) < ($1.start, $1.count, $1.name) }
        var previous: TensorByteRange?
        for range in sorted {
            // Sorted by start with no overlap so far, so the latest range also ends last.
            if let p = previous, range.start < p.end { return (p, range) }
            previous = range
        }
        return nil
    }

    /// "tensors 'a' and 'b'" and the detail naming both ranges relative to `base`.
    static func overlapError(_ pair: (TensorByteRange, TensorByteRange), base: Int, section: String, file: String) -> ModelFormatError {
        let (a, b) = pair
        return ModelFormatError(.outOfBounds, file: file, field: "tensors '\(a.name)' and '\(b.name)'",
                                "their data overlap: bytes \(a.start - base)..<\(a.end - base) and \(b.start - base)..<\(b.end - base) of the \(section)")
    }
}
