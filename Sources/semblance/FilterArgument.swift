import Semblance

/// The `--filter` option's JSON, parsed by the library (whose errors name the wrong part).
enum FilterArgument {
    static func parse(_ json: String?) throws -> Filter? {
        guard let json else { return nil }
        return try Filter(json: json)
    }
}
