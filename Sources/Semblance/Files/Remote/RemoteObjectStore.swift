import Foundation

/// Whole objects under keys, somewhere other processes and machines can reach: an
/// S3-compatible bucket under a prefix (`SemblanceS3`'s `S3ObjectStore`). A database root
/// there holds collections by name, laid out as in a directory
/// (`<collection>/config.json`, `<collection>/objects/ab/cdef…`,
/// `<collection>/refs/heads/<branch>`): docs/file-format.md, "Object storage".
///
/// Implementations retry what may pass (time-outs, 5xx, throttling) and throw a
/// ``SemblanceError`` for what does not; they never return part of an object.
public protocol RemoteObjectStore: Sendable {
    /// Where the store is, for messages: `s3://bucket/prefix`.
    var location: String { get }

    /// The object at `key` and its entity tag; nil when there is none.
    func get(_ key: String) async throws(SemblanceError) -> RemoteObject?

    /// Writes `bytes` at `key` when `condition` holds, atomically. Returns the new entity
    /// tag, or nil when the condition did not hold (then nothing was written).
    func put(_ key: String, _ bytes: [UInt8], if condition: RemoteWriteCondition) async throws(SemblanceError) -> String?

    /// Every object whose key starts with `prefix`, in key order.
    func list(prefix: String) async throws(SemblanceError) -> [RemoteListing]

    /// The names of the folders directly under `prefix` (`""` for the root, else ending in
    /// `/`): the next part of every key below it that has a `/` after it, in order.
    func folders(under prefix: String) async throws(SemblanceError) -> [String]

    /// Removes the object at `key`; nothing happens when there is none.
    func delete(_ key: String) async throws(SemblanceError)
}

/// An object read from a ``RemoteObjectStore``.
public struct RemoteObject: Sendable, Hashable {
    /// Its bytes, whole.
    public var bytes: [UInt8]
    /// Its entity tag, which changes whenever the object is replaced.
    public var etag: String

    /// An object of `bytes` with entity tag `etag`.
    public init(bytes: [UInt8], etag: String) {
        self.bytes = bytes
        self.etag = etag
    }
}

/// One entry of a ``RemoteObjectStore/list(prefix:)``.
public struct RemoteListing: Sendable, Hashable {
    /// The object's key.
    public var key: String
    /// Its size in bytes.
    public var size: Int64
    /// When it was last written.
    public var lastModified: Date

    /// An entry for the object at `key`.
    public init(key: String, size: Int64, lastModified: Date) {
        self.key = key
        self.size = size
        self.lastModified = lastModified
    }
}

/// When a ``RemoteObjectStore/put(_:_:if:)`` writes.
public enum RemoteWriteCondition: Sendable, Hashable {
    /// Whatever is there.
    case always
    /// Only when no object has the key (`If-None-Match: *`).
    case absent
    /// Only when the object there has this entity tag (`If-Match`).
    case matching(String)
}
