import Foundation
import Synchronization

/// A branch as a reader sees it while a writer, perhaps in another process, changes it: the
/// head commit's pages plus the groups of writes logged after it, read without a lock and
/// without changing any file.
///
/// A read takes the ref, the head's pages and every shard's log (pass one), then reads each
/// log again (pass two) and the ref again. Pass one's frames of groups below the first
/// group that pass two found new in any log are a state the branch had: any group below a
/// group pass one saw had finished on every shard before pass one's last read, so pass two
/// found it, either in pass one's part of the log or new; and a group is kept only when
/// pass one holds it on every shard it spans, so no batch is seen in part. A torn tail is
/// a frame being written, and is left out. When the ref moved, or a log was replaced
/// (a checkpoint, reset or merge renamed a new one into place), the read starts over;
/// an error that persists while the branch stands still is reported.
package final class BranchReader: Sendable {
    let files: CollectionFiles
    let branch: String

    /// One consistent state of the branch.
    struct View {
        /// When the read that found it began: it was the newest state then.
        var readBegan: ContinuousClock.Instant
        var head: ObjectHash?
        var shards: [VectorIndex]
        /// Bytes of the logs' frames kept, beyond their headers.
        var logBytes: Int64
    }

    /// The head last read, its shards (pages only) and the last sequence number each holds,
    /// reused while the head stays; and the last state read at that head, which the next
    /// read continues when the logs still hold what it replayed.
    private let base = Mutex<Base?>(nil)
    private struct Base {
        var head: ObjectHash?
        var shards: [VectorIndex]
        var applied: [UInt64]
        var last: Replayed?
    }
    private struct Replayed {
        var headers: [LogFormat.FileHeader]
        /// The frames replayed, per shard.
        var frames: [[LogContents.Frame.Mark]]
        var shards: [VectorIndex]
    }

    /// Reads that start over because the writer moved, before giving up.
    static let maximumAttempts = 200
    /// Failures in a row with the branch standing still before the error is reported.
    static let maximumFailures = 4

    /// Microseconds to sleep after reading each log in pass one: the readers' test widens
    /// that window so that groups of writes land inside it. Zero otherwise.
    private static let pauseBetweenLogReads = Atomic<Int>(0)

    /// Sets ``pauseBetweenLogReads`` (microseconds) for this process.
    package static func pauseAfterEachLogRead(microseconds: Int) {
        pauseBetweenLogReads.store(microseconds, ordering: .relaxed)
    }

    init(files: CollectionFiles, branch: String) {
        self.files = files
        self.branch = branch
    }

    /// The branch's newest consistent state.
    /// - Throws: `.unknownRef` when the branch does not exist (any more); `.corruptFile` or
    ///   `.unsupportedFormatVersion` naming the file, for damage that persists.
    func read() throws(SemblanceError) -> View {
        let began = ContinuousClock.now
        var failures = 0
        for _ in 0..<Self.maximumAttempts {
            try requireSameCollection()
            let head = try files.refs.read(.branch, branch)
            guard head != nil || branch == CollectionFiles.mainBranch else {
                throw SemblanceError(.unknownRef, "collection has no branch named \(branch.debugDescription)", path: files.directory)
            }
            do {
                if var view = try attempt(head: head) {
                    view.readBegan = began
                    return view
                }
                failures = 0
            } catch {
                // A writer moving the head (and collecting the old one's pages) explains it.
                if (try? files.refs.read(.branch, branch)) != head { failures = 0; continue }
                failures += 1
                guard failures < Self.maximumFailures else { throw error }
                // A checkpoint renames its new logs just after it moves the ref.
                usleep(UInt32(1_000 << (3 * failures)))
            }
        }
        throw SemblanceError(.storageUnavailable,
            "the branch \(branch.debugDescription) changed during each of \(Self.maximumAttempts) reads; try again", path: files.directory)
    }

    /// The collection is still the one opened: not dropped (its config.json gone), nor
    /// dropped and created again under its name (another collection id).
    private func requireSameCollection() throws(SemblanceError) {
        let path = files.directory + "/config.json"
        guard let bytes = try? files.fs.readFile(path) else {
            throw SemblanceError(.unknownCollection, "the collection was dropped (no config.json)", path: files.directory)
        }
        let current = try StoredConfiguration.decode(bytes, path: path)
        guard current.collectionID == files.configuration.collectionID else {
            throw SemblanceError(.unknownCollection, "the collection was dropped and another created under its name: close this handle and open the collection again",
                                 path: files.directory)
        }
    }

    /// Drops the cached head and state: the next read loads everything again.
    func forget() {
        base.withLock { $0 = nil }
    }

    /// One read at `head`; nil when the ref moved or a log was replaced meanwhile.
    private func attempt(head: ObjectHash?) throws(SemblanceError) -> View? {
        let configuration = files.configuration
        let known: Base
        if let cached = base.withLock({ $0 }), cached.head == head {
            known = cached
        } else if let head {
            let commit = try files.commit(head)
            known = Base(head: head, shards: try files.indexes(of: commit), applied: commit.shards.map(\.appliedSequence), last: nil)
            base.withLock { $0 = known }
        } else {
            let empty = try (0..<configuration.shardCount).map { (_) throws(SemblanceError) in try VectorIndex(configuration.index) }
            known = Base(head: nil, shards: empty, applied: Array(repeating: 0, count: configuration.shardCount), last: nil)
            base.withLock { $0 = known }
        }
        var shards = known.shards
        let applied = known.applied
        // A branch no writer has opened yet has no logs (no plans): its head is all of it. So
        // is a branch whose logs a reset is replacing at this moment (the folder is renamed
        // away, then the new one renamed in): the reset's state is the head.
        let hasLogs = files.fs.kind(CollectionFiles.logFolder(files.directory, branch: branch)) == .directory
        var plans: [CollectionStore.LogPlan] = []
        for shard in hasLogs ? 0..<configuration.shardCount : 0..<0 {
            plans.append(try CollectionStore.planLog(files.fs, directory: files.directory, configuration: configuration, branch: branch,
                                                     head: head, shard: shard, applied: applied[shard]))
            let pause = Self.pauseBetweenLogReads.load(ordering: .relaxed)
            if pause > 0 { usleep(UInt32(pause)) }
        }
        var firstNewGroup: UInt64?
        for (shard, plan) in plans.enumerated() {
            let again = try CollectionStore.readLog(files.fs, plan.path, branch: branch, shard: shard, configuration: configuration)
            let before = plan.contents.frames
            guard again.header == plan.contents.header, again.frames.count >= before.count,
                  zip(before, again.frames).allSatisfy({ $0.mark == $1.mark })
            else { return nil }
            for frame in again.frames.dropFirst(before.count) {
                firstNewGroup = min(firstNewGroup ?? frame.group.number, frame.group.number)
            }
        }
        guard try files.refs.read(.branch, branch) == head else { return nil }
        let kept = try CollectionStore.keptFrames(plans, shardCount: configuration.shardCount, durability: .none, groupsBelow: firstNewGroup)
        // The last read's frames, where each log still begins with them: only what follows
        // is replayed (the same header and frames in the same places with the same checksums
        // are the same log; a log replaced by a reset to the head differs in a checksum).
        var replayed = Array(repeating: 0, count: plans.count)
        if let last = known.last, last.headers == plans.map(\.contents.header),
           plans.indices.allSatisfy({ shard in
               last.frames[shard].count <= kept[shard]
                   && zip(last.frames[shard], plans[shard].contents.frames).allSatisfy { $0 == $1.mark }
           }) {
            shards = last.shards
            replayed = last.frames.map(\.count)
        }
        try CollectionStore.replay(plans, kept: kept, from: replayed, into: &shards)
        let state = Replayed(headers: plans.map(\.contents.header),
                             frames: plans.indices.map { plans[$0].contents.frames.prefix(kept[$0]).map(\.mark) }, shards: shards)
        base.withLock { if $0?.head == head { $0?.last = state } }
        let logBytes = zip(plans, kept).reduce(Int64(0)) { sum, pair in
            sum + (pair.0.contents.frames.prefix(pair.1).last.map { $0.end - Int64(LogFormat.fileHeaderSize) } ?? 0)
        }
        return View(readBegan: .now, head: head, shards: shards, logBytes: logBytes)
    }
}
