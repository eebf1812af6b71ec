// The processes of one run and the few collective operations data-parallel training needs: summing
// gradients and metrics across ranks, sending rank 0's choices to the others, waiting for each
// other, and stopping every rank when one fails. Under `mpirun` the group is MPI_COMM_WORLD (Open
// MPI through CMPI); a plain run is a group of one, which never touches MPI.

#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import CMPI
import CMPIShim
import Foundation

/// An error of the transport itself (MPI returned a failure code), naming the operation.
public struct ProcessGroupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ message: String) { description = message }
}

/// The ranks of a run. Every rank must call each collective operation in the same order with the
/// same sizes (the caller's business: trainers call them at fixed points of every step).
public final class ProcessGroup: @unchecked Sendable {
    /// This process's index, 0 ..< size.
    public let rank: Int
    /// How many processes the run has.
    public let size: Int
    /// Ranks of this run on this machine (mpirun's OMPI_COMM_WORLD_LOCAL_SIZE; 1 without MPI).
    public let localSize: Int
    /// nil for the group of one.
    private let communicator: MPI_Comm?

    private init(rank: Int, size: Int, localSize: Int, communicator: MPI_Comm?) {
        self.rank = rank
        self.size = size
        self.localSize = localSize
        self.communicator = communicator
    }

    /// A group of one process: every collective returns its input.
    public static let single = ProcessGroup(rank: 0, size: 1, localSize: 1, communicator: nil)

    /// Whether mpirun (Open MPI) started this process: it sets OMPI_COMM_WORLD_SIZE for every rank.
    public static var launchedByMPI: Bool { getenv("OMPI_COMM_WORLD_SIZE") != nil }

    private static let launch: Result<ProcessGroup, ProcessGroupError> = {
        guard launchedByMPI else { return .success(single) }
        let rc = gfn_mpi_init()
        guard rc == gfn_mpi_success() else { return .failure(ProcessGroupError("MPI_Init failed: \(errorText(rc))")) }
        let world = gfn_mpi_comm_world()
        var rank: Int32 = 0, size: Int32 = 1
        MPI_Comm_rank(world, &rank)
        MPI_Comm_size(world, &size)
        let local = getenv("OMPI_COMM_WORLD_LOCAL_SIZE").flatMap { Int(String(cString: $0)) } ?? Int(size)
        return .success(ProcessGroup(rank: Int(rank), size: Int(size), localSize: max(1, local), communicator: world))
    }()

    /// The run's group: MPI_COMM_WORLD under mpirun (MPI is initialised on first use), else `single`.
    /// Call `start()` first to learn of a failed MPI_Init; after one, this is `single`.
    public static var world: ProcessGroup { (try? launch.get()) ?? single }

    /// Initialises MPI when launched by mpirun and returns the world group.
    public static func start() throws -> ProcessGroup { try launch.get() }

    public var isPrimary: Bool { rank == 0 }

    // MARK: - Collectives

    /// Element-wise sum over the ranks, in place; every rank gets the total.
    public func allreduceSum(_ values: inout [Float]) throws {
        guard let communicator, size > 1 else { return }
        try Self.reduce(&values, gfn_mpi_float(), gfn_mpi_sum(), communicator, "allreduce")
    }

    /// Element-wise sum over the ranks, in place; every rank gets the total.
    public func allreduceSum(_ values: inout [Double]) throws {
        guard let communicator, size > 1 else { return }
        try Self.reduce(&values, gfn_mpi_double(), gfn_mpi_sum(), communicator, "allreduce")
    }

    /// Element-wise maximum over the ranks, in place.
    public func allreduceMax(_ values: inout [Double]) throws {
        guard let communicator, size > 1 else { return }
        try Self.reduce(&values, gfn_mpi_double(), gfn_mpi_max(), communicator, "allreduce")
    }

    /// Every rank's `values` (of any length), in rank order, on every rank.
    public func allgather(_ values: [Double]) throws -> [[Double]] {
        guard let communicator, size > 1 else { return [values] }
        return try gather(values, gfn_mpi_double(), communicator)
    }

    /// Every rank's bytes (of any length), in rank order, on every rank.
    public func allgather(_ bytes: [UInt8]) throws -> [[UInt8]] {
        guard let communicator, size > 1 else { return [bytes] }
        return try gather(bytes, gfn_mpi_byte(), communicator)
    }

