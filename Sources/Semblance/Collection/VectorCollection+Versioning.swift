import Foundation

/// A branch or tag: a name and the commit it points at.
public struct Ref: Sendable, Hashable, Codable {
    /// The branch or tag name.
    public var name: String
    /// The commit id.
    public var commit: String
}

extension VectorCollection {
    /// The branch this handle reads and writes (`main` unless opened on another).
    public var branch: String { engine.branch }

    private var files: CollectionFiles { engine.files }

    private func requirePersistent(_ what: String) throws(SemblanceError) {
        guard engine.isPersistent else {
            throw SemblanceError(.invalidArgument, "an in-memory collection has no commits: \(what) needs a collection on disk")
        }
    }

    /// Refuses a change of refs or objects through a read-only handle, or one that is
    /// closed: its client no longer holds the collection's lock, which another process may
    /// hold now.
    private func requireWritable(_ what: String) throws(SemblanceError) {
        try requirePersistent(what)
        if engine.isClosed { throw SemblanceError.collectionClosed(engine.directory) }
        if engine.isReadOnly { throw SemblanceError.readOnly(engine.directory, what) }
    }

    private func onBackground<T: Sendable>(_ body: @escaping @Sendable () throws(SemblanceError) -> T) async throws(SemblanceError) -> T {
        try await runOnQueue(.global(), body)
    }

    /// A replica's: brings the pages of the commits `refs` name into its cache (the mirror
    /// holds every commit of the branch's history, but only the head's pages). A tag is
    /// read from the remote again first; another branch is synced as opening it would; a
    /// name known neither way may be a tag or branch pushed since.
    private func fetchFromObjectStorage(_ refs: [String]) async throws(SemblanceError) {
        guard let mirror else { return }
        for ref in refs {
            let known = try files.refs.existing(ref)
            if known?.kind == .branch, let other = known?.name, other != branch {
                try await mirror.sync(branch: other, opening: false)
            } else if known?.kind == .tag || (known == nil && (try? CommitHistory(files).resolve(ref)) == nil) {
                try await mirror.refreshTag(known?.name ?? ref)
                if try files.refs.existing(ref) == nil, (try? RefName.validate(ref, kind: .branch)) != nil {
                    do throws(SemblanceError) {
                        try await mirror.sync(branch: ref, opening: false)
                    } catch where error.code == .unknownRef {
                        // Neither: resolving it below says so.
                    }
                }
            }
            _ = try await mirror.fetchPages(of: try CommitHistory(files).resolve(ref))
        }
    }

    // MARK: Commits

    /// Commits this branch's state (everything acknowledged) as a user commit.
    @discardableResult
    /// With ``pushCommits(to:)`` set, the commit is then pushed; when that push fails, the
    /// commit stays made here and the push's error is thrown, its message naming the commit.
    public func commit(message: String) async throws(SemblanceError) -> Commit {
        try requirePersistent("commit(message:)")
        let (hash, _) = try await engine.checkpoint(message: message, automatic: false)
        let made = try commit(hash)
        if let remote = commitsPushedTo.withLock({ $0 }) {
            do throws(SemblanceError) {
                try await push(to: remote)
            } catch {
                var failure = error
                failure.message = "committed \(made.id.prefix(12)) here, but its push failed: " + error.message
                throw failure
            }
        }
        return made
    }

    /// Pushes every user commit of this branch to `remote` as it is made (nil stops it):
    /// the writer's side of replicas that follow object storage. Automatic commits
    /// (checkpoints) are not pushed by themselves; the next user commit's push carries them.
    ///
    /// ```swift
    /// docs.pushCommits(to: bucket)
    /// try await docs.commit(message: "hourly")   // committed, then pushed
    /// ```
    public func pushCommits(to remote: (any RemoteObjectStore)?) {
        commitsPushedTo.withLock { $0 = remote }
    }

    /// The commits of this branch, newest first, following first parents, at most `limit`.
    public func history(limit: Int = .max) async throws(SemblanceError) -> [Commit] {
        guard engine.isPersistent, let head = engine.head else { return [] }
        let files = files
        return try await onBackground { () throws(SemblanceError) in
            let history = try CommitHistory(files)
            return try history.log(from: head, limit: limit).map { Commit($0.hash, $0.commit, parents: history.parents($0.hash, $0.commit)) }
        }
    }

    /// The commit a REF names: a branch (its head commit), a tag, a commit id or a unique
    /// prefix of at least 8 hex digits.
    /// - Throws: `.unknownRef`.
    public func commit(id ref: String) throws(SemblanceError) -> Commit {
        try requirePersistent("commit(id:)")
        return try commit(try CommitHistory(files).resolve(ref))
    }

