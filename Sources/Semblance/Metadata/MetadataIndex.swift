import HashTreeCollections

/// Indexes over the metadata of one shard's live nodes: for every field path, which nodes
/// hold which scalar value. Persistent trees, so a copy is O(1) and a write after a copy
/// copies O(log n), like the rest of the index value.
///
/// Every scalar leaf is indexed under its dotted path, and each element of an array under
/// the array's path. Integers and doubles share one numeric key; an integer beyond ±2⁵³
/// may share a key with a neighbour, so once one is indexed the answers for numbers are
/// candidates to check, not exact.
struct MetadataIndex: Sendable {
    enum Key: Hashable, Sendable {
        case null
        case bool(Bool)
        case number(Double)
        case string(ScalarString)

        init?(_ value: Metadata) {
            switch value {
            case .null: self = .null
            case .bool(let b): self = .bool(b)
            case .int(let i): self = .number(Double(i))
            case .double(let d): self = .number(d)
            case .string(let s): self = .string(ScalarString(s))
            case .array, .object: return nil
            }
        }

        var metadata: Metadata {
            switch self {
            case .null: .null
            case .bool(let b): .bool(b)
            case .number(let d): .double(d)
            case .string(let s): .string(s.value)
            }
        }
    }

    /// A string compared and hashed by its Unicode scalars, as filters compare strings
    /// (Swift's `==` would also equate canonically equivalent strings).
    struct ScalarString: Hashable, Sendable {
        let value: String
        init(_ value: String) { self.value = value }
        static func == (a: ScalarString, b: ScalarString) -> Bool { a.value.unicodeScalars.elementsEqual(b.value.unicodeScalars) }
        func hash(into hasher: inout Hasher) {
            for scalar in value.unicodeScalars { hasher.combine(scalar.value) }
        }
    }

    /// Set once an integer that a double cannot hold exactly is indexed.
    private(set) var hasInexactNumbers = false

    private(set) var fields = TreeDictionary<String, TreeDictionary<Key, TreeSet<UInt32>>>()
    /// Paths that name an object or array (for `exists` on them).
    private(set) var containers = TreeDictionary<String, TreeSet<UInt32>>()

    mutating func add(_ node: UInt32, _ metadata: Metadata) {
        Self.leaves(of: metadata, path: nil) { path, leaf in
            if leaf.isInexactInteger { hasInexactNumbers = true }
            if let key = Key(leaf) {
                fields[path, default: [:]][key, default: []].insert(node)
            } else {
                containers[path, default: []].insert(node)
            }
        }
    }

    mutating func remove(_ node: UInt32, _ metadata: Metadata) {
        Self.leaves(of: metadata, path: nil) { path, leaf in
            if let key = Key(leaf) {
                fields[path]?[key]?.remove(node)
                if fields[path]?[key]?.isEmpty == true { fields[path]?[key] = nil }
                if fields[path]?.isEmpty == true { fields[path] = nil }
            } else {
                containers[path]?.remove(node)
                if containers[path]?.isEmpty == true { containers[path] = nil }
            }
        }
    }

    /// Calls `body` with (path, value) for every value under a path: objects' fields
    /// recursively, arrays' elements under the array's own path.
    private static func leaves(of value: Metadata, path: String?, _ body: (String, Metadata) -> Void) {
        switch value {
        case .object(let object):
            if let path { body(path, value) }
            for (key, field) in object { leaves(of: field, path: path.map { $0 + "." + key } ?? key, body) }
        case .array(let elements):
            guard let path else { return }
            body(path, value)
            for element in elements where Key(element) != nil { body(path, element) }
        default:
            if let path { body(path, value) }
        }
    }

    // MARK: Candidates

    /// The nodes that may match `filter`, from the indexes only, and whether they are exactly
    /// the matches (else a superset, each to be checked against the filter); nil when the
    /// filter needs every live node (a negation at the top, for instance) — the caller then
    /// checks all of them. `idNodes` turns ids into live nodes.
    func candidates(for filter: Filter, idNodes: (Set<String>) -> Set<UInt32>) -> (nodes: Set<UInt32>, exact: Bool)? {
        switch filter {
        case .equals(let path, let value):
            return lookup(path, [value])
        case .in(let path, let options):
            return lookup(path, options)
        case .less(_, let bound), .lessOrEqual(_, let bound), .greater(_, let bound), .greaterOrEqual(_, let bound):
            // A double cannot order integers beyond ±2⁵³ exactly: the keys could miss matches.
            if hasInexactNumbers || bound.isInexactInteger { return nil }
            return union(parts(for: filter) ?? [])
        case .exists:
            return union(parts(for: filter) ?? [])
        case .ids(let ids): return (idNodes(ids), true)
        case .and(let filters):
            // The smallest known set, intersected with the others that are known.
            let known = filters.compactMap { candidates(for: $0, idNodes: idNodes) }
            guard var result = known.min(by: { $0.nodes.count < $1.nodes.count }) else { return nil }
            for other in known { result.nodes.formIntersection(other.nodes) }
            return (result.nodes, known.count == filters.count && known.allSatisfy(\.exact))
        case .or(let filters):
            var result = Set<UInt32>()
            var exact = true
            for filter in filters {
                guard let part = candidates(for: filter, idNodes: idNodes) else { return nil }
                result.formUnion(part.nodes)
                exact = exact && part.exact
            }
            return (result, exact)
        case .notEquals, .notIn, .not:
            return nil
        }
    }

