import Dispatch

/// Runs blocking work (file I/O, fsync, a rebuild) on a dispatch queue, off Swift's
/// cooperative thread pool, and awaits its result.
func runOnQueue<T: Sendable>(
    _ queue: DispatchQueue, _ body: @escaping @Sendable () throws(SemblanceError) -> T
) async throws(SemblanceError) -> T {
    let result: Result<T, SemblanceError> = await withCheckedContinuation { continuation in
        queue.async {
            continuation.resume(returning: Result { () throws(SemblanceError) in try body() })
        }
    }
    return try result.get()
}