    func commit(_ hash: ObjectHash) throws(SemblanceError) -> Commit {
        try files.publicCommit(hash, history: try CommitHistory(files))
    }

    /// The commit `ref` names; a branch's log is committed first, so that the commit holds
    /// everything acknowledged on it.
    private func resolveIncludingLog(_ ref: String?) async throws(SemblanceError) -> ObjectHash {
        var name = ref ?? branch
        // A branch spelled in another case is the same branch.
        if (try? RefName.validate(name, kind: .branch)) != nil, let match = try files.refs.existing(name), match.kind == .branch {
            name = match.name
        }
        if (try? RefName.validate(name, kind: .branch)) != nil, try files.refs.read(.branch, name) != nil || name == branch {
            guard let head = try await files.committedHead(of: name) else {
                throw SemblanceError(.unknownRef, "branch \(name.debugDescription) has no commit yet")
            }
            return head
        }
        return try CommitHistory(files).resolve(name)
    }

    // MARK: Branches and tags

    /// Checked before a branch's log is committed for it, so a bad or taken name changes nothing.
    private func checkNewName(_ name: String, _ kind: Refs.Kind) throws(SemblanceError) {
        try RefName.validate(name, kind: kind)
        try files.refs.requireFree(name)
    }

    /// Creates the branch `name` at `ref` (default: this branch): a ref is written, no page.
    /// Branching from a branch includes everything acknowledged on it.
    /// - Throws: `.invalidName`, `.refExists`, `.unknownRef`.
    @discardableResult
    public func createBranch(_ name: String, from ref: String? = nil) async throws(SemblanceError) -> Ref {
        try requireWritable("createBranch")
        try checkNewName(name, .branch)
        let hash = try await resolveIncludingLog(ref)
        let files = files
        try await onBackground { () throws(SemblanceError) in try files.createRef(.branch, name, at: hash) }
        return Ref(name: name, commit: hash.hex)
    }

    /// Creates the branch `name` holding `snapshot` (a value taken from this collection and
    /// perhaps changed since): its pages that are not stored yet are written, then a commit
    /// whose parent is the commit the snapshot was taken from (the branch's head when it was
    /// taken, or the commit of ``snapshot(at:)``).
    @discardableResult
    public func createBranch(_ name: String, from snapshot: CollectionSnapshot) async throws(SemblanceError) -> Ref {
        try requireWritable("createBranch")
        let files = files
        let stored = files.configuration
        guard snapshot.shards.count == stored.shardCount, snapshot.shards.allSatisfy({ $0.configuration.storesSamePages(as: stored.index) }) else {
            throw SemblanceError(.invalidArgument, "the snapshot is not of this collection (other shards or settings)")
        }
        let parent = snapshot.baseCommit
        try await onBackground { () throws(SemblanceError) in try files.createBranch(name, from: snapshot.shards, parent: parent) }
        return Ref(name: name, commit: try files.refs.read(.branch, name)!.hex)
    }

    /// The branches and their head commits, sorted by name.
    /// `main` is listed before its first commit too, with an empty commit id.
    public func branches() throws(SemblanceError) -> [Ref] {
        guard engine.isPersistent else { return [Ref(name: branch, commit: "")] }
        let found = try refs(.branch)
        if found.contains(where: { $0.name == CollectionFiles.mainBranch }) { return found }
        return (found + [Ref(name: CollectionFiles.mainBranch, commit: "")]).sorted { $0.name < $1.name }
    }

    private func refs(_ kind: Refs.Kind) throws(SemblanceError) -> [Ref] {
        let refs = files.refs
        var found: [Ref] = []
        for name in try refs.names(kind) {
            if let hash = try refs.read(kind, name) { found.append(Ref(name: name, commit: hash.hex)) }
        }
        return found
    }

    /// Deletes a branch: its ref and its log. Its commits stay until garbage collection.
    /// - Throws: `.unknownRef`; `.invalidArgument` for `main` or a branch open in this process.
    public func deleteBranch(_ name: String) throws(SemblanceError) {
        try requireWritable("deleteBranch")
        try files.deleteRef(.branch, name)
    }

    /// Creates the tag `name` at `ref` (default: this branch, its log committed first). A
    /// tag never moves.
    @discardableResult
    public func createTag(_ name: String, at ref: String? = nil) async throws(SemblanceError) -> Ref {
        try requireWritable("createTag")
        try checkNewName(name, .tag)
        let hash = try await resolveIncludingLog(ref)
        let files = files
        try await onBackground { () throws(SemblanceError) in try files.createRef(.tag, name, at: hash) }
        return Ref(name: name, commit: hash.hex)
    }

