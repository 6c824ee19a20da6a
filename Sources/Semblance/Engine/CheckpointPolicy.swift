/// When a collection checkpoints on its own: its logs are folded into a commit once any
/// threshold is passed. Checked after every group of writes and by a timer.
public struct CheckpointPolicy: Sendable, Hashable, Codable {
    /// Log bytes (all shards) that trigger a checkpoint. Default 64 MiB.
    public var maxLogBytes: Int64
    /// Writes (records) since the last checkpoint that trigger one. Default 100,000.
    public var maxOperations: Int
    /// Seconds since the last checkpoint after which pending writes are checkpointed. Default 300.
    public var maxAgeSeconds: Double

    /// A policy with these thresholds (defaults: 64 MiB, 100,000 writes, 300 seconds).
    public init(maxLogBytes: Int64 = 64 << 20, maxOperations: Int = 100_000, maxAgeSeconds: Double = 300) {
        self.maxLogBytes = maxLogBytes
        self.maxOperations = maxOperations
        self.maxAgeSeconds = maxAgeSeconds
    }

    /// Never checkpoint automatically (only on demand).
    public static let manual = CheckpointPolicy(maxLogBytes: .max, maxOperations: .max, maxAgeSeconds: .infinity)
}
