import Foundation

/// A collection's objects in a ``RemoteObjectStore`` (`<root>objects/ab/cdef…`, `root`
/// being `<collection>/`), and the transfers that push, replicas and the remote collector
/// share.
enum RemoteObjects {
    /// Tries of an object whose bytes do not match its hash (a body damaged on the way).
    static let downloadAttempts = 3

    static func key(_ hash: ObjectHash, root: String) -> String {
        root + "objects/" + hash.hex.prefix(2) + "/" + hash.hex.dropFirst(2)
    }

    /// The hash an `objects/ab/cdef…` key under `root` names; nil for any other key.
    static func hash(key: String, root: String) -> ObjectHash? {
        guard key.hasPrefix(root + "objects/") else { return nil }
        let rest = key.dropFirst(root.count + "objects/".count)
        guard rest.count == 65, rest.dropFirst(2).first == "/" else { return nil }
        return ObjectHash(hex: String(rest.prefix(2)) + String(rest.dropFirst(3)))
    }

    /// The object's bytes, checked against its hash (a damaged download is tried again);
    /// nil when the remote has no such object.
    /// - Throws: `.corruptFile` naming the key when every try was damaged; the store's errors.
    static func download(_ hash: ObjectHash, root: String, from remote: any RemoteObjectStore) async throws(SemblanceError) -> [UInt8]? {
        let key = key(hash, root: root)
        for _ in 0..<downloadAttempts {
            guard let object = try await remote.get(key) else { return nil }
            if ObjectHash(of: object.bytes) == hash { return object.bytes }
        }
        throw SemblanceError(.corruptFile, "content does not match its SHA-256 name after \(downloadAttempts) downloads", path: remote.location + "/" + key)
    }

    /// Runs `transfer` on every item, `limit` at a time; the sizes it returns, in the order
    /// the transfers end.
    static func concurrently<Item: Sendable>(
        _ items: [Item], limit: Int, location: String, _ transfer: @escaping @Sendable (Item) async throws(SemblanceError) -> Int64
    ) async throws(SemblanceError) -> [Int64] {
        do {
            return try await withThrowingTaskGroup(of: Int64.self) { group in
                var next = 0
                var sizes: [Int64] = []
                func start() {
                    let item = items[next]
                    next += 1
                    group.addTask { try await transfer(item) }
                }
                while next < items.count && next < limit { start() }
                while let size = try await group.next() {
                    sizes.append(size)
                    if next < items.count { start() }
                }
                return sizes
            }
        } catch let error as SemblanceError {
            throw error
        } catch {
            throw SemblanceError(.storageUnavailable, "the transfer stopped: \(error)", path: location)
        }
    }
}