    /// The tags and their commits, sorted by name.
    public func tags() throws(SemblanceError) -> [Ref] {
        guard engine.isPersistent else { return [] }
        return try refs(.tag)
    }

    /// Deletes a tag: only its ref. A commit no longer kept by any branch, tag or retention
    /// rule is deleted by the next garbage collection.
    /// - Throws: `.unknownRef` when there is no tag `name`; `.invalidArgument` for an
    ///   in-memory collection.
    public func deleteTag(_ name: String) throws(SemblanceError) {
        try requireWritable("deleteTag")
        try files.deleteRef(.tag, name)
    }

    // MARK: Time travel

    /// The commit `ref` names, read-only: it searches, filters and counts like the head.
    /// A branch name gives its head commit (without what its log holds since).
    public func snapshot(at ref: String) async throws(SemblanceError) -> CollectionSnapshot {
        try requirePersistent("snapshot(at:)")
        try await fetchFromObjectStorage([ref])
        let files = files
        let configuration = configuration
        return try await onBackground { () throws(SemblanceError) in
            let hash = try CommitHistory(files).resolve(ref)
            return CollectionSnapshot(shards: try files.indexes(of: try files.commit(hash)), configuration: configuration, baseCommit: hash)
        }
    }

    /// The newest commit of this branch (following first parents) made at or before `date`.
    /// - Throws: `.unknownRef` when the branch has no commit that old.
    public func snapshot(asOf date: Date) async throws(SemblanceError) -> CollectionSnapshot {
        try requirePersistent("snapshot(asOf:)")
        guard let head = engine.head, let hash = try CommitHistory(files).commit(from: head, asOf: date) else {
            throw SemblanceError(.unknownRef, "branch \(branch.debugDescription) has no commit made at or before \(date)")
        }
        return try await snapshot(at: hash.hex)
    }

    // MARK: Reset, diff, merge

    /// Moves this branch to the commit `ref` names; what its log held is dropped.
    @discardableResult
    public func reset(to ref: String) async throws(SemblanceError) -> Commit {
        try requirePersistent("reset(to:)")
        let hash = try CommitHistory(files).resolve(ref)
        try await engine.reset(to: hash)
        return try commit(hash)
    }

    /// The ids added, removed, vector-changed and metadata-changed from `from` to `to`
    /// (REFs; a branch is its head commit). Pages whose content addresses are equal are not
    /// read, so the cost grows with the change, not the collection.
    public func diff(from: String, to: String) async throws(SemblanceError) -> CollectionDiff {
        try requirePersistent("diff")
        try await fetchFromObjectStorage([from, to])
        let files = files
        return try await onBackground { () throws(SemblanceError) in
            let history = try CommitHistory(files)
            let deltas = try CommitDiffer(files: files).deltas(from: try history.resolve(from), to: try history.resolve(to), values: false)
            return CommitDiffer.summary(deltas)
        }
    }

    /// Merges `source` (a REF; a branch includes everything acknowledged on it) into this
    /// branch: a fast-forward when this branch has nothing of its own since their common
    /// ancestor, else a three-way merge by id written as a commit with two parents.
    /// - Throws: `.mergeConflict` (nothing written) under `.failOnConflict`, listing the
    ///   ids in ``SemblanceError/ids``; `.historyPruned` when the common ancestor was pruned.
    @discardableResult
    public func merge(_ source: String, strategy: MergeStrategy = .failOnConflict, message: String? = nil) async throws(SemblanceError) -> Commit {
        try requireWritable("merge")
        let hash = try await resolveIncludingLog(source)
        let head = try await engine.merge(hash, strategy: strategy, message: message ?? "merge \(source) into \(branch)")
        return try commit(head)
    }

    // MARK: Garbage

    /// Deletes what no kept commit names (see ``RetentionPolicy``; default: the
    /// collection's), objects unreachable for at least `grace` seconds. Searches and
    /// writes go on meanwhile.
    public func collectGarbage(retention: RetentionPolicy? = nil, grace: Double = 600) async throws(SemblanceError) -> GarbageReport {
        guard grace >= 0 && grace.isFinite else {
            throw SemblanceError(.invalidArgument, "the grace period must be a finite number of seconds, 0 or more, got \(grace)")
        }
        guard engine.isPersistent else { return GarbageReport() }
        try requireWritable("collectGarbage")
        let policy = retention ?? configuration.retention
        try policy.validate()
        let files = files
        return try await onBackground { () throws(SemblanceError) in
            try GarbageCollector(files: files).collect(retention: policy, grace: grace)
        }
    }
}
