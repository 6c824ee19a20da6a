import Dispatch

/// Runs an actor's jobs one at a time on a serial dispatch queue of its own. The storage
/// actors block in fsync and file writes; on this queue they hold one of its threads, not
/// one of the few threads of Swift's cooperative pool that every other task shares. The
/// queues target the global queue, so a collection of many shards does not start a thread
/// per shard at once.
final class DispatchQueueExecutor: SerialExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label, target: .global())
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}
