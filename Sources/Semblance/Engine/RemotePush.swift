import Foundation
import Synchronization

/// What a push did.
public struct PushReport: Sendable, Hashable, Codable {
    /// The commit the remote branch names now.
    public var commit: String
    /// The commit it named before; nil when the remote had no such branch.
    public var previousCommit: String?
    /// Objects (pages and commits) uploaded: those the remote lacked.
    public var uploadedObjects = 0
    /// Their bytes.
    public var uploadedBytes: Int64 = 0
    /// Objects the push needed that the remote had already.
    public var presentObjects = 0
    /// The tags written remotely: local tags naming commits of the pushed history that the
    /// remote lacked (or named another commit, when forced).
    public var tags: [String] = []

    /// A report of a push that moved the remote branch to `commit`.
    public init(commit: String, previousCommit: String?) {
        self.commit = commit
        self.previousCommit = previousCommit
    }
}

/// Pushes a branch's head commit to a ``RemoteObjectStore``: the settings when the remote
/// lacks them, every object the head's history names that the remote lacks, then the
/// remote branch ref, moved with a conditional write so that of two pushes only one wins,
/// and the tags of that history. Logs are not pushed: a replica sees commits.
///
/// 1. `<name>/config.json` is written if absent; present, it must hold this collection's id.
/// 2. The remote ref is read with its entity tag. The push is a fast-forward when the
///    remote head is in the local history of the pushed commit; otherwise it is refused
///    unless forced. The local tags naming commits of that history are read remotely: one
///    there naming another commit refuses the push unless forced.
/// 3. The commits of the head's history (through the grafts) down to those the remote has,
///    and their pages, are listed (with any tagged commit the remote lacks); those missing
///    remotely are uploaded, several at a time, each with `If-None-Match: *` (an object
///    that appeared meanwhile is the same bytes).
/// 4. The ref is written `If-Match` the entity tag read in step 2 (`If-None-Match: *` when
///    it was absent). When another push moved it meanwhile, nothing changes remotely but
///    the uploaded objects, left for the remote's garbage collection, and `.pushRejected`
///    is thrown. A won push then adds the local grafts to the remote's (where the local
///    history is cut), so that the remote's history stops there too, and writes the tags
///    (conditionally too).
struct RemotePush {
    let files: CollectionFiles
    let remote: any RemoteObjectStore
    /// The collection's name: its folder in the remote.
    let name: String

    /// Uploads at once.
    static let concurrentUploads = 8

    func push(branch: String, head: ObjectHash, force: Bool) async throws(SemblanceError) -> PushReport {
        let root = name + "/"
        try await ensureConfiguration(root + "config.json")
        let refKey = root + "refs/heads/" + branch
        let remoteRef = try await remote.get(refKey)
        var previous: ObjectHash?
        if let remoteRef {
            guard let hash = Self.refHash(remoteRef.bytes) else {
                throw SemblanceError(.corruptFile, "not a commit hash and a newline", path: remote.location + "/" + refKey)
            }
            previous = hash
        }
        var report = PushReport(commit: head.hex, previousCommit: previous?.hex)
        let movesRef = previous != head

        let history = try CommitHistory(files)
        let commits = try history.reachable(from: [head]) { (hash) throws(SemblanceError) in try files.commit(hash) }
        if movesRef, let previous, !commits.contains(previous), !force {
            throw SemblanceError(.pushRejected, "not a fast-forward: the remote branch \(branch.debugDescription) is at \(previous.hex.prefix(12)), "
                + "which the local history of \(head.hex.prefix(12)) does not hold; push with force to replace it", path: remote.location + "/" + refKey)
        }
        let tags = try await tagsToPush(root: root, commits: commits, force: force)
        guard movesRef || !tags.isEmpty else { return report }

        // The history down to the commits the remote has: those came with their pages and
        // what the remote kept of their history (its garbage collection may have pruned it).
        let present = Set(try await remote.list(prefix: root + "objects/").compactMap { RemoteObjects.hash(key: $0.key, root: root) })
        var needed = Set<ObjectHash>()
        var pending = movesRef ? [head] : []
        var seen = Set(pending)
        while let hash = pending.popLast() {
            guard !present.contains(hash) else { continue }
            let commit = try files.commit(hash)
            needed.insert(hash)
            needed.formUnion(commit.shards.flatMap(\.allObjects))
            for parent in history.parents(hash, commit) where seen.insert(parent).inserted { pending.append(parent) }
        }
        // A tagged commit below one the remote has, which its garbage collection pruned.
        for tag in tags where !present.contains(tag.commit) && !needed.contains(tag.commit) {
            needed.insert(tag.commit)
            needed.formUnion(try files.commit(tag.commit).shards.flatMap(\.allObjects))
        }
        let missing = needed.subtracting(present).sorted { $0.hex < $1.hex }
        report.presentObjects = needed.count - missing.count
        let uploaded = try await upload(missing, root: root)
        report.uploadedObjects = uploaded.count
        report.uploadedBytes = uploaded.bytes

        if movesRef {
            try await writeRef(refKey, head, if: remoteRef.map { .matching($0.etag) } ?? .absent) { now in
                "another push moved the remote branch \(branch.debugDescription) meanwhile" + (now.map { " (to \($0.hex.prefix(12)))" } ?? "")
                    + "; it is unchanged by this one, whose \(uploaded.count) uploaded objects are left for the remote's garbage collection"
            }
            try await pushGrafts(root: root, history: history)
        }
        for tag in tags {
            try await writeRef(tag.key, tag.commit, if: tag.condition) { now in
                "another push wrote the remote tag \(tag.name.debugDescription) meanwhile" + (now.map { " (naming \($0.hex.prefix(12)))" } ?? "")
                    + (movesRef ? "; the branch \(branch.debugDescription) was pushed" : "")
            }
        }
        report.tags = tags.map(\.name)
        return report
    }

