import Glibc

/// An error from a tensor operation: which operation failed and why, with the shapes involved.
///
/// Everything a script or a model file can trigger (a shape mismatch, an index out of range, a bad
/// axis) is reported this way, never as a crash. The description reads like
/// `matmul: inner dimensions differ: [2, 3] and [4, 5]`.
public struct TensorError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The operation that failed, as named in the API (`matmul`, `add`, `reshape`, ...).
    public let operation: String
    /// What went wrong, including the shapes or indices at fault.
    public let message: String

    public init(_ operation: String, _ message: String) {
        self.operation = operation
        self.message = message
    }

    public var description: String { "\(operation): \(message)" }

    static func shapes(_ operation: String, _ what: String, _ a: [Int], _ b: [Int]) -> TensorError {
        TensorError(operation, "\(what): \(a) and \(b)")
    }
}

/// Normalizes a possibly negative axis (`-1` is the last) against `rank`, or throws.
@inline(__always)
func normalizeAxis(_ axis: Int, rank: Int, _ operation: String) throws -> Int {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0, a < rank else {
        throw TensorError(operation, "axis \(axis) is out of range for a tensor of rank \(rank)")
    }
    return a
}

/// Checks that every dimension is non-negative and that the elements would fit in this machine's
/// physical memory (a failed allocation would otherwise end the process).
func validateShape(_ shape: [Int], _ operation: String) throws {
    var count = 1
    for d in shape {
        guard d >= 0 else { throw TensorError(operation, "negative dimension in shape \(shape)") }
        let (p, overflow) = count.multipliedReportingOverflow(by: d)
        guard !overflow, p <= maximumElements else {
            throw TensorError(operation, "shape \(shape) needs more memory than this machine has (\(maximumElements * 4 >> 20) MiB)")
        }
        count = p
    }
}

/// Float32 elements that fit in physical memory.
let maximumElements: Int = {
    let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
    guard pages > 0, size > 0 else { return 1 << 32 }
    return Int(pages) * Int(size) / 4
}()
