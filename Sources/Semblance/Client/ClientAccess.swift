/// How a ``Client`` uses its directory: as a writer, or as a reader beside one.
///
/// ```swift
/// // In a search service, while an importer process writes to the same directory:
/// let client = try await Client(directory: "/var/lib/myapp/vectors", access: .following(every: 1))
/// let docs = try await client.collection("docs")
/// let hits = try await docs.search(query, k: 10)   // at most about a second behind the writer
/// ```
public struct ClientAccess: Sendable, Hashable, CustomStringConvertible {
    /// True for a reader: no lock is taken, no file is created or changed but the reader's
    /// lease, and every change throws `.readOnly`.
    public let isReadOnly: Bool
    /// A reader's collections refresh themselves this often, in seconds; nil when they move
    /// only on ``VectorCollection/refresh()``.
    public let refreshInterval: Double?
    /// How long each renewal of a reader's lease claims the commits it serves, in seconds
    /// (default 60): a writer's garbage collection keeps them until the lease expires. The
    /// reader renews it every third of this while open; one suspended longer finds it
    /// lapsed (`.leaseExpired`) and reloads on its next refresh.
    public let leaseDuration: Double

    private init(isReadOnly: Bool, refreshInterval: Double?, leaseDuration: Double = 60) {
        self.isReadOnly = isReadOnly
        self.refreshInterval = refreshInterval
        self.leaseDuration = leaseDuration
    }

    /// Reads and writes (the default). A collection is written by one client at a time:
    /// opening one that another process writes throws `.locked`. Other collections of the
    /// same directory can be written by other processes meanwhile.
    public static let readWrite = ClientAccess(isReadOnly: false, refreshInterval: nil)

    /// Reads only, beside a writer or on read-only media: each collection opens at the
    /// newest commit of its branch plus the whole batches logged after it, and stays there
    /// until ``VectorCollection/refresh()``.
    public static let readOnly = ClientAccess(isReadOnly: true, refreshInterval: nil)

    /// Reads only, and each open collection refreshes itself every `seconds` (at least
    /// 0.01), so that it follows the writer.
    public static func following(every seconds: Double) -> ClientAccess {
        ClientAccess(isReadOnly: true, refreshInterval: seconds)
    }

    /// The same access with a reader's lease of `seconds` (more than 0):
    /// `.following(every: 1).leaseDuration(300)`.
    public func leaseDuration(_ seconds: Double) -> ClientAccess {
        ClientAccess(isReadOnly: isReadOnly, refreshInterval: refreshInterval, leaseDuration: seconds)
    }

    /// "read-write", "read-only", or "read-only, following every <interval> s".
    public var description: String {
        guard isReadOnly else { return "read-write" }
        return refreshInterval.map { "read-only, following every \($0) s" } ?? "read-only"
    }

    func validate() throws(SemblanceError) {
        if let seconds = refreshInterval, !(seconds.isFinite && seconds >= 0.01) {
            throw SemblanceError(.invalidArgument, "a reader refreshes at most every 0.01 s and at a finite interval, got \(seconds)")
        }
        guard leaseDuration.isFinite && leaseDuration > 0 else {
            throw SemblanceError(.invalidArgument, "a reader's lease lasts a finite number of seconds, more than 0, got \(leaseDuration)")
        }
    }
}