    private func union(_ parts: [TreeSet<UInt32>]) -> (nodes: Set<UInt32>, exact: Bool) {
        var nodes = Set<UInt32>()
        for part in parts { nodes.formUnion(part) }
        return (nodes, true)
    }

    /// Nodes holding one of `values` at `path`, by direct lookup; nil when a value is an
    /// object or array (compared whole, which the indexes do not hold). Integers beyond
    /// ±2⁵³ share keys with neighbours: then the nodes are candidates, not exact.
    private func lookup(_ path: String, _ values: [Metadata]) -> (nodes: Set<UInt32>, exact: Bool)? {
        var keys: [Key] = []
        for value in values {
            guard let key = Key(value) else { return nil }
            keys.append(key)
        }
        var nodes = Set<UInt32>()
        guard let byValue = fields[path] else { return (nodes, true) }
        for key in keys { if let found = byValue[key] { nodes.formUnion(found) } }
        let numbers = keys.contains { if case .number = $0 { true } else { false } }
        return (nodes, !(numbers && (hasInexactNumbers || values.contains(where: \.isInexactInteger))))
    }

    /// The node sets whose union answers a range or `exists` condition (empty when no node
    /// has the path); nil for other filters.
    private func parts(for filter: Filter) -> [TreeSet<UInt32>]? {
        func range(_ path: String, _ bound: Metadata, _ accept: (Int) -> Bool) -> [TreeSet<UInt32>] {
            guard let byValue = fields[path] else { return [] }
            return byValue.compactMap { key, nodes in key.compare(to: bound).map(accept) == true ? nodes : nil }
        }
        switch filter {
        case .less(let path, let bound): return range(path, bound) { $0 < 0 }
        case .lessOrEqual(let path, let bound): return range(path, bound) { $0 <= 0 }
        case .greater(let path, let bound): return range(path, bound) { $0 > 0 }
        case .greaterOrEqual(let path, let bound): return range(path, bound) { $0 >= 0 }
        case .exists(let path):
            var parts = fields[path].map { Array($0.values) } ?? []
            if let inner = containers[path] { parts.append(inner) }
            return parts
        default: return nil
        }
    }

    /// About how many live nodes match `filter`, from the sizes of the index entries and
    /// without building any set: exact for one equality, `in` or range on a field of scalars,
    /// an upper bound otherwise (a node with an array counts once per matching element;
    /// `and` takes its smallest operand).
    func estimatedCount(of filter: Filter, live: Int) -> Int {
        switch filter {
        case .equals(let path, let value): return estimatedLookup(path, [value], live: live)
        case .in(let path, let options): return estimatedLookup(path, options, live: live)
        case .less, .lessOrEqual, .greater, .greaterOrEqual, .exists:
            return min(live, parts(for: filter)?.reduce(0) { $0 + $1.count } ?? live)
        case .ids(let ids): return min(live, ids.count)
        case .and(let filters): return filters.map { estimatedCount(of: $0, live: live) }.min() ?? live
        case .or(let filters): return min(live, filters.reduce(0) { $0 + estimatedCount(of: $1, live: live) })
        case .notEquals(let path, let value): return max(0, live - estimatedLookup(path, [value], live: live))
        case .notIn(let path, let options): return max(0, live - estimatedLookup(path, options, live: live))
        case .not(let inner): return max(0, live - estimatedCount(of: inner, live: live))
        }
    }

    private func estimatedLookup(_ path: String, _ values: [Metadata], live: Int) -> Int {
        guard let byValue = fields[path] else { return 0 }
        var total = 0
        for value in values {
            guard let key = Key(value) else { return live }
            total += byValue[key]?.count ?? 0
        }
        return min(live, total)
    }
}

extension Metadata {
    /// An integer that a double cannot hold exactly (beyond ±2⁵³).
    var isInexactInteger: Bool {
        if case .int(let i) = self { return Int64(exactly: Double(i)) != i }
        return false
    }
}

extension MetadataIndex.Key {
    /// As ``Metadata/compare(to:)``: -1, 0 or 1 for two numbers or two strings, else nil.
    func compare(to bound: Metadata) -> Int? {
        switch (self, bound) {
        case (.number(let a), .int(let b)): let b = Double(b); return a < b ? -1 : (a == b ? 0 : 1)
        case (.number(let a), .double(let b)): return a < b ? -1 : (a == b ? 0 : 1)
        case (.string, .string): return metadata.compare(to: bound)
        default: return nil
        }
    }
}
