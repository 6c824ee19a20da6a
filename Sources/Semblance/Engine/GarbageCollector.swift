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
        let history = try CommitHistory(files)
        let refs = files.refs
        var tips: [ObjectHash] = []
        var branchHeads: [ObjectHash] = []
        for branch in try refs.names(.branch) { if let head = try refs.read(.branch, branch) { branchHeads.append(head) } }
        for tag in try refs.names(.tag) { if let commit = try refs.read(.tag, tag) { tips.append(commit) } }
        tips += branchHeads
        // Readers' claims. A claim on a commit deleted already (its reader was suspended
        // past its lease, or opened it within a grace of 0) protects nothing.
        let claims = try LeaseFolder(fs: fs, collection: files.directory).claims(now: now, removingExpired: true)
        report.readerLeases = claims.leases
        let leased = claims.commits.filter { fs.fileExists(files.objects.path(of: $0)) }
        tips += leased
        var commits: [ObjectHash: CommitObject] = [:]
        var kept = Set(tips)
        func load(_ hash: ObjectHash) throws(SemblanceError) -> CommitObject {
            if let known = commits[hash] { return known }
            let commit = try files.commit(hash)
            commits[hash] = commit
            return commit
        }
        if retention.keepsEverything {
            // Every commit reachable from a head or tag.
            kept = try history.reachable(from: tips, load: load)
        } else {
            for head in branchHeads {
                kept.formUnion(try keptOnBranch(from: head, history: history, retention: retention, now: now, load: load))
            }
        }
        report.leasedCommits = leased.count
        var grafts = HistoryGrafts()
        for hash in kept {
            let commit = try load(hash)
            let followed = history.parents(hash, commit)
            var parents: [ObjectHash] = []
            for parent in followed {
                if let nearest = try nearestKept(from: parent, kept: kept, history: history, load: load), !parents.contains(nearest) {
                    parents.append(nearest)
                }
            }
            if parents != commit.parents { grafts.parents[hash] = parents }
        }
        if grafts != history.grafts { try grafts.write(fs, collection: files.directory) }
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
        let markedBefore = try readPending(pendingPath)
        var marked: [ObjectHash: Double] = [:]
        var due: [(hash: ObjectHash, isCommit: Bool)] = []
        var waiting: [ObjectHash] = []
        for candidate in candidates {
            let since = markedBefore[candidate.hash] ?? now.timeIntervalSince1970
            if now.timeIntervalSince1970 - since >= grace { due.append(candidate) } else {
                marked[candidate.hash] = since
                if candidate.isCommit { waiting.append(candidate.hash) }
            }
        }
        // A page stays as long as a commit still waiting out its grace names it (a page can
        // have been garbage longer than a commit that re-used it since), so that no commit,
        // reachable or not, ever loses its pages before it is deleted itself.
        var namedByWaiting = Set<ObjectHash>()
        for hash in waiting {
            if let commit = try? CommitObject.decode(try objects.get(hash), file: objects.path(of: hash)) {
                namedByWaiting.formUnion(commit.shards.flatMap(\.allObjects))
            }
        }
        due.removeAll { candidate in
            guard namedByWaiting.contains(candidate.hash) else { return false }
            marked[candidate.hash] = markedBefore[candidate.hash] ?? now.timeIntervalSince1970
            return true
        }

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
        if marked != markedBefore {
            let lines = marked.keys.sorted { $0.hex < $1.hex }.map { "\($0.hex) \(marked[$0]!)\n" }
            try fs.writeFileAtomically(pendingPath, Array(lines.joined().utf8))
        }
        return report
    }

    /// The commits retention keeps on the first-parent history from `head`.
    private func keptOnBranch(
        from head: ObjectHash, history: CommitHistory, retention: RetentionPolicy, now: Date,
        load: (ObjectHash) throws(SemblanceError) -> CommitObject
    ) throws(SemblanceError) -> Set<ObjectHash> {
        var kept: Set<ObjectHash> = [head]
        var userCommits = 0
        // The newest automatic commit seen since the last user commit (walking back in time).
        var newestAutomatic: ObjectHash?
        var next: ObjectHash? = head
        while let hash = next {
            let commit = try load(hash)
            if commit.automatic {
                if newestAutomatic == nil { newestAutomatic = hash }
            } else {
                userCommits += 1
                let byCount = retention.keepLast.map { userCommits <= $0 } ?? false
                let byAge = retention.keepFor.map { now.timeIntervalSince1970 - commit.time <= $0 } ?? false
                if byCount || byAge {
                    kept.insert(hash)
                    if let newestAutomatic { kept.insert(newestAutomatic) }
                }
                newestAutomatic = nil
            }
            next = history.parents(hash, commit).first
        }
        return kept
    }

    /// `hash` when it is kept, else its nearest kept ancestor along first parents.
    private func nearestKept(
        from hash: ObjectHash, kept: Set<ObjectHash>, history: CommitHistory, load: (ObjectHash) throws(SemblanceError) -> CommitObject
    ) throws(SemblanceError) -> ObjectHash? {
        var next: ObjectHash? = hash
        while let current = next {
            if kept.contains(current) { return current }
            guard files.fs.fileExists(files.objects.path(of: current)) else { return nil }
            next = history.parents(current, try load(current)).first
        }
        return nil
    }

    private func readPending(_ path: String) throws(SemblanceError) -> [ObjectHash: Double] {
        guard files.fs.kind(path) == .file else { return [:] }
        var marked: [ObjectHash: Double] = [:]
        for line in String(decoding: try files.fs.readFile(path), as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let hash = ObjectHash(hex: String(parts[0])), let time = Double(parts[1]) else {
                throw SemblanceError(.corruptFile, "not a line of an object hash and a time: \(line)", path: path)
            }
            marked[hash] = time
        }
        return marked
    }
}
