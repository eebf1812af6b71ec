/// The largest absolute difference between two equally long arrays: the one comparison helper of
/// every test target. Equal elements (equal infinities too) differ by 0. Infinity when the lengths
/// differ or an element is NaN on one side only or on both, so a missing or extra element or a NaN
/// fails every tolerance, also after `max` with other results (which would drop a NaN).
public func maxAbsDifference<T: FloatingPoint>(_ a: [T], _ b: [T]) -> T {
    guard a.count == b.count else { return .infinity }
    var m: T = 0
    for i in a.indices where a[i] != b[i] {
        let d = abs(a[i] - b[i])
        if d.isNaN { return .infinity }
        m = max(m, d)
    }
    return m
}
