import Crypto
import Foundation

/// `<collection>/config.json`: what the collection is, written at creation (and again only
/// by a re-encoding), checked at every open. Every setting is validated on create and on
/// open, and a SHA-256 checksum of the canonical encoding of the other fields makes a
/// changed byte an error instead of a silently different collection (docs/file-format.md
/// lists every field).
struct StoredConfiguration: Equatable, Sendable {
    static let formatVersion = 5

    var format: Int
    /// A random id, also written in every log header: a log from another collection is refused.
    var collectionID: CollectionID
    var index: IndexConfiguration
    var shardCount: Int
    var durability: Durability
    var checkpointPolicy: CheckpointPolicy
    var compactionThreshold: Double
    var retention: RetentionPolicy

    init(id: CollectionID, configuration: CollectionConfiguration) {
        format = Self.formatVersion
        collectionID = id
        index = configuration.index
        shardCount = configuration.shardCount
        durability = configuration.durability
        checkpointPolicy = configuration.checkpointPolicy
        compactionThreshold = configuration.compactionThreshold
        retention = configuration.retention
    }

    /// These settings with another encoding and rerankMultiple: what a re-encoding changes.
    func reencoded(_ encoding: VectorEncoding, rerankMultiple: Int) -> StoredConfiguration {
        var settings = self
        settings.index.encoding = encoding
        settings.index.rerankMultiple = rerankMultiple
        return settings
    }

    /// The client-level view of the stored settings.
    var collectionConfiguration: CollectionConfiguration {
        CollectionConfiguration(
            dimension: index.dimension, metric: index.metric, shardCount: shardCount, m: index.m,
            efConstruction: index.efConstruction, defaultEf: index.defaultEf, durability: durability,
            checkpointPolicy: checkpointPolicy, compactionThreshold: compactionThreshold, retention: retention,
            encoding: index.encoding, rerankMultiple: index.rerankMultiple)
    }

    /// The file's JSON form: the fields, and `checksum` over all of them.
    private struct File: Codable {
        var format: Int
        var collectionID: String
        var index: IndexConfiguration
        var shardCount: Int
        var durability: Durability
        var checkpointPolicy: CheckpointPolicy
        var compactionThreshold: Double
        var retention: RetentionPolicy
        var checksum: String?
    }

    private var file: File {
        File(format: format, collectionID: collectionID.hex, index: index, shardCount: shardCount, durability: durability,
             checkpointPolicy: checkpointPolicy, compactionThreshold: compactionThreshold, retention: retention, checksum: nil)
    }

    /// Sorted keys, infinite thresholds as strings (`CheckpointPolicy.manual`); pretty-printed
    /// for the file, compact for the checksum.
    private static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    /// The SHA-256 of the compact canonical encoding of every other field (sorted keys, no
    /// white space): one byte form for one value, recomputed from the decoded fields, so
    /// neither white space nor the printer's layout can change it.
    private static func checksum(of file: File) throws(SemblanceError) -> String {
        var unsigned = file
        unsigned.checksum = nil
        guard let bytes = try? encoder(pretty: false).encode(unsigned) else {
            throw SemblanceError(.invalidConfiguration, "the collection configuration could not be encoded")
        }
        return String(bytes: Array(SHA256.hash(data: bytes)))
    }

    func encoded() throws(SemblanceError) -> [UInt8] {
        var signed = file
        signed.checksum = try Self.checksum(of: signed)
        guard let bytes = try? Self.encoder(pretty: true).encode(signed) else {
            throw SemblanceError(.invalidConfiguration, "the collection configuration could not be encoded")
        }
        return Array(bytes) + [10]
    }

    /// Decodes and checks config.json: the version, the checksum, then every setting.
    static func decode(_ bytes: [UInt8], path: String) throws(SemblanceError) -> StoredConfiguration {
        struct Versioned: Decodable { var format: Int }
        guard let version = try? JSONDecoder().decode(Versioned.self, from: Data(bytes)) else {
            throw SemblanceError(.corruptFile, "not a Semblance collection configuration (no format field)", path: path, offset: 0)
        }
        guard version.format == formatVersion else {
            throw SemblanceError(.unsupportedFormatVersion,
                version.format > formatVersion
                    ? "collection format \(version.format) is newer than this Semblance reads (\(formatVersion))"
                    : "collection format \(version.format) was never released; this Semblance reads format \(formatVersion)",
                path: path)
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let file: File
        do {
            file = try decoder.decode(File.self, from: Data(bytes))
        } catch {
            throw SemblanceError(.corruptFile, "invalid collection configuration (\(error))", path: path, offset: 0)
        }
        guard let stated = file.checksum else {
            throw SemblanceError(.corruptFile, "the collection configuration has no checksum", path: path, offset: 0)
        }
        guard try checksum(of: file) == stated else {
            throw SemblanceError(.corruptFile, "the collection configuration does not match its checksum (a setting was changed or damaged)", path: path, offset: 0)
        }
        guard let id = CollectionID(hex: file.collectionID) else {
            throw SemblanceError(.corruptFile, "collectionID is not 32 lowercase hex digits", path: path, offset: 0)
        }
        let stored = StoredConfiguration(format: file.format, collectionID: id, index: file.index, shardCount: file.shardCount,
                                         durability: file.durability, checkpointPolicy: file.checkpointPolicy,
                                         compactionThreshold: file.compactionThreshold, retention: file.retention)
        do throws(SemblanceError) {
            try stored.collectionConfiguration.validate()
        } catch {
            throw SemblanceError(.corruptFile, "invalid setting: \(error.message)", path: path, offset: 0)
        }
        return stored
    }

    private init(format: Int, collectionID: CollectionID, index: IndexConfiguration, shardCount: Int, durability: Durability,
                 checkpointPolicy: CheckpointPolicy, compactionThreshold: Double, retention: RetentionPolicy) {
        self.format = format
        self.collectionID = collectionID
        self.index = index
        self.shardCount = shardCount
        self.durability = durability
        self.checkpointPolicy = checkpointPolicy
        self.compactionThreshold = compactionThreshold
        self.retention = retention
    }
}
