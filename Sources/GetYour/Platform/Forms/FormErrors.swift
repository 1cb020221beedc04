import Vapor

/// Field errors of one form POST, in the order the fields appear on the page (style 6).
public struct FormErrors: Sendable {
    /// (field name, message key, arguments)
    private(set) var items: [(field: String, key: String, arguments: [String])] = []

    public init() {}

    public var isEmpty: Bool { items.isEmpty }

    public mutating func add(_ field: String, _ key: String, _ arguments: [String] = []) {
        guard !items.contains(where: { $0.field == field }) else { return }
        items.append((field, key, arguments))
    }

    public func has(_ field: String) -> Bool { items.contains { $0.field == field } }

    /// The messages for the error summary and the fields, in the page's language.
    func resolved(_ request: Request) -> [String: String] {
        Dictionary(
            items.map { ($0.field, request.application.messages.text($0.key, request.language, $0.arguments)) },
            uniquingKeysWith: { first, _ in first })
    }

    func summary(_ request: Request) -> [ErrorSummaryItem] {
        items.map { ErrorSummaryItem(field: $0.field, message: request.application.messages.text($0.key, request.language, $0.arguments)) }
    }
}

/// One line of the error summary at the top of a page: links to its field.
struct ErrorSummaryItem: Encodable, Sendable {
    let field: String
    let message: String
    /// The id of the field's input (see `Field.id`).
    var anchor: String { "field-" + field.replacingOccurrences(of: "_", with: "-") }

    enum CodingKeys: String, CodingKey { case field, message, anchor }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(field, forKey: .field)
        try container.encode(message, forKey: .message)
        try container.encode(anchor, forKey: .anchor)
    }
}
