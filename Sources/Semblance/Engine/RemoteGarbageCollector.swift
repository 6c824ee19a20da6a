import Foundation

/// Garbage collection of one collection in object storage (`semblance gc NAME --remote`):
/// the steps and rules of ``GarbageCollector``, over the remote's objects.
///
/// 1. The heads (`refs/heads/*`), tags and readers' live leases (`leases/*`; expired ones
///    are deleted) are read, and every commit reachable from them is downloaded (checked
///    against its hash); ``RetentionPlan`` picks the kept commits, and `refs/grafts` is
///    written before anything is deleted.
/// 2. Every object that no kept commit names is a candidate; candidates small enough to be
///    commits are read to tell commits from pages.
/// 3. `gc-pending` remembers since when each candidate has been one (``GracePeriod``);
///    those garbage for `grace` seconds are due.
/// 4. Due commits are deleted first, then due pages.
///
/// A push uploads its objects before it moves a ref, so its objects wait out the grace
/// period like any garbage: keep the grace longer than a push takes. A push that re-uses
/// an object (same content) that has been garbage for longer than the grace period, at
/// the moment a collection deletes it, can leave a commit without that page; run remote
/// collections with a grace longer than pushes take, and not with a grace of 0 while
/// pushes run.
struct RemoteGarbageCollector {
    let remote: any RemoteObjectStore
    /// The collection's name: its folder in the remote.
    let name: String

    /// Objects up to this size are read to see whether they are commits (JSON).
    static let largestCommit: Int64 = 1 << 20

    /// - Parameter retention: nil for the policy in the remote's `config.json`.
    func collect(retention requested: RetentionPolicy?, grace: Double, now: Date = Date()) async throws(SemblanceError) -> GarbageReport {
        let root = name + "/"
        guard let configuration = try await remote.get(root + "config.json") else {
            throw SemblanceError(.unknownCollection, "no collection named \(name.debugDescription) in \(remote.location)")
        }
        let stored = try StoredConfiguration.decode(configuration.bytes, path: remote.location + "/" + root + "config.json")
        let retention = requested ?? stored.retention
        var report = GarbageReport()
        // The refs before the listing: a push uploads its objects before it moves its ref,
        // so the listing holds every object of the heads read.
        let branchHeads = try await refs(root + "refs/heads/")
        let tags = try await refs(root + "refs/tags/")
        let listed = try await remote.list(prefix: root + "objects/")
        var sizes: [ObjectHash: Int64] = [:]
        for entry in listed { if let hash = RemoteObjects.hash(key: entry.key, root: root) { sizes[hash] = entry.size } }

        // 1. Retention.
        var leased: [ObjectHash] = []
        for entry in try await remote.list(prefix: root + "leases/") where !entry.key.hasSuffix(".next") {
            guard let object = try await remote.get(entry.key) else { continue }
            guard let lease = try? JSONDecoder().decode(LeaseFile.self, from: Data(object.bytes)),
                  lease.commits.allSatisfy({ ObjectHash(hex: $0) != nil }) else {
                throw SemblanceError(.corruptFile, "not a reader's lease (JSON with expires, commits and process)", path: remote.location + "/" + entry.key)
            }
            if lease.expires >= now.timeIntervalSince1970 {
                report.readerLeases += 1
                leased += lease.commits.compactMap(ObjectHash.init(hex:)).filter { sizes[$0] != nil }
            } else {
                try await remote.delete(entry.key)
            }
        }
        report.leasedCommits = Set(leased).count
        let graftsKey = root + "refs/grafts"
        let currentBytes = try await remote.get(graftsKey)?.bytes
        let current = try currentBytes.map { (bytes) throws(SemblanceError) in try HistoryGrafts.decode(bytes, path: remote.location + "/" + graftsKey) }
            ?? HistoryGrafts()
        var commits: [ObjectHash: CommitObject] = [:]
        var pending = branchHeads + tags + leased
        while let hash = pending.popLast() {
            guard commits[hash] == nil, sizes[hash] != nil else { continue }
            let commit = try await download(hash, root: root)
            commits[hash] = commit
            pending += current.parents[hash] ?? commit.parents
        }
        let plan = try RetentionPlan(branchHeads: branchHeads, otherTips: tags + leased, retention: retention, now: now, grafts: current,
            load: { (hash) throws(SemblanceError) -> CommitObject in
                guard let commit = commits[hash] else {
                    throw SemblanceError(.corruptFile, "missing object (commit \(hash)) that history names", path: remote.location + "/" + root + "objects/")
                }
                return commit
            },
            exists: { commits[$0] != nil })
        if plan.grafts != current { _ = try await remote.put(graftsKey, plan.grafts.encoded(), if: .always) }
        report.keptCommits = plan.kept.count

        // 2. Mark.
        var reachable = plan.kept
        for hash in plan.kept { reachable.formUnion(commits[hash]?.shards.flatMap(\.allObjects) ?? []) }
        var candidates: [(hash: ObjectHash, isCommit: Bool)] = []
        for (hash, size) in sizes.sorted(by: { $0.key.hex < $1.key.hex }) where !reachable.contains(hash) {
            var isCommit = commits[hash] != nil
            if !isCommit && size <= Self.largestCommit, let object = try await remote.get(RemoteObjects.key(hash, root: root)) {
                isCommit = object.bytes.first == UInt8(ascii: "{")
                if isCommit, ObjectHash(of: object.bytes) == hash { commits[hash] = try? CommitObject.decode(object.bytes, file: RemoteObjects.key(hash, root: root)) }
            }
            if isCommit { report.prunedCommits += 1 }
            candidates.append((hash, isCommit))
        }

        // 3. Grace.
        let pendingKey = root + "gc-pending"
        let markedBefore = try await remote.get(pendingKey).map { (object) throws(SemblanceError) in
            try GracePeriod.decode(object.bytes, path: remote.location + "/" + pendingKey)
        } ?? [:]
        let period = GracePeriod(candidates: candidates, markedBefore: markedBefore, now: now, grace: grace) { commits[$0]?.shards.flatMap(\.allObjects) }

        // 4. Sweep: commits, then pages.
        for candidate in period.due.sorted(by: { $0.isCommit && !$1.isCommit }) {
            try await remote.delete(RemoteObjects.key(candidate.hash, root: root))
            report.deletedObjects += 1
            report.freedBytes += sizes[candidate.hash] ?? 0
        }
        report.pendingObjects = period.marked.count
        if period.marked != markedBefore {
            if period.marked.isEmpty { try await remote.delete(pendingKey) } else { _ = try await remote.put(pendingKey, GracePeriod.encode(period.marked), if: .always) }
        }
        return report
    }


