import ArgumentParser
import Semblance

/// `semblance create NAME --dimension N`: a new, empty collection.
struct CreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a collection.",
        discussion: "Creates the data directory if it is missing. Fails if the collection exists."
    )

    @OptionGroup var options: DirectoryOptions

    @Argument(help: "The collection's name: 1-64 letters, digits, _ or -.")
    var name: String

    // Every number option takes the next argument as its value even when it starts with
    // `-`, so that `--shards -1` is a range error, not "missing value".
    @Option(parsing: .unconditional, help: "Components per vector (1-65536).")
    var dimension: Int

    @Option(help: "How distance is measured (innerProduct is negated, so lower is nearer); euclidean or l2, and dot or ip, are accepted too.")
    var metric: MetricName = .cosine

    @Option(parsing: .unconditional, help: "Shards the ids spread over (1-256); more shards write and compact in parallel.")
    var shards = 1

    @Option(parsing: .unconditional, help: "HNSW links per node (2-256).")
    var m = 16

    @Option(name: .customLong("ef-construction"), parsing: .unconditional, help: "Candidates examined when linking a new vector (1-100000).")
    var efConstruction = 200

    @Option(parsing: .unconditional, help: "Candidates examined by a search that names no --ef (1-100000).")
    var ef = 64

    @Option(help: ArgumentHelp(
        "The vectors' form for the graph search and build: float32, float16, bfloat16 or int8 (f32, f16, bf16, int8); the float32 originals are kept too.",
        valueName: "encoding"))
    var encoding: VectorEncoding = .float32

    @Option(name: .customLong("rerank-multiple"), parsing: .unconditional, help: ArgumentHelp(
        "With a compact --encoding, re-score this many times k of a search's best candidates with the float32 originals (1-100).",
        valueName: "n"))
    var rerankMultiple = 3

    @Option(help: "When writes reach the disk: durable (fsync before each acknowledgement), periodic, or none.")
    var durability: DurabilityName = .durable

    @Option(name: .customLong("sync-interval"), parsing: .unconditional, help: ArgumentHelp(
        "Seconds between fsyncs under --durability periodic.", valueName: "seconds"))
    var syncInterval = 1.0

    var configuration: CollectionConfiguration {
        CollectionConfiguration(
            dimension: dimension, metric: metric.metric, shardCount: shards, m: m, efConstruction: efConstruction,
            defaultEf: ef, durability: durability.durability(interval: syncInterval), encoding: encoding,
            rerankMultiple: rerankMultiple)
    }

    /// The library's names of the settings, and the options that set them.
    static let optionNames = [
        ("dimension", "--dimension"), ("m", "--m"), ("efConstruction", "--ef-construction"), ("defaultEf", "--ef"),
        ("shard count", "--shards"), ("the periodic sync interval", "--sync-interval"), ("rerankMultiple", "--rerank-multiple"),
    ]

    /// The library checks the settings (before the directory is created, so a typo leaves
    /// nothing behind); its message is reworded to name the option.
    func validate() throws {
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(Self.namingOptions(error.message))
        }
    }

    /// A message of the library's settings check, with the setting named by its option.
    static func namingOptions(_ message: String) -> String {
        for (setting, option) in optionNames where message.hasPrefix(setting + " must") {
            return option + message.dropFirst(setting.count)
        }
        return message
    }

    func run() async throws {
        let configuration = configuration
        let description = try await Session.withClient(options, creating: true) { client in
            let collection = try await client.createCollection(name, configuration: configuration)
            return CollectionDescription(collection.configuration, name: name, directory: client.directory ?? "")
        }
        if options.json {
            try Output.json(description)
        } else {
            Output.line("created collection \(name): \(dimension)-d, \(description.metric), \(description.encoding), "
                + "\(shards == 1 ? "1 shard" : "\(shards) shards"), \(durability.rawValue) writes, in \(description.directory)")
        }
    }
}

/// A collection's settings, as `create` and `stats` print them.
struct CollectionDescription: Encodable {
    var name: String
    var directory: String
    var dimension: Int
    var metric: String
    var encoding: String
    var rerankMultiple: Int
    var shards: Int
    var m: Int
    var efConstruction: Int
    var defaultEf: Int
    var durability: String
    var syncIntervalSeconds: Double?

    init(_ configuration: CollectionConfiguration, name: String, directory: String) {
        self.name = name
        self.directory = directory
        dimension = configuration.dimension
        metric = configuration.metric.rawValue
        encoding = configuration.encoding.rawValue
        rerankMultiple = configuration.rerankMultiple
        shards = configuration.shardCount
        m = configuration.m
        efConstruction = configuration.efConstruction
        defaultEf = configuration.defaultEf
        switch configuration.durability {
        case .durable: durability = "durable"
        case .periodic(let seconds):
            durability = "periodic"
            syncIntervalSeconds = seconds
        case .none: durability = "none"
        }
    }
}

/// The metric names the tool accepts: the library's (`DistanceMetric`'s), which it also
/// prints, and as aliases the tool's former names and their short forms. Without regard to case.
enum MetricName: String, ExpressibleByArgument, CaseIterable {
    case cosine, squaredEuclidean, innerProduct

    static let aliases: [String: MetricName] = [
        "euclidean": .squaredEuclidean, "l2": .squaredEuclidean, "dot": .innerProduct, "ip": .innerProduct,
    ]

    init?(argument: String) {
        let lowered = argument.lowercased()
        guard let name = Self.allCases.first(where: { $0.rawValue.lowercased() == lowered }) ?? Self.aliases[lowered] else {
            return nil
        }
        self = name
    }

    var metric: DistanceMetric {
        switch self {
        case .cosine: .cosine
        case .squaredEuclidean: .squaredEuclidean
        case .innerProduct: .innerProduct
        }
    }
}

/// Encodings by their Swift names or short forms (`f32`, `f16`, `bf16`, `int8`).
extension VectorEncoding: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// The durability modes, by name.
enum DurabilityName: String, ExpressibleByArgument, CaseIterable {
    case durable, periodic, none

    func durability(interval: Double) -> Durability {
        switch self {
        case .durable: .durable
        case .periodic: .periodic(seconds: interval)
        case .none: .none
        }
    }
}
