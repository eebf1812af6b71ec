import XCTest
@testable import Tensors

/// Bad use is a thrown `TensorError` naming the operation and the shapes, never a crash.
final class ErrorTests: XCTestCase {
    func expectError(_ op: String, _ mentions: [String], _ body: () throws -> Any,
                     file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try body()
            XCTFail("\(op): expected an error", file: file, line: line)
        } catch let e as TensorError {
            XCTAssertEqual(e.operation, op, "\(e)", file: file, line: line)
            for m in mentions { XCTAssertTrue(e.description.contains(m), "'\(e)' should mention \(m)", file: file, line: line) }
        } catch {
            XCTFail("unexpected error type \(error)", file: file, line: line)
        }
    }

    func testShapeMismatchesNameOperationAndShapes() throws {
        let a = try Tensor.zeros([2, 3]), b = try Tensor.zeros([4, 5])
        expectError("matmul", ["[2, 3]", "[4, 5]"]) { try Tensor.matmul(a, b) }
        expectError("add", ["[2, 3]", "[4, 5]"]) { try a + b }
        expectError("multiply", ["[2, 3]", "[4, 5]"]) { try a * b }
        expectError("reshape", ["[2, 3]", "[4]"]) { try a.reshaped([4]) }
        expectError("concat", ["[2, 3]", "[4, 5]"]) { try Tensor.concat([a, b], axis: 0) }
        expectError("matmul", ["[3]"]) { try Tensor.matmul(Tensor.zeros([3]), a) }
        expectError("layerNorm", ["[5]", "[2, 3]"]) { try a.layerNorm(weight: Tensor.zeros([5]), bias: nil) }
        expectError("attention", ["[1, 2, 3, 4]"]) {
            try Tensor.attention(query: Tensor.zeros([1, 2, 3, 4]), key: Tensor.zeros([1, 2, 2, 4]), value: Tensor.zeros([1, 2, 2, 4]))
        }
        expectError("where", ["[2, 3]", "[4, 5]"]) { try Tensor.where(a, a, b) }
    }

    func testIndicesAndAxesOutOfRange() throws {
        let a = try Tensor.zeros([2, 3])
        expectError("sum", ["axis 2"]) { try a.sum(axis: 2) }
        expectError("slice", ["0..<4"]) { try a.slice(axis: 1, 0..<4) }
        expectError("embedding", ["id 7"]) { try a.embedding([7], shape: [1]) }
        expectError("gather", ["index 3"]) { try a.gather(lastAxis: [0, 3]) }
        expectError("crossEntropy", ["target 3"]) { try a.crossEntropy(targets: [0, 3]) }
        expectError("zeros", ["negative"]) { try Tensor.zeros([-1, 2]) }
        expectError("zeros", ["memory"]) { try Tensor.zeros([1 << 20, 1 << 20, 1 << 10]) }
        expectError("matmul", ["memory"]) { try Tensor.matmul(Tensor.zeros([1 << 22, 1]), Tensor.zeros([1, 1 << 22])) }
        expectError("add", ["memory"]) { try Tensor.zeros([1 << 22, 1]) + Tensor.zeros([1 << 22]) }
        expectError("expand", ["negative"]) { try Tensor.zeros([1]).expanded(to: [-1]) }
        expectError("unsqueeze", ["axis 3"]) { try a.unsqueezed(3) }
        expectError("Tensor(shape:scalars:)", ["[2, 2]"]) { try Tensor(shape: [2, 2], scalars: [1]) }
        expectError("item", ["[2, 3]"]) { try a.item() }
        expectError("backward", ["[2, 3]"]) {
            let w = try Tensor.zeros([2, 3]); w.requiresGrad = true
            return try (w * 2).backward()
        }
        let rope = try RotaryEmbedding(dimension: 4, maxPositions: 8, convention: .halfSplit)
        expectError("rope", ["position 8"]) { try rope(Tensor.zeros([1, 2, 1, 4]), start: 8) }
    }
}
