import Foundation
import XCTest
import LanguageModels
import Tensors

/// Logits against transformers' (Tests/Fixtures, made by scripts/fixtures/make_lm_fixtures.py).
final class ReferenceLogitsTests: XCTestCase {
    /// SmolLM2 from the Q4_1 GGUF: its blocks multiplied in place here (the default), dequantised to Float32 by
    /// transformers. Tolerance 1e-3 absolute on logits of magnitude ~30: float32 summation order differs (BLAS
    /// and the in-register kernels vs PyTorch's kernels).
    func testSmolLM2MatchesTransformers() throws {
        let fixture = try TestPaths.fixtureJSON("smollm2_logits.json")
        let cases = try XCTUnwrap(fixture["cases"] as? [[String: Any]])
        let rowsData = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("smollm2_logits_rows.f32"))
        let vocab = 49152
        let fullRows: [Float] = rowsData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        try SharedModel.withModel { model in
            var worst: Float = 0
            for c in cases.prefix(4) {
                let ids = try XCTUnwrap(c["ids"] as? [Int])
                let topIDs = try XCTUnwrap(c["top_ids"] as? [[Int]])
                let topLogits = try XCTUnwrap(c["top_logits"] as? [[Double]])
                let logits = try model.transformer.logits([ids]).scalars  // [1, T, V]
                for t in 0..<ids.count {
                    let row = logits[(t * vocab)..<((t + 1) * vocab)]
                    XCTAssertEqual(topIndices(row, 10), Array(topIDs[t].prefix(10)), "prompt \(ids.prefix(4)) position \(t)")
                    for (j, id) in topIDs[t].enumerated() {
                        worst = max(worst, abs(row[row.startIndex + id] - Float(topLogits[t][j])))
                    }
                }
                if let full = c["full_row"] as? Int {
                    let ours = Array(logits[((ids.count - 1) * vocab)..<(ids.count * vocab)])
                    let ref = Array(fullRows[(full * vocab)..<((full + 1) * vocab)])
                    worst = max(worst, maxAbsDifference(ours, ref))
                }
            }
            print("SmolLM2 logits vs transformers: max |Δ| = \(worst) (tolerance 1e-3)")
            XCTAssertLessThan(worst, 1e-3)
        }
    }

    /// A tiny random GPT-2 (safetensors, single file and sharded): all logits, tolerance 1e-4.
    func testTinyGPT2MatchesTransformers() throws {
        for folder in ["tiny_gpt2", "tiny_gpt2_sharded"] {
            let fixture = try TestPaths.fixtureJSON("tiny_gpt2_logits.json")
            let ids = try XCTUnwrap(fixture["ids"] as? [[Int]], "\(folder)")
            let reference = try XCTUnwrap(fixture["logits"] as? [[[Double]]], "\(folder)")
            let model = try PretrainedModel.load(TestPaths.fixtures.appendingPathComponent(folder).path).transformer
            XCTAssertEqual(model.config.family, .gpt2, "\(folder)")
            let logits = try model.logits(ids).scalars
            let flat = reference.flatMap { $0.flatMap { $0.map(Float.init) } }
            let worst = maxAbsDifference(logits, flat)
            print("tiny GPT-2 (\(folder)) logits vs transformers: max |Δ| = \(worst) (tolerance 1e-4)")
            XCTAssertEqual(logits.count, flat.count, "\(folder)")
            XCTAssertLessThan(worst, 1e-4, "\(folder)")
            let v = 256
            for r in 0..<(ids.count * ids[0].count) {
                XCTAssertEqual(topIndices(logits[(r * v)..<((r + 1) * v)], 10), topIndices(flat[(r * v)..<((r + 1) * v)], 10), "\(folder)")
            }
        }
    }
}
