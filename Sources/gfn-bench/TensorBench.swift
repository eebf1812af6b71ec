import ArgumentParser
import CBLAS
import Tensors

/// `gfn-bench tensor`: sgemm through the tensor API against a direct cblas_sgemm call on the
/// transformer's shapes, softmax/log-softmax bandwidth on a logits-sized tensor, and one
/// forward+backward of a 2-layer MLP.
struct TensorBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tensor",
        abstract: "sgemm GFLOP/s (tensor API vs direct BLAS), softmax GB/s, MLP forward+backward."
    )

    @Option(help: "Timed repetitions per figure (the best is reported).")
    var repeats = 5

    @Option(help: "BLAS threads (default: OpenBLAS's choice, one per core).")
    var threads: Int?

    @Option(help: "Run only these parts (comma-separated: gemm, softmax, mlp, threads, attention, ops).")
    var only: String?

    mutating func run() throws {
        if let threads { BLAS.setThreadCount(threads) }
        let parts = only.map { Set($0.split(separator: ",").map(String.init)) } ?? ["gemm", "softmax", "mlp", "threads", "attention", "ops"]
        print("BLAS: \(BLAS.summary)")
        print("load average before: \(BenchTiming.loadAverage())")
        if parts.contains("gemm") { try gemm() }
        if parts.contains("softmax") { try softmax() }
        if parts.contains("mlp") { try mlp() }
        if parts.contains("threads") { try threadsTable() }
        if parts.contains("attention") { try attention() }
        if parts.contains("ops") { try trainingStepOperations() }
        print("load average after: \(BenchTiming.loadAverage())")
    }

    /// Best-of-`repeats` GFLOP/s for C = A·op(B), direct and through `Tensor.matmul`, interleaved
    /// so that both see the same machine load.
    func gemm() throws {
        print("\nsgemm (best of \(repeats)):")
        print(pad("shape", 34) + pad("direct GFLOP/s", 16) + pad("Tensor GFLOP/s", 16) + "ratio")
        // x·wᵀ of up to `inPlaceRowsLimit` rows runs CKernels' in-place kernel through the tensor API.
        let shapes: [(name: String, m: Int, k: Int, n: Int, transB: Bool)] = [
            ("(16×576)·(1536×576)ᵀ", 16, 576, 1536, true),
            ("(64×576)·(1536×576)ᵀ", 64, 576, 1536, true),
            ("(64×1536)·(576×1536)ᵀ", 64, 1536, 576, true),
            ("(64×576)·(49152×576)ᵀ logits", 64, 576, 49152, true),
            ("(64×576)·(960×576)ᵀ", 64, 576, 960, true),
            ("(576×576)·(576×640)", 576, 576, 640, false),
            ("(576×1536)·(1536×640)", 576, 1536, 640, false),
            ("(640×576)·(49152×576)ᵀ logits", 640, 576, 49152, true),
        ]
        var rng = RandomGenerator(seed: 1)
        for s in shapes {
            let a = try Tensor.randomUniform([s.m, s.k], low: -1, high: 1, using: &rng)
            let b = try Tensor.randomUniform(s.transB ? [s.n, s.k] : [s.k, s.n], low: -1, high: 1, using: &rng)
            var c = [Float](repeating: 0, count: s.m * s.n)
            let flops = 2.0 * Double(s.m) * Double(s.n) * Double(s.k)
            var bestDirect = Double.infinity, bestTensor = Double.infinity
            for rep in 0..<(repeats + 1) {
                let direct = a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        BenchTiming.time {
                            c.withUnsafeMutableBufferPointer { pc in
                                cblas_sgemm(CblasRowMajor, CblasNoTrans, s.transB ? CblasTrans : CblasNoTrans,
                                            Int32(s.m), Int32(s.n), Int32(s.k), 1, pa.baseAddress, Int32(s.k),
                                            pb.baseAddress, Int32(s.transB ? s.k : s.n), 0, pc.baseAddress, Int32(s.n))
                            }
                        }
                    }
                }
                let viaTensor = try withNoGrad {
                    try BenchTiming.time { _ = try Tensor.matmul(a, b, transposeB: s.transB) }
                }
                if rep > 0 {  // the first round warms caches and page tables
                    bestDirect = min(bestDirect, direct)
                    bestTensor = min(bestTensor, viaTensor)
                }
            }
            let gDirect = flops / bestDirect / 1e9, gTensor = flops / bestTensor / 1e9
            print(pad(s.name, 34) + pad(fmt(gDirect), 16) + pad(fmt(gTensor), 16) + fmt(gTensor / gDirect * 100) + " %")
        }
    }

    /// Bandwidth of softmax and log-softmax over the last axis: bytes read + written per second.
    func softmax() throws {
        let (rows, cols) = (640, 49152)
        var rng = RandomGenerator(seed: 2)
        let x = try Tensor.randomUniform([rows, cols], low: -8, high: 8, using: &rng)
        let bytes = Double(rows * cols) * 4 * 2
        print("\nsoftmax over \(rows)×\(cols) (best of \(repeats)):")
        for (name, op) in [("softmax", { try x.softmax() }), ("logSoftmax", { try x.logSoftmax() })] as [(String, () throws -> Tensor)] {
            var best = Double.infinity
            for rep in 0..<(repeats + 1) {
                let t = try withNoGrad { try BenchTiming.time { _ = try op() } }
                if rep > 0 { best = min(best, t) }
            }
            print(pad(name, 14) + fmt(best * 1e3) + " ms   " + fmt(bytes / best / 1e9) + " GB/s")
        }
    }

    /// A 2-layer MLP on a transformer's shapes: x [640, 576] → W1ᵀ [576, 1536] → GELU → W2ᵀ →
    /// mean square, forward and backward.
    func mlp() throws {
        var rng = RandomGenerator(seed: 3)
        let x = try Tensor.randomNormal([640, 576], using: &rng)
        let w1 = try Tensor.randomNormal([1536, 576], standardDeviation: 0.04, using: &rng)
        let w2 = try Tensor.randomNormal([576, 1536], standardDeviation: 0.025, using: &rng)
        w1.requiresGrad = true
        w2.requiresGrad = true
        var bestForward = Double.infinity, bestTotal = Double.infinity
        for rep in 0..<(repeats + 1) {
            w1.grad = nil
            w2.grad = nil
            var loss: Tensor? = nil
            let forward = try BenchTiming.time {
                let h = try Tensor.matmul(x, w1, transposeB: true).gelu()
                let y = try Tensor.matmul(h, w2, transposeB: true)
                loss = try (y * y).mean()
            }
            let backward = try BenchTiming.time { try loss!.backward() }
            if rep > 0 {
                bestForward = min(bestForward, forward)
                bestTotal = min(bestTotal, forward + backward)
            }
        }
        let flops = 3 * 2 * 2.0 * 640 * 576 * 1536  // forward + 2× for backward, two layers
        print("\n2-layer MLP [640, 576] → 1536 → 576, GELU (best of \(repeats)):")
        print("forward " + fmt(bestForward * 1e3) + " ms, forward+backward " + fmt(bestTotal * 1e3) + " ms ("
              + fmt(flops / bestTotal / 1e9) + " GFLOP/s of matmul work)")
    }

    /// Best-of-`repeats` seconds for `body`, after one warm-up run.
    func best(_ body: () throws -> Void) rethrows -> Double {
        var b = Double.infinity
        for rep in 0..<(repeats + 1) {
            let t = try BenchTiming.time(body)
            if rep > 0 { b = min(b, t) }
        }
        return b
    }

    /// Swift kernels on one worker thread vs all: where splitting work across cores wins.
    func threadsTable() throws {
        var rng = RandomGenerator(seed: 4)
        let small = try Tensor.randomNormal([640, 576], using: &rng)
        let medium = try Tensor.randomNormal([640, 1536], using: &rng)
        let logits = try Tensor.randomNormal([640, 49152], using: &rng)
        let weight = try Tensor.ones([576])
        let targets = (0..<640).map { $0 * 77 % 49152 }
        let all = KernelThreads.count
        print("\nSwift kernels, 1 worker vs \(all) (best of \(repeats), ms):")
        print(pad("kernel", 40) + pad("1 worker", 12) + pad("\(all) workers", 12) + "speed-up")
        let cases: [(String, () throws -> Void)] = [
            ("add [640, 576]", { _ = try small + small }),
            ("add [640, 49152]", { _ = try logits + logits }),
            ("gelu [640, 1536]", { _ = medium.gelu() }),
            ("rmsNorm [640, 576]", { _ = try small.rmsNorm(weight: weight) }),
            ("softmax [640, 49152]", { _ = try logits.softmax() }),
            ("crossEntropy fwd+bwd [640, 49152]", {
                logits.requiresGrad = true
                try logits.crossEntropy(targets: targets).backward()
                logits.requiresGrad = false
                logits.grad = nil
            }),
        ]
        for (name, body) in cases {
            KernelThreads.set(1)
            let one = try best(body)
            KernelThreads.set(all)
            let many = try best(body)
            print(pad(name, 40) + pad(fmt(one * 1e3), 12) + pad(fmt(many * 1e3), 12) + fmt(one / many) + "×")
        }
    }

    /// The LoRA training step's operations other than matrix products, at its shapes (16 rows × 40
    /// tokens of SmolLM2-135M, each once per layer or once per step): forward alone, and forward plus
    /// backward from a given output gradient, with the bytes each moves at least (inputs and outputs once).
    func trainingStepOperations() throws {
        var rng = RandomGenerator(seed: 6)
        let rows = 640, (width, ff, vocab) = (576, 1536, 49152)
        let gateUp = try Tensor.randomNormal([rows, 2 * ff], using: &rng)
        let hidden = try Tensor.randomNormal([rows, width], using: &rng)
        let norm = try Tensor.randomUniform([width], low: 0.5, high: 1.5, using: &rng)
        let logits = try Tensor.randomNormal([rows, vocab], using: &rng)
        let targets = (0..<rows).map { $0 * 7919 % vocab }
        let heads = try Tensor.randomNormal([16, 40, 9, 64], using: &rng)
        let rope = try RotaryEmbedding(dimension: 64, base: 100000, maxPositions: 64, convention: .halfSplit)
        let q = try Tensor.randomNormal([16, 40, 9, 64], using: &rng)
        let k = try Tensor.randomNormal([16, 40, 3, 64], using: &rng)
        let v = try Tensor.randomNormal([16, 40, 3, 64], using: &rng)
        for x in [gateUp, hidden, norm, logits, heads, q, k, v] { x.requiresGrad = true }
        // name, floats forward moves, floats forward and backward move, the operation
        let cases: [(String, Int, Int, () throws -> Tensor)] = [
            ("swiGLU [640, 3072] → 1536", 3 * rows * ff, 7 * rows * ff, { try gateUp.swiGLU() }),
            ("rmsNorm [640, 576]", 2 * rows * width, 5 * rows * width, { try hidden.rmsNorm(weight: norm, epsilon: 1e-5) }),
            ("RoPE [16, 40, 9, 64]", 2 * heads.count, 4 * heads.count, { try rope(heads) }),
            ("attention 16×40, 9/3 heads", 2 * q.count + 2 * k.count, 4 * q.count + 4 * k.count,
             { try Tensor.attention(query: q, key: k, value: v) }),
            ("logSoftmax gather [640, 49152]", rows * vocab, 2 * rows * vocab, { try logits.logSoftmax(gathering: targets) }),
        ]
        print("\ntraining-step operations at 640 rows (best of \(repeats), \(KernelThreads.count) kernel threads; backward includes")
        print("storing the input's gradient, a copy of its size, as for a leaf):")
        print(pad("operation", 34) + pad("forward", 22) + "backward")
        for (name, forwardFloats, totalFloats, op) in cases {
            let forward = try best { _ = try withNoGrad { try op() } }
            var backward = Double.infinity
            for rep in 0..<(repeats + 1) {
                let y = try op()
                let seed = y.detached()
                let t = try BenchTiming.time { try y.backward(gradient: seed) }
                for x in [gateUp, hidden, norm, logits, heads, q, k, v] { x.grad = nil }
                if rep > 0 { backward = min(backward, t) }
            }
            print(pad(name, 34) + pad(fmt(forward * 1e3) + " ms " + fmt(Double(forwardFloats) * 4 / forward / 1e9) + " GB/s", 22)
                  + fmt(backward * 1e3) + " ms " + fmt(Double(totalFloats - forwardFloats) * 4 / backward / 1e9) + " GB/s")
        }
    }

    /// Fused grouped-query attention at SmolLM2-135M's shapes (9 query heads, 3 key/value heads,
    /// head size 64): a training batch forward+backward, and one KV-cache decoding step.
    func attention() throws {
        var rng = RandomGenerator(seed: 5)
        let (b, t, hq, hkv, d) = (8, 80, 9, 3, 64)
        let q = try Tensor.randomNormal([b, t, hq, d], using: &rng)
        let k = try Tensor.randomNormal([b, t, hkv, d], using: &rng)
        let v = try Tensor.randomNormal([b, t, hkv, d], using: &rng)
        for x in [q, k, v] { x.requiresGrad = true }
        let forward = try best { _ = try withNoGrad { try Tensor.attention(query: q, key: k, value: v) } }
        let total = try best {
            let o = try Tensor.attention(query: q, key: k, value: v)
            try o.backward(gradient: o.detached())
        }
        let cacheK = try Tensor.randomNormal([b, 512, hkv, d], using: &rng)
        let cacheV = try Tensor.randomNormal([b, 512, hkv, d], using: &rng)
        let q1 = try Tensor.randomNormal([b, 1, hq, d], using: &rng)
        let decode = try best {
            _ = try withNoGrad {
                try Tensor.attention(query: q1, key: cacheK.slice(axis: 1, 0..<400), value: cacheV.slice(axis: 1, 0..<400))
            }
        }
        print("\nattention, GQA 9/3 heads × 64 (best of \(repeats)):")
        print("B 8, T 80: forward (no grad) " + fmt(forward * 1e3) + " ms, forward+backward " + fmt(total * 1e3) + " ms")
        print("decode step B 8, 1 query over 400 cached keys: " + fmt(decode * 1e3) + " ms")
    }

    func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }

    func fmt(_ x: Double) -> String {
        let scaled = (x * 10).rounded() / 10
        return String(scaled)
    }
}
