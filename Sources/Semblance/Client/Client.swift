import Foundation
import Logging

/// A directory of named collections, or a set of in-memory ones.
///
/// ```swift
/// let client = try await Client(directory: "/var/lib/myapp/vectors")
/// let docs = try await client.getOrCreateCollection("docs", configuration: CollectionConfiguration(dimension: 384))
/// try await docs.upsert(id: "doc-1", vector: embedding)
/// await client.close()
/// ```
///
/// Each collection lives in `<directory>/<name>/` (see docs/file-format.md). A client
/// holds an exclusive lock on each collection it opens: another process that opens the
/// same collection for writing gets `.locked` and changes nothing, while other collections
/// of the directory stay free for other processes. Readers (``ClientAccess/readOnly``)
/// take no lock and open collections that a writer has open. A damaged collection gives a
/// typed error when it is opened; the others keep working.
public actor Client {
    /// The root directory, or nil for an in-memory client.
    public nonisolated let directory: String?
    /// Where the client and its collections log (swift-log).
    public nonisolated let logger: Logger
    /// Whether this client writes, or only reads beside a writer.
    public nonisolated let access: ClientAccess
    /// The database root in object storage this client reads, mirrored into ``directory``;
    /// nil for a directory's or an in-memory client.
    public nonisolated let objectStore: (any RemoteObjectStore)?
    let fs: any FileSystem
    /// Open collections by name and branch.
    private var collections: [BranchKey: VectorCollection] = [:]
    /// Each open collection's directory, shared by its open branches.
    private var files: [String: CollectionFiles] = [:]
    private struct BranchKey: Hashable {
        var name: String
        var branch: String
    }
    private var closed = false
    /// Opens in progress, by collection and branch (in lower case): a second call for the
    /// same branch meanwhile waits for the first one's handle instead of opening it again.
    private var opening: [BranchKey: Task<Result<VectorCollection, SemblanceError>, Never>] = [:]

    /// Opens the directory at `directory`: for writing (the default), creating it if
    /// missing; or for reading beside a writer (``ClientAccess/readOnly``), which creates
    /// and changes nothing, so it also reads a directory on read-only media.
    /// - Throws: `.io` when it cannot be created, or, for a reader, does not exist;
    ///   `.invalidArgument` for a refresh interval out of range.
    public init(directory: String, access: ClientAccess = .readWrite, logger: Logger = Logger(label: "semblance")) async throws(SemblanceError) {
        try await self.init(directory: directory, access: access, fileSystem: PosixFileSystem(), logger: logger)
    }

    /// Opens `directory` through `fileSystem`: the tests' seam for a simulated or failing disk.
    package init(directory: String, access: ClientAccess = .readWrite, fileSystem fs: any FileSystem,
                 logger: Logger = Logger(label: "semblance"), objectStore: (any RemoteObjectStore)? = nil) async throws(SemblanceError) {
        try access.validate()
        self.fs = fs
        self.access = access
        self.objectStore = objectStore
        if !access.isReadOnly { try fs.createDirectoryDurably(directory) }
        guard let root = fs.realPath(directory), fs.kind(root) == .directory else {
            throw SemblanceError(.io, access.isReadOnly ? "no such directory (a reader does not create one)" : "realpath: the directory cannot be resolved",
                                 path: directory, errno: ENOENT)
        }
        self.directory = root
        self.logger = logger
        if !access.isReadOnly { try Self.removeDroppedFolders(fs, root: root) }
        logger.debug("opened client directory", metadata: ["directory": "\(root)", "access": "\(access)"])
    }

    /// Opens the directory at `url`, as the form taking a path does.
    public init(directory url: URL, access: ClientAccess = .readWrite, logger: Logger = Logger(label: "semblance")) async throws(SemblanceError) {
        try await self.init(directory: url.path, access: access, logger: logger)
    }

    private init(inMemoryWith logger: Logger) {
        directory = nil
        self.logger = logger
        access = .readWrite
        objectStore = nil
        fs = PosixFileSystem()
    }

    /// A client whose collections live in memory only: for tests and experiments.
    public static func inMemory(logger: Logger = Logger(label: "semblance")) -> Client {
        Client(inMemoryWith: logger)
    }

    // MARK: Collections

    /// Creates a collection.
    /// - Throws: `.invalidName`, `.collectionExists`, `.invalidConfiguration`; nothing is
    ///   created when it throws.
    public func createCollection(_ name: String, configuration: CollectionConfiguration) async throws(SemblanceError) -> VectorCollection {
        try ensureOpen()
        try ensureWriter("createCollection")
        try CollectionName.validate(name)
        try configuration.validate()
        if try exists(name) { throw SemblanceError(.collectionExists, "collection \(name.debugDescription) already exists") }
        let collection: VectorCollection
        if let directory {
            let path = try pathInsideRoot(directory, name)
            let fs = fs
            let files = try await runOnQueue(.global()) { () throws(SemblanceError) in
                try CollectionFiles.create(fs, directory: path, configuration: configuration)
            }
            self.files[name] = files
            let engine = try await runOnQueue(.global()) { () throws(SemblanceError) in
                try CollectionEngine.open(files, branch: CollectionFiles.mainBranch)
            }
            collection = VectorCollection(name: name, configuration: configuration, engine: engine, logger: logger)
        } else {
            let engine = try CollectionEngine.inMemory(configuration)
            collection = VectorCollection(name: name, configuration: configuration, engine: engine, logger: logger)
        }
        collections[BranchKey(name: name, branch: CollectionFiles.mainBranch)] = collection
        logger.debug("created collection", metadata: ["collection": "\(name)", "dimension": "\(configuration.dimension)"])
        return collection
    }

    /// Creates a collection with the given dimension and metric and default settings.
    public func createCollection(_ name: String, dimension: Int, metric: DistanceMetric = .cosine) async throws(SemblanceError) -> VectorCollection {
        try await createCollection(name, configuration: CollectionConfiguration(dimension: dimension, metric: metric))
    }

    /// The collection named `name` on `branch` (default `main`), opened on first use. Several
    /// branches of one collection can be open at once; they share its files.
    /// - Throws: `.invalidName`, `.unknownCollection`, `.unknownRef` for a branch that does
    ///   not exist, or the typed error of a damaged one (`.corruptFile`,
    ///   `.unsupportedFormatVersion`, naming the file).
    public func collection(_ name: String, branch: String = "main") async throws(SemblanceError) -> VectorCollection {
        try ensureOpen()
        try CollectionName.validate(name)
        if let open = collections[BranchKey(name: name, branch: branch)] { return open }
        if objectStore != nil {
            try RefName.validate(branch, kind: .branch)
            try await mirror(name)?.sync(branch: branch)
            try ensureOpen()
            if let open = collections[BranchKey(name: name, branch: branch)] { return open }
        }
        guard let directory, try exists(name) else {
            if directory == nil, collections[BranchKey(name: name, branch: CollectionFiles.mainBranch)] != nil {
                throw SemblanceError(.invalidArgument, "an in-memory collection has only the branch main")
            }
            throw SemblanceError(.unknownCollection, "no collection named \(name.debugDescription)")
        }
        try RefName.validate(branch, kind: .branch)
        let path = try pathInsideRoot(directory, name)
        // Opened here, with no suspension between the look-up and the store: two branches
        // opened at once must share one (a second lock of the same file would fail).
        let files: CollectionFiles
        if let known = self.files[name] {
            files = known
        } else {
            files = try CollectionFiles.open(fs, directory: path, readOnly: access.isReadOnly, leaseDuration: access.leaseDuration)
        }
        self.files[name] = files
        // The branch as its ref spells it: another spelling finds the same open handle.
        if let match = try files.refs.existing(branch), match.kind == .branch,
           let open = collections[BranchKey(name: name, branch: match.name)] {
            return open
        }
        let pendingKey = BranchKey(name: name, branch: branch.lowercased())
        // Another call opening this branch: its handle, registered by that call.
        if let pending = opening[pendingKey] {
            let collection = try await pending.value.get()
            try ensureOpen()
            return collection
        }
        let mirror = try mirror(name)
        let pending = Task { [logger] in
            do throws(SemblanceError) {
                let engine = try await runOnQueue(.global()) { () throws(SemblanceError) in try CollectionEngine.open(files, branch: branch) }
                return Result<VectorCollection, SemblanceError>.success(
                    VectorCollection(name: name, configuration: engine.collectionConfiguration, engine: engine, logger: logger, mirror: mirror))
            } catch {
                return .failure(error)
            }
        }
        opening[pendingKey] = pending
        let result = await pending.value
        opening[pendingKey] = nil
        let collection = try result.get()
        // The client closed meanwhile: it released the directory, so the handle goes too.
        if closed {
            await collection.close()
            releaseFilesIfUnused(name)
            try ensureOpen()
        }
        collections[BranchKey(name: name, branch: collection.branch)] = collection
        if let seconds = access.refreshInterval { collection.follow(every: seconds) }
        logger.debug("opened collection", metadata: ["collection": "\(name)", "branch": "\(branch)", "live": "\(collection.count)"])
        return collection
    }

    /// The collection named `name`, created with the given dimension and metric and default
    /// settings if it does not exist.
    /// - Throws: `.invalidConfiguration` when it exists with another dimension or metric.
    public func getOrCreateCollection(_ name: String, dimension: Int, metric: DistanceMetric = .cosine) async throws(SemblanceError) -> VectorCollection {
        try await getOrCreateCollection(name, configuration: CollectionConfiguration(dimension: dimension, metric: metric))
    }

    /// The collection named `name`, created with `configuration` if it does not exist.
    /// - Throws: `.invalidConfiguration` when it exists with another dimension or metric.
    public func getOrCreateCollection(_ name: String, configuration: CollectionConfiguration) async throws(SemblanceError) -> VectorCollection {
        try CollectionName.validate(name)
        guard try exists(name) else { return try await createCollection(name, configuration: configuration) }
        let existing = try await collection(name)
        guard existing.configuration.dimension == configuration.dimension, existing.configuration.metric == configuration.metric else {
            throw SemblanceError(.invalidConfiguration,
                "collection \(name.debugDescription) exists with dimension \(existing.configuration.dimension) and metric \(existing.configuration.metric), not \(configuration.dimension) and \(configuration.metric)")
        }
        return existing
    }

    /// The names of the collections, sorted.
    public func listCollections() throws(SemblanceError) -> [String] {
        try ensureOpen()
        guard let directory else { return Set(collections.keys.map(\.name)).sorted() }
        // A symbolic link in the place of a collection's folder is refused by collection(_:),
        // so it is not listed either.
        return try fs.contentsOfDirectory(directory).filter { name in
            (try? CollectionName.validate(name)) != nil && (try? pathInsideRoot(directory, name)) != nil
                && fs.fileExists(directory + "/" + name + "/config.json")
        }
    }

    /// Deletes a collection and its files. Handles to it already given out fail with
    /// `.closed` from then on.
    /// - Throws: `.invalidName`, `.unknownCollection`; `.locked` when another process has
    ///   the collection open for writing (this client's handles to it are closed by then);
    ///   `.readOnly` for a read-only client.
    public func dropCollection(_ name: String) async throws(SemblanceError) {
        try ensureOpen()
        try ensureWriter("dropCollection")
        try CollectionName.validate(name)
        guard try exists(name) else { throw SemblanceError(.unknownCollection, "no collection named \(name.debugDescription)") }
        await closeBranches(of: name)
        files.removeValue(forKey: name)?.lock?.release()
        guard let directory else { return }
        // Dropped under the collection's lock: refused while another process writes to it.
        let path = try pathInsideRoot(directory, name)
        let lock = try fs.lockExclusively(path + "/LOCK")
        defer { fs.close(lock) }
        // Renamed first (atomic, then made durable), so a crash leaves either the whole
        // collection or a folder that the next open removes.
        let dropped = directory + "/.dropped-\(name)-\(UInt64.random(in: 0...UInt64.max))"
        try fs.rename(path, to: dropped)
        try fs.syncDirectory(directory)
        try? fs.removeTree(dropped)
        logger.debug("dropped collection", metadata: ["collection": "\(name)"])
    }

    /// Re-encodes a stored collection: rewrites its settings with `encoding` (and
    /// `rerankMultiple`), then rebuilds each non-empty shard of `main` on it, as
    /// ``VectorCollection/compact(onlyWhenNeeded:progress:)`` rebuilds (deleted vectors go
    /// too; each rebuilt shard is committed). The pages keep the float32 originals: every
    /// commit stays readable, and other branches search under the new encoding from their
    /// next open. Handles to the collection given out before are closed first and fail with
    /// `.closed`. Called again with the same encoding, it finishes an interrupted rebuild.
    /// - Parameters:
    ///   - name: the collection.
    ///   - encoding: the encoding its vectors are searched under from now on.
    ///   - rerankMultiple: the new ``CollectionConfiguration/rerankMultiple``; nil keeps it.
    ///   - progress: (records linked, records in all) of the shard being rebuilt.
    /// - Returns: the collection's `main` branch, open under the new encoding.
    /// - Throws: `.invalidName`, `.unknownCollection`, `.invalidConfiguration` for a
    ///   `rerankMultiple` out of range, `.invalidArgument` for an in-memory collection or
    ///   when a branch of it was being opened meanwhile (nothing is changed then).
    @discardableResult
    public func reencodeCollection(
        _ name: String, to encoding: VectorEncoding, rerankMultiple: Int? = nil, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws(SemblanceError) -> VectorCollection {
        try ensureOpen()
        try ensureWriter("reencodeCollection")
        try CollectionName.validate(name)
        guard try exists(name) else { throw SemblanceError(.unknownCollection, "no collection named \(name.debugDescription)") }
        guard let directory else {
            throw SemblanceError(.invalidArgument, "an in-memory collection keeps the encoding it was created with")
        }
        if let rerankMultiple { try IndexConfiguration.validate(rerankMultiple: rerankMultiple) }
        await closeBranches(of: name)
        releaseFilesIfUnused(name)
        // An open that began while the branches closed holds the old settings: refused, so
        // that no branch can use them once config.json is rewritten (nothing awaits from
        // this check until the new files are in place).
        guard files[name] == nil else {
            throw SemblanceError(.invalidArgument, "a branch of collection \(name.debugDescription) was being opened; nothing was re-encoded, try again")
        }
        let current = try CollectionFiles.open(fs, directory: try pathInsideRoot(directory, name))
        files[name] = try current.reencoded(encoding, rerankMultiple: rerankMultiple ?? current.configuration.index.rerankMultiple)
        let collection = try await self.collection(name)
        try await collection.rebuild(progress: progress)
        logger.debug("re-encoded collection", metadata: ["collection": "\(name)", "encoding": "\(encoding.rawValue)"])
        return collection
    }

    /// Closes one open collection handle (one branch of a collection): its queued writes
    /// finish and its log is synced and closed. Other branches stay open; the collection's
    /// files are released with its last open branch. A later ``collection(_:branch:)`` opens
    /// it again. Handles to it given out before fail with `.closed`.
    public func close(_ collection: VectorCollection) async {
        let key = BranchKey(name: collection.name, branch: collection.branch)
        guard collections[key] === collection else { return }
        collections[key] = nil
        await collection.close()
        releaseFilesIfUnused(collection.name)
    }

    /// Closes every open branch of the collection `name`; handles to them fail with `.closed`.
    private func closeBranches(of name: String) async {
        for key in collections.keys where key.name == name { await collections.removeValue(forKey: key)?.close() }
    }

    /// Releases a collection's files (its lock) once no branch of it is open or opening.
    private func releaseFilesIfUnused(_ name: String) {
        guard !collections.keys.contains(where: { $0.name == name }), !opening.keys.contains(where: { $0.name == name }) else { return }
        files.removeValue(forKey: name)?.lock?.release()
    }

    /// Finishes queued writes of every open collection, syncs, and releases the directory.
    public func close() async {
        guard !closed else { return }
        closed = true
        for collection in collections.values { await collection.close() }
        collections = [:]
        for files in files.values { files.lock?.release() }
        files = [:]
    }

    /// The collections opened so far.
    var openCollections: [VectorCollection] { Array(collections.values) }

    // MARK: Helpers

    private func ensureOpen() throws(SemblanceError) {
        if closed { throw SemblanceError(.closed, "the client is closed") }
    }

    private func ensureWriter(_ what: String) throws(SemblanceError) {
        if access.isReadOnly { throw SemblanceError.readOnly(directory ?? "", what) }
    }

    private func exists(_ name: String) throws(SemblanceError) -> Bool {
        guard let directory else { return collections[BranchKey(name: name, branch: CollectionFiles.mainBranch)] != nil }
        return fs.fileExists(directory + "/" + name + "/config.json")
    }

    /// `<root>/<name>`, after checking that it is not a symbolic link and resolves inside
    /// the root (the name rules already forbid `/` and `..`; this guards the file system).
    private func pathInsideRoot(_ root: String, _ name: String) throws(SemblanceError) -> String {
        let path = root + "/" + name
        if let kind = fs.kind(path) {
            guard kind == .directory, fs.realPath(path) == path else {
                throw SemblanceError(.invalidName, "is not a plain folder inside \(root) (a symbolic link or a file)", path: path)
            }
        }
        return path
    }

    /// Removes folders that a drop renamed but did not finish deleting.
    private static func removeDroppedFolders(_ fs: any FileSystem, root: String) throws(SemblanceError) {
        for name in try fs.contentsOfDirectory(root) where name.hasPrefix(".dropped-") {
            try? fs.removeTree(root + "/" + name)
        }
    }
}
