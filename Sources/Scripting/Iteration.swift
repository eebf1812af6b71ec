/// Turning any iterable value into its elements.
enum Iteration {
    /// The one-character strings of the ASCII characters, made once.
    nonisolated(unsafe) private static let asciiStrings: [Value] = (0..<128).map { .string(String(Character(Unicode.Scalar(UInt8($0))))) }

    /// The one-character string of an ASCII byte.
    @inline(__always) static func asciiString(_ b: UInt8) -> Value { asciiStrings[Int(b)] }

    /// Runs `body` with each character of an ASCII string without carriage returns (one per
    /// byte) and returns true; returns false without calling it for any other string. The
    /// characters are not collected into an array first.
    static func forEachASCIICharacter(_ s: String, _ body: (consuming Value) throws -> Bool) rethrows -> Bool {
        let r: Bool? = try s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            for b in bytes where b >= 0x80 || b == 0x0D { return false }
            let table = asciiStrings
            for b in bytes {
                if try !body(table[Int(b)]) { break }
            }
            return true
        }
        return r ?? false
    }

    /// The characters of an ASCII string without carriage returns, one per byte (no grapheme
    /// breaking); nil for any other string.
    static func asciiCharacters(_ s: String) -> [Value]? {
        let r: [Value]?? = s.utf8.withContiguousStorageIfAvailable { bytes -> [Value]? in
            var out: [Value] = []
            out.reserveCapacity(bytes.count)
            let table = asciiStrings
            for b in bytes {
                if b >= 0x80 || b == 0x0D { return nil }
                out.append(table[Int(b)])
            }
            return out
        }
        return r ?? nil
    }

    static func elements(_ v: Value, limits: Limits, loc: SourceLoc? = nil) throws -> [Value]? {
        switch v {
        case .list(let l): return l.snapshot()
        case .range(let r):
            let n = r.count
            guard n <= limits.maxElements else { throw Failure(ErrorText.listTooLarge(n, limit: limits.maxElements), at: loc) }
            var out: [Value] = []
            out.reserveCapacity(n)
            for i in 0..<n { out.append(.int(r.element(i))) }
            return out
        case .string(let s):
            if let chars = asciiCharacters(s) { return chars }
            return s.map { .string(String($0)) }
        case .dict(let d): return d.keyList.map(\.value)
        case .native(let o):
            do { return try o.elements() } catch { throw Failure.wrap(error, at: loc ?? SourceLoc(file: SourceFile(name: "<native>", text: ""), line: 1, column: 1)) }
        default: return nil
        }
    }
}
