/// An N-dimensional array of Float32 in row-major order, with reverse-mode autograd.
///
/// A tensor is a view: a shape, strides (in elements) and an offset into a shared `TensorStorage`.
/// Views (`reshaped`, `transposed`, `permuted`, `slice`, `expanded`) share storage; every other
/// operation returns a fresh contiguous tensor. Operations that fail on bad input (shapes that do
/// not match, indices out of range) throw a `TensorError` naming the operation and the shapes.
///
/// Autograd: set `requiresGrad = true` on leaf tensors (parameters). Operations on them record a
/// graph; `backward()` on a scalar result accumulates `grad` into the leaves and releases the
/// graph. Inside `withNoGrad { ... }` nothing is recorded.
///
/// Sharing: a tensor may be read from several threads at once. Mutation (in-place updates,
/// `grad`, `requiresGrad`) must not race with other use of the same tensor.
public final class Tensor: @unchecked Sendable {
    /// The size of each dimension; `[]` for a scalar.
    public let shape: [Int]
    /// The distance in elements between neighbours along each dimension (0 along broadcast dimensions).
    public let strides: [Int]
    let offset: Int
    let storage: TensorStorage

    /// Whether gradients flow to (leaf) or through (result) this tensor. Set it on leaves.
    public var requiresGrad: Bool = false
    /// The accumulated gradient of a leaf after `backward()`; same shape, contiguous. Set to nil to clear.
    public var grad: Tensor?
    /// How this tensor was computed, for autograd; nil for leaves and after `backward()` released it.
    var gradFunction: GradFunction?
    /// False for tensors produced by a recorded operation.
    var isLeaf = true

    init(shape: [Int], strides: [Int], offset: Int, storage: TensorStorage) {
        self.shape = shape
        self.strides = strides
        self.offset = offset
        self.storage = storage
    }

    /// A contiguous tensor over fresh storage (uninitialized: the caller fills it).
    init(uninitializedShape shape: [Int]) {
        self.shape = shape
        self.strides = Tensor.contiguousStrides(shape)
        self.offset = 0
        self.storage = TensorStorage(uninitializedCount: shape.reduce(1, *))
    }

    init(shape: [Int], repeating value: Float) {
        self.shape = shape
        self.strides = Tensor.contiguousStrides(shape)
        self.offset = 0
        self.storage = TensorStorage(repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor holding `scalars` in row-major order; throws if the count does not match the shape.
    public convenience init(shape: [Int], scalars: [Float]) throws {
        try validateShape(shape, "Tensor(shape:scalars:)")
        let n = shape.reduce(1, *)
        guard n == scalars.count else {
            throw TensorError("Tensor(shape:scalars:)", "shape \(shape) holds \(n) elements but \(scalars.count) were given")
        }
        self.init(uninitializedShape: shape)
        scalars.withUnsafeBufferPointer { src in
            if n > 0 { storage.base.update(from: src.baseAddress!, count: n) }
        }
    }

    /// A tensor whose elements `fill` writes in row-major order (e.g. straight from a dequantizer,
    /// with no intermediate array). `fill` must write every element.
    public convenience init(shape: [Int], filling fill: (UnsafeMutableBufferPointer<Float>) throws -> Void) throws {
        try validateShape(shape, "Tensor(shape:filling:)")
        self.init(uninitializedShape: shape)
        try fill(UnsafeMutableBufferPointer(start: storage.base, count: count))
    }

    /// A rank-0 tensor holding one value.
    public convenience init(_ scalar: Float) {
        self.init(shape: [], repeating: scalar)
    }

    /// A 1-D tensor of the given values.
    public convenience init(_ scalars: [Float]) {
        self.init(uninitializedShape: [scalars.count])
        scalars.withUnsafeBufferPointer { src in
            if let p = src.baseAddress { storage.base.update(from: p, count: scalars.count) }
        }
    }

    public static func zeros(_ shape: [Int]) throws -> Tensor {
        try validateShape(shape, "zeros")
        return Tensor(shape: shape, repeating: 0)
    }

    public static func ones(_ shape: [Int]) throws -> Tensor {
        try validateShape(shape, "ones")
        return Tensor(shape: shape, repeating: 1)
    }

    public static func full(_ shape: [Int], _ value: Float) throws -> Tensor {
        try validateShape(shape, "full")
        return Tensor(shape: shape, repeating: value)
    }

    /// `[0, 1, ..., count-1]` as Float32.
    public static func arange(_ count: Int) throws -> Tensor {
        try validateShape([count], "arange")
        let t = Tensor(uninitializedShape: [count])
        for i in 0..<count { t.storage.base[i] = Float(i) }
        return t
    }

    // MARK: - Shape facts

    public var rank: Int { shape.count }
    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// Whether the elements lie in row-major order with no gaps (views may not).
    public var isContiguous: Bool {
        var expected = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            if shape[i] != 1 && strides[i] != expected { return false }
            expected *= shape[i]
        }
        return true
    }

    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = s
            s *= shape[i]
        }
        return strides
    }

    /// Pointer to the first element of this view.
    var pointer: UnsafeMutablePointer<Float> { storage.base + offset }

    // MARK: - Data access

    /// The elements in row-major order (a copy).
    public var scalars: [Float] {
        let c = contiguous()
        return Array(UnsafeBufferPointer(start: c.pointer, count: c.count))
    }

    /// The single value of a one-element tensor.
    public func item() throws -> Float {
        guard count == 1 else { throw TensorError("item", "tensor of shape \(shape) has \(count) elements, not 1") }
        return pointer[0]
    }

    /// Reads the contiguous elements (copying first if this is a non-contiguous view).
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        let c = contiguous()
        return try withExtendedLifetime(c) { try body(UnsafeBufferPointer(start: c.pointer, count: c.count)) }
    }

    /// Writes the elements in place. Throws for non-contiguous views. Do not mutate tensors that an
    /// unfinished autograd graph still reads (parameters between forward and backward).
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) throws -> R {
        guard isContiguous else {
            throw TensorError("withUnsafeMutableBufferPointer", "tensor of shape \(shape) with strides \(strides) is not contiguous")
        }
        return try body(UnsafeMutableBufferPointer(start: pointer, count: count))
    }

    /// This tensor if contiguous, else a contiguous copy (not recorded by autograd: see `contiguousCopy`).
    func contiguous() -> Tensor {
        if isContiguous { return self }
        return materialize()
    }

    /// A contiguous copy of the elements into fresh storage (no autograd).
    func materialize() -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        copyStrided(from: self, to: out.pointer)
        return out
    }

    /// A new leaf tensor sharing these elements, outside any graph.
    public func detached() -> Tensor {
        Tensor(shape: shape, strides: strides, offset: offset, storage: storage)
    }

    /// A deep contiguous copy as a new leaf (no graph, `requiresGrad` false).
    public func copy() -> Tensor {
        materialize()
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let values = scalars
        let shown = values.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(values.count > 8 ? ", …" : "")])"
    }
}
