/// Which commits a garbage collection keeps. Branch heads and tagged commits are always
/// kept. A user commit (`commit(message:)`) on a branch's first-parent history is kept when
/// it is among the branch's last ``keepLast`` user commits, or newer than ``keepFor``
/// seconds; after each kept user commit only the newest automatic commit (a checkpoint) is
/// kept. With neither limit set, every commit is kept.
///
/// History before the oldest kept commit is pruned: that commit becomes the start of its
/// branch's history.
public struct RetentionPolicy: Sendable, Hashable, Codable {
    /// User commits to keep on each branch, newest first; nil: no limit by count.
    public var keepLast: Int?
    /// Keep user commits newer than this many seconds; nil: no limit by age.
    public var keepFor: Double?

    /// A policy with these limits; with neither, every commit is kept.
    public init(keepLast: Int? = nil, keepFor: Double? = nil) {
        self.keepLast = keepLast
        self.keepFor = keepFor
    }

    /// Every commit is kept.
    public static let keepAll = RetentionPolicy()

    /// True when every commit is kept.
    public var keepsEverything: Bool { keepLast == nil && keepFor == nil }

    func validate() throws(SemblanceError) {
        if let keepLast, keepLast < 0 {
            throw SemblanceError(.invalidConfiguration, "retention keepLast must be 0 or more, got \(keepLast)")
        }
        if let keepFor, !(keepFor >= 0 && keepFor.isFinite) {
            throw SemblanceError(.invalidConfiguration, "retention keepFor must be a finite number of seconds, 0 or more, got \(keepFor)")
        }
    }
}
