import Foundation

/// The JSON form of a ``Filter``, as the CLI and anyone building filters from data write it:
///
///     {"lang": "en"}                                  equals (shorthand)
///     {"lang": {"$eq": "en"}, "year": {"$gte": 2020}}  several fields: and
///     {"lang": {"$in": ["en", "de"]}}                 also $ne, $nin, $lt, $lte, $gt, $gte, $exists
///     {"$or": [{...}, {...}]}   {"$and": [...]}   {"$not": {...}}   {"$ids": ["a", "b"]}
extension Filter {
    /// Parses the JSON form.
    /// - Throws: `.invalidFilter` saying which part is wrong (`filter.$or[1].year: unknown
    ///   operator "$gte2"`).
    public init(json: String) throws(SemblanceError) {
        let value: Metadata
        do {
            value = try JSONDecoder().decode(Metadata.self, from: Data(json.utf8))
        } catch {
            throw SemblanceError(.invalidFilter, "filter: not valid JSON (\(error.localizedDescription))")
        }
        self = try Filter(value, at: "filter")
    }

    /// Reads a filter from its JSON form already decoded as ``Metadata``.
    public init(_ json: Metadata) throws(SemblanceError) {
        self = try Filter(json, at: "filter")
    }

    private init(_ json: Metadata, at place: String) throws(SemblanceError) {
        guard case .object(let fields) = json else {
            throw SemblanceError(.invalidFilter, "\(place): a filter is a JSON object, got \(json.kindName)")
        }
        var parts: [Filter] = []
        for key in fields.keys.sorted() {
            let value = fields[key]!
            let here = "\(place).\(key)"
            switch key {
            case "$and", "$or":
                guard case .array(let elements) = value, !elements.isEmpty else {
                    throw SemblanceError(.invalidFilter, "\(here): expects a non-empty array of filters")
                }
                var filters: [Filter] = []
                for (i, element) in elements.enumerated() { filters.append(try Filter(element, at: "\(here)[\(i)]")) }
                parts.append(key == "$and" ? .and(filters) : .or(filters))
            case "$not":
                parts.append(.not(try Filter(value, at: here)))
            case "$ids":
                guard case .array(let elements) = value else { throw SemblanceError(.invalidFilter, "\(here): expects an array of ids") }
                var ids = Set<String>()
                for (i, element) in elements.enumerated() {
                    guard case .string(let id) = element else {
                        throw SemblanceError(.invalidFilter, "\(here)[\(i)]: an id is a string, got \(element.kindName)")
                    }
                    ids.insert(id)
                }
                parts.append(.ids(ids))
            default:
                if key.hasPrefix("$") { throw SemblanceError(.invalidFilter, "\(here): unknown operator \(key.debugDescription)") }
                try Self.checkPath(key, at: here)
                parts.append(contentsOf: try Self.conditions(on: key, value, at: here))
            }
        }
        guard !parts.isEmpty else { throw SemblanceError(.invalidFilter, "\(place): an empty filter; use {} only where no filter is meant") }
        self = parts.count == 1 ? parts[0] : .and(parts)
    }

    /// `{"field": value}` or `{"field": {"$op": value, ...}}`.
    private static func conditions(on path: String, _ value: Metadata, at place: String) throws(SemblanceError) -> [Filter] {
        guard case .object(let operators) = value, operators.keys.contains(where: { $0.hasPrefix("$") }) else {
            return [.equals(path, value)]  // a plain value, or an object compared whole
        }
        if let plain = operators.keys.sorted().first(where: { !$0.hasPrefix("$") }) {
            throw SemblanceError(.invalidFilter, "\(place): mixes operators with the field \(plain.debugDescription); use {\"$eq\": {...}} to compare a whole object")
        }
        var conditions: [Filter] = []
        for op in operators.keys.sorted() {
            let operand = operators[op]!
            let here = "\(place).\(op)"
            switch op {
            case "$eq": conditions.append(.equals(path, operand))
            case "$ne": conditions.append(.notEquals(path, operand))
            case "$in", "$nin":
                guard case .array(let options) = operand else { throw SemblanceError(.invalidFilter, "\(here): expects an array") }
                conditions.append(op == "$in" ? .in(path, options) : .notIn(path, options))
            case "$lt", "$lte", "$gt", "$gte":
                guard operand.numericValue != nil || { if case .string = operand { return true } else { return false } }() else {
                    throw SemblanceError(.invalidFilter, "\(here): compares with a number or a string, got \(operand.kindName)")
                }
                switch op {
                case "$lt": conditions.append(.less(path, operand))
                case "$lte": conditions.append(.lessOrEqual(path, operand))
                case "$gt": conditions.append(.greater(path, operand))
                default: conditions.append(.greaterOrEqual(path, operand))
                }
            case "$exists":
                guard case .bool(let wanted) = operand else { throw SemblanceError(.invalidFilter, "\(here): expects true or false") }
                conditions.append(wanted ? .exists(path) : .not(.exists(path)))
            default:
                throw SemblanceError(.invalidFilter, "\(here): unknown operator \(op.debugDescription)")
            }
        }
        return conditions
    }

    private static func checkPath(_ path: String, at place: String) throws(SemblanceError) {
        guard path.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ !$0.isEmpty }) else {
            throw SemblanceError(.invalidFilter, "\(place): a field path has an empty part")
        }
    }
}

extension Metadata {
    /// "a string", "a number", ... for error messages.
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
