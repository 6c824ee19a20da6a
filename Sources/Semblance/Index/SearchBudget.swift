/// When a search must stop early and return what it has: a deadline, or the cancellation of
/// the task that runs it.
struct SearchBudget: Sendable {
    var deadline: ContinuousClock.Instant?
    var stopsOnCancellation = true
    /// A graph search stops after this many expansions in a row that did not improve its
    /// best `k` (a normal end, not a partial one); nil: no such limit.
    var patience: Int?
    /// How many results the search returns: the best it watches for `patience`.
    var k = 1

    init(deadline: ContinuousClock.Instant?, stopsOnCancellation: Bool = true, patience: Int? = nil, k: Int = 1) {
        self.deadline = deadline
        self.stopsOnCancellation = stopsOnCancellation
        self.patience = patience
        self.k = k
    }

    /// True once the deadline has passed or the running task is cancelled.
    var isSpent: Bool {
        if stopsOnCancellation && Task.isCancelled { return true }
        if let deadline, ContinuousClock.now >= deadline { return true }
        return false
    }
}