    private func gather<T: Numeric>(_ values: [T], _ type: MPI_Datatype?, _ communicator: MPI_Comm) throws -> [[T]] {
        var counts = [Int64](repeating: 0, count: size)
        var mine = Int64(values.count)
        try Self.check(MPI_Allgather(&mine, 1, gfn_mpi_int64(), &counts, 1, gfn_mpi_int64(), communicator), "allgather")
        let total = counts.reduce(0, +)
        guard total <= Int64(Int32.max) else { throw ProcessGroupError("allgather of \(total) elements exceeds MPI's Int32 counts") }
        var displacements = [Int32](repeating: 0, count: size)
        for r in 1..<size { displacements[r] = displacements[r - 1] + Int32(counts[r - 1]) }
        let receiveCounts = counts.map { Int32($0) }
        var all = [T](repeating: 0, count: Int(total))
        let rc = values.withUnsafeBufferPointer { send in
            all.withUnsafeMutableBufferPointer { receive in
                MPI_Allgatherv(send.baseAddress, Int32(send.count), type, receive.baseAddress, receiveCounts, displacements,
                               type, communicator)
            }
        }
        try Self.check(rc, "allgather")
        return (0..<size).map { r in Array(all[Int(displacements[r])..<Int(displacements[r]) + Int(counts[r])]) }
    }

    /// Every rank's items, in rank order, on every rank (JSON in between: numbers come back bit for
    /// bit, non-finite ones included).
    public func allgatherItems<Item: Codable>(_ items: [Item]) throws -> [Item] {
        guard size > 1 else { return items }
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let parts = try allgather(Array(try encoder.encode(items)))
        return try parts.flatMap { try decoder.decode([Item].self, from: Data($0)) }
    }

    /// `root`'s bytes on every rank (the others' `bytes` are ignored).
    public func broadcast(_ bytes: [UInt8], root: Int = 0) throws -> [UInt8] {
        guard let communicator, size > 1 else { return bytes }
        guard (0..<size).contains(root) else { throw ProcessGroupError("broadcast from rank \(root) of a group of \(size)") }
        var count = Int64(bytes.count)
        try Self.check(MPI_Bcast(&count, 1, gfn_mpi_int64(), Int32(root), communicator), "broadcast")
        guard count <= Int64(Int32.max) else { throw ProcessGroupError("broadcast of \(count) bytes exceeds MPI's Int32 counts") }
        var buffer = rank == root ? bytes : [UInt8](repeating: 0, count: Int(count))
        try Self.check(MPI_Bcast(&buffer, Int32(count), gfn_mpi_byte(), Int32(root), communicator), "broadcast")
        return buffer
    }

    /// `root`'s text on every rank.
    public func broadcast(_ text: String, root: Int = 0) throws -> String {
        String(decoding: try broadcast(Array(text.utf8), root: root), as: UTF8.self)
    }

    /// Returns once every rank has called it.
    public func barrier() throws {
        guard let communicator, size > 1 else { return }
        try Self.check(MPI_Barrier(communicator), "barrier")
    }

    /// Stops every rank of the run with exit status `code` (a plain exit for the group of one).
    public func abort(code: Int32) -> Never {
        if let communicator { MPI_Abort(communicator, code) }
        exit(code)
    }

    /// Ends MPI on this rank (after the last collective); nothing for the group of one.
    public func finalize() {
        guard communicator != nil else { return }
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }

    // MARK: - Helpers

    private static let chunk = 1 << 28

    private static func reduce<T: Numeric>(_ values: inout [T], _ type: MPI_Datatype?, _ op: MPI_Op?, _ communicator: MPI_Comm, _ what: String) throws {
        guard !values.isEmpty else { return }
        var result = values
        try values.withUnsafeMutableBufferPointer { send in
            try result.withUnsafeMutableBufferPointer { receive in
                var start = 0
                while start < send.count {
                    let n = min(chunk, send.count - start)
                    try check(MPI_Allreduce(send.baseAddress! + start, receive.baseAddress! + start, Int32(n), type, op, communicator), what)
                    start += n
                }
            }
        }
        values = result
    }

    private static func check(_ rc: Int32, _ what: String) throws {
        guard rc != gfn_mpi_success() else { return }
        throw ProcessGroupError("MPI \(what) failed: \(errorText(rc))")
    }

    private static func errorText(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        gfn_mpi_error_string(code, &buffer, Int32(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
