import Foundation

/// What a garbage collection did.
public struct GarbageReport: Sendable, Hashable, Codable {
    /// Objects (pages and commits) deleted.
    public var deletedObjects = 0
    /// The bytes the deleted objects held.
    public var freedBytes: Int64 = 0
    /// Commits kept.
    public var keptCommits = 0
    /// Commits retention dropped from history.
    public var prunedCommits = 0
    /// Unreachable objects left for a later collection, because they were found less than
    /// the grace period ago.
    public var pendingObjects = 0
    /// Commits that readers' live leases name, kept whatever the retention policy says.
    public var leasedCommits = 0
    /// Readers' leases in force (expired ones are removed).
    public var readerLeases = 0

    /// A report of nothing done.
    public init() {}
}

/// Retention, then mark, grace period and sweep, over a collection's objects.
///
/// 1. **Retention** picks the commits to keep (``RetentionPolicy``; heads, tags and the
///    commits named by readers' live leases always) and writes `refs/grafts`, where history
///    now skips dropped commits, before anything is deleted. Expired leases are removed.
/// 2. **Mark**: every object a kept commit names is reachable; every other object file is a
///    candidate.
/// 3. **Grace**: a candidate is deleted only once it has been a candidate for `grace`
///    seconds (`gc-pending` remembers since when), so a reader in another process that
///    opened an older commit has time to finish. With a grace of 0 the sweep is immediate.
/// 4. **Sweep**: commits first, then pages, each under ``ObjectPins``: an object that a
///    commit in progress in this process uses (written, or found and re-used because the
///    same data came back) is never deleted from under it.
///
/// A crash at any moment deletes nothing reachable: grafts name only kept commits and are
/// replaced atomically, and only candidates are deleted.
struct GarbageCollector {
    let files: CollectionFiles

    static func pendingPath(_ directory: String) -> String { directory + "/gc-pending" }

    func collect(retention: RetentionPolicy, grace: Double, now: Date = Date()) throws(SemblanceError) -> GarbageReport {
        guard files.persistent else { return GarbageReport() }
        // One at a time: two would write grafts and gc-pending over each other.
        return try files.collectingGarbage { () throws(SemblanceError) in try collectAlone(retention: retention, grace: grace, now: now) }
    }

    private func collectAlone(retention: RetentionPolicy, grace: Double, now: Date) throws(SemblanceError) -> GarbageReport {
        let fs = files.fs
        let pins = files.pins
        pins.beginCollection()
        defer { pins.endCollection() }
        var report = GarbageReport()

        // 1. Retention.
        let refs = files.refs
        var branchHeads: [ObjectHash] = []
        var tags: [ObjectHash] = []
        for branch in try refs.names(.branch) { if let head = try refs.read(.branch, branch) { branchHeads.append(head) } }
        for tag in try refs.names(.tag) { if let commit = try refs.read(.tag, tag) { tags.append(commit) } }
        // Readers' claims. A claim on a commit deleted already (its reader was suspended
        // past its lease, or opened it within a grace of 0) protects nothing.
        let claims = try LeaseFolder(fs: fs, collection: files.directory).claims(now: now, removingExpired: true)
        report.readerLeases = claims.leases
        let leased = claims.commits.filter { fs.fileExists(files.objects.path(of: $0)) }
        report.leasedCommits = leased.count
        let current = try HistoryGrafts.read(fs, collection: files.directory)
        var commits: [ObjectHash: CommitObject] = [:]
        func load(_ hash: ObjectHash) throws(SemblanceError) -> CommitObject {
            if let known = commits[hash] { return known }
            let commit = try files.commit(hash)
            commits[hash] = commit
            return commit
        }
        let plan = try RetentionPlan(branchHeads: branchHeads, otherTips: tags + Array(leased), retention: retention, now: now, grafts: current,
                                     load: load, exists: { fs.fileExists(files.objects.path(of: $0)) })
        if plan.grafts != current { try plan.grafts.write(fs, collection: files.directory) }
        let kept = plan.kept
        report.keptCommits = kept.count

        // 2. Mark.
        var reachable = kept
        for hash in kept { reachable.formUnion(try load(hash).shards.flatMap(\.allObjects)) }
        let objects = files.objects
        var candidates: [(hash: ObjectHash, isCommit: Bool)] = []
        let root = objects.directory
        for folder in try fs.contentsOfDirectory(root) where folder.utf8.count == 2 && fs.kind(root + "/" + folder) == .directory {
            for name in try fs.contentsOfDirectory(root + "/" + folder) where !name.hasPrefix(".tmp-") {
                guard let hash = ObjectHash(hex: folder + name), !reachable.contains(hash) else { continue }
                // A commit is JSON, a page starts with "SMBLPAGE": the first byte tells.
                let file = try fs.open(root + "/" + folder + "/" + name, .read)
                let first = try? fs.read(file, count: 1, at: 0)
                fs.close(file)
                let isCommit = first == Array("{".utf8)
                if isCommit { report.prunedCommits += 1 }
                candidates.append((hash, isCommit))
            }
        }

        // 3. Grace.
        let pendingPath = Self.pendingPath(files.directory)
        let markedBefore = files.fs.kind(pendingPath) == .file ? try GracePeriod.decode(try fs.readFile(pendingPath), path: pendingPath) : [:]
        let period = GracePeriod(candidates: candidates, markedBefore: markedBefore, now: now, grace: grace) { hash in
            (try? CommitObject.decode(try objects.get(hash), file: objects.path(of: hash)))?.shards.flatMap(\.allObjects)
        }
        let due = period.due
        var marked = period.marked

        // 4. Sweep: commits first, made durable, then pages, so that not even a power loss
        // leaves a commit without its pages.
        var touchedFolders = Set<String>()
        var commitsSynced = false
        for candidate in due.sorted(by: { $0.isCommit && !$1.isCommit }) {
            if !candidate.isCommit && !commitsSynced {
                for folder in touchedFolders.sorted() { try fs.syncDirectory(folder) }
                touchedFolders = []
                commitsSynced = true
            }
            let path = objects.path(of: candidate.hash)
            var size: Int64 = 0
            let deleted = try pins.deleteUnlessUsed(candidate.hash) { () throws(SemblanceError) in
                let file = try fs.open(path, .read)
                size = (try? fs.size(file)) ?? 0
                fs.close(file)
                try fs.remove(path)
            }
            if deleted {
                report.deletedObjects += 1
                report.freedBytes += size
                touchedFolders.insert(Path.directory(of: path))
            } else {
                marked[candidate.hash] = now.timeIntervalSince1970
            }
        }
        for folder in touchedFolders.sorted() { try fs.syncDirectory(folder) }
        report.pendingObjects = marked.count
        if marked != markedBefore { try fs.writeFileAtomically(pendingPath, GracePeriod.encode(marked)) }
        return report
    }
}