    /// Writes a remote ref (a branch's or a tag's) naming `commit`, under `condition`.
    /// - Throws: `.pushRejected`, with `lost`'s message given what the ref names now, when
    ///   the condition failed. A try whose answer was lost (a reset, a body cut short) may
    ///   have written the ref before the retry found its condition false: a ref that names
    ///   `commit` after all is this push's.
    private func writeRef(_ key: String, _ commit: ObjectHash, if condition: RemoteWriteCondition,
                          lost: (ObjectHash?) -> String) async throws(SemblanceError) {
        guard try await remote.put(key, Self.refBytes(commit), if: condition) == nil else { return }
        let now = (try? await remote.get(key)).flatMap { $0 }.flatMap { Self.refHash($0.bytes) }
        if now != commit { throw SemblanceError(.pushRejected, lost(now), path: remote.location + "/" + key) }
    }

    /// A local tag to write remotely, and the condition of that write.
    private struct TagPush {
        var name: String
        var key: String
        var commit: ObjectHash
        var condition: RemoteWriteCondition
    }

    /// The local tags naming commits of the pushed history that the remote lacks. A remote
    /// tag of the same name naming another commit is replaced only when forced (a tag is
    /// not moved): otherwise the push is refused before anything is written.
    private func tagsToPush(root: String, commits: Set<ObjectHash>, force: Bool) async throws(SemblanceError) -> [TagPush] {
        let prefix = root + "refs/tags/"
        let remoteTags = Set(try await remote.list(prefix: prefix).map { String($0.key.dropFirst(prefix.count)) })
        var tags: [TagPush] = []
        for name in try files.refs.names(.tag) {
            guard let commit = try files.refs.read(.tag, name), commits.contains(commit) else { continue }
            let key = prefix + name
            // Only the tags the remote has are read: one it lacks is written If-None-Match.
            guard remoteTags.contains(name), let existing = try await remote.get(key) else {
                tags.append(TagPush(name: name, key: key, commit: commit, condition: .absent))
                continue
            }
            let named = Self.refHash(existing.bytes)
            if named == commit { continue }
            guard force else {
                throw SemblanceError(.pushRejected, "the remote tag \(name.debugDescription) names "
                    + (named.map { "commit \($0.hex.prefix(12))" } ?? "something other than a commit") + ", the local one \(commit.hex.prefix(12)); "
                    + "a tag is not moved: push with force to replace it", path: remote.location + "/" + key)
            }
            tags.append(TagPush(name: name, key: key, commit: commit, condition: .matching(existing.etag)))
        }
        return tags
    }

    /// Where the local history is cut, added to the remote's grafts (once the ref is won):
    /// the remote's own entries (its garbage collection's) stay.
    private func pushGrafts(root: String, history: CommitHistory) async throws(SemblanceError) {
        guard !history.grafts.parents.isEmpty else { return }
        let key = root + "refs/grafts"
        let existing = try await remote.get(key)
        var merged = try existing.map { (object) throws(SemblanceError) in try HistoryGrafts.decode(object.bytes, path: remote.location + "/" + key) }
            ?? HistoryGrafts()
        let before = merged
        for (commit, parents) in history.grafts.parents where merged.parents[commit] == nil { merged.parents[commit] = parents }
        guard merged != before else { return }
        _ = try await remote.put(key, merged.encoded(), if: existing.map { .matching($0.etag) } ?? .absent)
    }

    private func ensureConfiguration(_ key: String) async throws(SemblanceError) {
        let local = try files.fs.readFile(files.directory + "/config.json")
        if try await remote.put(key, local, if: .absent) != nil { return }
        guard let existing = try await remote.get(key) else {
            throw SemblanceError(.storageUnavailable, "the remote's config.json was there and then gone; try again", path: remote.location + "/" + key)
        }
        let stored = try StoredConfiguration.decode(existing.bytes, path: remote.location + "/" + key)
        guard stored.collectionID == files.configuration.collectionID else {
            throw SemblanceError(.pushRejected, "the remote holds another collection under the name \(name.debugDescription) (another collection id)",
                                 path: remote.location + "/" + key)
        }
    }

    /// Uploads `hashes` from the local objects, `concurrentUploads` at a time.
    private func upload(_ hashes: [ObjectHash], root: String) async throws(SemblanceError) -> (count: Int, bytes: Int64) {
        let objects = files.objects
        let remote = remote
        let sizes = try await RemoteObjects.concurrently(hashes, limit: Self.concurrentUploads, location: remote.location) { (hash) throws(SemblanceError) in
            let data = try objects.get(hash)
            return try await remote.put(RemoteObjects.key(hash, root: root), data, if: .absent) == nil ? 0 : Int64(data.count)
        }
        return (sizes.filter { $0 > 0 }.count, sizes.reduce(0, +))
    }

    /// A remote ref's bytes: the commit's hash and a newline, as a local ref holds.
    static func refBytes(_ hash: ObjectHash) -> [UInt8] { Array((hash.hex + "\n").utf8) }

    static func refHash(_ bytes: [UInt8]) -> ObjectHash? {
        guard bytes.count == 65, bytes.last == UInt8(ascii: "\n") else { return nil }
        return ObjectHash(hex: String(decoding: bytes.dropLast(), as: UTF8.self))
    }
}
