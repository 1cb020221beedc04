import Foundation

/// All user-facing copy, by key, in every language (style 9). Loaded once from
/// `settings/messages/<lang>.toml`; a key missing in one language falls back to English.
public struct Messages: Sendable {
    let table: [Language: [String: String]]

    public init(table: [Language: [String: String]]) {
        self.table = table
    }

    /// Loads every language's file from `folder`.
    public static func load(from folder: URL) throws -> Messages {
        var table: [Language: [String: String]] = [:]
        for language in Language.allCases {
            table[language] = try Settings.readTOML(
                folder.appendingPathComponent("\(language.rawValue).toml"), required: true)
        }
        return Messages(table: table)
    }

    /// The text for `key`, with `{1}`, `{2}`… replaced by `arguments`.
    public func text(_ key: String, _ language: Language, _ arguments: [String] = []) -> String {
        var text = table[language]?[key] ?? table[.en]?[key] ?? key
        for (index, argument) in arguments.enumerated() {
            text = text.replacingOccurrences(of: "{\(index + 1)}", with: argument)
        }
        return text
    }

    public func has(_ key: String) -> Bool { table[.en]?[key] != nil }

    /// The coverage flags the city names under `[coverage]` (P5): the ones a program may
    /// require and an admin's exception may grant.
    public var coverageFlags: [String] { keys(under: "coverage.") }

    /// The English keys that start with `prefix`, with the prefix removed.
    public func keys(under prefix: String) -> [String] {
        (table[.en] ?? [:]).keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }.sorted()
    }

    /// Keys present in some language but missing from another, for the completeness test.
    public func keysMissing(in language: Language) -> Set<String> {
        let all = table.values.reduce(into: Set<String>()) { $0.formUnion($1.keys) }
        return all.subtracting(table[language]?.keys ?? [:].keys)
    }
}
