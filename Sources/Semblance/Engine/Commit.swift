import Foundation

/// One commit of a collection: an immutable snapshot of all its shards, named by the
/// SHA-256 of its bytes (which cover its parents' names: the history is a hash chain).
public struct Commit: Sendable, Hashable, Codable, Identifiable {
    /// The commit id: 64 hex digits.
    public var id: String
    /// The parents' ids: the branch's previous head first, the merged commit second.
    public var parents: [String]
    /// When it was made.
    public var date: Date
    /// The message given to `commit(message:)` or a merge, or the engine's own (such as
    /// "automatic checkpoint").
    public var message: String
    /// The branch it was made on.
    public var branch: String
    /// A checkpoint the engine made (or `checkpoint()`), not a `commit(message:)`.
    public var isAutomatic: Bool
    /// Live records.
    public var liveCount: Int
    /// Deleted records still in the graph (until a compaction removes them).
    public var deletedCount: Int

    init(_ hash: ObjectHash, _ commit: CommitObject, parents: [ObjectHash]? = nil) {
        id = hash.hex
        self.parents = (parents ?? commit.parents).map(\.hex)
        date = Date(timeIntervalSince1970: commit.time)
        message = commit.message
        branch = commit.branch
        isAutomatic = commit.automatic
        liveCount = commit.liveCount
        deletedCount = commit.nodeCount - commit.liveCount
    }
}

extension CollectionFiles {
    /// A public ``Commit`` for `hash`, with the parents history follows.
    func publicCommit(_ hash: ObjectHash, history: CommitHistory) throws(SemblanceError) -> Commit {
        let commit = try self.commit(hash)
        return Commit(hash, commit, parents: history.parents(hash, commit))
    }

    /// Points a new branch or tag at `commit`: the ref alone is written (no page). The
    /// commit and its pages are kept from a garbage collection running meanwhile.
    /// - Throws: `.invalidName`, `.refExists` (a branch or tag of that name, without regard
    ///   to case), `.unknownRef` when `commit` is not a commit of this collection.
    func createRef(_ kind: Refs.Kind, _ name: String, at hash: ObjectHash) throws(SemblanceError) {
        try RefName.validate(name, kind: kind)
        pins.beginCommit()
        defer { pins.endCommit() }
        let commit = try self.commit(hash)
        pins.use([hash] + commit.shards.flatMap(\.allObjects))
        try changingRefs { () throws(SemblanceError) in
            try refs.requireFree(name)
            let objects = objects
            guard objects.fs.fileExists(objects.path(of: hash)),
                  commit.shards.allSatisfy({ $0.allObjects.allSatisfy { objects.fs.fileExists(objects.path(of: $0)) } }) else {
                throw SemblanceError(.unknownRef, "commit \(hash.hex) or some of its pages are gone (collected)")
            }
            if kind == .branch {
                // Logs of an earlier branch of that name, deleted before they were: gone.
                try removeLogs(of: name)
            }
            try refs.write(kind, name, hash)
        }
    }

    /// Deletes a branch (its ref, then its logs) or a tag. Its commits stay until a garbage
    /// collection finds nothing else names them.
    /// - Throws: `.unknownRef`; `.invalidArgument` for `main` and for a branch open in this
    ///   process.
    func deleteRef(_ kind: Refs.Kind, _ requested: String) throws(SemblanceError) {
        try changingRefs { () throws(SemblanceError) in
            guard (try? RefName.validate(requested, kind: kind)) != nil, let match = try refs.existing(requested), match.kind == kind else {
                throw SemblanceError(.unknownRef, "no \(kind) named \(requested.debugDescription)", path: directory)
            }
            let name = match.name
            if kind == .branch {
                guard name != Self.mainBranch else { throw SemblanceError(.invalidArgument, "the branch main cannot be deleted") }
                guard !isOpen(name) else {
                    throw SemblanceError(.invalidArgument, "branch \(name.debugDescription) is open in this process: close it first")
                }
            }
            try refs.remove(kind, name)
            if kind == .branch { try removeLogs(of: name) }
        }
    }

    /// Removes `wal/<branch>/` (a branch's logs), when there is one.
    private func removeLogs(of branch: String) throws(SemblanceError) {
        let folder = Self.logFolder(directory, branch: branch)
        guard fs.kind(folder) != nil else { return }
        try fs.removeTree(folder)
        try fs.syncDirectory(directory + "/wal")
    }

    /// A commit of `shards` (a snapshot's state) on a new branch `name`, whose parent is
    /// `parent`: only pages not stored yet are written. Then the branch's ref.
    func createBranch(_ name: String, from shards: [VectorIndex], parent: ObjectHash?) throws(SemblanceError) {
        try RefName.validate(name, kind: .branch)
        try refs.requireFree(name)  // before any page is written (createRef checks again, under the lock)
        pins.beginCommit()
        defer { pins.endCommit() }
        var durable = Set<ObjectHash>()
        let objects = objects
        let manifests = try shards.map { (index) throws(SemblanceError) in
            try index.writePages(to: objects, durable: &durable, appliedSequence: 0).0
        }
        let commit = CommitObject(parents: parent.map { [$0] } ?? [], message: "branch \(name) from a snapshot", branch: name,
                                  automatic: false, configuration: configuration.index, shards: manifests)
        let hash = try objects.put(try commit.encoded(), durable: &durable).hash
        try objects.syncFolder()
        try createRef(.branch, name, at: hash)
    }
}
