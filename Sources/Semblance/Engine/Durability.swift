/// When an acknowledged write reaches the disk.
public enum Durability: Sendable, Hashable, Codable {
    /// fsync before every write is acknowledged (group commit shares one fsync per shard
    /// among writers that arrive together). A crash or power loss loses nothing acknowledged.
    case durable
    /// Writes are acknowledged once written to the operating system; an fsync runs when at
    /// least `seconds` have passed since the last one (checked at each write, and by a timer
    /// once a second). A process crash loses nothing; a power loss can lose up to that long
    /// (plus a second). At most a day.
    case periodic(seconds: Double)
    /// No fsync of the logs, except at checkpoints and on close. A process crash loses nothing
    /// acknowledged; a power loss can lose everything since the last checkpoint.
    case none
}
