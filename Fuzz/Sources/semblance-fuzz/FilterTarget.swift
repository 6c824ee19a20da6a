@testable import Semblance

/// The JSON filter parser, `Filter(json:)`. A filter that parses:
/// - written back in its JSON form (explicit operators, as ``json(of:)`` writes it) parses
///   to the same filter;
/// - selects the same records through the index (`VectorIndex.ids(where:)`, answered from
///   the metadata field indexes) as `Filter.matches` does one record at a time, over a few
///   records whose metadata is made from the filter's own fields and values.
enum FilterTarget {
    static let target = FuzzTarget(
        name: "filter", summary: "JSON filters (Filter(json:)), and the index's answer to them",
        run: { run($0) }, seeds: { seeds() })

    static func run(_ input: [UInt8]) {
        guard let filter = try? Filter(json: String(decoding: input, as: UTF8.self)) else { return }
        let written = json(of: filter)
        guard let again = try? Filter(written) else {
            fatalError("property violated: the JSON form \(written) of a filter does not parse")
        }
        require(again == filter, "the JSON form \(written) parses to \(again), not \(filter)")
        compareWithIndex(filter)
    }

    /// The JSON form of `filter`, every condition with its operator.
    static func json(of filter: Filter) -> Metadata {
        switch filter {
        case .equals(let path, let value): [path: ["$eq": value]]
        case .notEquals(let path, let value): [path: ["$ne": value]]
        case .in(let path, let options): [path: ["$in": .array(options)]]
        case .notIn(let path, let options): [path: ["$nin": .array(options)]]
        case .less(let path, let value): [path: ["$lt": value]]
        case .lessOrEqual(let path, let value): [path: ["$lte": value]]
        case .greater(let path, let value): [path: ["$gt": value]]
        case .greaterOrEqual(let path, let value): [path: ["$gte": value]]
        case .exists(let path): [path: ["$exists": true]]
        case .and(let filters): ["$and": .array(filters.map(json(of:)))]
        case .or(let filters): ["$or": .array(filters.map(json(of:)))]
        case .not(let inner): ["$not": json(of: inner)]
        case .ids(let ids): ["$ids": .array(ids.sorted().map(Metadata.string))]
        }
    }

    /// Every (path, value) the filter mentions, values of `in` lists one by one.
    static func conditions(of filter: Filter, into result: inout [(path: String, value: Metadata?)]) {
        switch filter {
        case .equals(let path, let value), .notEquals(let path, let value), .less(let path, let value),
             .lessOrEqual(let path, let value), .greater(let path, let value), .greaterOrEqual(let path, let value):
            result.append((path, value))
        case .in(let path, let options), .notIn(let path, let options):
            result.append((path, nil))
            for option in options.prefix(4) { result.append((path, option)) }
        case .exists(let path): result.append((path, nil))
        case .and(let filters), .or(let filters): for inner in filters { conditions(of: inner, into: &result) }
        case .not(let inner): conditions(of: inner, into: &result)
        case .ids: break
        }
    }

    /// `value` at the dotted `path` of an object.
    static func object(at path: String, _ value: Metadata) -> Metadata {
        path.split(separator: ".", omittingEmptySubsequences: false).reversed().reduce(value) { .object([String($1): $0]) }
    }

    /// A value near `value`: the next number, a longer string, the other boolean.
    static func neighbour(of value: Metadata) -> Metadata {
        switch value {
        case .int(let i): .int(i &+ 1)
        case .double(let d): .double(d.nextUp.isFinite ? d.nextUp : 0)
        case .string(let s): .string(s + "\u{301}")
        case .bool(let b): .bool(!b)
        case .null: 0
        case .array(let elements): .array(elements.reversed() + [1])
        case .object: "object"
        }
    }

    static func compareWithIndex(_ filter: Filter) {
        var found: [(path: String, value: Metadata?)] = []
        conditions(of: filter, into: &found)
        var probes: [Metadata?] = [nil, [:], ["year": 2020, "lang": "en"]]
        for (path, value) in found.prefix(6) {
            let value = value ?? "x"
            probes += [object(at: path, value), object(at: path, [value, neighbour(of: value)]),
                       object(at: path, neighbour(of: value)), object(at: path, nil)]
        }
        guard var index = try? VectorIndex(IndexConfiguration(dimension: 2, metric: .squaredEuclidean, m: 2, efConstruction: 4)) else {
            fatalError("property violated: a small index cannot be made")
        }
        var expected = Set<String>()
        var ids: [String] = []
        for (i, probe) in probes.enumerated() {
            let id = "r\(i)"
            guard (try? index.upsert(id: id, vector: [Float(i), 1], metadata: probe)) != nil else { continue }
            ids.append(id)
        }
        // Delete one record and give another new metadata: the indexes must follow.
        if ids.count > 3 {
            _ = try? index.delete(ids[1])
            try? index.setMetadata(probes[2], for: ids[3])
        }
        for id in ids where index.contains(id) {
            if filter.matches(id: id, metadata: index.metadata(of: id)) { expected.insert(id) }
        }
        let answered = index.ids(where: filter)
        require(answered.count == Set(answered).count, "the index gives an id twice")
        require(Set(answered) == expected,
                "the index selects \(answered.sorted()), one by one \(expected.sorted()), for \(filter) over \(probes)")
        require(index.count(where: filter) == expected.count, "count(where:) differs from the records that match")
    }

    static func seeds() -> [(name: String, bytes: [UInt8])] {
        let filters: [(String, String)] = [
            ("equals", #"{"lang": "en"}"#),
            ("operators", #"{"lang": {"$eq": "en"}, "year": {"$gte": 2020}}"#),
            ("in", #"{"lang": {"$in": ["en", "de"]}, "score": {"$nin": [1, 2.5]}}"#),
            ("ranges", #"{"year": {"$gt": 1999, "$lt": 2030}, "name": {"$lte": "m", "$ne": "k"}}"#),
            ("exists", #"{"draft": {"$exists": false}, "author.name": {"$exists": true}}"#),
            ("or-and-not", #"{"$or": [{"a.b": 1}, {"$and": [{"c": null}, {"$not": {"d": [1, 2]}}]}]}"#),
            ("ids", #"{"$ids": ["a", "b", "\u00e9"]}"#),
            ("object-value", #"{"meta": {"$eq": {"x": 1, "y": [true]}}, "tags": "db"}"#),
        ]
        return filters.map { ("seed-\($0.0)", Array($0.1.utf8)) }
    }
}
