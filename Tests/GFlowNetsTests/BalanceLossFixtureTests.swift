import XCTest
import Tensors
@testable import GFlowNets

/// The balance losses against an independent numpy implementation
/// (scripts/fixtures/make_loss_fixtures.py → Tests/Fixtures/gflownet_losses.json), whose SubTB is
/// a literal port of the reference code working on the sampler's token layout.
final class BalanceLossFixtureTests: XCTestCase {
    struct Case {
        let name: String
        let mMax: Int
        let lengths: [Int]
        let forced: [Bool]
        let logPF: [[Float]], logPTerm: [[Float]], logR: [[Float]]
        let expected: [[String: Any]]
    }

    func loadCases() throws -> [Case] {
        let json = try TestPaths.fixtureJSON("gflownet_losses.json")
        guard let cases = json["cases"] as? [[String: Any]] else { throw CocoaError(.fileReadCorruptFile) }
        return try cases.map { c in
            func matrix(_ key: String) throws -> [[Float]] {
                guard let rows = c[key] as? [[Double]] else { throw CocoaError(.fileReadCorruptFile) }
                return rows.map { $0.map(Float.init) }
            }
            return Case(name: c["name"] as? String ?? "?", mMax: c["m_max"] as? Int ?? -1,
                        lengths: c["lengths"] as? [Int] ?? [], forced: c["forced"] as? [Bool] ?? [],
                        logPF: try matrix("log_pf"), logPTerm: try matrix("log_pterm"), logR: try matrix("log_r"),
                        expected: c["expected"] as? [[String: Any]] ?? [])
        }
    }

    /// The case's inputs as tensors, with NaN written into every entry past a row's length: the
    /// losses must never read them.
    func scores(_ c: Case) throws -> TrajectoryScores {
        let n = c.mMax
        var pf = c.logPF, pt = c.logPTerm, r = c.logR
        for (b, length) in c.lengths.enumerated() {
            for t in length..<n { pf[b][t] = .nan }
            for t in (length + 1)..<(n + 1) { pt[b][t] = .nan; r[b][t] = .nan }
        }
        let bsz = c.lengths.count
        return try TrajectoryScores(
            logForward: Tensor(shape: [bsz, n], scalars: pf.flatMap { $0 }),
            logTermination: Tensor(shape: [bsz, n + 1], scalars: pt.flatMap { $0 }),
            logReward: Tensor(shape: [bsz, n + 1], scalars: r.flatMap { $0 }),
            lengths: c.lengths, forced: c.forced)
    }

    func testLossesMatchNumpyReference() throws {
        let cases = try loadCases()
        XCTAssertEqual(cases.count, 5)
        var maxAbs: Double = 0, maxRel: Double = 0, compared = 0
        var perLoss: [String: Double] = [:]
        for c in cases {
            let s = try scores(c)
            for e in c.expected {
                guard let kind = e["loss"] as? String, let value = e["value"] as? Double,
                      let forcedName = e["forced_termination"] as? String else { XCTFail("bad fixture entry"); continue }
                let forced: ForcedTermination = forcedName == "certain" ? .certain : .modelProbability
                let loss: BalanceLoss
                var logZ: Tensor? = nil
                switch kind {
                case "subtb":
                    let masking: TerminationMasking = (e["masking"] as? String) == "clean" ? .clean : .strictlyAfterFirstTermination
                    loss = .subTrajectory(lambda: Float(e["lambda"] as? Double ?? .nan), masking: masking)
                case "modified_db": loss = .detailed
                default:
                    loss = .trajectory
                    logZ = Tensor([Float(e["log_z"] as? Double ?? .nan)])
                }
                let got = Double(try loss(s, forcedTermination: forced, logPartition: logZ).item())
                let abs = Swift.abs(got - value), rel = abs / max(1, Swift.abs(value))
                maxAbs = max(maxAbs, abs)
                maxRel = max(maxRel, rel)
                let label = "\(kind)/\(forcedName)/\(e["masking"] as? String ?? "-")"
                perLoss[label] = max(perLoss[label] ?? 0, rel)
                XCTAssertLessThan(rel, 1e-5, "\(c.name) \(label) λ=\(e["lambda"] ?? "-"): got \(got), numpy \(value)")
                compared += 1
            }
        }
        XCTAssertEqual(compared, 80)
        print("GFlowNet losses vs numpy: \(compared) values, max |diff| \(maxAbs), max relative diff \(maxRel)")
        for (label, rel) in perLoss.sorted(by: { $0.key < $1.key }) { print("  \(label): max relative diff \(rel)") }
    }

    /// Autograd through the prefix-sum form against central finite differences (in Double, from
    /// the numbers the loss is made of), on the largest fixture case with λ = 0.9.
    func testSubTBGradientMatchesFiniteDifferences() throws {
        let c = try loadCases()[2]
        let s = try scores(c)
        let pf = s.logForward.copy(), pt = s.logTermination.copy()
        pf.requiresGrad = true
        pt.requiresGrad = true
        let scored = try TrajectoryScores(logForward: pf, logTermination: pt, logReward: s.logReward, lengths: c.lengths, forced: c.forced)
        let loss = BalanceLoss.subTrajectory(lambda: 0.9)
        try loss(scored).backward()
        let gradPF = try XCTUnwrap(pf.grad).scalars, gradPT = try XCTUnwrap(pt.grad).scalars
        let n = c.mMax
        var maxDiff: Float = 0
        func lossValue(_ pfValues: [Float], _ ptValues: [Float]) throws -> Float {
            let x = try TrajectoryScores(logForward: Tensor(shape: pf.shape, scalars: pfValues),
                                         logTermination: Tensor(shape: pt.shape, scalars: ptValues),
                                         logReward: s.logReward, lengths: c.lengths, forced: c.forced)
            return try loss(x).item()
        }
        let h: Float = 1e-2
        for (b, length) in c.lengths.enumerated() {
            for t in 0..<length {
                var plus = pf.scalars, minus = pf.scalars
                plus[b * n + t] += h
                minus[b * n + t] -= h
                let numeric = (try lossValue(plus, pt.scalars) - lossValue(minus, pt.scalars)) / (2 * h)
                maxDiff = max(maxDiff, abs(numeric - gradPF[b * n + t]))
                XCTAssertEqual(numeric, gradPF[b * n + t], accuracy: 2e-2 * max(1, abs(numeric)), "∂/∂logPF[\(b), \(t)]")
            }
            for t in 0...length {
                var plus = pt.scalars, minus = pt.scalars
                plus[b * (n + 1) + t] += h
                minus[b * (n + 1) + t] -= h
                let numeric = (try lossValue(pf.scalars, plus) - lossValue(pf.scalars, minus)) / (2 * h)
                maxDiff = max(maxDiff, abs(numeric - gradPT[b * (n + 1) + t]))
                XCTAssertEqual(numeric, gradPT[b * (n + 1) + t], accuracy: 2e-2 * max(1, abs(numeric)), "∂/∂logPterm[\(b), \(t)]")
            }
            // Entries past the row's length (NaN) and a forced end's P_term get no gradient.
            for t in length..<n { XCTAssertEqual(gradPF[b * n + t], 0) }
            for t in (length + 1)..<(n + 1) { XCTAssertEqual(gradPT[b * (n + 1) + t], 0) }
            if c.forced[b] { XCTAssertEqual(gradPT[b * (n + 1) + n], 0) }
        }
        print("SubTB gradient vs finite differences: max |diff| \(maxDiff)")
    }
}
