import Crypto

/// The SHA-256 of an object's bytes, which is also its name.
public struct ObjectHash: Hashable, Sendable, Codable, CustomStringConvertible {
    /// 64 lowercase hexadecimal digits.
    public let hex: String

    init(of bytes: some Collection<UInt8>) {
        hex = String(bytes: Array(SHA256.hash(data: Array(bytes))))
    }

    /// The hash whose 32 raw bytes are `bytes`.
    init(bytes: [UInt8]) {
        precondition(bytes.count == 32)
        hex = String(bytes: bytes)
    }

    /// The 32 raw bytes.
    var bytes: [UInt8] {
        let digits = Array(hex.utf8)
        func value(_ digit: UInt8) -> UInt8 { digit <= 57 ? digit - 48 : digit - 87 }
        return stride(from: 0, to: 64, by: 2).map { value(digits[$0]) << 4 | value(digits[$0 + 1]) }
    }

    /// Parses 64 lowercase hex digits; nil for anything else.
    public init?(hex: String) {
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        self.hex = hex
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let hash = ObjectHash(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a SHA-256 hex digest: \(text)"))
        }
        self = hash
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }

    public var description: String { hex }
}

/// Immutable files named by the SHA-256 of their content, under `<collection>/objects/`:
/// `objects/ab/cdef…` for hash `abcdef…`. Each is written once, through a temp file, fsync,
/// rename and directory fsync; an object that exists is never written again. Reading checks
/// the hash, so a damaged or swapped file is an error, never silently used.
struct ObjectStore {
    let fs: any FileSystem
    let directory: String
    /// Marks what this store puts as in use, for a garbage collection running meanwhile.
    var pins: ObjectPins? = nil

    func path(of hash: ObjectHash) -> String {
        let hex = hash.hex
        return directory + "/" + hex.prefix(2) + "/" + hex.dropFirst(2)
    }

    /// Stores `bytes` unless an object with their hash is already durable. An object in
    /// `durable` is trusted as it is; one found on disk but not known to be durable (left by
    /// an interrupted checkpoint) is checked against its name and its directory is fsynced
    /// before it is reused; a damaged one is replaced. Returns the hash and whether it wrote.
    ///
    /// The object and its entry in `objects/ab/` are durable when this returns; the entry of
    /// `objects/ab/` itself in `objects/` is not, until ``syncFolder()``: a writer calls it
    /// once, after its last `put` and before a ref names what it wrote (a folder that exists
    /// is not known to be durable: its creation's sync may have failed, or a crash come first).
    @discardableResult
    func put(_ bytes: [UInt8], durable: inout Set<ObjectHash>) throws(SemblanceError) -> (hash: ObjectHash, written: Bool) {
        let hash = ObjectHash(of: bytes)
        // Before anything is checked: a collection that deletes it after this writes it anew.
        pins?.use(hash)
        if durable.contains(hash) { return (hash, false) }
        let path = path(of: hash)
        let folder = Path.directory(of: path)
        if fs.fileExists(path), (try? fs.readFile(path)).map({ ObjectHash(of: $0) == hash }) == true {
            try fs.syncDirectory(folder)
            durable.insert(hash)
            return (hash, false)
        }
        if !fs.fileExists(folder) { try fs.createDirectory(folder) }
        try fs.writeFileAtomically(path, bytes)
        durable.insert(hash)
        return (hash, true)
    }

    /// Makes the entries of the fan-out folders (`objects/ab`) durable.
    func syncFolder() throws(SemblanceError) { try fs.syncDirectory(directory) }

    /// The object's bytes, after checking them against its hash.
    /// - Throws: `.corruptFile` naming the file when it is missing or its content does not
    ///   match its name.
    func get(_ hash: ObjectHash) throws(SemblanceError) -> [UInt8] {
        let path = path(of: hash)
        guard fs.fileExists(path) else {
            throw SemblanceError(.corruptFile, "missing object (page or commit \(hash))", path: path, offset: 0)
        }
        let bytes = try fs.readFile(path)
        guard ObjectHash(of: bytes) == hash else {
            throw SemblanceError(.corruptFile, "content does not match its SHA-256 name (\(bytes.count) bytes)", path: path, offset: 0)
        }
        return bytes
    }
}
