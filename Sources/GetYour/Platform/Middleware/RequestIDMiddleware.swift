import Foundation
import Vapor

/// Gives every request an id that appears in every log line, the error page and the
/// analytics row. An incoming `X-Request-ID` is kept only when it is short and plain, so a
/// client cannot inject text into the logs.
struct RequestIDMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let id = Self.acceptable(request.headers.first(name: .xRequestId)) ?? UUID().uuidString.lowercased()
        request.storage[RequestIDKey.self] = id
        request.logger[metadataKey: "request-id"] = .string(id)
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: .xRequestId, value: id)
        return response
    }

    static func acceptable(_ value: String?) -> String? {
        guard let value, (8...128).contains(value.count),
            value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") })
        else { return nil }
        return value
    }
}

enum RequestIDKey: StorageKey { typealias Value = String }

extension Request {
    /// The id set by `RequestIDMiddleware` (Vapor's own id as a fallback).
    public var requestID: String { storage[RequestIDKey.self] ?? id }
}
