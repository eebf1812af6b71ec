/// What one micro-batch of a GFlowNet step left behind that the rest of the step needs, on every
/// rank: its behaviour, loss and diagnostics, and the samples to add to the replay buffer (added
/// after the step, in micro-batch order, so every rank's buffer stays the same). Its gradient is
/// not here: it is already in the parameters, and is summed across ranks separately.
struct MicroBatchOutcome: Codable {
    /// m, the micro-batch's position in its step.
    var index: Int
    /// The behaviour's name (on_policy, tempered, replay); nil: skipped (replay from an empty buffer).
    var behaviour: String?
    /// The balance loss (nil when skipped; non-finite losses are kept, and had no backward).
    var loss: Double?
    /// Per trajectory: terminal log R / T, log R / T − log q(Z ⊤ | X), and the length.
    var terminalLogRewards: [Double] = []
    var calibration: [Double] = []
    var lengths: [Double] = []
    /// Fresh samples for the prompt's replay sub-buffer.
    var additions: [ReplayItem] = []

    init(index: Int) { self.index = index }
}
