import Foundation
import Synchronization

/// A read-only handle's lease on the commits it serves (``LeaseFile``): written when a
/// branch opens or refreshes, renewed every third of its duration while the handle is open,
/// removed when the last branch closes. A garbage collection in the writer keeps what a
/// live lease names, so a reader that holds a commit longer than the grace period, or is
/// suspended for a while, still finds its objects.
///
/// A lease that was not renewed in time has **lapsed**: a collector may have deleted the
/// objects of the commits it named. Searches go on answering from the state in memory (a
/// committed or logged state, loaded whole); what would read those objects again (history,
/// snapshots, diffs) throws `.leaseExpired` until the next refresh, which takes a new lease
/// and reloads the branch from its newest commit.
///
/// Where no lease can be written (read-only media, no permission), the reader relies on the
/// collector's grace period alone.
final class ReaderLease: Sendable {
    let folder: LeaseFolder
    let id: String
    /// How long each renewal claims the commits, in seconds.
    let duration: Double

    static let defaultDuration: Double = 60

    private struct State {
        var heads: [String: ObjectHash?] = [:]
        /// The expiry last written; nil while no lease is held.
        var expires: Double?
        /// A write failed before any succeeded: the media takes none, and grace alone protects.
        var unwritable = false
        var written = false
        var lapsed = false
        var renewals: Task<Void, Never>?
        /// A test's stand-in for a suspended process: renewals do nothing.
        var renewalsPaused = false
    }
    private let state = Mutex(State())

    init(fs: any FileSystem, collection: String, duration: Double) {
        folder = LeaseFolder(fs: fs, collection: collection)
        id = String(UInt64.random(in: 0...UInt64.max), radix: 16) + "-" + String(getpid())
        self.duration = duration
    }

    /// Claims `head` (nil: the branch has no commit yet) for `branch`, and renews.
    func hold(branch: String, head: ObjectHash?) {
        state.withLock { s in
            s.heads[branch] = head
            write(&s)
            guard s.renewals == nil, !s.unwritable else { return }
            let period = duration / 3
            s.renewals = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(period))
                    guard let self, !Task.isCancelled else { return }
                    self.renew()
                }
            }
        }
    }

    /// `branch` closed; with the last one, the lease is removed and renewals stop.
    func release(branch: String) {
        state.withLock { s in
            s.heads.removeValue(forKey: branch)
            guard s.heads.isEmpty else { return write(&s) }
            s.renewals?.cancel()
            s.renewals = nil
            if s.expires != nil { folder.remove(id: id) }
            s.expires = nil
            s.lapsed = false
        }
    }

    /// Extends the lease, unless it has lapsed already (then it waits for ``restart()``).
    func renew() {
        state.withLock { s in
            guard !s.renewalsPaused, !Self.checkLapse(&s) else { return }
            write(&s)
        }
    }

    /// Whether the lease lapsed: it was not renewed before it expired.
    var hasLapsed: Bool { state.withLock { Self.checkLapse(&$0) } }

    /// Throws `.leaseExpired` once the lease has lapsed, until ``restart()``.
    func requireLive(_ directory: String) throws(SemblanceError) {
        let expired = state.withLock { s -> Double? in Self.checkLapse(&s) ? s.expires : nil }
        guard let expired else { return }
        let when = Date(timeIntervalSince1970: expired).formatted(.iso8601)
        throw SemblanceError(.leaseExpired, "this reader's lease lapsed at \(when) (it was not renewed in time, as when the process is suspended): "
            + "a garbage collection may have deleted what it held; refresh() takes a new lease at the branch's newest commit", path: directory)
    }

    /// After a lapse: forgets the claims, to be made again by the reload's ``hold(branch:head:)``.
    func restart() {
        state.withLock { s in
            s.lapsed = false
            s.expires = nil
        }
    }

    /// Test seam: stops (or resumes) renewals, as a suspended process would.
    func pauseRenewals(_ paused: Bool) {
        state.withLock { $0.renewalsPaused = paused }
    }

    private static func checkLapse(_ s: inout State) -> Bool {
        if !s.lapsed, let expires = s.expires, Date().timeIntervalSince1970 > expires { s.lapsed = true }
        return s.lapsed
    }

    private func write(_ s: inout State) {
        guard !s.unwritable, !s.lapsed else { return }
        let expires = Date().timeIntervalSince1970 + duration
        let commits = s.heads.values.compactMap { $0?.hex }
        do throws(SemblanceError) {
            try folder.write(id: id, LeaseFile(expires: expires, commits: Array(Set(commits)).sorted(), process: getpid()))
            // Renamed into place after the lease it replaces expired: a collector may have
            // found that one expired and removed it (and its commits' objects) meanwhile.
            if let previous = s.expires, Date().timeIntervalSince1970 > previous {
                s.lapsed = true
                return
            }
            s.expires = expires
            s.written = true
        } catch {
            // Never written: read-only media or no permission. Written before: the next
            // renewal tries again, and the lease lapses if none succeeds in time.
            if !s.written { s.unwritable = true }
        }
    }
}
