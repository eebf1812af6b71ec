/// Global variables: a name table and stable storage (chunks that never move, so compiled code
/// holds direct pointers).
final class Globals {
    private(set) var names: [String] = []
    private var index: [String: Int] = [:]
    private var chunks: [UnsafeMutablePointer<Value>] = []
    private var flagChunks: [UnsafeMutablePointer<Bool>] = []
    private var plainChunks: [UnsafeMutablePointer<UnsafeRawPointer?>] = []
    private static let chunk = 256

    func lookup(_ name: String) -> Int? { index[name] }

    func slot(_ name: String) -> Int {
        if let i = index[name] { return i }
        let i = names.count
        if i % Globals.chunk == 0 {
            let c = UnsafeMutablePointer<Value>.allocate(capacity: Globals.chunk)
            c.initialize(repeating: .null, count: Globals.chunk)
            chunks.append(c)
            let f = UnsafeMutablePointer<Bool>.allocate(capacity: Globals.chunk)
            f.initialize(repeating: false, count: Globals.chunk)
            flagChunks.append(f)
            let q = UnsafeMutablePointer<UnsafeRawPointer?>.allocate(capacity: Globals.chunk)
            q.initialize(repeating: nil, count: Globals.chunk)
            plainChunks.append(q)
        }
        names.append(name)
        index[name] = i
        return i
    }

    func pointer(_ i: Int) -> UnsafeMutablePointer<Value> { chunks[i / Globals.chunk] + i % Globals.chunk }
    func definedPointer(_ i: Int) -> UnsafeMutablePointer<Bool> { flagChunks[i / Globals.chunk] + i % Globals.chunk }
    /// The unretained proto of the plain script function a global holds, or nil: what a call
    /// site of a global function reads (no copy of the value, so no retain and release).
    func plainPointer(_ i: Int) -> UnsafeMutablePointer<UnsafeRawPointer?> { plainChunks[i / Globals.chunk] + i % Globals.chunk }

    /// What `plainPointer` holds for a value. Protos live as long as the interpreter
    /// (`Interpreter.protos`), so the pointer stays valid even after the global changes.
    @inline(__always) static func plainProto(_ v: Value) -> UnsafeRawPointer? {
        if case .function(let f) = v, f.proto.isPlain { return UnsafeRawPointer(Unmanaged.passUnretained(f.proto).toOpaque()) }
        return nil
    }

    func get(_ name: String) -> Value? {
        guard let i = index[name], definedPointer(i).pointee else { return nil }
        return pointer(i).pointee
    }

    func set(_ name: String, _ v: Value) {
        let i = slot(name)
        pointer(i).pointee = v
        definedPointer(i).pointee = true
        plainPointer(i).pointee = Globals.plainProto(v)
    }

    /// Names that hold a value.
    var definedNames: [String] { names.enumerated().filter { definedPointer($0.offset).pointee }.map(\.element) }

    /// Forgets every value (for `:reset`); the slots stay so compiled code stays valid.
    func clearAll() {
        for i in 0..<names.count { pointer(i).pointee = .null; definedPointer(i).pointee = false; plainPointer(i).pointee = nil }
    }

    deinit {
        for c in chunks { c.deinitialize(count: Globals.chunk); c.deallocate() }
        for f in flagChunks { f.deallocate() }
        for q in plainChunks { q.deallocate() }
    }
}
