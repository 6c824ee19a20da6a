/// The error every Semblance API throws.
///
/// Catch a kind of failure by its ``Code`` (no `default:` needed); show ``description`` to a
/// person. Where a file is involved, ``path``, ``offset`` and ``errno`` say which file, where
/// in it, and what the operating system answered. New codes can be added without breaking
/// your code, because ``Code`` is a struct.
///
/// ```swift
/// do {
///     try index.insert(id: "doc-1", vector: v)
/// } catch SemblanceError.Code.dimensionMismatch {
///     // the vector has the wrong length
/// } catch {
///     print(error.message, error.path ?? "")
/// }
/// ```
public struct SemblanceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case dimensionMismatch, nonFiniteComponent, zeroVector, invalidArgument
            case invalidID, duplicateID, idExists, unknownID, invalidConfiguration
            case invalidFile, compression
            case io, locked, corruptFile, unsupportedFormatVersion, storageUnavailable
            case invalidName, unknownCollection, collectionExists, closed
            case invalidMetadata, invalidFilter
            case unknownRef, refExists, mergeConflict, historyPruned
            case readOnly, leaseExpired, pushRejected, objectStore
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// A vector's length is not the index's dimension.
        public static let dimensionMismatch = Code(.dimensionMismatch)
        /// A vector has a NaN or infinite component.
        public static let nonFiniteComponent = Code(.nonFiniteComponent)
        /// An all-zero vector under the cosine metric, where it has no direction.
        public static let zeroVector = Code(.zeroVector)
        /// A parameter is out of its range (k ≤ 0, ef ≤ 0, a negative distance, ...).
        public static let invalidArgument = Code(.invalidArgument)
        /// An id is empty, too long, or contains a NUL character.
        public static let invalidID = Code(.invalidID)
        /// The same id appears twice in one batch.
        public static let duplicateID = Code(.duplicateID)
        /// An insert met ids that are stored already; ``SemblanceError/ids`` lists them and
        /// nothing was written. (An id twice in one batch is ``duplicateID``.)
        public static let idExists = Code(.idExists)
        /// The id is not in the index.
        public static let unknownID = Code(.unknownID)
        /// An index or collection configuration is not valid.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A file is not of the expected format, or is damaged.
        public static let invalidFile = Code(.invalidFile)
        /// LZ4 compression or decompression failed.
        public static let compression = Code(.compression)
        /// A file-system call failed; the message names the call, the path and the errno.
        public static let io = Code(.io)
        /// Another process holds the directory's lock.
        public static let locked = Code(.locked)
        /// A stored file is damaged: a bad checksum or hash, a missing page, a wrong magic
        /// number. The message names the file and the byte offset.
        public static let corruptFile = Code(.corruptFile)
        /// A stored file was written by a newer, unknown format version.
        public static let unsupportedFormatVersion = Code(.unsupportedFormatVersion)
        /// An earlier write or fsync failed, so this log or collection accepts no more
        /// writes until it is reopened (a failed fsync is never retried: the kernel may
        /// already have dropped the unsynced data).
        public static let storageUnavailable = Code(.storageUnavailable)

        /// A collection name is empty, too long, starts with a dot, holds a character other
        /// than letters, digits, `_` and `-`, or is reserved.
        public static let invalidName = Code(.invalidName)
        /// No collection of that name exists.
        public static let unknownCollection = Code(.unknownCollection)
        /// A collection of that name exists already.
        public static let collectionExists = Code(.collectionExists)
        /// The client or collection was closed (or the collection dropped).
        public static let closed = Code(.closed)
        /// Metadata too large or too deep, with a non-finite number or a bad key.
        public static let invalidMetadata = Code(.invalidMetadata)
        /// A filter (in Swift or JSON) is malformed; the message says which part.
        public static let invalidFilter = Code(.invalidFilter)
        /// No branch, tag or commit answers to that name (or a commit-id prefix is
        /// ambiguous).
        public static let unknownRef = Code(.unknownRef)
        /// A branch or tag of that name (without regard to case) exists already.
        public static let refExists = Code(.refExists)
        /// A merge met ids changed differently on both sides; ``SemblanceError/ids`` lists
        /// them and nothing was written.
        public static let mergeConflict = Code(.mergeConflict)
        /// The history needed (a merge's common ancestor) was pruned by retention.
        public static let historyPruned = Code(.historyPruned)
        /// A change through a read-only client or collection (``ClientAccess/readOnly``).
        public static let readOnly = Code(.readOnly)
        /// A reader's lease lapsed (the process was suspended past it, say), so a garbage
        /// collection may have deleted what the reader held;
        /// ``VectorCollection/refresh()`` takes a new lease at the branch's newest commit.
        public static let leaseExpired = Code(.leaseExpired)
        /// A push was refused and the remote branch is unchanged: it is not a fast-forward,
        /// another push moved the branch meanwhile, or the remote holds another collection
        /// under the name.
        public static let pushRejected = Code(.pushRejected)
        /// Object storage answered with an error that trying again would not change (access
        /// denied, no such bucket); the message names the HTTP status and the store's code.
        /// Failures that may pass are tried again, and then are ``storageUnavailable``.
        public static let objectStore = Code(.objectStore)

        public var description: String { String(describing: wrapped) }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong, in words, naming the offending value, file or offset.
    public var message: String
    /// The file or folder concerned, when there is one.
    public var path: String?
    /// The byte offset in ``path`` where the damage was found, when known.
    public var offset: Int64?
    /// The operating system's error number (`ENOSPC`, `EIO`, ...) of a failed call.
    public var errno: Int32?
    /// The ids concerned: those in conflict for ``Code/mergeConflict``, those stored already
    /// for ``Code/idExists``.
    public var ids: [String] = []

    /// An error of kind `code` described by `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// An error about the file at `path`; the message reads "<path>: <what>[ at byte offset
    /// <offset>]".
    public init(_ code: Code, _ what: String, path: String, offset: Int? = nil, errno: Int32? = nil) {
        self.code = code
        message = path + ": " + what + (offset.map { " at byte offset \($0)" } ?? "")
        self.path = path
        self.offset = offset.map(Int64.init)
        self.errno = errno
    }

    public var description: String { message }

    /// Lets `catch SemblanceError.Code.locked` (or `case .locked` in a switch over an error)
    /// match an error by its code.
    public static func ~= (code: Code, error: SemblanceError) -> Bool { error.code == code }
}

extension SemblanceError.Code {
    /// Lets `catch SemblanceError.Code.locked` match where the error's type is `any Error`.
    public static func ~= (code: SemblanceError.Code, error: any Error) -> Bool {
        (error as? SemblanceError)?.code == code
    }
}

extension SemblanceError {
    static func invalidArgument(_ message: String) -> SemblanceError {
        SemblanceError(.invalidArgument, message)
    }
}
