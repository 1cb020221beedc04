import Foundation

/// One request as analytics sees it (P9): no path ids, no query strings, no addresses,
/// nothing typed by a person — the route *pattern* stands in for the path.
struct RequestLogRow: Sendable, Equatable {
    let requestID: String
    let method: String
    let route: String
    let status: Int
    let durationMicroseconds: Int
    let role: String
    let occurredAt: Date
}
