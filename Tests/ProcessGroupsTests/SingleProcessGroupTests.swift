import ProcessGroups
import XCTest

/// The group of one (a plain run): collectives return their input and MPI is never initialised.
/// The MPI path is tested end to end by ConsoleTests' MPIRunTests, under mpirun.
final class SingleProcessGroupTests: XCTestCase {
    func testAPlainProcessIsAGroupOfOne() throws {
        try XCTSkipIf(ProcessGroup.launchedByMPI, "this test process was started by mpirun")
        let world = try ProcessGroup.start()
        XCTAssertTrue(world === ProcessGroup.single)
        XCTAssertEqual(world.rank, 0)
        XCTAssertEqual(world.size, 1)
        XCTAssertTrue(world.isPrimary)
    }

    func testCollectivesOfOneReturnTheirInput() throws {
        let group = ProcessGroup.single
        var floats: [Float] = [1.5, -2, .infinity]
        try group.allreduceSum(&floats)
        XCTAssertEqual(floats, [1.5, -2, .infinity])
        var doubles: [Double] = [3, 4]
        try group.allreduceSum(&doubles)
        try group.allreduceMax(&doubles)
        XCTAssertEqual(doubles, [3, 4])
        XCTAssertEqual(try group.allgather([1, 2, 3] as [Double]), [[1, 2, 3]])
        XCTAssertEqual(try group.allgather([7, 8] as [UInt8]), [[7, 8]])
        XCTAssertEqual(try group.broadcast("runs/x/20261205-071100"), "runs/x/20261205-071100")
        try group.barrier()
    }
}
