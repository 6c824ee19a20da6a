import Crypto
import Foundation
import Logging

extension Client {
    /// Opens a database root in object storage for reading (a replica): each collection
    /// opens at the newest commit of its branch, pushed there by ``VectorCollection/push(to:force:)``,
    /// and moves on ``VectorCollection/refresh()``, or by itself with
    /// ``ClientAccess/following(every:)``. Logs are not pushed: a replica sees commits.
    ///
    /// ```swift
    /// let bucket = try S3ObjectStore("s3://vectors/prod", configuration: .fromEnvironment())
    /// let replica = try await Client(objectStore: bucket, access: .following(every: 5))
    /// let docs = try await replica.collection("docs")
    /// let hits = try await docs.search(query, k: 10)
    /// ```
    ///
    /// Objects are downloaded into `cacheDirectory` (by default a folder of the user's cache
    /// named after the store's location), checked against their hashes, and kept: they are
    /// content-addressed, so the cache never goes stale, and a second open downloads only
    /// what is new. Several processes may share one cache.
    /// - Throws: `.invalidArgument` for a read-write `access` (object storage is written by
    ///   pushing); the store's errors.
    public init(objectStore: any RemoteObjectStore, cacheDirectory: String? = nil, access: ClientAccess = .readOnly,
                logger: Logger = Logger(label: "semblance")) async throws(SemblanceError) {
        guard access.isReadOnly else {
            throw SemblanceError(.invalidArgument, "a database in object storage is read here (access .readOnly or .following) and written by push")
        }
        let cache = cacheDirectory ?? Self.defaultCache(for: objectStore.location)
        let fs = PosixFileSystem()
        try fs.createDirectoryDurably(cache)
        // The collections there now, each with its settings, so that listCollections() sees them.
        for name in try await objectStore.folders(under: "") where (try? CollectionName.validate(name)) != nil {
            do throws(SemblanceError) {
                try await RemoteMirror(remote: objectStore, fs: fs, name: name, directory: cache + "/" + name).syncConfiguration()
            } catch where error.code == .unknownCollection {
                continue  // a folder that holds no collection
            }
        }
        try await self.init(directory: cache, access: access, fileSystem: fs, logger: logger, objectStore: objectStore)
    }

    /// `<user cache>/semblance/<the first 16 hex digits of the SHA-256 of the location>`.
    static func defaultCache(for location: String) -> String {
        let digest = SHA256.hash(data: Array(location.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        let base = FileManager.default.urls(for: .cachesDirectory, in: .userDomainMask).first?.path ?? FileManager.default.temporaryDirectory.path
        return base + "/semblance/" + digest
    }

    /// The mirror of collection `name` for a client of object storage; nil for others.
    func mirror(_ name: String) throws(SemblanceError) -> RemoteMirror? {
        guard let objectStore, let directory else { return nil }
        return RemoteMirror(remote: objectStore, fs: fs, name: name, directory: directory + "/" + name)
    }
}
