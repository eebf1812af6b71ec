/// Elementwise + − × ÷ with NumPy broadcasting, scalar forms, and the reduction of a broadcast
/// gradient back to an input's shape (`sum(toShape:)`).

enum BinaryOperator {
    case add, subtract, multiply, divide
}

@inline(__always)
func binaryRow(_ o: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ sa: Int,
               _ b: UnsafePointer<Float>, _ sb: Int, _ n: Int, _ f: (Float, Float) -> Float) {
    if sa == 1 && sb == 1 {
        for i in 0..<n { o[i] = f(a[i], b[i]) }
    } else if sa == 1 && sb == 0 {
        let bv = b[0]
        for i in 0..<n { o[i] = f(a[i], bv) }
    } else if sa == 0 && sb == 1 {
        let av = a[0]
        for i in 0..<n { o[i] = f(av, b[i]) }
    } else {
        for i in 0..<n { o[i] = f(a[i * sa], b[i * sb]) }
    }
}

extension Tensor {
    /// The broadcast elementwise kernel (no autograd).
    static func binaryKernel(_ a: Tensor, _ b: Tensor, _ op: BinaryOperator, _ name: String) throws -> Tensor {
        let outShape = try broadcastShape(a.shape, b.shape, name)
        let out = Tensor(uninitializedShape: outShape)
        let sa = a.broadcastStrides(to: outShape), sb = b.broadcastStrides(to: outShape)
        let pa = a.pointer, pb = b.pointer, po = out.pointer
        let n = out.count
        // Fast path: both contiguous and the same shape, large enough to split across cores.
        if a.shape == b.shape && a.isContiguous && b.isContiguous && n >= parallelThreshold {
            let box = UncheckedSendable((pa, pb, po))
            parallelChunks(n, work: n) { r in
                let (pa, pb, po) = box.value
                let len = r.count, s = r.lowerBound
                switch op {
                case .add: binaryRow(po + s, pa + s, 1, pb + s, 1, len, +)
                case .subtract: binaryRow(po + s, pa + s, 1, pb + s, 1, len, -)
                case .multiply: binaryRow(po + s, pa + s, 1, pb + s, 1, len, *)
                case .divide: binaryRow(po + s, pa + s, 1, pb + s, 1, len, /)
                }
            }
            return out
        }
        forEachRow(shape: outShape, strides: [out.strides, sa, sb]) { off, len, st in
            let o = po + off[0], x = pa + off[1], y = pb + off[2]
            switch op {
            case .add: binaryRow(o, x, st[1], y, st[2], len, +)
            case .subtract: binaryRow(o, x, st[1], y, st[2], len, -)
            case .multiply: binaryRow(o, x, st[1], y, st[2], len, *)
            case .divide: binaryRow(o, x, st[1], y, st[2], len, /)
            }
        }
        withExtendedLifetime((a, b)) {}
        return out
    }

    public static func + (a: Tensor, b: Tensor) throws -> Tensor {
        let out = try binaryKernel(a, b, .add, "add")
        let sa = a.shape, sb = b.shape
        return record(out, "add", [a, b]) { g in
            [try g.sum(toShape: sa), try g.sum(toShape: sb)]
        }
    }

    public static func - (a: Tensor, b: Tensor) throws -> Tensor {
        let out = try binaryKernel(a, b, .subtract, "subtract")
        let sa = a.shape, sb = b.shape
        return record(out, "subtract", [a, b]) { g in
            [try g.sum(toShape: sa), try (-g).sum(toShape: sb)]
        }
    }

    public static func * (a: Tensor, b: Tensor) throws -> Tensor {
        let out = try binaryKernel(a, b, .multiply, "multiply")
        let ad = a.detached(), bd = b.detached()
        let needA = a.requiresGrad, needB = b.requiresGrad
        return record(out, "multiply", [a, b]) { g in
            try [needA ? (g * bd).sum(toShape: ad.shape) : nil,
                 needB ? (g * ad).sum(toShape: bd.shape) : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) throws -> Tensor {
        let out = try binaryKernel(a, b, .divide, "divide")
        let bd = b.detached(), od = out.detached()
        let sa = a.shape
        let needA = a.requiresGrad, needB = b.requiresGrad
        return record(out, "divide", [a, b]) { g in
            let ga = try g / bd
            // d(a/b)/db = −(a/b)/b
            return try [needA ? ga.sum(toShape: sa) : nil,
                        needB ? (-(ga * od)).sum(toShape: bd.shape) : nil]
        }
    }

    // MARK: - Scalar forms (cannot fail)

    /// y = scale·x + shift in one pass (the kernel behind every scalar operator).
    public func affine(scale: Float, shift: Float) -> Tensor {
        let src = contiguous()
        let out = Tensor(uninitializedShape: shape)
        let n = count
        let box = UncheckedSendable((src.pointer, out.pointer))
        parallelChunks(n, work: n) { r in
            let (s, o) = box.value
            for i in r { o[i] = s[i] * scale + shift }
        }
        withExtendedLifetime(src) {}
        return Tensor.record(out, "affine", [self]) { g in [g.affine(scale: scale, shift: 0)] }
    }

    public static func + (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func + (s: Float, a: Tensor) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func - (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: -s) }
    public static func - (s: Float, a: Tensor) -> Tensor { a.affine(scale: -1, shift: s) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.affine(scale: s, shift: 0) }
    public static func * (s: Float, a: Tensor) -> Tensor { a.affine(scale: s, shift: 0) }
    public static func / (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1 / s, shift: 0) }
    public static prefix func - (a: Tensor) -> Tensor { a.affine(scale: -1, shift: 0) }

    /// s / x elementwise.
    public static func / (s: Float, a: Tensor) -> Tensor {
        let src = a.contiguous()
        let out = Tensor(uninitializedShape: a.shape)
        mapVec(src.pointer, out.pointer, a.count) { s / $0 }
        withExtendedLifetime(src) {}
        let od = out.detached()
        return record(out, "reciprocal", [a]) { g in
            // d(s/x)/dx = −s/x² = −y²/s
            let r = try (g * od) * od
            return [r * (-1 / s)]
        }
    }

    // MARK: - Reducing a broadcast gradient

    /// Sums this tensor down to `target`, which must broadcast to this shape: leading dimensions
    /// are summed away and dimensions where `target` has 1 are summed with keepDims.
    public func sum(toShape target: [Int]) throws -> Tensor {
        if target == shape { return self }
        guard (try? broadcastShape(target, shape, "sum(toShape:)")) == shape else {
            throw TensorError.shapes("sum(toShape:)", "target does not broadcast to the tensor's shape", target, shape)
        }
        let lead = rank - target.count
        var result = self
        // Sum the stretched dimensions from the right so axis numbers stay valid.
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            let t = axis < lead ? 1 : target[axis - lead]
            if t == 1 && shape[axis] != 1 || axis < lead {
                result = try result.sum(axis: axis, keepDims: axis >= lead)
            }
        }
        return try result.reshaped(target)
    }
}