    /// The commits the refs under `prefix` name.
    private func refs(_ prefix: String) async throws(SemblanceError) -> [ObjectHash] {
        var hashes: [ObjectHash] = []
        for entry in try await remote.list(prefix: prefix) {
            guard let object = try await remote.get(entry.key) else { continue }
            guard let hash = RemotePush.refHash(object.bytes) else {
                throw SemblanceError(.corruptFile, "not a commit hash and a newline", path: remote.location + "/" + entry.key)
            }
            hashes.append(hash)
        }
        return hashes
    }

    /// A commit, checked against its hash.
    private func download(_ hash: ObjectHash, root: String) async throws(SemblanceError) -> CommitObject {
        let key = RemoteObjects.key(hash, root: root)
        guard let bytes = try await RemoteObjects.download(hash, root: root, from: remote) else {
            throw SemblanceError(.corruptFile, "missing object (commit \(hash))", path: remote.location + "/" + key)
        }
        return try CommitObject.decode(bytes, file: remote.location + "/" + key)
    }
}

extension RemoteObjectStore {
    /// Deletes the objects of collection `name` in this store that no kept commit names,
    /// as ``VectorCollection/collectGarbage(retention:grace:)`` does on disk: heads, tags
    /// and the commits that readers' live leases name are kept, `retention` (else the
    /// collection's stored policy) picks the others, and an object is deleted once it has
    /// been garbage for `grace` seconds (default 600). Keep the grace longer than a push
    /// takes: a push's objects are garbage until it moves its ref.
    /// - Throws: `.unknownCollection`; `.invalidArgument` for a grace that is not a finite
    ///   number of seconds, 0 or more; `.corruptFile` naming a damaged ref or commit; the
    ///   store's errors.
    public func collectGarbage(collection name: String, retention: RetentionPolicy? = nil, grace: Double = 600) async throws(SemblanceError) -> GarbageReport {
        guard grace >= 0 && grace.isFinite else {
            throw SemblanceError(.invalidArgument, "the grace period must be a finite number of seconds, 0 or more, got \(grace)")
        }
        return try await RemoteGarbageCollector(remote: self, name: name).collect(retention: retention, grace: grace)
    }
}
