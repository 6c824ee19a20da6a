/// When a search must stop early and return what it has: a deadline, or the cancellation of
/// the task that runs it.
struct SearchBudget: Sendable {
    var deadline: ContinuousClock.Instant?
    var stopsOnCancellation = true

    /// True once the deadline has passed or the running task is cancelled.
    var isSpent: Bool {
        if stopsOnCancellation && Task.isCancelled { return true }
        if let deadline, ContinuousClock.now >= deadline { return true }
        return false
    }
}
