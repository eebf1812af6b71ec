import XCTest
@testable import Tensors

/// The autograd contract: accumulation, no-grad, graph release, and views.
final class AutogradTests: XCTestCase {
    func testGradientsAccumulateAcrossBackwardCalls() throws {
        let w = try Tensor(shape: [2], scalars: [1, 2])
        w.requiresGrad = true
        try (w * w).sum().backward()
        XCTAssertEqual(w.grad?.scalars, [2, 4])
        try (w * 3).sum().backward()
        XCTAssertEqual(w.grad?.scalars, [5, 7])
        w.grad = nil
        try w.sum().backward()
        XCTAssertEqual(w.grad?.scalars, [1, 1])
    }

    func testNoGradRecordsNothing() throws {
        let w = try Tensor.ones([3])
        w.requiresGrad = true
        let y = try withNoGrad { try (w * w).sum() }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertNil(y.gradFunctionName)
        XCTAssertFalse(GradMode.isEnabled == false)  // restored after the scope
        XCTAssertThrowsError(try y.backward())
    }

    func testGraphIsReleasedAfterBackward() throws {
        let w = try Tensor.ones([3])
        w.requiresGrad = true
        let h = w.exp()
        let y = h.sum()
        XCTAssertEqual(h.gradFunctionName, "exp")
        try y.backward()
        XCTAssertNil(h.gradFunctionName)
        XCTAssertNil(y.gradFunctionName)
        // A second backward through the released graph is an error, not a crash.
        XCTAssertThrowsError(try y.backward()) { error in
            XCTAssertTrue("\(error)".contains("released"), "\(error)")
        }
    }

    func testIntermediatesAreFreedByBackward() throws {
        let w = try Tensor.ones([3])
        w.requiresGrad = true
        weak var weakHidden: Tensor?
        var y: Tensor
        do {
            let hidden = try w.exp() * w
            weakHidden = hidden
            y = hidden.sum()
        }
        XCTAssertNotNil(weakHidden, "the graph keeps the intermediate alive until backward")
        try y.backward()
        XCTAssertNil(weakHidden, "backward released the graph")
        // Without backward, dropping the result frees the graph too.
        do {
            let hidden = w.tanh()
            weakHidden = hidden
            y = hidden.sum()
        }
        XCTAssertNotNil(weakHidden)
        y = Tensor(0)
        XCTAssertNil(weakHidden)
    }

    func testFillingInitializer() throws {
        let t = try Tensor(shape: [2, 2]) { buffer in
            for i in buffer.indices { buffer[i] = Float(i) * 2 }
        }
        XCTAssertEqual(t.scalars, [0, 2, 4, 6])
    }

    func testSharedSubexpressionAndLeafGradIsOwned() throws {
        let a = try Tensor(shape: [2], scalars: [1, 2]), b = try Tensor(shape: [2], scalars: [3, 4])
        a.requiresGrad = true
        b.requiresGrad = true
        let s = try a + b
        try (s * s).sum().backward()
        XCTAssertEqual(a.grad?.scalars, [8, 12])
        XCTAssertEqual(b.grad?.scalars, [8, 12])
        // The two leaves received the same gradient tensor; their grads must not share storage.
        try a.grad!.withUnsafeMutableBufferPointer { $0[0] = 0 }
        XCTAssertEqual(b.grad?.scalars, [8, 12])
    }

    func testViewsShareStorageAndAssignWrites() throws {
        let x = try Tensor(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5])
        let t = try x.transposed()
        XCTAssertFalse(t.isContiguous)
        XCTAssertEqual(t.scalars, [0, 3, 1, 4, 2, 5])
        XCTAssertEqual(try x.slice(axis: 1, 1..<3).scalars, [1, 2, 4, 5])
        XCTAssertEqual(try x.select(axis: 0, 1).scalars, [3, 4, 5])
        let cache = try Tensor.zeros([2, 4])
        try cache.assign(try Tensor(shape: [2, 1], scalars: [7, 8]), axis: 1, at: 2)
        XCTAssertEqual(cache.scalars, [0, 0, 7, 0, 0, 0, 8, 0])
        XCTAssertEqual(try Tensor.concat([x, x], axis: 0).shape, [4, 3])
        XCTAssertEqual(try x.unsqueezed(-1).shape, [2, 3, 1])
        XCTAssertEqual(try x.unsqueezed(0).shape, [1, 2, 3])
        XCTAssertEqual(try x.unsqueezed(-2).shape, [2, 1, 3])
        XCTAssertEqual(try x.unsqueezed(2).scalars, x.scalars)
        XCTAssertEqual(try x.expanded(to: [2, 2, 3]).scalars, x.scalars + x.scalars)
    }

    func testDeepChainDoesNotOverflowTheStack() throws {
        let w = try Tensor.ones([4])
        w.requiresGrad = true
        var h = w
        for _ in 0..<5000 { h = h * 1.0001 }
        try h.sum().backward()
        XCTAssertEqual(w.grad!.scalars[0], Float(pow(1.0001, 5000.0)), accuracy: 1e-3)
    }
}
