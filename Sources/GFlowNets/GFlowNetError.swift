/// An error from the GFlowNet engine: what was being done, and what was wrong with which input.
public struct GFlowNetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The operation or setting at fault, e.g. "subTrajectoryBalance" or "ReplayBuffer.load".
    public let context: String
    public let message: String

    public init(_ context: String, _ message: String) {
        self.context = context
        self.message = message
    }

    public var description: String { "\(context): \(message)" }
}
