/// Shape operations: views that share storage where the layout allows, copies where it does not.
/// Each records its backward (which maps the gradient back to the input's shape).
extension Tensor {
    /// The same elements in a new shape; one dimension may be -1 (inferred). A view when the
    /// layout allows (always for contiguous tensors; for strided views when only dimensions that
    /// are laid out contiguously among themselves are merged or split, e.g. splitting the channel
    /// slice of a fused q/k/v projection into heads), else a copy.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var target = newShape
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        guard inferred.count <= 1, newShape.allSatisfy({ $0 >= -1 }) else {
            throw TensorError.shapes("reshape", "invalid target shape", shape, newShape)
        }
        let known = newShape.filter { $0 != -1 }.reduce(1, *)
        if let i = inferred.first {
            guard known > 0, count % known == 0 else {
                throw TensorError.shapes("reshape", "cannot infer the -1 dimension", shape, newShape)
            }
            target[i] = count / known
        }
        guard target.reduce(1, *) == count else {
            throw TensorError.shapes("reshape", "element counts differ", shape, newShape)
        }
        if target == shape { return self }
        let view: Tensor
        if !isContiguous, let viewStrides = viewStrides(for: target) {
            view = Tensor(shape: target, strides: viewStrides, offset: offset, storage: storage)
        } else {
            let base = contiguous()
            view = Tensor(shape: target, strides: Tensor.contiguousStrides(target), offset: base.offset, storage: base.storage)
        }
        let inputShape = shape
        return Tensor.record(view, "reshape", [self]) { g in [try g.reshaped(inputShape)] }
    }

    /// Strides that show this view's elements in `target` shape (same count) without a copy, or nil.
    /// Walks runs of input dimensions that are contiguous among themselves (stride[d] = stride[d+1]·size[d+1])
    /// from the right; each run must be covered exactly by consecutive target dimensions.
    func viewStrides(for target: [Int]) -> [Int]? {
        if count == 0 { return Tensor.contiguousStrides(target) }
        var out = [Int](repeating: 0, count: target.count)
        var viewDim = target.count - 1
        var chunkStride = strides.last ?? 1
        var chunkCount = 1, viewCount = 1
        for d in stride(from: rank - 1, through: 0, by: -1) {
            chunkCount *= shape[d]
            let runEnds = d == 0 || (shape[d - 1] != 1 && strides[d - 1] != chunkCount * chunkStride)
            guard runEnds else { continue }
            while viewDim >= 0 && (viewCount < chunkCount || target[viewDim] == 1) {
                out[viewDim] = viewCount * chunkStride
                viewCount *= target[viewDim]
                viewDim -= 1
            }
            if viewCount != chunkCount { return nil }
            if d > 0 {
                chunkStride = strides[d - 1]
                chunkCount = 1
                viewCount = 1
            }
        }
        return viewDim == -1 ? out : nil
    }

    /// Reorders the dimensions: result dimension i is input dimension `axes[i]` (a view).
    public func permuted(_ axes: [Int]) throws -> Tensor {
        let normalized = try axes.map { try normalizeAxis($0, rank: rank, "permute") }
        guard normalized.count == rank, Set(normalized).count == rank else {
            throw TensorError("permute", "axes \(axes) are not a permutation of the \(rank) dimensions of \(shape)")
        }
        let view = Tensor(shape: normalized.map { shape[$0] }, strides: normalized.map { strides[$0] },
                          offset: offset, storage: storage)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in normalized.enumerated() { inverse[a] = i }
        return Tensor.record(view, "permute", [self]) { g in [try g.permuted(inverse)] }
    }

    /// Swaps two dimensions (by default the last two), as a view. Matmul reads such views directly.
    public func transposed(_ axis0: Int = -2, _ axis1: Int = -1) throws -> Tensor {
        guard rank >= 2 || (rank == 1 && axis0 == -2 && axis1 == -1) else {
            throw TensorError("transpose", "needs at least 2 dimensions, got shape \(shape)")
        }
        if rank < 2 { return self }
        let a = try normalizeAxis(axis0, rank: rank, "transpose")
        let b = try normalizeAxis(axis1, rank: rank, "transpose")
        var axes = Array(0..<rank)
        axes.swapAt(a, b)
        return try permuted(axes)
    }

    /// Elements `range` along `axis` (a view). Negative bounds are not accepted.
    public func slice(axis: Int, _ range: Range<Int>) throws -> Tensor {
        let ax = try normalizeAxis(axis, rank: rank, "slice")
        guard range.lowerBound >= 0, range.upperBound <= shape[ax] else {
            throw TensorError("slice", "range \(range) is out of bounds for axis \(axis) of size \(shape[ax]) in shape \(shape)")
        }
        var newShape = shape
        newShape[ax] = range.count
        let view = Tensor(shape: newShape, strides: strides, offset: offset + range.lowerBound * strides[ax], storage: storage)
        return Tensor.recordView(view, "slice", of: self) { g, full in
            // The part of the input's (contiguous) gradient buffer that this slice covers.
            let region = Tensor(shape: newShape, strides: full.strides, offset: full.offset + range.lowerBound * full.strides[ax],
                                storage: full.storage)
            let gc = g.contiguous()
            addIntoStrided(gc.pointer, region)
            withExtendedLifetime(gc) {}
        }
    }

    /// The sub-tensor at `index` along `axis`, with that dimension removed (a view).
    public func select(axis: Int, _ index: Int) throws -> Tensor {
        let ax = try normalizeAxis(axis, rank: rank, "select")
        guard index >= 0, index < shape[ax] else {
            throw TensorError("select", "index \(index) is out of range for axis \(axis) of size \(shape[ax]) in shape \(shape)")
        }
        return try slice(axis: ax, index..<(index + 1)).reshapedView(removing: ax)
    }

    /// Drops dimension `ax` (of size 1) without a copy; the gradient flows back through reshape.
    private func reshapedView(removing ax: Int) throws -> Tensor {
        var newShape = shape, newStrides = strides
        newShape.remove(at: ax)
        newStrides.remove(at: ax)
        let view = Tensor(shape: newShape, strides: newStrides, offset: offset, storage: storage)
        let inputShape = shape
        return Tensor.record(view, "squeeze", [self]) { g in [try g.reshaped(inputShape)] }
    }

    /// Inserts a dimension of size 1 at `axis` (a view). `axis` may equal `rank` (append).
    public func unsqueezed(_ axis: Int) throws -> Tensor {
        let ax = axis < 0 ? axis + rank + 1 : axis  // −1 appends, as in PyTorch
        guard ax >= 0, ax <= rank else {
            throw TensorError("unsqueeze", "axis \(axis) is out of range for a tensor of rank \(rank)")
        }
        var newShape = shape, newStrides = strides
        newShape.insert(1, at: ax)
        newStrides.insert(ax < rank ? strides[ax] * shape[ax] : 1, at: ax)
        let view = Tensor(shape: newShape, strides: newStrides, offset: offset, storage: storage)
        let inputShape = shape
        return Tensor.record(view, "unsqueeze", [self]) { g in [try g.reshaped(inputShape)] }
    }

    /// Removes a dimension of size 1 at `axis` (a view).
    public func squeezed(_ axis: Int) throws -> Tensor {
        let ax = try normalizeAxis(axis, rank: rank, "squeeze")
        guard shape[ax] == 1 else {
            throw TensorError("squeeze", "axis \(axis) has size \(shape[ax]), not 1, in shape \(shape)")
        }
        return try reshapedView(removing: ax)
    }

    /// A broadcast view to `target` (stride 0 along stretched dimensions); the gradient is summed back.
    public func expanded(to target: [Int]) throws -> Tensor {
        try validateShape(target, "expand")
        let b = try broadcastShape(shape, target, "expand")
        guard b == target else { throw TensorError.shapes("expand", "shape cannot be expanded to the target", shape, target) }
        if target == shape { return self }
        let view = Tensor(shape: target, strides: broadcastStrides(to: target), offset: offset, storage: storage)
        let inputShape = shape
        return Tensor.record(view, "expand", [self]) { g in [try g.sum(toShape: inputShape)] }
    }

    /// A contiguous copy that autograd follows (unlike `copy()`, which starts a new leaf).
    public func contiguousCopy() -> Tensor {
        let out = materialize()
        return Tensor.record(out, "contiguous", [self]) { g in [g] }
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    public static func concat(_ tensors: [Tensor], axis: Int) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError("concat", "needs at least one tensor") }
        let ax = try normalizeAxis(axis, rank: first.rank, "concat")
        var total = 0
        for t in tensors {
            guard t.rank == first.rank,
                  (0..<first.rank).allSatisfy({ $0 == ax || t.shape[$0] == first.shape[$0] }) else {
                throw TensorError.shapes("concat", "shapes differ outside axis \(axis)", first.shape, t.shape)
            }
            total += t.shape[ax]
        }
        var outShape = first.shape
        outShape[ax] = total
        try validateShape(outShape, "concat")
        let out = Tensor(uninitializedShape: outShape)
        var start = 0
        var ranges: [Range<Int>] = []
        for t in tensors {
            let n = t.shape[ax]
            var s = out.shape
            s[ax] = n
            let region = Tensor(shape: s, strides: out.strides, offset: start * out.strides[ax], storage: out.storage)
            let c = t.contiguous()
            copyIntoStrided(c.pointer, region)
            ranges.append(start..<(start + n))
            start += n
        }
        return Tensor.record(out, "concat", tensors) { g in
            try ranges.map { try g.slice(axis: ax, $0).contiguous() }
        }
    }

    /// Stacks equally shaped tensors along a new dimension `axis`.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
        try concat(tensors.map { try $0.unsqueezed(axis) }, axis: axis)
    }

    /// Writes `source` into this tensor's elements `start..<start+source.shape[axis]` along `axis`,
    /// in place and outside autograd (for caches such as a KV cache). Other dimensions must match.
    public func assign(_ source: Tensor, axis: Int, at start: Int) throws {
        let ax = try normalizeAxis(axis, rank: rank, "assign")
        guard source.rank == rank, (0..<rank).allSatisfy({ $0 == ax || source.shape[$0] == shape[$0] }) else {
            throw TensorError.shapes("assign", "shapes differ outside axis \(axis)", shape, source.shape)
        }
        guard start >= 0, start + source.shape[ax] <= shape[ax] else {
            throw TensorError("assign", "rows \(start)..<\(start + source.shape[ax]) along axis \(axis) do not fit in shape \(shape)")
        }
        let region = Tensor(shape: source.shape, strides: strides, offset: offset + start * strides[ax], storage: storage)
        let c = source.contiguous()
        withExtendedLifetime(c) { copyIntoStrided(c.pointer, region) }
    }

    /// Overwrites all elements with those of `source` (same shape), in place and outside autograd.
    public func assign(_ source: Tensor) throws {
        guard source.shape == shape else { throw TensorError.shapes("assign", "shapes differ", shape, source.shape) }
        let c = source.contiguous()
        withExtendedLifetime(c) { copyIntoStrided(c.pointer, self) }
    }
}
